"""Polled feeds: the list editors manage, per-feed health, and the entries already seen.

Pollers take due feeds with ``claim_due_feeds`` (recurring work of ``storage.work``: the claim
moves ``next_poll_at`` forward by a lease), so two pollers never fetch the same feed at once;
recording the outcome sets the real next poll.
Entries are remembered by key (the guid, else the link) per feed with insert-or-ignore,
so a re-dated or re-ordered entry is never new twice. Functions never commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from news.errors import NewsdeskError
from news.urls import normalize_url
from storage import work
from storage.database import insert_ignoring_conflicts
from storage.models import Feed, FeedEntryRecord, utc_now

DEFAULT_POLL_INTERVAL = timedelta(minutes=15)
MIN_POLL_INTERVAL = timedelta(minutes=1)
POLL_LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
MAX_FEED_URL_LENGTH = 2048
MAX_ENTRY_KEY_LENGTH = 512
# Feed polls are recurring work: a feed is due at ``next_poll_at``, and a claim moves it on.
FEEDS = work.WorkTable(model=Feed, due=Feed.next_poll_at)


class FeedNotFound(NewsdeskError):
    """No feed matches the URL or id given."""


@dataclass(frozen=True)
class FeedHealth:
    """A feed as ``/news feed list`` and App Home show it."""

    id: int
    url: str
    title: str | None
    added_by: str | None
    poll_interval_seconds: int
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    next_poll_at: datetime
    entries_seen: int
    initialised: bool

    @property
    def healthy(self) -> bool:
        return self.consecutive_failures == 0


def add_feed(
    url: str,
    *,
    added_by: str | None,
    session: Session,
    poll_interval: timedelta = DEFAULT_POLL_INTERVAL,
    now: datetime | None = None,
) -> tuple[Feed, bool]:
    """Start polling ``url`` (normalised); False when the feed was already there."""
    normalized = normalize_url(url.strip().strip("<>").split("|", 1)[0])
    if len(normalized) > MAX_FEED_URL_LENGTH:
        raise NewsdeskError(f"that feed URL is too long (at most {MAX_FEED_URL_LENGTH} characters)")
    if poll_interval < MIN_POLL_INTERVAL:
        raise NewsdeskError("feeds are polled at most once a minute")
    now = now or utc_now()
    created = insert_ignoring_conflicts(
        session,
        Feed,
        {
            "url": normalized,
            "added_by": added_by,
            "added_at": now,
            "poll_interval_seconds": int(poll_interval.total_seconds()),
            "next_poll_at": now,
            "consecutive_failures": 0,
            "entries_seen": 0,
            "initialised": False,
        },
    )
    feed = session.scalars(select(Feed).where(Feed.url == normalized)).one()
    return feed, created


def find_feed(url_or_id: str | int, *, session: Session) -> Feed | None:
    """The feed with this id (``3``, ``#3``) or URL."""
    text = str(url_or_id).strip().strip("<>").split("|", 1)[0]
    digits = text.removeprefix("#")
    if digits.isdigit():
        return session.get(Feed, int(digits))
    return session.scalars(select(Feed).where(Feed.url == normalize_url(text))).first()


def remove_feed(url_or_id: str | int, *, session: Session) -> bool:
    """Stop polling a feed (its remembered entries go with it); False when there was none."""
    feed = find_feed(url_or_id, session=session)
    if feed is None:
        return False
    session.delete(feed)
    session.flush()
    return True


def to_feed_health(feed: Feed) -> FeedHealth:
    return FeedHealth(
        id=feed.id,
        url=feed.url,
        title=feed.title,
        added_by=feed.added_by,
        poll_interval_seconds=feed.poll_interval_seconds,
        last_success_at=feed.last_success_at,
        last_error=feed.last_error,
        last_error_at=feed.last_error_at,
        consecutive_failures=feed.consecutive_failures,
        next_poll_at=feed.next_poll_at,
        entries_seen=feed.entries_seen,
        initialised=feed.initialised,
    )


def list_feeds(*, session: Session) -> list[FeedHealth]:
    """Every feed with its health, in the order they were added."""
    return [to_feed_health(feed) for feed in session.scalars(select(Feed).order_by(Feed.id))]


def claim_due_feeds(
    *,
    session: Session,
    now: datetime | None = None,
    limit: int = 5,
    lease: timedelta = POLL_LEASE,
) -> list[Feed]:
    """Feeds due for a poll, each pushed ``lease`` into the future so no one else polls it."""
    rows: list[Feed] = work.claim(
        FEEDS, session=session, worker_id="", now=now, hold=lease, limit=limit
    )
    return rows


def _feed(feed_id: int, session: Session) -> Feed | None:
    return session.get(Feed, feed_id)


def record_poll_success(
    feed_id: int,
    *,
    etag: str | None,
    last_modified: str | None,
    title: str | None,
    session: Session,
    now: datetime | None = None,
) -> bool:
    """A poll that read the feed: keep its validators, schedule the next poll.

    False when the feed was removed meanwhile.
    """
    now = now or utc_now()
    feed = _feed(feed_id, session)
    if feed is None:
        return False
    feed.etag = etag[:500] if etag else None
    feed.last_modified = last_modified[:100] if last_modified else None
    if title and title.strip():
        feed.title = " ".join(title.split())[:500]
    _record_success(feed, now)
    return True


def record_not_modified(feed_id: int, *, session: Session, now: datetime | None = None) -> bool:
    """A poll answered 304 Not Modified: healthy, nothing new."""
    feed = _feed(feed_id, session)
    if feed is None:
        return False
    _record_success(feed, now or utc_now())
    return True


def _record_success(feed: Feed, now: datetime) -> None:
    feed.last_success_at = now
    feed.consecutive_failures = 0
    feed.next_poll_at = now + timedelta(seconds=feed.poll_interval_seconds)


def record_poll_failure(
    feed_id: int, error: str, *, session: Session, now: datetime | None = None
) -> datetime | None:
    """A failed poll: remember the error and back off (doubling per consecutive failure,
    capped at six hours, never sooner than the poll interval). Returns the next poll time."""
    now = now or utc_now()
    feed = _feed(feed_id, session)
    if feed is None:
        return None
    feed.consecutive_failures += 1
    feed.last_error = " ".join(error.split())[:2000]
    feed.last_error_at = now
    feed.next_poll_at = now + backoff_delay(feed.poll_interval_seconds, feed.consecutive_failures)
    return feed.next_poll_at


def backoff_delay(poll_interval_seconds: int, consecutive_failures: int) -> timedelta:
    """How long to wait after the ``consecutive_failures``-th failure in a row."""
    interval = timedelta(seconds=poll_interval_seconds)
    return max(interval, work.backoff(consecutive_failures, first=interval, limit=MAX_BACKOFF))


def entry_key_for_storage(key: str) -> str:
    """The stored form of an entry key: itself, or a hash when it is too long to index."""
    key = key.strip()
    if len(key) <= MAX_ENTRY_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def remember_entries(
    feed_id: int,
    entries: Iterable[tuple[str, str | None]],
    *,
    session: Session,
    now: datetime | None = None,
) -> list[str]:
    """Record ``(entry key, link)`` pairs; returns the keys not seen before, in order."""
    now = now or utc_now()
    new_keys: list[str] = []
    seen: set[str] = set()
    for key, link in entries:
        stored = entry_key_for_storage(key)
        if not stored or stored in seen:
            continue
        seen.add(stored)
        if insert_ignoring_conflicts(
            session,
            FeedEntryRecord,
            {
                "feed_id": feed_id,
                "entry_key": stored,
                "link": link[:2048] if link else None,
                "first_seen_at": now,
            },
        ):
            new_keys.append(key)
    feed = _feed(feed_id, session)
    if feed is not None and new_keys:
        feed.entries_seen += len(new_keys)
    return new_keys


def link_entry_to_article(
    feed_id: int, entry_key: str, article_id: int, *, session: Session
) -> bool:
    """Note which stored story an entry became; False when the entry is unknown."""
    entry = session.scalars(
        select(FeedEntryRecord).where(
            FeedEntryRecord.feed_id == feed_id,
            FeedEntryRecord.entry_key == entry_key_for_storage(entry_key),
        )
    ).first()
    if entry is None:
        return False
    entry.article_id = article_id
    return True


def entry_article_id(feed_id: int, entry_key: str, *, session: Session) -> int | None:
    """The story an entry became, if it was ingested."""
    return session.scalar(
        select(FeedEntryRecord.article_id).where(
            FeedEntryRecord.feed_id == feed_id,
            FeedEntryRecord.entry_key == entry_key_for_storage(entry_key),
        )
    )


def mark_initialised(feed_id: int, *, session: Session) -> bool:
    """The first poll recorded the backlog: later new entries are published."""
    feed = _feed(feed_id, session)
    if feed is None:
        return False
    feed.initialised = True
    return True
