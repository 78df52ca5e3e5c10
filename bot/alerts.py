"""Alert delivery: the worker side of the outbox in ``storage.publishing``.

Delivery threads claim due deliveries, render them with ``handlers.blocks`` and post them:
alerts and digests as top-level messages, updates as replies in the alert's thread,
"unpublished" as an edit of the alert. Every posted message carries message metadata
(``newsdesk_alert`` with the delivery's ``metadata_key``), so a delivery that was tried
before (a lost answer, a worker killed after Slack accepted the post) is first looked up
in the channel and only recorded, never posted twice.

Pacing: storage never hands out a channel that had a message in the last second or one in
flight; a failed post keeps its lease until a second has passed since it was sent (Slack
may have accepted it), and a 429 keeps this process away from the channel for
``Retry-After`` seconds without using up an attempt. Server errors and lost connections
are retried with exponential backoff; after ``max_attempts`` the delivery is dead with its
error, shown in status and revived by ``newsdesk deliveries retry``.

This module also runs a worker process on its own (``python -m bot.alerts``), and sends
the optional daily briefing of channels that set a digest time.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.app import SlackConfigurationError
from bot.settings import Settings
from bot.worker import WorkSource, process_name, wait_for_shutdown
from handlers.blocks import (
    Message,
    StoryView,
    build_alert,
    build_alert_unpublished,
    build_alert_update,
    build_digest,
)
from handlers.views import story_from_article
from news.errors import NewsdeskError
from storage.database import SessionFactory
from storage.models import utc_now
from storage.publishing import (
    DEFAULT_LEASE,
    DEFAULT_MAX_ATTEMPTS,
    PACING_INTERVAL,
    ClaimedDelivery,
    articles_alerted_between,
    claim_deliveries,
    deliveries_waiting,
    load_delivery_subject,
    mark_delivery_failed,
    mark_delivery_sent,
    published_public_stories,
    roll_up_digests,
    sent_alert_for,
)
from storage.queue import ClaimedJob, JobKind
from storage.states import DeliveryKind
from storage.subscriptions import channels_with_digest_time
from storage.work import backoff

logger = logging.getLogger(__name__)

ALERT_EVENT_TYPE = "newsdesk_alert"
DAILY_BRIEFING = "daily_briefing"
# How far before a delivery was queued an earlier post of it is looked for (clock skew).
LOOKUP_MARGIN = timedelta(minutes=5)
LOOKUP_PAGE_SIZE = 200
LOOKUP_PAGES = 25
# Slack error codes that mean "try again later" rather than "this can never work".
TRANSIENT_SLACK_ERRORS = frozenset(
    {"fatal_error", "internal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
# A late daily briefing is still sent within this long after its time, never later.
BRIEFING_GRACE = timedelta(hours=1)
_PACING_SECONDS = PACING_INTERVAL.total_seconds()
RETRY_FIRST = timedelta(seconds=1)


class UndeliverableStory(NewsdeskError):
    """The story behind a delivery may not be shown in a channel (not public, or gone)."""


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


def retry_delay(attempts: int, *, limit: float) -> timedelta:
    """A delivery's backoff after a failed attempt: 1 s, 2 s, 4 s … capped at ``limit``."""
    return backoff(attempts, first=RETRY_FIRST, limit=timedelta(seconds=limit))


@dataclass(frozen=True)
class Failure:
    """What a failed attempt means for the delivery."""

    reason: str
    retry_in: timedelta | None
    count_attempt: bool = True
    pause_channel: float | None = None


