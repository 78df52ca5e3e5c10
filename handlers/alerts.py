"""Alerts in Slack: what a delivery of the outbox posts, what a failed post means, and the
daily briefing.

A claimed delivery (``storage.publishing``) is read from the archive (``prepare_delivery``:
only public stories are sent), rendered with ``handlers.blocks`` and posted by
``AlertSender``: alerts and digests as top-level messages, updates as replies in the
alert's thread, "unpublished" as an edit of the alert. Every posted message carries
message metadata (``newsdesk_alert`` with the delivery's ``metadata_key``), so a delivery
that was tried before (a lost answer, a worker killed after Slack accepted the post) is
first looked up in the channel and only recorded, never posted twice.

A failed post becomes a retry decision (``classify_failure``): Slack's 429 waits
``Retry-After`` without using an attempt, server errors and lost connections back off,
anything Slack refuses for good is final. The delivery threads that claim, pace and record
deliveries are ``bot.alerts``.

Channels that set a digest time get a ``daily_briefing`` job once a day
(``queue_daily_briefings``); its runner posts one digest of the day's alerts by topic.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

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
    ClaimedDelivery,
    articles_alerted_between,
    load_delivery_subject,
    published_public_stories,
    sent_alert_for,
)
from storage.queue import ClaimedJob, JobKind, JobRunner
from storage.services import Services
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
RETRY_FIRST = timedelta(seconds=1)


class UndeliverableStory(NewsdeskError):
    """The story behind a delivery may not be shown in a channel (not public, or gone)."""


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
    """What one attempt did so far: whether it sent a post Slack may have accepted."""

    posted: bool = False


@dataclass(frozen=True)
class SendOutcome:
    """One attempt at a delivery: posted (``message_ts``, None when there was nothing to
    post), or ``failure``; ``posted`` says a post was sent that Slack may have accepted."""

    message_ts: str | None = None
    failure: Failure | None = None
    posted: bool = False


class AlertSender:
    """Posts claimed deliveries to Slack, once each; the delivery threads record the result."""

    def __init__(
        self,
        session_factory: SessionFactory,
        client: WebClient,
        *,
        clock: Callable[[], datetime] = utc_now,
        retry_max: float = 300.0,
    ) -> None:
        self._session_factory = session_factory
        self._client = client
        self._clock = clock
        self._retry_max = retry_max

    def send(self, delivery: ClaimedDelivery) -> SendOutcome:
        """Read, render and post one delivery; a failure is returned as a retry decision."""
        attempt = _Attempt()
        try:
            with self._session_factory() as session:
                prepared = prepare_delivery(delivery, session=session)
            return SendOutcome(message_ts=self._send(prepared, attempt))
        except Exception as error:
            failure = classify_failure(error, attempts=delivery.attempts, retry_max=self._retry_max)
            return SendOutcome(failure=failure, posted=attempt.posted)

    def _send(self, prepared: PreparedDelivery, attempt: _Attempt) -> str | None:
        claimed = prepared.claimed
        now = self._clock()
        if claimed.kind == DeliveryKind.ALERT:
            message = build_alert(prepared.story, reason=claimed.reason, now=now)
            return self._post_once(prepared, message, attempt)
        if claimed.kind == DeliveryKind.DIGEST:
            stories = prepared.digest_stories
            if not stories:
                return None
            message = build_digest(digest_title(len(stories)), stories, now=now)
            return self._post_once(prepared, message, attempt)
        if claimed.kind == DeliveryKind.UNPUBLISHED:
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
        thread_ts = claimed.thread_ts if claimed.kind == DeliveryKind.UPDATE else None
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
        attempt.posted = True
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

    def runners(self) -> dict[str, JobRunner]:
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


def job_runners(services: Services, client: WebClient) -> dict[str, JobRunner]:
    """The ``daily_briefing`` runner; ``client`` posts without automatic retries, like the
    alerts (a retried post after a lost answer would be the duplicate the lookup prevents)."""
    return BriefingRunner(
        services.session_factory, client, clock=lambda: services.clock()
    ).runners()
