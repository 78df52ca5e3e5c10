"""Block Kit as readable terminal text, for ``newsdesk console``.

Headers are underlined, mrkdwn links ``<url|label>`` read ``label (url)``, context lines are
indented with ``·`` (and dimmed with ``color``), dividers are a rule, and every button, menu and
input is numbered (``[1 Publish]``) and returned as a :class:`Clickable` so a console can
implement ``:click 1``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

RULE = "─" * 40
CONTEXT_PREFIX = "  · "
BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"
MARKUP = re.compile(r"<([^<>]*)>")
ELEMENT_NAMES = {
    "plain_text_input": "text",
    "email_text_input": "email",
    "url_text_input": "URL",
    "number_input": "number",
    "rich_text_input": "rich text",
    "datepicker": "date",
    "timepicker": "time",
    "datetimepicker": "date and time",
    "users_select": "user",
    "multi_users_select": "users",
    "conversations_select": "conversation",
    "multi_conversations_select": "conversations",
    "channels_select": "channel",
    "multi_channels_select": "channels",
    "external_select": "search",
    "multi_external_select": "search, several",
    "file_input": "file",
}
INITIAL_KEYS = (
    "initial_value",
    "initial_date",
    "initial_time",
    "initial_date_time",
    "initial_user",
    "initial_users",
    "initial_conversation",
    "initial_conversations",
    "initial_channel",
    "initial_channels",
)
OPTION_ELEMENTS = {
    "static_select",
    "multi_static_select",
    "overflow",
    "radio_buttons",
    "checkboxes",
}


@dataclass(frozen=True)
class Clickable:
    """A numbered button, menu or input a console user can act on."""

    number: int
    label: str
    kind: str
    action_id: str
    block_id: str | None
    value: str | None = None
    url: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    message_ts: str | None = None
    channel: str | None = None
    view_id: str | None = None


@dataclass
class Renderer:
    start: int = 1
    source: Mapping[str, Any] | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    color: bool = False
    clickables: list[Clickable] = field(default_factory=list)

    def style(self, text: str, code: str) -> str:
        return f"{code}{text}{RESET}" if self.color and text else text

    def text_object(self, value: Any) -> str:
        if not isinstance(value, Mapping):
            return ""
        text = str(value.get("text", ""))
        if value.get("type") == "mrkdwn":
            return render_mrkdwn(text, names=self.names)
        return text

    def clickable(self, element: Mapping[str, Any], block_id: str | None, label: str) -> str:
        number = self.start + len(self.clickables)
        source = self.source or {}
        options = tuple(
            (self.text_object(option.get("text")), str(option.get("value", "")))
            for option in element_options(element)
        )
        self.clickables.append(
            Clickable(
                number=number,
                label=label,
                kind=str(element.get("type", "")),
                action_id=str(element.get("action_id", "")),
                block_id=block_id,
                value=element.get("value"),
                url=element.get("url"),
                options=options,
                message_ts=source.get("ts") if "ts" in source else None,
                channel=source.get("channel"),
                view_id=source.get("id") if source.get("type") in ("modal", "home") else None,
            )
        )
        return f"[{number} {label}]"

    def element(self, element: Any, block_id: str | None) -> str:
        if not isinstance(element, Mapping):
            return ""
        kind = element.get("type")
        if kind == "image":
            return f"[image: {element.get('alt_text', '')}]"
        if kind == "button":
            label = self.text_object(element.get("text"))
            shown = self.clickable(element, block_id, label)
            return f"{shown} → {element['url']}" if element.get("url") else shown
        if kind in OPTION_ELEMENTS:
            labels = " | ".join(self.text_object(o.get("text")) for o in element_options(element))
            default = "more" if kind == "overflow" else "choose"
            placeholder = self.text_object(element.get("placeholder")) or default
            label = f"{placeholder} ▾ {labels}".strip()
            initial = element.get("initial_option")
            if isinstance(initial, Mapping):
                label += f" = {self.text_object(initial.get('text'))}"
            return self.clickable(element, block_id, label)
        placeholder = self.text_object(element.get("placeholder"))
        name = ELEMENT_NAMES.get(str(kind), str(kind))
        label = f"{name}: {placeholder}" if placeholder else name
        initial = next((element[k] for k in INITIAL_KEYS if element.get(k)), None)
        if initial:
            shown = ", ".join(map(str, initial)) if isinstance(initial, list) else str(initial)
            label += f" = {shown}"
        return self.clickable(element, block_id, label)

    def block(self, block: Any) -> list[str]:
        if not isinstance(block, Mapping):
            return []
        kind = block.get("type")
        block_id = block.get("block_id")
        if kind == "header":
            text = self.text_object(block.get("text"))
            return [self.style(text, BOLD), "═" * min(len(text), 60)]
        if kind == "divider":
            return [RULE]
        if kind == "section":
            return self.section(block)
        if kind == "context":
            parts = []
            for element in block.get("elements") or []:
                if isinstance(element, Mapping) and element.get("type") in ("mrkdwn", "plain_text"):
                    parts.append(self.text_object(element))
                else:
                    parts.append(self.element(element, block_id))
            return [CONTEXT_PREFIX + self.style("  ".join(p for p in parts if p), DIM)]
        if kind == "actions":
            shown = [self.element(e, block_id) for e in block.get("elements") or []]
            return ["  ".join(s for s in shown if s)]
        if kind == "input":
            label = self.text_object(block.get("label"))
            if block.get("optional"):
                label += " (optional)"
            lines = [f"{label}: {self.element(block.get('element'), block_id)}"]
            if block.get("hint"):
                lines.append(CONTEXT_PREFIX + self.style(self.text_object(block["hint"]), DIM))
            return lines
        if kind == "image":
            title = self.text_object(block.get("title")) or block.get("alt_text", "")
            return [f"[image: {title}] ({block.get('image_url', '')})"]
        if kind == "rich_text":
            return render_rich_text(block.get("elements") or [], self.names).splitlines()
        if kind == "markdown":
            return str(block.get("text", "")).splitlines()
        return [f"[{kind} block]"]

    def section(self, block: Mapping[str, Any]) -> list[str]:
        lines: list[str] = []
        if block.get("text"):
            lines.extend(self.text_object(block["text"]).splitlines())
        for field_object in block.get("fields") or []:
            lines.extend("  " + line for line in self.text_object(field_object).splitlines())
        accessory = block.get("accessory")
        if accessory:
            lines.append(self.element(accessory, block.get("block_id")))
        return lines


def element_options(element: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return [o for o in options if isinstance(o, Mapping)]


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def render_mrkdwn(text: str, *, names: Mapping[str, str] | None = None) -> str:
    """Slack markup as plain text: ``<url|label>`` → ``label (url)``, ``<@U1>`` → ``@ana``."""
    known = names or {}

    def replace(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            name = label or known.get(target[1:], target[1:])
            return "@" + name.lstrip("@")
        if target.startswith("#"):
            return "#" + (label or known.get(target[1:], target[1:]))
        if target.startswith("!"):
            if label:
                return label
            special = target[1:].split("^", 1)[0]
            return "@" + special
        url = unescape(target)
        if not label or unescape(label) == url:
            return url
        return f"{unescape(label)} ({url})"

    return unescape(MARKUP.sub(replace, text))


def render_rich_text(elements: Sequence[Any], names: Mapping[str, str] | None = None) -> str:
    """The text of ``rich_text`` elements (sections, lists, quotes, code)."""
    known = names or {}
    lines: list[str] = []
    for element in elements:
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        if kind == "rich_text_list":
            for index, item in enumerate(element.get("elements") or [], start=1):
                bullet = f"{index}." if element.get("style") == "ordered" else "•"
                lines.append(f"{bullet} {inline_rich_text(item.get('elements') or [], known)}")
        elif kind == "rich_text_quote":
            text = inline_rich_text(element.get("elements") or [], known)
            lines.extend("> " + line for line in text.splitlines())
        elif kind == "rich_text_preformatted":
            lines.append("```\n" + inline_rich_text(element.get("elements") or [], known) + "\n```")
        else:
            lines.append(inline_rich_text(element.get("elements") or [], known))
    return "\n".join(lines)


def inline_rich_text(elements: Sequence[Any], names: Mapping[str, str]) -> str:
    parts = []
    for element in elements:
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        if kind == "text":
            parts.append(str(element.get("text", "")))
        elif kind == "link":
            url = str(element.get("url", ""))
            label = element.get("text")
            parts.append(f"{label} ({url})" if label and label != url else url)
        elif kind == "user":
            user = str(element.get("user_id", ""))
            parts.append("@" + names.get(user, user))
        elif kind == "channel":
            channel = str(element.get("channel_id", ""))
            parts.append("#" + names.get(channel, channel))
        elif kind == "usergroup":
            group = str(element.get("usergroup_id", ""))
            parts.append("@" + names.get(group, group))
        elif kind == "broadcast":
            parts.append("@" + str(element.get("range", "")))
        elif kind == "emoji":
            parts.append(f":{element.get('name', '')}:")
    return "".join(parts)


def render_blocks(
    blocks: Sequence[Any],
    *,
    start: int = 1,
    source: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
    color: bool = False,
) -> tuple[str, list[Clickable]]:
    """Blocks as text, and the numbered elements in them (numbering from ``start``).

    ``source`` is the message or view the blocks belong to (recorded in each clickable);
    ``names`` maps user and channel ids to names; ``color`` adds ANSI bold and dim.
    """
    renderer = Renderer(start=start, source=source, names=dict(names or {}), color=color)
    lines: list[str] = []
    for block in blocks:
        lines.extend(renderer.block(block))
    return "\n".join(lines), renderer.clickables


def render_interactive_message(
    message: Mapping[str, Any],
    *,
    start: int = 1,
    names: Mapping[str, str] | None = None,
    color: bool = False,
) -> tuple[str, list[Clickable]]:
    """A message as text (its blocks, or its mrkdwn text) with its numbered elements."""
    blocks = message.get("blocks") or []
    if blocks:
        text, clickables = render_blocks(
            blocks, start=start, source=message, names=names, color=color
        )
    else:
        text, clickables = render_mrkdwn(str(message.get("text", "")), names=names), []
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, Mapping):
            continue
        if attachment.get("blocks"):
            shown, more = render_blocks(
                attachment["blocks"],
                start=start + len(clickables),
                source=message,
                names=names,
                color=color,
            )
            clickables.extend(more)
        else:
            shown = render_mrkdwn(
                str(attachment.get("text") or attachment.get("fallback") or ""), names=names
            )
        text += "\n" + "\n".join("│ " + line for line in shown.splitlines())
    return text, clickables


def render_message(
    message: Mapping[str, Any],
    *,
    start: int = 1,
    names: Mapping[str, str] | None = None,
    color: bool = False,
) -> str:
    """A message as terminal text."""
    return render_interactive_message(message, start=start, names=names, color=color)[0]


def render_view(
    view: Mapping[str, Any],
    *,
    start: int = 1,
    names: Mapping[str, str] | None = None,
    color: bool = False,
) -> tuple[str, list[Clickable]]:
    """A modal or Home tab: title, blocks, and the submit/close buttons of a modal."""
    body, clickables = render_blocks(
        view.get("blocks") or [], start=start, source=view, names=names, color=color
    )
    renderer = Renderer(color=color)
    title = renderer.text_object(view.get("title"))
    lines = []
    if title:
        lines += [renderer.style(title, BOLD), "═" * min(len(title), 60)]
    lines.append(body)
    buttons = [
        f"<{renderer.text_object(view[key])}>" for key in ("close", "submit") if view.get(key)
    ]
    if buttons:
        lines.append("  ".join(buttons))
    return "\n".join(line for line in lines if line), clickables