def classify_failure(error: BaseException, *, attempts: int, retry_max: float) -> Failure:
    """A failed attempt as a retry decision: 429 waits Retry-After without using an attempt,
    5xx and lost connections back off, anything Slack refuses for good is final."""
    if isinstance(error, SlackApiError):
        status = int(getattr(error.response, "status_code", 200) or 200)
        code = str(error.response.get("error") or "unknown_error")
        if status == 429 or code == "ratelimited":
            wait = _retry_after(error)
            return Failure(
                f"rate limited by Slack (retry after {wait} s)",
                timedelta(seconds=wait),
                count_attempt=False,
                pause_channel=float(wait),
            )
        if status >= 500 or code in TRANSIENT_SLACK_ERRORS:
            return Failure(
                f"Slack answered {status} {code}", retry_delay(attempts, limit=retry_max)
            )
        return Failure(f"Slack refused the message: {code}", None)
    if isinstance(error, UndeliverableStory):
        return Failure(error.reason, None)
    if isinstance(error, (OSError, http.client.HTTPException)):
        detail = str(error) or type(error).__name__
        return Failure(
            f"no answer from Slack ({type(error).__name__}: {detail})",
            retry_delay(attempts, limit=retry_max),
        )
    return Failure(f"{type(error).__name__}: {error}", retry_delay(attempts, limit=retry_max))


def _retry_after(error: SlackApiError) -> int:
    headers = getattr(error.response, "headers", None) or {}
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            try:
                return max(1, int(float(str(value))))
            except ValueError:
                break
    return 1


def alert_metadata(delivery: ClaimedDelivery) -> dict[str, Any]:
    """The message metadata that identifies this delivery's post in Slack."""
    return {
        "event_type": ALERT_EVENT_TYPE,
        "event_payload": {
            "key": delivery.metadata_key,
            "kind": delivery.kind,
            "article_id": delivery.article_id,
        },
    }


def find_posted(
    client: WebClient,
    channel_id: str,
    key: str,
    *,
    thread_ts: str | None = None,
    oldest: datetime | None = None,
) -> str | None:
    """The ts of an earlier message of ours whose metadata carries ``key``, if any.

    Looks through the thread of ``thread_ts``, else the channel's history since ``oldest``.
    """
    cursor: str | None = None
    for _ in range(LOOKUP_PAGES):
        arguments: dict[str, Any] = {
            "channel": channel_id,
            "include_all_metadata": True,
            "limit": LOOKUP_PAGE_SIZE,
        }
        if cursor:
            arguments["cursor"] = cursor
        if thread_ts is not None:
            response = client.conversations_replies(ts=thread_ts, **arguments)
        else:
            if oldest is not None:
                arguments["oldest"] = f"{max(0.0, oldest.timestamp()):.6f}"
            response = client.conversations_history(**arguments)
        messages: list[dict[str, Any]] = response.get("messages") or []
        for message in messages:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == ALERT_EVENT_TYPE and payload.get("key") == key:
                return str(message.get("ts"))
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return None
    logger.warning(
        "gave up looking for message %s in %s after %s pages", key, channel_id, LOOKUP_PAGES
    )
    return None


@dataclass(frozen=True)
class PreparedDelivery:
    """What one delivery shows, read from the archive before talking to Slack."""

    claimed: ClaimedDelivery
    story: StoryView
    created_at: datetime
    tried_before: bool
    alert_reason: str
    digest_stories: tuple[StoryView, ...] = ()


def prepare_delivery(claimed: ClaimedDelivery, *, session: Session) -> PreparedDelivery:
    """Load the story (and a digest's stories); refuse anything that is not public."""
    subject = load_delivery_subject(claimed.id, claimed.article_id, session=session)
    if subject is None:
        raise UndeliverableStory(f"story #{claimed.article_id} is no longer in the archive")
    if not subject.article.is_public:
        raise UndeliverableStory(
            f"story #{subject.article.id} was only shared in private conversations; it is not sent"
        )
    story = story_from_article(subject.article)
    digest: tuple[StoryView, ...] = ()
    if claimed.kind == DeliveryKind.DIGEST:
        wanted = claimed.article_ids or (claimed.article_id,)
        records = published_public_stories(wanted, session=session)
        digest = tuple(story_from_article(record) for record in records)
    reason = claimed.reason
    if claimed.kind == DeliveryKind.UPDATE and claimed.restore_alert:
        alert = sent_alert_for(claimed.article_id, claimed.channel_id, session=session)
        reason = alert.reason if alert is not None else reason
    return PreparedDelivery(
        claimed=claimed,
        story=story,
        created_at=subject.created_at,
        tried_before=claimed.attempts > 1 or subject.tried_before,
        alert_reason=reason,
        digest_stories=digest,
    )


