"""What Slack says about a conversation: whether it is private. Asked, never guessed.

A slash command can tell from the channel name Slack sends with it
(``handlers.submit.command_in_private_conversation``); everything else asks here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


def is_private_conversation(client: WebClient, channel_id: str) -> bool:
    """True unless Slack confirms ``channel_id`` is a public channel (fails closed)."""
    if not channel_id.startswith("C"):
        return True
    try:
        info = client.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError:
        return True
    return bool(
        info.get("is_private") or info.get("is_im") or info.get("is_mpim") or info.get("is_group")
    )


class PublicChannels:
    """Which channels Slack confirms are public, asked once per channel and remembered for
    ``ttl`` seconds (a channel can be made private; the answer goes stale no longer than that).

    Anything Slack cannot confirm public (a private channel, a lookup error) is not public.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        ttl: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._known: dict[str, tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def is_public(self, channel_id: str) -> bool:
        now = self._clock()
        with self._lock:
            known = self._known.get(channel_id)
        if known is not None and now - known[1] < self._ttl:
            return known[0]
        public = not is_private_conversation(self._client, channel_id)
        with self._lock:
            self._known[channel_id] = (public, now)
        return public
