"""The stand-in's side facing the app's request URL: signed requests shaped like Slack's.

Also the text helpers a Slack client applies before sending a message (escaping, link
markup) and the ``rich_text`` block Slack attaches to messages people type.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from news.errors import NewsdeskError

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
MARKUP = re.compile(r"<((?:[@#!]|https?://|mailto:)[^<>]*)>")
BARE_URL = re.compile(r"(?<![\w/])((?:https?://|www\.)[^\s<>]+)", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,;:!?'\")]}"


class StandinError(NewsdeskError):
    """Something the stand-in cannot do as asked (unknown button, unreachable app, …)."""


@dataclass(frozen=True)
class Delivery:
    """One request sent to the app and what it answered."""

    status: int
    body: str
    headers: dict[str, str]
    payload: dict[str, Any]

    def json(self) -> Any:
        """The answer's body decoded as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body.strip() else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class AppConnection:
    """Posts signed requests to the app's request URL (signed by slack_sdk's
    ``SignatureVerifier``, the code Bolt checks them with)."""

    def __init__(
        self,
        *,
        signing_secret: str,
        app_url: str | None,
        timeout: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signing_secret = signing_secret
        self._verifier = SignatureVerifier(signing_secret)
        self.app_url = app_url
        self.timeout = timeout
        self.clock = clock

    def _signature(self, body: bytes, timestamp: int) -> str:
        signature = self._verifier.generate_signature(timestamp=str(timestamp), body=body)
        assert signature is not None  # only None without a timestamp
        return signature

    def sign_request(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        stamp = int(self.clock()) if timestamp is None else timestamp
        return {
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": self._signature(body, stamp),
        }

    def post_json(
        self, payload: dict[str, Any], headers: Mapping[str, str] | None = None
    ) -> Delivery:
        body = json.dumps(payload).encode("utf-8")
        return self.post(body, "application/json", payload, dict(headers or {}))

    def post_form(self, fields: dict[str, str], payload: dict[str, Any]) -> Delivery:
        body = urlencode(fields).encode("utf-8")
        return self.post(body, "application/x-www-form-urlencoded", payload, {})

    def post(
        self, body: bytes, content_type: str, payload: dict[str, Any], extra: dict[str, str]
    ) -> Delivery:
        if not self.app_url:
            raise StandinError("no app URL is set: the stand-in has nowhere to send requests")
        headers = {"Content-Type": content_type, "User-Agent": USER_AGENT}
        headers.update(self.sign_request(body))
        headers.update(extra)
        request = urllib.request.Request(  # noqa: S310 (the app URL is set by the caller)
            self.app_url, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = response.read().decode("utf-8", "replace")
                return Delivery(response.status, answer, dict(response.headers.items()), payload)
        except urllib.error.HTTPError as error:
            answer = error.read().decode("utf-8", "replace")
            return Delivery(error.code, answer, dict(error.headers.items()), payload)
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise StandinError(f"cannot reach the app at {self.app_url}: {reason}") from error


# ---- text a person types ----------------------------------------------------------------


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrap_urls(text: str) -> str:
    def wrap(match: re.Match[str]) -> str:
        url = match.group(1)
        trail = ""
        while url and url[-1] in TRAILING_PUNCTUATION:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            trail = url[-1] + trail
            url = url[:-1]
        if not url:
            return match.group(0)
        if url.lower().startswith("www."):
            return f"<http://{url}|{url}>{trail}"
        return f"<{url}>{trail}"

    return BARE_URL.sub(wrap, text)


def format_links(text: str) -> str:
    """Text as a Slack client sends it: ``&<>`` escaped, bare URLs wrapped as ``<url>``.

    Markup already present (``<https://…|label>``, ``<@U…>``, ``<#C…>``, ``<!here>``) is kept.
    """
    parts: list[str] = []
    position = 0
    for match in MARKUP.finditer(text):
        parts.append(wrap_urls(escape_text(text[position : match.start()])))
        parts.append(match.group(0))
        position = match.end()
    parts.append(wrap_urls(escape_text(text[position:])))
    return "".join(parts)


def unescape_text(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def rich_text_blocks(text: str) -> list[dict[str, Any]]:
    """The ``rich_text`` block Slack attaches to a typed message, from its markup."""
    elements: list[dict[str, Any]] = []
    position = 0
    for match in MARKUP.finditer(text):
        if match.start() > position:
            elements.append({"type": "text", "text": unescape_text(text[position : match.start()])})
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            elements.append({"type": "user", "user_id": target[1:]})
        elif target.startswith("#"):
            elements.append({"type": "channel", "channel_id": target[1:]})
        elif target.startswith("!"):
            elements.append({"type": "broadcast", "range": target[1:]})
        else:
            link: dict[str, Any] = {"type": "link", "url": unescape_text(target)}
            if label:
                link["text"] = unescape_text(label)
            elements.append(link)
        position = match.end()
    if position < len(text):
        elements.append({"type": "text", "text": unescape_text(text[position:])})
    return [
        {
            "type": "rich_text",
            "block_id": uuid.uuid4().hex[:5],
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


def find_urls(text: str) -> list[str]:
    """Link targets in Slack markup, in order."""
    urls: list[str] = []
    for match in MARKUP.finditer(text):
        target = match.group(1).split("|", 1)[0]
        if target.startswith(("http://", "https://")):
            url = unescape_text(target)
            if url not in urls:
                urls.append(url)
    return urls


# ---- interactive elements ---------------------------------------------------------------

SINGLE_OPTION = {"static_select", "external_select", "radio_buttons", "overflow"}
MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
SELECTED_KEY = {
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
}


def element_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def find_option(element: dict[str, Any], value: str) -> dict[str, Any]:
    for option in element_options(element):
        if option.get("value") == value:
            return {"text": option.get("text"), "value": option.get("value")}
    known = ", ".join(str(o.get("value")) for o in element_options(element))
    raise StandinError(f"'{value}' is not one of the options ({known})")


def element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The state Slack reports for an element: ``value``, ``selected_option`` and so on.

    ``value`` of ``None`` means the element's initial value.
    """
    kind = element.get("type", "")
    state: dict[str, Any] = {"type": kind}
    if kind in SINGLE_OPTION:
        if value is None:
            state["selected_option"] = element.get("initial_option")
        else:
            state["selected_option"] = find_option(element, str(value))
    elif kind in MULTI_OPTION:
        if value is None:
            state["selected_options"] = element.get("initial_options") or []
        else:
            values = [value] if isinstance(value, str) else list(value)
            state["selected_options"] = [find_option(element, str(v)) for v in values]
    elif kind == "file_input":
        # What a person attached: file objects as Slack reports them.
        state["files"] = [] if value is None else list(value)
    elif kind in SELECTED_KEY:
        selected, initial = SELECTED_KEY[kind]
        if value is None:
            state[selected] = element.get(initial)
        elif kind.startswith("multi_"):
            state[selected] = [value] if isinstance(value, str) else list(value)
        else:
            state[selected] = value
    else:
        state["value"] = element.get("initial_value") if value is None else value
    return state


def is_empty_state(state: dict[str, Any]) -> bool:
    return all(value in (None, "", []) for key, value in state.items() if key != "type")