def digest_title(count: int) -> str:
    noun = "story" if count == 1 else "stories"
    return f"{count} more {noun} from the past hour"


@dataclass
class _Attempt:
    """What one attempt did so far: when it sent a post Slack may have accepted."""

    posted_at: float | None = None


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
        self._client = client
        self.options = options or DeliveryOptions()
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
        attempt = _Attempt()
        try:
            with self._session_factory() as session:
                prepared = prepare_delivery(delivery, session=session)
            message_ts = self._send(prepared, attempt)
        except Exception as error:
            failure = classify_failure(
                error, attempts=delivery.attempts, retry_max=self.options.retry_max
            )
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
            if attempt.posted_at is not None and failure.count_attempt:
                # Slack may have taken the post: keep the channel busy for the pacing interval
                # from now, when Slack can no longer be storing it.
                self._hold(delivery, failure, until=time.monotonic() + _PACING_SECONDS)
            else:
                self._release_now(delivery, failure)
            return
        with self._session_factory.begin() as session:
            recorded = mark_delivery_sent(
                delivery.id,
                message_ts,
                session=session,
                worker_id=delivery.worker_id,
                now=self._clock(),
            )
        if not recorded:
            logger.warning("delivery %s was taken over by another worker", delivery.id)
        with self._lock:
            heapq.heappush(self._channels_free_at, time.monotonic() + _PACING_SECONDS)

    # -- Slack -------------------------------------------------------------------------------

    def _send(self, prepared: PreparedDelivery, attempt: _Attempt) -> str | None:
        claimed = prepared.claimed
        now = self._clock()
        if claimed.kind == "alert":
            message = build_alert(prepared.story, reason=claimed.reason, now=now)
            return self._post_once(prepared, message, attempt)
        if claimed.kind == "digest":
            stories = prepared.digest_stories
            if not stories:
                return None
            message = build_digest(digest_title(len(stories)), stories, now=now)
            return self._post_once(prepared, message, attempt)
        if claimed.kind == "unpublished":
            if claimed.thread_ts is None:
                return None
            message = build_alert_unpublished(prepared.story)
            self._client.chat_update(
                channel=claimed.channel_id,
                ts=claimed.thread_ts,
                text=message.text,
                blocks=message.blocks,
            )
            return claimed.thread_ts
        # An update: optionally restore the alert (published again), then reply in its thread.
        if claimed.restore_alert and claimed.thread_ts is not None:
            alert = build_alert(prepared.story, reason=prepared.alert_reason, now=now)
            self._client.chat_update(
                channel=claimed.channel_id,
                ts=claimed.thread_ts,
                text=alert.text,
                blocks=alert.blocks,
            )
        if not claimed.lines:
            return None
        return self._post_once(prepared, build_alert_update(claimed.lines), attempt)

    def _post_once(
        self, prepared: PreparedDelivery, message: Message, attempt: _Attempt
    ) -> str | None:
        claimed = prepared.claimed
        thread_ts = claimed.thread_ts if claimed.kind == "update" else None
        if prepared.tried_before:
            found = find_posted(
                self._client,
                claimed.channel_id,
                claimed.metadata_key,
                thread_ts=thread_ts,
                oldest=prepared.created_at - LOOKUP_MARGIN,
            )
            if found is not None:
                logger.info("delivery %s was already posted as %s", claimed.id, found)
                return found
        attempt.posted_at = time.monotonic()
        response = self._client.chat_postMessage(
            channel=claimed.channel_id,
            thread_ts=thread_ts,
            text=message.text,
            blocks=message.blocks,
            metadata=alert_metadata(claimed),
            unfurl_links=False,
            unfurl_media=False,
        )
        ts = response.get("ts")
        return str(ts) if ts else None

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


