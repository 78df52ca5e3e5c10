"""Reading Slack's message markup: links, mentions and channel references."""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKUP = re.compile(r"<([^<>]+)>")
CHANNEL_REFERENCE = re.compile(r"^<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>$")
USER_REFERENCE = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
MAX_LINKS_PER_MESSAGE = 10


def find_links(text: str) -> list[str]:
    """Every http(s) link in a message, in order, without repeats.

    Slack sends links as ``<url>`` or ``<url|label>``; user, channel and special mentions
    (``<@U…>``, ``<#C…>``, ``<!here>``) and ``mailto:`` links are not links to stories.
    """
    links: list[str] = []
    for match in MARKUP.finditer(text or ""):
        target = match.group(1).split("|", 1)[0].strip()
        if target.startswith(("http://", "https://")) and target not in links:
            links.append(target.replace("&amp;", "&"))
    return links[:MAX_LINKS_PER_MESSAGE]


def strip_markup(text: str) -> str:
    """Message text with mentions and links removed and entities decoded, for questions."""
    without = MARKUP.sub(" ", text or "")
    decoded = without.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(decoded.split())


@dataclass(frozen=True)
class SlackReference:
    kind: str  # "channel" | "user"
    id: str


def parse_reference(token: str) -> SlackReference | None:
    """``<#C123|name>`` → channel C123; ``<@U123>`` → user U123; anything else → None."""
    if match := CHANNEL_REFERENCE.match(token):
        return SlackReference("channel", match.group(1))
    if match := USER_REFERENCE.match(token):
        return SlackReference("user", match.group(1))
    return None
