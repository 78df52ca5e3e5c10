"""Alert delivery threads: the process side of the outbox in ``storage.publishing``.

Delivery threads claim due deliveries and hand each to ``handlers.alerts.AlertSender``,
which renders and posts it (looking for an earlier post by metadata first), then record
the outcome: sent, retried later, or dead.

Pacing: storage never hands out a channel that had a message in the last second or one in
flight; a failed post keeps its lease until a second has passed since it was sent (Slack
may have accepted it), and a 429 keeps this process away from the channel for
``Retry-After`` seconds without using up an attempt. Server errors and lost connections
are retried with exponential backoff; after ``max_attempts`` the delivery is dead with its
error, shown in status and revived by ``newsdesk deliveries retry``. On a timer, due
digests are rolled up and the daily briefings of channels with a digest time are queued.

This module also runs a worker process on its own (``python -m bot.alerts``).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from slack_sdk import WebClient

from bot.app import SlackConfigurationError
from bot.settings import Settings
from bot.worker import WorkSource, process_name, wait_for_shutdown
from handlers.alerts import AlertSender, Failure, queue_daily_briefings
from storage.database import SessionFactory
from storage.models import utc_now
from storage.publishing import (
    DEFAULT_LEASE,
    DEFAULT_MAX_ATTEMPTS,
    PACING_INTERVAL,
    ClaimedDelivery,
    claim_deliveries,
    deliveries_waiting,
    mark_delivery_failed,
    mark_delivery_sent,
    roll_up_digests,
)

logger = logging.getLogger(__name__)

_PACING_SECONDS = PACING_INTERVAL.total_seconds()


def build_delivery_client(settings: Settings) -> WebClient:
    """A Web API client without automatic retries: the outbox decides when to try again.

    slack_sdk's default connection-error retry would send a post again after a lost
    answer, which is exactly the duplicate the outbox prevents.
    """
    if settings.slack_bot_token is None:
        raise SlackConfigurationError("SLACK_BOT_TOKEN is not set (a bot token, xoxb-…)")
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url or WebClient.BASE_URL,
        timeout=settings.delivery_call_timeout,
        retry_handlers=[],
    )


@dataclass(frozen=True)
class DeliveryOptions:
    """How delivery threads claim, retry and pace; built from Settings in production."""

    threads: int = 4
    batch: int = 5
    lease: timedelta = DEFAULT_LEASE
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    alerts_per_hour: int | None = None
    call_timeout: float = 10.0
    retry_max: float = 300.0
    poll_interval: float = 0.25
    maintenance_interval: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryOptions:
        return cls(
            threads=settings.delivery_threads,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            max_attempts=settings.delivery_max_attempts,
            alerts_per_hour=settings.alerts_per_hour,
            call_timeout=float(settings.delivery_call_timeout),
            retry_max=settings.delivery_retry_max_seconds,
        )


@dataclass(order=True)
class _Release:
    due: float
    order: int
    delivery_id: int = field(compare=False)
    worker_id: str = field(compare=False)
    failure: Failure = field(compare=False)


class DeliveryWorker(WorkSource):
    """Alert deliveries as a kind of work: ``options.threads`` delivery threads, plus digest
    roll-ups and daily briefings on a timer. Any number of these may run against one
    database."""

    label = "alerts"

    def __init__(
        self,
        session_factory: SessionFactory,
        client: WebClient,
        *,
        options: DeliveryOptions | None = None,
        clock: Callable[[], datetime] = utc_now,
        timezone: tzinfo | None = None,
        name: str | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.options = options or DeliveryOptions()
        self._sender = AlertSender(
            session_factory, client, clock=clock, retry_max=self.options.retry_max
        )
        self.threads = self.options.threads
        self.poll_interval = self.options.poll_interval
        self._clock = clock
        self._timezone = timezone
        self.name = name or f"{process_name()}-alerts"
        self._lock = threading.Lock()
        self._paused: dict[str, float] = {}
        self._releases: list[_Release] = []
        self._order = itertools.count()
        self._busy = 0
        self._last_maintenance = 0.0
        # When channels this process posted to may be posted to again (monotonic times).
        self._channels_free_at: list[float] = []

    def stopped(self) -> None:
        self.release_held(force=True)

    def is_idle(self) -> bool:
        """Nothing due, in flight or held back."""
        with self._lock:
            if self._busy or self._releases:
                return False
        with self._session_factory() as session:
            return not deliveries_waiting(session=session, now=self._clock())

    # -- one round of work -------------------------------------------------------------------

    def run_once(self, worker_id: str) -> bool:
        """Claim a batch and deliver it; False when there was nothing to do."""
        self.release_held()
        self._maintain()
        with self._session_factory.begin() as session:
            claimed = claim_deliveries(
                session=session,
                worker_id=worker_id,
                limit=self.options.batch,
                lease=self.options.lease,
                now=self._clock(),
                paced_channels=self._paused_channels(),
                default_alerts_per_hour=self.options.alerts_per_hour,
            )
        if not claimed:
            return False
        with self._lock:
            self._busy += 1
        try:
            claimed_at = time.monotonic()
            for delivery in claimed:
                if self._lease_too_short(claimed_at):
                    self._release_now(
                        delivery, Failure("lease ran out before sending", timedelta(0), False)
                    )
                    continue
                self.deliver(delivery)
        finally:
            with self._lock:
                self._busy -= 1
        return True

    def _lease_too_short(self, claimed_at: float) -> bool:
        """Would a post started now, plus its pacing hold, outlive the lease?"""
        needed = time.monotonic() - claimed_at + self.options.call_timeout + _PACING_SECONDS + 1
        return needed >= self.options.lease.total_seconds()

    def deliver(self, delivery: ClaimedDelivery) -> None:
        """Send one claimed delivery and record the result (sent, retry later, or dead)."""
        outcome = self._sender.send(delivery)
        failure = outcome.failure
        if failure is not None:
            if failure.retry_in is not None and failure.count_attempt:
                logger.warning(
                    "delivery %s to %s failed: %s", delivery.id, delivery.channel_id, failure.reason
                )
            elif failure.retry_in is None:
                logger.error(
                    "delivery %s to %s refused: %s",
                    delivery.id,
                    delivery.channel_id,
                    failure.reason,
                )
            if failure.pause_channel:
                self._pause(delivery.channel_id, failure.pause_channel)
            if outcome.posted and failure.count_attempt:
                # Slack may have taken the post: keep the channel busy for the pacing interval
                # from now, when Slack can no longer be storing it.
                self._hold(delivery, failure, until=time.monotonic() + _PACING_SECONDS)
            else:
                self._release_now(delivery, failure)
            return
        with self._session_factory.begin() as session:
            recorded = mark_delivery_sent(
                delivery.id,
                outcome.message_ts,
                session=session,
                worker_id=delivery.worker_id,
                now=self._clock(),
            )
        if not recorded:
            logger.warning("delivery %s was taken over by another worker", delivery.id)
        with self._lock:
            heapq.heappush(self._channels_free_at, time.monotonic() + _PACING_SECONDS)

    # -- failures, pacing and holds ----------------------------------------------------------

    def _release_now(self, delivery: ClaimedDelivery, failure: Failure) -> None:
        with self._session_factory.begin() as session:
            mark_delivery_failed(
                delivery.id,
                failure.reason,
                retry_in=failure.retry_in,
                max_attempts=self.options.max_attempts,
                count_attempt=failure.count_attempt,
                session=session,
                worker_id=delivery.worker_id,
                now=self._clock(),
            )

    def _hold(self, delivery: ClaimedDelivery, failure: Failure, *, until: float) -> None:
        release = _Release(until, next(self._order), delivery.id, delivery.worker_id, failure)
        with self._lock:
            heapq.heappush(self._releases, release)

    def release_held(self, *, force: bool = False) -> None:
        """Record failures whose pacing hold is over (all of them when ``force``)."""
        while True:
            with self._lock:
                if not self._releases:
                    return
                if not force and self._releases[0].due > time.monotonic():
                    return
                release = heapq.heappop(self._releases)
            if force:
                time.sleep(max(0.0, release.due - time.monotonic()))
            try:
                with self._session_factory.begin() as session:
                    mark_delivery_failed(
                        release.delivery_id,
                        release.failure.reason,
                        retry_in=release.failure.retry_in,
                        max_attempts=self.options.max_attempts,
                        count_attempt=release.failure.count_attempt,
                        session=session,
                        worker_id=release.worker_id,
                        now=self._clock(),
                    )
            except Exception:
                # The lease runs out on its own; the delivery is then claimed again.
                logger.exception("could not record the failure of delivery %s", release.delivery_id)

    def _pause(self, channel_id: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            self._paused[channel_id] = max(until, self._paused.get(channel_id, 0.0))

    def _paused_channels(self) -> frozenset[str]:
        now = time.monotonic()
        with self._lock:
            for channel_id in [c for c, until in self._paused.items() if until <= now]:
                del self._paused[channel_id]
            return frozenset(self._paused)

    # -- timers ------------------------------------------------------------------------------

    def _maintain(self) -> None:
        """Roll up due digests and queue due daily briefings, once a second per process."""
        with self._lock:
            if time.monotonic() - self._last_maintenance < self.options.maintenance_interval:
                return
            self._last_maintenance = time.monotonic()
        now = self._clock()
        with self._session_factory.begin() as session:
            roll_up_digests(session=session, now=now)
        if self._timezone is not None:
            with self._session_factory.begin() as session:
                queue_daily_briefings(session=session, now=now, timezone=self._timezone)

    def idle_wait(self) -> float:
        """Seconds to wait before claiming again: the poll interval, or less when a channel
        this process posted to, or a held failure, comes free sooner."""
        now = time.monotonic()
        wait = self.options.poll_interval
        with self._lock:
            while self._channels_free_at and self._channels_free_at[0] <= now:
                heapq.heappop(self._channels_free_at)
            if self._channels_free_at:
                wait = min(wait, self._channels_free_at[0] - now)
            if self._releases:
                wait = min(wait, self._releases[0].due - now)
        return max(0.005, wait)


# -- a delivery process on its own -------------------------------------------------------------


def run_delivery_process(settings: Settings, stop: threading.Event | None = None) -> None:
    """Deliver alerts until ``stop`` is set (or SIGTERM/SIGINT when not given)."""
    from bot.wiring import build_services

    services = build_services(settings)
    worker = DeliveryWorker(
        services.session_factory,
        build_delivery_client(settings),
        options=DeliveryOptions.from_settings(settings),
        clock=services.clock,
        timezone=services.timezone,
    )
    worker.start()
    try:
        if stop is None:
            wait_for_shutdown()
        else:
            stop.wait()
    finally:
        worker.stop()


def main() -> None:
    """``python -m bot.alerts``: one process that only delivers alerts (settings from env)."""
    from bot.logs import configure_logging

    settings = Settings()
    configure_logging(settings)
    run_delivery_process(settings)


if __name__ == "__main__":
    # Run the importable module's main, so its classes are the ones the rest of bot/ uses.
    from bot.alerts import main as run_main

    run_main()
