"""Block Kit JSON: the few block and element shapes newsdesk posts, and Slack's limits, once.

The limits come from ``slack_sdk.models`` where it names them (section text, header, button
text/value/url/action id, buttons per actions block, blocks in a view); the two it does not
name (blocks per message, characters of a message's fallback text) are Slack's documented
figures. Builders here cut text to fit instead of raising: text reaching them comes from
stories and people, and an over-long headline must shorten, not lose the reply. They take
mrkdwn that is already escaped (``handlers.mrkdwn``); plain text is defused by
``plain_text``. We build dicts rather than ``slack_sdk.models.blocks`` objects: those
validate by raising, and building and serialising them costs more per reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, HeaderBlock, SectionBlock
from slack_sdk.models.views import View

from handlers.mrkdwn import measure, plain_text, truncate_words

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT: int = View.blocks_max_length  # modals and App Home: 100
MESSAGE_TEXT_LIMIT = 40_000
SECTION_LIMIT: int = SectionBlock.text_max_length  # 3,000
HEADER_LIMIT: int = HeaderBlock.text_max_length  # 150
BUTTON_TEXT_LIMIT: int = ButtonElement.text_max_length  # 75
BUTTON_VALUE_LIMIT: int = ButtonElement.value_max_length  # 2,000
BUTTON_URL_LIMIT: int = ButtonElement.url_max_length  # 3,000
ACTION_ID_LIMIT: int = ButtonElement.action_id_max_length  # 255
ACTIONS_PER_BLOCK: int = ActionsBlock.elements_max_length  # 25
BUTTON_STYLES = (None, "primary", "danger")


@dataclass(frozen=True)
class Message:
    """A Slack message: plain-text fallback (notifications, screen readers) and blocks."""

    text: str
    blocks: list[dict[str, Any]]


def mrkdwn(text: str, *, verbatim: bool = True) -> dict[str, Any]:
    # verbatim: Slack still reads our <…> sequences but does not turn bare names or
    # URLs in the (already escaped) text into links or mentions.
    return {"type": "mrkdwn", "text": text, "verbatim": verbatim}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(truncate_words(text, SECTION_LIMIT))}


def context(text: str, *, verbatim: bool = True) -> dict[str, Any]:
    """A context line. ``verbatim=False`` lets Slack link bare URLs and #names itself (the
    /news replies and App Home have always done so)."""
    fitted = truncate_words(text, SECTION_LIMIT)
    return {"type": "context", "elements": [mrkdwn(fitted, verbatim=verbatim)]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain_text(text, HEADER_LIMIT)}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def button(
    action_id: str,
    text: str,
    value: str,
    *,
    style: str | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    """A button; ValueError when its action id, value, url or style breaks Slack's rules
    (those come from our code, never from a story)."""
    if not action_id or len(action_id) > ACTION_ID_LIMIT:
        raise ValueError(f"action id must have 1 to {ACTION_ID_LIMIT} characters")
    if not value or len(value) > BUTTON_VALUE_LIMIT:
        raise ValueError(f"button value must have 1 to {BUTTON_VALUE_LIMIT} characters")
    if style not in BUTTON_STYLES:
        raise ValueError(f"button style must be primary, danger or None, got {style!r}")
    if url is not None and len(url) > BUTTON_URL_LIMIT:
        raise ValueError(f"button url must have at most {BUTTON_URL_LIMIT} characters")
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain_text(text, BUTTON_TEXT_LIMIT),
    }
    if url is not None:
        element["url"] = url
    element["value"] = value
    if style:
        element["style"] = style
    return element


def actions_row(buttons: list[dict[str, Any]]) -> dict[str, Any]:
    if len(buttons) > ACTIONS_PER_BLOCK:
        raise ValueError(f"at most {ACTIONS_PER_BLOCK} buttons fit in one message row")
    action_ids = [element["action_id"] for element in buttons]
    if len(set(action_ids)) != len(action_ids):
        raise ValueError(f"button action ids must be unique, got {action_ids}")
    return {"type": "actions", "elements": buttons}


def fallback_text(text: str, *, empty: str) -> str:
    """A message's notification text, within Slack's limit (``empty`` when nothing is left)."""
    return truncate_words(text, MESSAGE_TEXT_LIMIT) or empty


def pack_sections(lines: Sequence[str], max_blocks: int) -> list[dict[str, Any]]:
    """Lines packed into as few sections as fit 3,000 characters, at most ``max_blocks``.

    The lines must already be mrkdwn-escaped; an over-long line is cut on a word boundary.
    """
    sections: list[dict[str, Any]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = truncate_words(line, SECTION_LIMIT)
        if current and size + 1 + measure(line) > SECTION_LIMIT:
            if len(sections) == max_blocks - 1:
                break
            sections.append(section("\n".join(current)))
            current, size = [], 0
        current.append(line)
        size += measure(line) + (1 if size else 0)
    if current and len(sections) < max_blocks:
        sections.append(section("\n".join(current)))
    return sections
