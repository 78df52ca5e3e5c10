"""Who is an editor: listed Slack user ids, and members of a Slack user group.

Group membership comes from ``usergroups.users.list`` and is cached briefly. When Slack
cannot be asked, nobody is treated as a group member (fail closed) until the next try.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)

GROUP_CACHE_SECONDS = 120.0
FAILURE_RETRY_SECONDS = 10.0


class EditorCheck(Protocol):
    """Decides who may publish, subscribe channels, manage feeds and delete stories."""

    def is_editor(self, user_id: str | None) -> bool: ...

    def refusal(self, action: str) -> str: ...


class NoEditors:
    """Nobody is an editor (no Slack client to ask)."""

    def is_editor(self, user_id: str | None) -> bool:
        return False

    def refusal(self, action: str) -> str:
        return f"Only editors can {action}."


class EditorDirectory:
    """Answers "may this person publish, subscribe channels, manage feeds, delete?"."""

    def __init__(
        self,
        *,
        editor_ids: Collection[str],
        usergroup_id: str | None,
        client: WebClient | None,
        ttl: float = GROUP_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._editor_ids = frozenset(editor_ids)
        self._usergroup_id = usergroup_id
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._members: frozenset[str] = frozenset()
        self._fresh_until = float("-inf")

    def is_editor(self, user_id: str | None) -> bool:
        if not user_id:
            return False
        return user_id in self._editor_ids or user_id in self._group_members()

    def refusal(self, action: str) -> str:
        """A one-line refusal naming who can do it."""
        who = [f"<@{user}>" for user in sorted(self._editor_ids)][:5]
        if self._usergroup_id:
            who.append("members of the editors' user group")
        if not who:
            return (
                f"Only editors can {action}, and none are configured yet: "
                "set EDITORS or EDITOR_USERGROUP."
            )
        listed = ", ".join(who[:-1]) + (" or " if len(who) > 1 else "") + who[-1]
        return f"Only editors can {action}: ask {listed}."

    def _group_members(self) -> frozenset[str]:
        if self._usergroup_id is None or self._client is None:
            return frozenset()
        with self._lock:
            if self._clock() < self._fresh_until:
                return self._members
            try:
                response = self._client.usergroups_users_list(usergroup=self._usergroup_id)
                self._members = frozenset(response.get("users") or [])
                self._fresh_until = self._clock() + self._ttl
            except (SlackApiError, OSError) as error:
                logger.warning("could not list the editors' user group: %s", error)
                self._members = frozenset()
                self._fresh_until = self._clock() + FAILURE_RETRY_SECONDS
            return self._members
