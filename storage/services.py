"""The service layer handed to every entry point (CLI, Slack handlers, workers)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from news.aliases import AliasTable
from storage.database import SessionFactory
from storage.ingest import IngestService
from storage.models import utc_now


class WorkBell:
    """Rung after work is queued, so this process's idle worker threads start at once
    instead of waiting for their next poll. Workers wait on it; nothing else does."""

    def __init__(self) -> None:
        self._condition = threading.Condition()

    def ring(self) -> None:
        with self._condition:
            self._condition.notify_all()

    def wait(self, timeout: float) -> None:
        with self._condition:
            self._condition.wait(timeout)


@dataclass
class Services:
    """Everything a listener or command needs, built once by ``bot.wiring``."""

    session_factory: SessionFactory
    ingest: IngestService
    aliases: AliasTable
    timezone: tzinfo
    clock: Callable[[], datetime] = field(default=utc_now)
    # Rung after work is queued, so in-process workers start at once instead of polling.
    work_bell: WorkBell = field(default_factory=WorkBell)
    # The newsroom's own domains (UNFURL_DOMAINS): links to them are unfurled with a card.
    unfurl_domains: tuple[str, ...] = ()

    def notify_work(self) -> None:
        """Work was queued: wake this process's idle workers."""
        self.work_bell.ring()
