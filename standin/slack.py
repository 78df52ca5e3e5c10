"""A local Slack stand-in: the Web API the app calls, and the people who talk to the app.

``newsdesk console`` and the tests run the real Bolt app against it, without a Slack account::

    standin = SlackStandin(app_url="http://127.0.0.1:8000/slack/events").start()
    client = WebClient(token=standin.bot_token, base_url=standin.api_url)
    ana = standin.add_user("ana")
    world = standin.add_channel("world", members=[ana])
    standin.post_message(ana, world, "look https://example.com/story")

The Web API side lives in :mod:`standin.webapi` and :mod:`standin.workspace`;
requests to the app are signed like Slack's (:mod:`standin.delivery`).
"""

from __future__ import annotations

import copy
import functools
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

from standin.assistant import AssistantThread
from standin.assistant import install as install_assistant
from standin.delivery import (
    AppConnection,
    Delivery,
    StandinError,
    element_state,
    find_urls,
    format_links,
    is_empty_state,
    rich_text_blocks,
)
from standin.files import (
    DOWNLOAD_PREFIX,
    FileStore,
    api_files_info,
    attach_file,
    serve_download,
    store_file_share,
)
from standin.shortcuts import message_shortcut_payload
from standin.webapi import Fault, FaultKind, RecordedCall, ResponseTarget, SlackApi
from standin.workspace import Channel, Json, SlackMethodError, StoredMessage, Workspace

__all__ = [
    "Delivery",
    "RecordedCall",
    "SentEvent",
    "SlackStandin",
    "StandinError",
    "format_links",
]

T = TypeVar("T")
MENTION = re.compile(r"(?<![\w<@])@([\w.\-]+)")
CHANNEL_NAME = re.compile(r"(?<![\w<#&])#([\w\-]+)")
SPECIAL_MENTIONS = {"here", "channel", "everyone"}
# Local-only credentials: the stand-in accepts exactly these unless told otherwise.
DEFAULT_SIGNING_SECRET = "standin-signing-secret"  # noqa: S105
DEFAULT_BOT_TOKEN = "xoxb-standin-bot-token"  # noqa: S105
DEFAULT_VERIFICATION_TOKEN = "standin-verification-token"  # noqa: S105


def _retry_headers(retry_num: int | None, reason: str | None) -> dict[str, str]:
    if retry_num is None:
        return {}
    return {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason or "http_timeout"}


def app_mention_of(message: dict[str, Any]) -> dict[str, Any]:
    """The ``app_mention`` event Slack sends beside a ``message`` that mentions the bot."""
    mention = {k: v for k, v in message.items() if k != "channel_type"}
    return {**mention, "type": "app_mention"}


@dataclass(frozen=True)
class SentEvent:
    """A message a person posted: where it landed and every event delivered for it."""

    channel: str
    ts: str
    text: str
    deliveries: tuple[Delivery, ...]
    event: dict[str, Any]
    """The ``message`` event, as Slack delivers it (also when no app URL is set)."""

    @property
    def status(self) -> int:
        """Status of the first delivery (the ``message`` event); 0 when nothing was sent."""
        return self.deliveries[0].status if self.deliveries else 0

    @property
    def body(self) -> str:
        return self.deliveries[0].body if self.deliveries else ""

    @property
    def event_ids(self) -> list[str]:
        return [str(d.payload.get("event_id")) for d in self.deliveries]


