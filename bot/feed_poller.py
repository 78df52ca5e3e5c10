"""The feed poller: the thread that polls due feeds on a timer (``storage.feed_polls``).

One thread per process claims and polls the due feeds in rounds, every ``interval``
seconds, and at once again after a full batch (more may be due). What a poll does (fetch,
record the backlog, ingest and publish new entries, record a broken feed) is
``storage.feed_polls.FeedPolls``.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.settings import Settings
from bot.wiring import build_fetcher
from bot.worker import WorkSource, process_name
from storage.feed_polls import DEFAULT_BATCH, FeedPolls, PollSummary
from storage.feeds import POLL_LEASE
from storage.ingest import PageFetcher
from storage.services import Services


class FeedPoller(WorkSource):
    """Feed polls as a kind of work: one thread polls the due feeds in rounds, every
    ``interval`` seconds (at once again after a full batch: more may be due)."""

    label = "feed-poller"

    def __init__(
        self,
        services: Services,
        fetcher: PageFetcher,
        *,
        interval: float = 30.0,
        batch: int = DEFAULT_BATCH,
        lease: timedelta = POLL_LEASE,
    ) -> None:
        self._polls = FeedPolls(services, fetcher)
        self.poll_interval = interval
        self.name = f"{process_name()}-feeds"
        self._batch = batch
        self._lease = lease
        self._busy = 0
        self._busy_lock = threading.Lock()

    def start(self) -> FeedPoller:  # type: ignore[override]
        super().start()
        return self

    def run_once(self, worker_id: str) -> bool:
        with self._busy_lock:
            self._busy += 1
        try:
            summary = self.poll_due_feeds_once()
        finally:
            with self._busy_lock:
                self._busy -= 1
        return len(summary.feeds) >= self._batch

    def is_idle(self) -> bool:
        with self._busy_lock:
            return not self._busy

    def poll_due_feeds_once(self) -> PollSummary:
        """Claim the feeds due now and poll each; never raises for a broken feed."""
        return self._polls.poll_due(limit=self._batch, lease=self._lease)


def build_feed_poller(settings: Settings, services: Services) -> FeedPoller | None:
    """The feed poller of a ``run`` or ``worker`` process; None when turned off."""
    if settings.feed_poll_seconds <= 0:
        return None
    return FeedPoller(services, build_fetcher(settings), interval=settings.feed_poll_seconds)
