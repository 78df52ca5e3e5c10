"""CMS publish events: stored once by idempotency key, each feeding the one publish path.

An event carrying the story's ``body`` is stored from the payload and takes effect at once.
One without a body needs the page fetched, which is slow: the event is recorded as
``queued`` together with a ``cms_event`` job in one transaction, and a worker fetches the
page and applies the event (``run_queued_event``).

The event row is inserted in the same transaction as the event's effect (publish, thread
update, unpublish), so a redelivered event changes nothing, and a crash before that commit
leaves nothing behind but the stored story, which storing again does not change. Thread
updates list what changed since the version the previous event of the story left behind,
so a retry after such a crash still announces the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from news.articles import ArticleDraft
from news.errors import ConnectionFailed, HttpStatusError, NewsdeskError, NotAnArticle, TimedOut
from news.feeds import html_to_text
from news.urls import normalize_url
from news.webhooks import InvalidWebhook, PublishEvent
from storage.articles import NewShare, find_article_by_url
from storage.database import insert_ignoring_conflicts
from storage.ingest import IngestResult, StoryOverrides
from storage.models import Article, ArticleVersion, WebhookEvent, utc_now
from storage.publishing import publish_article, record_story_change, unpublish_article
from storage.queue import ClaimedJob, JobKind, JobRunner, PermanentFailure
from storage.services import Services
from storage.states import WebhookEventState

CMS_EVENT_JOB = "cms_event"


@dataclass(frozen=True)
class QueuedCmsEvent:
    """A CMS event waiting for its page to be fetched: its idempotency key and the event as
    received (read again as a ``PublishEvent`` when it runs)."""

    key: str
    event: dict[str, Any]


CMS_EVENT = JobKind(CMS_EVENT_JOB, QueuedCmsEvent)
EVENT_STATES = tuple(WebhookEventState)
# Fetch failures worth retrying: the page may answer later.
RETRYABLE_ERRORS: tuple[type[NewsdeskError], ...] = (TimedOut, ConnectionFailed)
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# HttpStatusError carries the status only in its reason ("the server answered 503 …").
_ANSWERED_STATUS = re.compile(r"answered (\d{3})\b")


class QueuedEventFailed(NewsdeskError):
    """A queued CMS event whose page could not be ingested; ``retryable`` says if worth retrying."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


@dataclass(frozen=True)
class WebhookOutcome:
    """What receiving an event did: ``state`` is ``done`` or ``queued`` (page being fetched)."""

    key: str
    event: str
    story_id: int | None
    state: str
    duplicate: bool = False


def is_retryable(error: NewsdeskError) -> bool:
    """True for a fetch failure the page may not repeat: timeouts, lost connections, 5xx."""
    if isinstance(error, RETRYABLE_ERRORS):
        return True
    if isinstance(error, HttpStatusError):
        status = _ANSWERED_STATUS.search(error.reason)
        return status is not None and int(status.group(1)) in RETRYABLE_STATUSES
    return False


# -- storage functions (take the session, never commit) -------------------------------------


def find_webhook_event(key: str, *, session: Session) -> WebhookEvent | None:
    return session.scalars(select(WebhookEvent).where(WebhookEvent.idempotency_key == key)).first()


def record_webhook_event(
    key: str,
    *,
    event: str,
    url: str,
    state: str,
    article_id: int | None,
    article_version: int | None,
    session: Session,
    now: datetime | None = None,
) -> bool:
    """Record an event by its key; False when it was recorded before (a redelivery)."""
    if state not in EVENT_STATES:
        raise ValueError(f"unknown webhook event state {state!r}")
    now = now or utc_now()
    return insert_ignoring_conflicts(
        session,
        WebhookEvent,
        {
            "idempotency_key": key,
            "event": event,
            "url": url[:2048],
            "state": state,
            "article_id": article_id,
            "article_version": article_version,
            "received_at": now,
            "processed_at": now if state == WebhookEventState.DONE else None,
        },
    )


def last_event_version(article_id: int, *, session: Session) -> int | None:
    """The story version the latest event that took effect on this story left behind."""
    return session.scalar(
        select(WebhookEvent.article_version)
        .where(
            WebhookEvent.article_id == article_id,
            WebhookEvent.state == WebhookEventState.DONE,
            WebhookEvent.article_version.is_not(None),
        )
        .order_by(WebhookEvent.id.desc())
        .limit(1)
    )