# -- daily briefing ----------------------------------------------------------------------------


def briefing_window(
    digest_time: str, *, now: datetime, timezone: tzinfo
) -> tuple[datetime, datetime] | None:
    """The day a briefing due at ``digest_time`` (local "HH:MM") covers, when one is due now.

    Due from that time today for ``BRIEFING_GRACE``; covers the 24 hours before it.
    """
    hour, _, minute = digest_time.partition(":")
    local = now.astimezone(timezone)
    due = local.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
    if not due <= local < due + BRIEFING_GRACE:
        return None
    return due - timedelta(days=1), due


@dataclass(frozen=True)
class Briefing:
    """A ``daily_briefing`` job: the stories alerted in a channel in ``[start, end)``."""

    channel_id: str
    start: datetime
    end: datetime
    morning: bool


DAILY_BRIEFING_JOB = JobKind(DAILY_BRIEFING, Briefing)


def queue_daily_briefings(*, session: Session, now: datetime, timezone: tzinfo) -> list[str]:
    """Queue one briefing job per channel whose digest time has come today; the job's
    dedupe key (channel and day) makes it once a day however many workers look."""
    queued = []
    for channel_id, digest_time in channels_with_digest_time(session=session):
        window = briefing_window(digest_time, now=now, timezone=timezone)
        if window is None:
            continue
        start, end = window
        if DAILY_BRIEFING_JOB.enqueue(
            Briefing(channel_id, start, end, morning=end.hour < 12),
            session=session,
            dedupe_key=f"briefing:{channel_id}:{end.date().isoformat()}",
        ):
            queued.append(channel_id)
    return queued


def briefing_title(count: int, *, morning: bool) -> str:
    noun = "story" if count == 1 else "stories"
    name = "Morning briefing" if morning else "Daily briefing"
    return f"{name}: {count} {noun} since yesterday, by topic"


def group_by_topic(stories: Sequence[StoryView]) -> list[StoryView]:
    """Stories shown under their first topic (the digest groups by ``desk``)."""
    return [replace(story, desk=story.topics[0] if story.topics else None) for story in stories]


class BriefingRunner:
    """Runs ``daily_briefing`` jobs: one digest of the day's alerted stories, posted once."""

    def __init__(
        self,
        session_factory: SessionFactory,
        client: WebClient,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._session_factory = session_factory
        self._client = client
        self._clock = clock

    def runners(self) -> dict[str, Callable[[ClaimedJob], None]]:
        return {DAILY_BRIEFING: self.run}

    def run(self, job: ClaimedJob) -> None:
        briefing = DAILY_BRIEFING_JOB.read(job)
        channel_id, start, end = briefing.channel_id, briefing.start, briefing.end
        with self._session_factory() as session:
            ids = articles_alerted_between(channel_id, start, end, session=session)
            records = published_public_stories(ids, session=session)
        stories = [story_from_article(record) for record in records]
        if not stories:
            return
        title = briefing_title(len(stories), morning=briefing.morning)
        message = build_digest(title, group_by_topic(stories), now=self._clock())
        key = f"briefing-{job.id}"
        if job.attempts > 1 and find_posted(
            self._client, channel_id, key, oldest=end - LOOKUP_MARGIN
        ):
            return
        self._client.chat_postMessage(
            channel=channel_id,
            text=message.text,
            blocks=message.blocks,
            metadata={"event_type": ALERT_EVENT_TYPE, "event_payload": {"key": key}},
            unfurl_links=False,
            unfurl_media=False,
        )


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
