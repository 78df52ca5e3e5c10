"""Every link a person shared in a message: in its text, in its rich-text blocks, and the
links an edit added.

Slack's ``text`` usually carries every link as ``<url>``, but clients that post only
``blocks`` (and some apps and workflows) leave it without them; the rich-text tree then holds
them as ``link`` elements. An edit (``message_changed``) shares only the links it adds: an edit
that fixes a typo, or reorders the text, is not a new share.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from handlers.slack_text import MAX_LINKS_PER_MESSAGE, find_links

MAX_BLOCK_DEPTH = 12
MAX_BLOCK_ELEMENTS = 5_000


def links_in_message(message: Mapping[str, Any]) -> list[str]:
    """The http(s) links of a message, text first then rich-text blocks, without repeats."""
    links = find_links(str(message.get("text") or ""))
    for url in _rich_text_links(message.get("blocks")):
        if url not in links:
            links.append(url)
    return links[:MAX_LINKS_PER_MESSAGE]


def links_added_by_edit(event: Mapping[str, Any]) -> list[str]:
    """For a ``message_changed`` event, the links in the new message that the old one lacked."""
    new = event.get("message")
    if not isinstance(new, Mapping):
        return []
    old = event.get("previous_message")
    before = set(links_in_message(old)) if isinstance(old, Mapping) else set()
    return [link for link in links_in_message(new) if link not in before]


def edited_message(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The edited message of a ``message_changed`` event as a message event of its own.

    None for edits Slack makes itself (an unfurl added, a thread reply count), for bots'
    messages and for messages without an author.
    """
    new = event.get("message")
    if not isinstance(new, Mapping) or new.get("bot_id") or not new.get("user"):
        return None
    if new.get("subtype") not in (None, "", "thread_broadcast", "file_share", "me_message"):
        return None
    old = event.get("previous_message")
    if isinstance(old, Mapping) and _same_words(old, new):
        return None  # Slack re-sends a message when it adds an unfurl or a reply
    flattened = dict(new)
    flattened["channel"] = event.get("channel")
    flattened["channel_type"] = event.get("channel_type")
    flattened.pop("subtype", None)
    return flattened


def _same_words(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return old.get("text") == new.get("text") and old.get("blocks") == new.get("blocks")


def _rich_text_links(blocks: object) -> Iterator[str]:
    if not isinstance(blocks, list):
        return
    seen = 0
    stack: list[tuple[object, int]] = [
        (block, 0)
        for block in reversed(blocks)
        if isinstance(block, Mapping) and block.get("type") == "rich_text"
    ]
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_BLOCK_ELEMENTS:
            return
        if not isinstance(node, Mapping) or depth > MAX_BLOCK_DEPTH:
            continue
        if node.get("type") == "link":
            url = node.get("url")
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                yield url.strip()
            continue
        children = node.get("elements")
        if isinstance(children, list):
            stack.extend((child, depth + 1) for child in reversed(children))