def unpublished_after(event_id: int, url: str, *, session: Session) -> bool:
    """True when an ``unpublished`` event for ``url`` arrived after event ``event_id``."""
    later = session.scalar(
        select(WebhookEvent.event)
        .where(WebhookEvent.url == url, WebhookEvent.id > event_id)
        .order_by(WebhookEvent.id.desc())
        .limit(1)
    )
    return later == "unpublished"


def changes_since(
    article_id: int, version: int, *, session: Session
) -> tuple[list[str], str | None]:
    """Fields changed from ``version`` to the current one, and the headline of ``version``."""
    rows = list(
        session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id, ArticleVersion.version >= version)
            .order_by(ArticleVersion.version)
        )
    )
    changes = list(dict.fromkeys(name for row in rows for name in row.changes))
    previous_headline = rows[0].headline if rows and rows[0].version == version else None
    return changes, previous_headline


# -- the service -----------------------------------------------------------------------------


def story_overrides(event: PublishEvent) -> StoryOverrides:
    """What the CMS says explicitly about the story: it wins over what extraction finds."""
    return StoryOverrides(
        headline=event.headline,
        section=event.desk,
        byline=event.byline,
        topics=tuple(event.topics),
        published_at=event.published_at,
    )


def event_draft(event: PublishEvent) -> ArticleDraft:
    """The story as the payload gives it; ``body`` may be HTML or plain text."""
    body = html_to_text(event.body or "")
    return ArticleDraft(
        body=body,
        url=normalize_url(event.url),
        headline=event.headline,
        byline=event.byline,
        section=event.desk,
        published_at=event.published_at,
        tags=list(event.topics),
    )