class SlackStandin:
    """An in-process Slack: Web API server, workspace state, and signed requests to the app."""

    def __init__(
        self,
        *,
        app_url: str | None = None,
        signing_secret: str = DEFAULT_SIGNING_SECRET,
        bot_token: str = DEFAULT_BOT_TOKEN,
        bot_name: str = "newsdesk",
        verification_token: str = DEFAULT_VERIFICATION_TOKEN,
        unfurl_domains: Iterable[str] = (),
        seed: int = 0,
        delivery_timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.workspace = Workspace(bot_token=bot_token, bot_name=bot_name, clock=clock)
        self.api = SlackApi(self.workspace, seed=seed)
        self.app = AppConnection(
            signing_secret=signing_secret, app_url=app_url, timeout=delivery_timeout, clock=clock
        )
        self.verification_token = verification_token
        self.unfurl_domains = {d.lower().lstrip(".") for d in unfurl_domains}
        self.clock = clock
        self._event_counter = 0
        self.files = FileStore()
        self.assistant = install_assistant(self.api)
        self.api.extra_methods["files.info"] = functools.partial(
            api_files_info, self.files, self.workspace
        )
        self.api.raw_routes[DOWNLOAD_PREFIX] = functools.partial(
            serve_download, self.files, self.workspace.bot_token
        )

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> SlackStandin:
        """Serve the Web API on a loopback port (random by default) in a background thread."""
        self.api.start(host, port)
        return self

    def stop(self) -> None:
        self.api.stop()

    def __enter__(self) -> SlackStandin:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.api.base_url

    @property
    def api_url(self) -> str:
        """The ``base_url`` for ``WebClient``: ``http://127.0.0.1:PORT/api/``."""
        return f"{self.api.base_url}/api/"

    @property
    def app_url(self) -> str | None:
        return self.app.app_url

    @app_url.setter
    def app_url(self, url: str | None) -> None:
        self.app.app_url = url

    @property
    def bot_token(self) -> str:
        return self.workspace.bot_token

    @property
    def signing_secret(self) -> str:
        return self.app.signing_secret

    @property
    def team_id(self) -> str:
        return self.workspace.team_id

    @property
    def app_id(self) -> str:
        return self.workspace.app_id

    @property
    def bot_user_id(self) -> str:
        return self.workspace.bot_user_id

    @property
    def bot_id(self) -> str:
        return self.workspace.bot_id

    # ---- workspace set-up --------------------------------------------------------------

    def add_user(self, name: str, *, real_name: str | None = None, is_bot: bool = False) -> str:
        """A new member of the workspace; returns the user id (``U…``)."""
        return self.workspace.add_user(name, real_name=real_name, is_bot=is_bot)

    def add_channel(
        self,
        name: str,
        *,
        is_private: bool = False,
        members: Iterable[str] = (),
        bot_is_member: bool = True,
    ) -> str:
        """A new channel (``C…``, or ``G…`` when private); the bot is a member unless told."""
        return self.workspace.add_channel(
            name, is_private=is_private, members=members, bot_is_member=bot_is_member
        )

    def join_channel(self, channel: str, user: str) -> None:
        with self.workspace.lock:
            self._channel(channel).members.add(user)

    def open_dm(self, user: str) -> str:
        """The DM between ``user`` and the bot (``D…``)."""
        self._user(user)
        return self.workspace.open_dm(user)

    def add_usergroup(self, handle: str, user_ids: Iterable[str]) -> str:
        """A user group (``S…``) with these members."""
        return self.workspace.add_usergroup(handle, user_ids)

    def user_id(self, name: str) -> str:
        """The id of the user called ``name``."""
        with self.workspace.lock:
            for user in self.workspace.users.values():
                if user.name == name:
                    return user.id
        raise StandinError(f"no user called {name}")

    def channel_id(self, name: str) -> str:
        """The id of ``#name`` (or the id itself when given one)."""
        return self._channel(name).id

    # ---- recording and faults ----------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Web API calls the app made, oldest first, optionally only one method."""
        return self.api.calls(method)

    def clear_calls(self) -> None:
        self.api.clear_calls()

    def inject_fault(
        self,
        method: str | None,
        *,
        kind: FaultKind,
        times: int | None = None,
        rate: float | None = None,
        retry_after: int = 1,
        delay: float = 1.0,
        status: int = 500,
    ) -> Fault:
        """Make calls to ``method`` (every method when ``None``) fail.

        ``rate_limited`` answers 429 with ``Retry-After``; ``server_error`` answers ``status``;
        ``slow`` waits ``delay`` seconds, then answers; ``timeout`` does the work, waits
        ``delay`` seconds and closes the connection without answering. ``times`` limits how
        many calls fail; ``rate`` makes each call fail with that probability (seeded).
        """
        if rate is not None and not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        return self.api.add_fault(Fault(method, kind, times, rate, retry_after, delay, status))

    def clear_faults(self) -> None:
        self.api.clear_faults()

    def set_latency(self, seconds: float, method: str | None = None) -> None:
        """Wait this long before answering calls to ``method`` (every method when ``None``)."""
        self.api.set_latency(seconds, method)

    def sign_request(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` headers for ``body``."""
        return self.app.sign_request(body, timestamp)

    # ---- people talking to the app -----------------------------------------------------

    def format_text(self, text: str) -> str:
        """What a Slack client sends for typed text: escaping, links, ``@name`` and ``#name``."""
        formatted = format_links(text)
        with self.workspace.lock:
            users = {u.name: u.id for u in self.workspace.users.values()}
            channels = {c.name: c.id for c in self.workspace.channels.values() if not c.is_im}

        def mention(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in SPECIAL_MENTIONS:
                return f"<!{name}>"
            return f"<@{users[name]}>" if name in users else match.group(0)

        def reference(match: re.Match[str]) -> str:
            name = match.group(1)
            return f"<#{channels[name]}|{name}>" if name in channels else match.group(0)

        pieces = re.split(r"(<[^<>]*>)", formatted)
        for index in range(0, len(pieces), 2):
            pieces[index] = CHANNEL_NAME.sub(reference, MENTION.sub(mention, pieces[index]))
        return "".join(pieces)

    def post_message(
        self,
        user: str,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        raw: bool = False,
    ) -> SentEvent:
        """``user`` posts ``text`` in ``channel`` (id or name) and the app hears of it.

        The text is formatted as a Slack client would (see :meth:`format_text`) unless
        ``raw``. Delivers ``message`` when the bot is in the channel, ``app_mention`` when the
        bot is mentioned outside a DM, ``link_shared`` for links to unfurl domains.
        """
        person = self._user(user)
        formatted = text if raw else self.format_text(text)
        with self.workspace.lock:
            place = self._channel(channel)
            place.members.add(person)
            try:
                stored = self.workspace.store_message(
                    place,
                    {
                        "client_msg_id": str(uuid.uuid4()),
                        "user": person,
                        "team": self.team_id,
                        "text": formatted,
                        "blocks": rich_text_blocks(formatted),
                    },
                    thread_ts=thread_ts,
                )
            except SlackMethodError as error:
                raise StandinError(f"no message {thread_ts} to reply to in {channel}") from error
            event = {**copy.deepcopy(stored.body), "channel": place.id}
            event.update(event_ts=stored.ts, channel_type=place.channel_type)
            bot_in_channel = self.bot_user_id in place.members
            links = self._unfurl_links(formatted)
            unfurl_id = None
            if links:
                unfurl_id = uuid.uuid4().hex
                self.workspace.unfurl_ids[unfurl_id] = (place.id, stored.ts)
        deliveries: list[Delivery] = []
        if bot_in_channel and self.app_url:
            deliveries.append(self.send_event(event))
            if f"<@{self.bot_user_id}" in formatted and not place.is_im:
                deliveries.append(self.send_event(app_mention_of(event)))
        if links and self.app_url:
            shared = {
                "type": "link_shared",
                "channel": place.id,
                "user": person,
                "message_ts": stored.ts,
                "unfurl_id": unfurl_id,
                "source": "conversations_history",
                "is_bot_user_member": bot_in_channel,
                "links": links,
                "event_ts": stored.ts,
            }
            if "thread_ts" in event:
                shared["thread_ts"] = event["thread_ts"]
            deliveries.append(self.send_event(shared))
        return SentEvent(place.id, stored.ts, formatted, tuple(deliveries), event)

    def upload_file(
        self,
        user: str,
        channel: str,
        name: str,
        content: bytes,
        *,
        comment: str = "",
        thread_ts: str | None = None,
    ) -> SentEvent:
        """``user`` uploads ``name`` into ``channel`` (with an optional comment): the message is
        stored with its ``files`` and a ``message``/``file_share`` event goes to the app when the
        bot is in the channel, as in Slack."""
        person = self._user(user)
        store = self._file_store()
        formatted = self.format_text(comment) if comment else ""
        with self.workspace.lock:
            try:
                place = self._channel(channel)
            except SlackMethodError as error:
                raise StandinError(f"no channel {channel}") from error
            event = store_file_share(
                store,
                self.workspace,
                place,
                person,
                name,
                content,
                text=formatted,
                blocks=rich_text_blocks(formatted) if formatted else None,
                thread_ts=thread_ts,
            )
            bot_in_channel = self.bot_user_id in place.members
        deliveries = []
        if bot_in_channel and self.app_url:
            deliveries.append(self.send_event(event))
        return SentEvent(place.id, event["ts"], formatted, tuple(deliveries), event)

    def attach_to_form(self, user: str, name: str, content: bytes) -> Json:
        """``user`` picks a file in a modal's ``file_input``: the file object the view's state
        reports (the file is uploaded, shared nowhere, readable by the app)."""
        person = self._user(user)
        return attach_file(self._file_store(), self.workspace, person, name, content)

    def _file_store(self) -> FileStore:
        self.files.base_url = self.base_url
        self.files.team_id = self.team_id
        return self.files

    def message_shortcut(
        self, user: str, channel: str, message_ts: str, callback_id: str
    ) -> Delivery:
        """``user`` runs the message shortcut ``callback_id`` on a message (``message_action``)."""
        person = self._user(user)
        with self.workspace.lock:
            place = self._channel(channel)
            payload = message_shortcut_payload(
                self.workspace,
                place,
                person,
                message_ts,
                callback_id,
                team_id=self.team_id,
                verification_token=self.verification_token,
                response_url=self.api.new_response_url(
                    ResponseTarget(person, place.id, is_ephemeral=True)
                ),
            )
        return self.app.post_form({"payload": json.dumps(payload)}, payload)

    def open_assistant_thread(
        self, user: str, *, context_channel: str | None = None
    ) -> tuple[str, str]:
        """``user`` opens the assistant panel: a thread in their DM with the bot is created and
        the app hears ``assistant_thread_started``. Returns (DM channel id, thread ts)."""
        person = self._user(user)
        dm = self.open_dm(person)
        workspace = self.workspace
        with workspace.lock:
            root = workspace.store_message(
                workspace.channel(dm),
                {
                    "subtype": "assistant_app_thread",
                    "user": self.bot_user_id,
                    "bot_id": self.bot_id,
                    "text": "New chat",
                },
            )
            self.assistant.threads[(dm, root.ts)] = AssistantThread(person, dm, root.ts)
        event = {
            "type": "assistant_thread_started",
            "assistant_thread": {
                "user_id": person,
                "context": {
                    "channel_id": context_channel,
                    "team_id": self.team_id,
                    "enterprise_id": None,
                },
                "channel_id": dm,
                "thread_ts": root.ts,
            },
            "event_ts": workspace.new_ts(),
        }
        if self.app_url:
            self.send_event(event)
        return dm, root.ts

    def ask_in_assistant_thread(
        self, user: str, channel: str, thread_ts: str, text: str
    ) -> SentEvent:
        """``user`` writes in an assistant thread (a DM message with ``thread_ts``)."""
        return self.post_message(user, channel, text, thread_ts=thread_ts)

    def share_link(self, user: str, channel: str, url: str) -> SentEvent:
        """``user`` pastes ``url`` in ``channel``: a message, plus ``link_shared`` when the
        domain is one of the unfurl domains."""
        return self.post_message(user, channel, url)

    def event_envelope(self, event: dict[str, Any], *, event_id: str | None = None) -> Json:
        """``event`` wrapped as Slack delivers it (``event_callback``), not yet signed."""
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self.new_event_id(),
            "event_time": int(self.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + uuid.uuid4().hex,
        }

    def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> Delivery:
        """Deliver ``event`` in an ``event_callback`` envelope (a retry when ``retry_num``)."""
        envelope = self.event_envelope(event, event_id=event_id)
        return self.app.post_json(envelope, _retry_headers(retry_num, retry_reason))

    def signed_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """Body and headers of ``event`` as Slack would POST it, for a caller that sends it
        itself (load generators, crash tests that kill the app mid-request)."""
        body = json.dumps(self.event_envelope(event, event_id=event_id)).encode("utf-8")
        headers = {**self.sign_request(body), "Content-Type": "application/json"}
        return body, {**headers, **_retry_headers(retry_num, retry_reason)}

    def verify_url(self) -> Delivery:
        """The ``url_verification`` challenge Slack sends when a request URL is saved."""
        challenge = uuid.uuid4().hex
        return self.app.post_json(
            {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        )

    def new_event_id(self) -> str:
        with self.workspace.lock:
            self._event_counter += 1
            return f"Ev{self._event_counter:010d}"

    def slash_command(self, user: str, channel: str, command: str, text: str = "") -> Delivery:
        """``user`` runs ``command text`` in ``channel``; an answer in the ack body is shown
        to them (or to the channel for ``response_type: in_channel``), as in Slack."""
        person = self.workspace.users[self._user(user)]
        with self.workspace.lock:
            place = self._channel(channel)
            channel_name = place.name
            if place.is_im:
                channel_name = "directmessage"
            elif place.is_private:
                channel_name = "privategroup"
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.workspace.team_domain,
            "channel_id": place.id,
            "channel_name": channel_name,
            "user_id": person.id,
            "user_name": person.name,
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": self.api.new_response_url(ResponseTarget(person.id, place.id)),
            "trigger_id": self.workspace.new_trigger(person.id),
        }
        delivery = self.app.post_form(fields, dict(fields))
        self._show_command_answer(delivery, person.id, place.id)
        return delivery

    def _show_command_answer(self, delivery: Delivery, user: str, channel: str) -> None:
        if delivery.status != 200 or not delivery.body.strip():
            return
        try:
            answer = json.loads(delivery.body)
        except json.JSONDecodeError:
            answer = {"text": delivery.body}
        if not isinstance(answer, dict) or not (answer.get("text") or answer.get("blocks")):
            return
        text, blocks = answer.get("text"), answer.get("blocks")
        with self.workspace.lock:
            if answer.get("response_type") == "in_channel":
                place = self.workspace.channel(channel)
                self.workspace.store_message(place, self.workspace.bot_message(text, blocks, None))
            else:
                self.workspace.add_ephemeral(user, channel, text, blocks)

    def click(
        self,
        user: str,
        message_or_view: Mapping[str, Any],
        action_id: str,
        value: Any = None,
        block_id: str | None = None,
    ) -> Delivery:
        """``user`` clicks (or picks ``value`` in) the element ``action_id`` of a message or
        view, sending a ``block_actions`` payload like Slack's."""
        person = self.workspace.users[self._user(user)]
        with self.workspace.lock:
            source = self._current(person.id, message_or_view)
            found_block, element = self._find_element(source, action_id, block_id)
            action = {
                "action_id": element.get("action_id"),
                "block_id": found_block.get("block_id"),
                "action_ts": self.workspace.new_ts(),
            }
            if element.get("type") == "button":
                action.update(type="button", text=element.get("text"))
                if value is not None or "value" in element:
                    action["value"] = value if value is not None else element["value"]
                if "style" in element:
                    action["style"] = element["style"]
            else:
                action.update(element_state(element, value))
            payload = self._action_payload(person.id, source, action)
            if source.get("type") in ("modal", "home"):
                values = source["state"]["values"]
                state = {k: v for k, v in action.items() if k not in ("action_id", "block_id")}
                state.pop("action_ts", None)
                if element.get("type") != "button":
                    values.setdefault(action["block_id"], {})[action["action_id"]] = state
        return self.app.post_form({"payload": json.dumps(payload)}, payload)

    def _action_payload(self, user: str, source: Json, action: Json) -> Json:
        person = self.workspace.users[user]
        payload: Json = {
            "type": "block_actions",
            "user": {
                "id": person.id,
                "username": person.name,
                "name": person.name,
                "team_id": self.team_id,
            },
            "api_app_id": self.app_id,
            "token": self.verification_token,
            "trigger_id": self.workspace.new_trigger(user),
            "team": {"id": self.team_id, "domain": self.workspace.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [action],
        }
        if source.get("type") in ("modal", "home"):
            payload["container"] = {"type": "view", "view_id": source["id"]}
            payload["view"] = copy.deepcopy(source)
            payload["state"] = copy.deepcopy(source["state"])
            return payload
        channel = self.workspace.channels[source["channel"]]
        ephemeral = bool(source.get("is_ephemeral"))
        payload["container"] = {
            "type": "message",
            "message_ts": source["ts"],
            "channel_id": channel.id,
            "is_ephemeral": ephemeral,
        }
        if source.get("thread_ts"):
            payload["container"]["thread_ts"] = source["thread_ts"]
        payload["channel"] = {"id": channel.id, "name": channel.name}
        if not ephemeral:
            message = {k: v for k, v in source.items() if k != "channel"}
            payload["message"] = message
        payload["state"] = {"values": {}}
        payload["response_url"] = self.api.new_response_url(
            ResponseTarget(
                user,
                channel.id,
                message_ts=source["ts"],
                is_ephemeral=ephemeral,
                thread_ts=source.get("thread_ts"),
            )
        )
        return payload

    def submit_view(
        self, user: str, view_id: str, values: Mapping[str, Any] | None = None
    ) -> Delivery:
        """``user`` fills in the open modal ``view_id`` and presses its submit button.

        ``values`` maps an input's ``action_id`` (or its ``block_id``) to what the user
        entered: text, an option value, a user/channel id, a date, or a list for multi-selects.
        Inputs left out keep their initial value. The app's answer (``response_action``
        errors/update/push/clear, or nothing to close the modal) is applied to the modal stack.
        """
        person = self.workspace.users[self._user(user)]
        entered = dict(values or {})
        with self.workspace.lock:
            view = self._open_modal(person.id, view_id)
            state: dict[str, dict[str, Any]] = {}
            for block in view.get("blocks", []):
                if block.get("type") != "input":
                    continue
                element = block["element"]
                key = element["action_id"]
                if key in entered:
                    value = entered.pop(key)
                elif block["block_id"] in entered:
                    value = entered.pop(block["block_id"])
                else:
                    value = view["state"]["values"].get(block["block_id"], {}).get(key)
                    value = _state_value(value) if value else None
                element_value = element_state(element, value)
                if not block.get("optional") and is_empty_state(element_value):
                    label = (block.get("label") or {}).get("text", block["block_id"])
                    raise StandinError(f"'{label}' is required")
                state.setdefault(block["block_id"], {})[key] = element_value
            if entered:
                raise StandinError(f"the modal has no input {', '.join(sorted(entered))}")
            view["state"] = {"values": state}
            payload = {
                "type": "view_submission",
                "team": {"id": self.team_id, "domain": self.workspace.team_domain},
                "user": {
                    "id": person.id,
                    "username": person.name,
                    "name": person.name,
                    "team_id": self.team_id,
                },
                "api_app_id": self.app_id,
                "token": self.verification_token,
                "trigger_id": self.workspace.new_trigger(person.id),
                "view": copy.deepcopy(view),
                "response_urls": [],
                "is_enterprise_install": False,
                "enterprise": None,
            }
        delivery = self.app.post_form({"payload": json.dumps(payload)}, payload)
        if delivery.status == 200:
            self._apply_view_answer(person.id, view, delivery)
        return delivery

    def _apply_view_answer(self, user: str, view: Json, delivery: Delivery) -> None:
        try:
            answer = delivery.json() or {}
        except json.JSONDecodeError:
            answer = {}
        action = answer.get("response_action") if isinstance(answer, dict) else None
        workspace = self.workspace
        with workspace.lock:
            stack = workspace.modals.setdefault(user, [])
            workspace.view_errors.pop(view["id"], None)
            if action == "errors":
                workspace.view_errors[view["id"]] = dict(answer.get("errors") or {})
            elif action == "update":
                new = workspace.stamp_view(
                    answer["view"], view_id=view["id"], root=view["root_view_id"]
                )
                workspace.replace_view(user, view, new)
            elif action == "push":
                new = workspace.stamp_view(answer["view"], root=view["root_view_id"])
                new["previous_view_id"] = view["id"]
                stack.append(new)
            elif action == "clear":
                stack.clear()
            elif view in stack:
                stack.remove(view)

    def close_view(self, user: str, view_id: str) -> Delivery | None:
        """``user`` closes the modal; ``view_closed`` is sent when it asks to be notified."""
        person = self._user(user)
        with self.workspace.lock:
            view = self._open_modal(person, view_id)
            stack = self.workspace.modals[person]
            stack.remove(view)
            notify = bool(view.get("notify_on_close"))
            payload = {
                "type": "view_closed",
                "team": {"id": self.team_id, "domain": self.workspace.team_domain},
                "user": {"id": person, "team_id": self.team_id},
                "api_app_id": self.app_id,
                "token": self.verification_token,
                "view": copy.deepcopy(view),
                "is_cleared": False,
                "is_enterprise_install": False,
            }
        if not notify:
            return None
        return self.app.post_form({"payload": json.dumps(payload)}, payload)

    def open_home(self, user: str) -> Delivery:
        """``user`` opens the app's Home tab (``app_home_opened``)."""
        person = self._user(user)
        dm = self.workspace.open_dm(person)
        event: Json = {
            "type": "app_home_opened",
            "user": person,
            "channel": dm,
            "tab": "home",
            "event_ts": self.workspace.new_ts(),
        }
        with self.workspace.lock:
            view = self.workspace.home_views.get(person)
            if view is not None:
                event["view"] = copy.deepcopy(view)
        return self.send_event(event)

    # ---- what people see ---------------------------------------------------------------

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Top-level messages in ``channel``, oldest first (with metadata and ``channel``)."""
        with self.workspace.lock:
            place = self._channel(channel)
            return [
                self._shown(self.workspace.messages[ts]) for ts in self.workspace.history[place.id]
            ]

    def replies(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Replies in the thread of ``ts``, oldest first, without the parent."""
        with self.workspace.lock:
            place = self._channel(channel)
            stored = self.workspace.messages.get(ts)
            if stored is None or stored.channel != place.id:
                raise StandinError(f"no message {ts} in {channel}")
            return [self._shown(self.workspace.messages[r]) for r in stored.replies]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        """One message (top-level or reply) as it is now."""
        with self.workspace.lock:
            place = self._channel(channel)
            stored = self.workspace.messages.get(ts)
            if stored is None or stored.channel != place.id:
                raise StandinError(f"no message {ts} in {channel}")
            return self._shown(stored)

    def ephemeral(self, user: str) -> list[dict[str, Any]]:
        """Ephemeral messages shown to ``user``, oldest first."""
        with self.workspace.lock:
            return copy.deepcopy(self.workspace.ephemerals.get(self._user(user), []))

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The Home tab the app published for ``user`` (``None`` before the first publish)."""
        with self.workspace.lock:
            return copy.deepcopy(self.workspace.home_views.get(self._user(user)))

    def modals(self, user: str) -> list[dict[str, Any]]:
        """The modal stack open for ``user``, bottom first."""
        with self.workspace.lock:
            return copy.deepcopy(self.workspace.modals.get(self._user(user), []))

    def view_errors(self, view_id: str) -> dict[str, str]:
        """Errors the app returned for the last submission of ``view_id``, by block id."""
        with self.workspace.lock:
            return dict(self.workspace.view_errors.get(view_id, {}))

    def reactions(self, channel: str, ts: str) -> dict[str, list[str]]:
        """Reaction name → users who reacted, on one message."""
        with self.workspace.lock:
            stored = self.workspace.messages.get(ts)
            if stored is None or stored.channel != self._channel(channel).id:
                raise StandinError(f"no message {ts} in {channel}")
            return {name: list(users) for name, users in stored.reactions.items()}

    def unfurls(self, channel: str, ts: str) -> dict[str, Any]:
        """URL → unfurl the app attached to one message with ``chat.unfurl``."""
        with self.workspace.lock:
            key = (self._channel(channel).id, ts)
            return copy.deepcopy(self.workspace.unfurls.get(key, {}))

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.02
    ) -> T:
        """Poll ``predicate`` until it returns something truthy, and return that."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            time.sleep(interval)

    # ---- internals ---------------------------------------------------------------------

    def _user(self, user: str) -> str:
        with self.workspace.lock:
            if user in self.workspace.users:
                return user
        return self.user_id(user.removeprefix("@"))

    def _channel(self, channel: str) -> Channel:
        with self.workspace.lock:
            try:
                return self.workspace.resolve_channel(channel)
            except SlackMethodError as error:
                raise StandinError(f"no channel {channel}") from error

    def _shown(self, stored: StoredMessage) -> dict[str, Any]:
        return {**self.workspace.public_message(stored), "channel": stored.channel}

    def _unfurl_links(self, text: str) -> list[dict[str, str]]:
        links = []
        for url in find_urls(text):
            host = (urlsplit(url).hostname or "").lower()
            for domain in self.unfurl_domains:
                if host == domain or host.endswith("." + domain):
                    links.append({"domain": domain, "url": url})
                    break
        return links

    def _current(self, user: str, source: Mapping[str, Any]) -> Json:
        """The live message or view behind a (possibly stale) copy."""
        workspace = self.workspace
        if source.get("type") in ("modal", "home") and "id" in source:
            for view in workspace.modals.get(user, []):
                if view["id"] == source["id"]:
                    return view
            home = workspace.home_views.get(user)
            if home is not None and home["id"] == source["id"]:
                return home
            raise StandinError("that view is no longer open")
        ts = source.get("ts")
        for message in workspace.ephemerals.get(user, []):
            if message["ts"] == ts:
                return message
        stored = workspace.messages.get(str(ts))
        if stored is None:
            raise StandinError("that message no longer exists")
        return self._shown(stored)

    def _find_element(
        self, source: Json, action_id: str, block_id: str | None
    ) -> tuple[Json, Json]:
        for block in source.get("blocks") or []:
            if block_id is not None and block.get("block_id") != block_id:
                continue
            candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
            candidates += [
                block[k] for k in ("accessory", "element") if isinstance(block.get(k), dict)
            ]
            for element in candidates:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    return block, element
        raise StandinError(f"no button or menu '{action_id}' there")

    def _open_modal(self, user: str, view_id: str) -> Json:
        for view in self.workspace.modals.get(user, []):
            if view["id"] == view_id:
                return view
        raise StandinError(f"no open modal {view_id}")


def _state_value(state: Mapping[str, Any]) -> Any:
    """The raw value in an element's state, as ``submit_view`` takes it."""
    for key, value in state.items():
        if key == "type":
            continue
        if key == "selected_option":
            return value.get("value") if value else None
        if key == "selected_options":
            return [option.get("value") for option in value or []]
        return value
    return None