class CmsEvents:
    """Receives CMS publish events and runs the queued ones."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def receive(self, event: PublishEvent, key: str) -> WebhookOutcome:
        """Apply ``event`` (or queue it when its page must be fetched), once per ``key``.

        Raises InvalidWebhook for an event that cannot be acted on, NewsdeskError when the
        payload's story cannot be stored.
        """
        url = normalize_url(event.url)
        with self._services.session_factory() as session:
            seen = find_webhook_event(key, session=session)
            if seen is not None:
                return WebhookOutcome(key, seen.event, seen.article_id, seen.state, True)
            known = find_article_by_url(url, session=session)
            known_id = known.id if known is not None else None
        if event.event == "unpublished":
            return self._unpublish(event, key, url)
        if event.event == "corrected" and not event.body and not event.correction:
            raise InvalidWebhook(
                "a corrected event needs the correction note or the corrected body",
                {"correction": "is required for a corrected event without a body"},
            )
        if event.body:
            base = self._base_version(known_id)
            try:
                result = self._services.ingest.store(
                    event_draft(event),
                    NewShare(source="webhook"),
                    overrides=story_overrides(event),
                )
            except NotAnArticle as error:
                raise InvalidWebhook(error.reason, {"body": error.reason}) from None
            return self._apply(event, key, url, result, base)
        if event.event == "corrected" and known_id is not None:
            return self._apply(event, key, url, None, self._base_version(known_id), known_id)
        return self._queue(event, key, url, known_id)

    def run_queued_event(self, key: str, payload: dict[str, Any]) -> WebhookOutcome | None:
        """Fetch the page of a queued event and apply the event; None when already done.

        Raises QueuedEventFailed when the page cannot be ingested.
        """
        event = PublishEvent.model_validate(payload)
        url = normalize_url(event.url)
        with self._services.session_factory() as session:
            row = find_webhook_event(key, session=session)
            if row is None or row.state != WebhookEventState.QUEUED:
                return None
            known = find_article_by_url(url, session=session)
            base = self._base_version(known.id if known is not None else None)
        try:
            result = self._services.ingest.ingest_url(
                url, NewShare(source="webhook"), overrides=story_overrides(event), refetch=True
            )
        except NewsdeskError as error:
            retryable = is_retryable(error)
            if not retryable:
                self._mark_failed(key, error.reason)
            raise QueuedEventFailed(error.reason, retryable=retryable) from error
        return self._apply(event, key, url, result, base)

    # -- steps ---------------------------------------------------------------------------

    def _base_version(self, article_id: int | None) -> int | None:
        """The version thread updates are described from: the previous event's, else now's."""
        if article_id is None:
            return None
        with self._services.session_factory() as session:
            version = last_event_version(article_id, session=session)
            if version is not None:
                return version
            article = session.get(Article, article_id)
            return article.version if article is not None else None

    def _unpublish(self, event: PublishEvent, key: str, url: str) -> WebhookOutcome:
        with self._services.session_factory.begin() as session:
            article = find_article_by_url(url, session=session)
            article_id = article.id if article is not None else None
            if not record_webhook_event(
                key,
                event=event.event,
                url=url,
                state=WebhookEventState.DONE,
                article_id=article_id,
                article_version=article.version if article is not None else None,
                session=session,
            ):
                return self._duplicate(key, session)
            if article_id is not None:
                unpublish_article(article_id, session=session)
        return WebhookOutcome(key, event.event, article_id, WebhookEventState.DONE)

    def _queue(
        self, event: PublishEvent, key: str, url: str, known_id: int | None
    ) -> WebhookOutcome:
        with self._services.session_factory.begin() as session:
            if not record_webhook_event(
                key,
                event=event.event,
                url=url,
                state=WebhookEventState.QUEUED,
                article_id=known_id,
                article_version=None,
                session=session,
            ):
                return self._duplicate(key, session)
            CMS_EVENT.enqueue(
                QueuedCmsEvent(key, event.model_dump(mode="json")),
                session=session,
                dedupe_key=f"cms:{key}",
            )
        self._services.notify_work()
        return WebhookOutcome(key, event.event, known_id, WebhookEventState.QUEUED)

    def _apply(
        self,
        event: PublishEvent,
        key: str,
        url: str,
        result: IngestResult | None,
        base: int | None,
        article_id: int | None = None,
    ) -> WebhookOutcome:
        """The event's effect and its record, in one transaction."""
        if result is not None:
            article_id = result.article.id
        assert article_id is not None
        aliases = self._services.aliases
        with self._services.session_factory.begin() as session:
            row = find_webhook_event(key, session=session)
            if row is None:
                if not record_webhook_event(
                    key,
                    event=event.event,
                    url=url,
                    state=WebhookEventState.DONE,
                    article_id=article_id,
                    article_version=None,
                    session=session,
                ):
                    return self._duplicate(key, session)
                row = find_webhook_event(key, session=session)
                assert row is not None
            else:
                locked = session.get(
                    WebhookEvent, row.id, with_for_update=True, populate_existing=True
                )
                if locked is None or locked.state != WebhookEventState.QUEUED:
                    return self._duplicate(key, session)
                row = locked
            article = session.get(Article, article_id)
            if article is None:
                raise NewsdeskError(f"story #{article_id} was deleted while the event was applied")
            changes, previous_headline = (
                changes_since(article_id, base, session=session) if base is not None else ([], None)
            )
            if event.event == "published":
                was_published = article.status == "published"
                if not unpublished_after(row.id, url, session=session):
                    publish_article(article_id, session=session, aliases=aliases)
                    if was_published and changes:
                        record_story_change(
                            article_id,
                            changes=changes,
                            previous_headline=previous_headline,
                            note=None,
                            session=session,
                        )
            else:
                note = event.correction if event.event == "corrected" else None
                record_story_change(
                    article_id,
                    changes=changes,
                    previous_headline=previous_headline,
                    note=note,
                    session=session,
                )
            row.state = WebhookEventState.DONE
            row.article_id = article_id
            row.article_version = article.version
            row.processed_at = utc_now()
        return WebhookOutcome(key, event.event, article_id, WebhookEventState.DONE)

    def _duplicate(self, key: str, session: Session) -> WebhookOutcome:
        row = find_webhook_event(key, session=session)
        if row is None:
            raise NewsdeskError("the webhook event vanished while it was being recorded")
        return WebhookOutcome(key, row.event, row.article_id, row.state, True)

    def _mark_failed(self, key: str, reason: str) -> None:
        with self._services.session_factory.begin() as session:
            row = find_webhook_event(key, session=session)
            if row is not None and row.state == WebhookEventState.QUEUED:
                row.state = WebhookEventState.FAILED
                row.error = reason[:2000]
                row.processed_at = utc_now()


def cms_job_runners(services: Services) -> dict[str, JobRunner]:
    """The worker runner for CMS events queued until their page is fetched."""
    events = CmsEvents(services)

    def run_cms_event(job: ClaimedJob) -> None:
        queued = CMS_EVENT.read(job)
        try:
            events.run_queued_event(queued.key, queued.event)
        except QueuedEventFailed as error:
            if not error.retryable:
                raise PermanentFailure(error.reason) from error
            raise

    return {CMS_EVENT_JOB: run_cms_event}
