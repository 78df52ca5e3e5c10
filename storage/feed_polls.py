"""Feed polls: fetch due feeds, ingest and publish their new entries.

``FeedPolls.poll_due`` claims due feeds (``storage.feeds.claim_due_feeds``: leased, so two
pollers never poll one feed at once) and fetches them through the safe fetcher with
``ETag`` and ``If-Modified-Since``. The first successful poll of a feed records its
backlog without publishing. Later, each entry whose key (guid, else link) was never seen
is ingested from its linked page, or from the feed's own text when the page cannot be
fetched, published, and only then remembered: a poll that dies half-way leaves the rest to
the next poll, and storing and publishing again change nothing. A broken feed is recorded
on the feed (``record_poll_failure``, with backoff) and never stops the round. The thread
that polls on a timer is ``bot.feed_poller``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from news.errors import NewsdeskError, NotAnArticle
from news.feeds import FeedEntry, ParsedFeed, entry_draft, parse_feed
from news.fetching import FEED_TYPES, FetchedPage
from storage.articles import NewShare
from storage.feed_entries import unseen_entry_keys
from storage.feeds import (
    POLL_LEASE,
    claim_due_feeds,
    link_entry_to_article,
    mark_initialised,
    record_not_modified,
    record_poll_failure,
    record_poll_success,
    remember_entries,
)
from storage.ingest import IngestResult, PageFetcher
from storage.publishing import publish_article
from storage.services import Services
from storage.states import FeedPollStatus

logger = logging.getLogger(__name__)

DEFAULT_BATCH = 5
# New entries ingested per feed and poll; the rest stay unseen until the next poll.
MAX_NEW_ENTRIES_PER_POLL = 30


@dataclass(frozen=True)
class ClaimedFeed:
    id: int
    url: str
    etag: str | None
    last_modified: str | None
    initialised: bool


@dataclass(frozen=True)
class FeedPollResult:
    """One feed's poll: ``status`` is ``ok``, ``not_modified`` or ``failed``."""

    feed_id: int
    url: str
    status: FeedPollStatus
    entries: int = 0
    recorded: int = 0
    published: tuple[int, ...] = ()
    from_feed_text: int = 0
    first_poll: bool = False
    error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PollSummary:
    feeds: tuple[FeedPollResult, ...] = field(default_factory=tuple)

    @property
    def published(self) -> tuple[int, ...]:
        return tuple(story for feed in self.feeds for story in feed.published)

    @property
    def failed(self) -> tuple[FeedPollResult, ...]:
        return tuple(feed for feed in self.feeds if feed.status == FeedPollStatus.FAILED)


class FeedPolls:
    """Polls claimed feeds for one process: any number may run against one database."""

    def __init__(self, services: Services, fetcher: PageFetcher) -> None:
        self._services = services
        self._fetcher = fetcher

    def poll_due(self, *, limit: int = DEFAULT_BATCH, lease: timedelta = POLL_LEASE) -> PollSummary:
        """Claim up to ``limit`` feeds due now and poll each; never raises for a broken feed."""
        now = self._services.clock()
        with self._services.session_factory.begin() as session:
            claimed = [
                ClaimedFeed(feed.id, feed.url, feed.etag, feed.last_modified, feed.initialised)
                for feed in claim_due_feeds(session=session, now=now, limit=limit, lease=lease)
            ]
        return PollSummary(tuple(self._poll_safely(feed) for feed in claimed))

    def _poll_safely(self, feed: ClaimedFeed) -> FeedPollResult:
        try:
            return self.poll_feed(feed)
        except Exception as error:
            expected = isinstance(error, NewsdeskError)
            reason = error.reason if isinstance(error, NewsdeskError) else _describe(error)
            logger.warning("feed %s: %s", feed.url, reason, exc_info=not expected)
            try:
                with self._services.session_factory.begin() as session:
                    record_poll_failure(
                        feed.id, reason, session=session, now=self._services.clock()
                    )
            except Exception:
                logger.exception("feed %s: could not record the failure", feed.url)
            return FeedPollResult(feed.id, feed.url, FeedPollStatus.FAILED, error=reason)

    def poll_feed(self, feed: ClaimedFeed) -> FeedPollResult:
        """Fetch, parse and act on one claimed feed; NewsdeskError when it cannot be read."""
        page = self._fetcher.fetch(feed.url, accept=FEED_TYPES, headers=_validators(feed))
        if page.status == 304:
            with self._services.session_factory.begin() as session:
                record_not_modified(feed.id, session=session, now=self._services.clock())
            return FeedPollResult(feed.id, feed.url, FeedPollStatus.NOT_MODIFIED)
        parsed = parse_feed(
            page.content,
            url=page.url,
            content_type=page.headers.get("content-type", page.content_type),
            now=self._services.clock(),
        )
        for warning in parsed.warnings:
            logger.info("feed %s: %s", feed.url, warning)
        if not feed.initialised:
            return self._record_backlog(feed, page, parsed)
        return self._publish_new_entries(feed, page, parsed)

    def _record_backlog(
        self, feed: ClaimedFeed, page: FetchedPage, parsed: ParsedFeed
    ) -> FeedPollResult:
        now = self._services.clock()
        with self._services.session_factory.begin() as session:
            recorded = remember_entries(
                feed.id,
                [(entry.key, entry.link) for entry in parsed.entries],
                session=session,
                now=now,
            )
            mark_initialised(feed.id, session=session)
            _record_success(feed.id, page, parsed, session=session, now=now)
        return FeedPollResult(
            feed.id,
            feed.url,
            FeedPollStatus.OK,
            entries=len(parsed.entries),
            recorded=len(recorded),
            first_poll=True,
            warnings=parsed.warnings,
        )

    def _publish_new_entries(
        self, feed: ClaimedFeed, page: FetchedPage, parsed: ParsedFeed
    ) -> FeedPollResult:
        with self._services.session_factory() as session:
            unseen = unseen_entry_keys(
                feed.id, [entry.key for entry in parsed.entries], session=session
            )
        # Oldest first, so alerts go out in the order the feed published them.
        new_entries = [entry for entry in reversed(parsed.entries) if entry.key in unseen]
        warnings = list(parsed.warnings)
        if len(new_entries) > MAX_NEW_ENTRIES_PER_POLL:
            warnings.append(
                f"{len(new_entries)} new entries: took the oldest {MAX_NEW_ENTRIES_PER_POLL}, "
                "the rest come with the next poll"
            )
            new_entries = new_entries[:MAX_NEW_ENTRIES_PER_POLL]
        published: list[int] = []
        from_feed_text = recorded = 0
        for entry in new_entries:
            result, page_problem = self._ingest_entry(entry, feed_title=parsed.title)
            if page_problem is not None:
                warnings.append(_entry_warning(entry, page_problem, stored=result is not None))
                from_feed_text += result is not None
            with self._services.session_factory.begin() as session:
                if not remember_entries(
                    feed.id, [(entry.key, entry.link)], session=session, now=self._services.clock()
                ):
                    continue  # another poller got there first
                recorded += 1
                if result is None:
                    continue
                link_entry_to_article(feed.id, entry.key, result.article.id, session=session)
                outcome = publish_article(
                    result.article.id,
                    session=session,
                    aliases=self._services.aliases,
                    now=self._services.clock(),
                )
                if outcome.published:
                    published.append(result.article.id)
        with self._services.session_factory.begin() as session:
            _record_success(feed.id, page, parsed, session=session, now=self._services.clock())
        for warning in warnings[len(parsed.warnings) :]:
            logger.info("feed %s: %s", feed.url, warning)
        return FeedPollResult(
            feed.id,
            feed.url,
            FeedPollStatus.OK,
            entries=len(parsed.entries),
            recorded=recorded,
            published=tuple(published),
            from_feed_text=from_feed_text,
            warnings=tuple(warnings),
        )

    def _ingest_entry(
        self, entry: FeedEntry, *, feed_title: str
    ) -> tuple[IngestResult | None, str | None]:
        """Store an entry from its page, else from the feed's text; with why the page failed.

        Errors storing the story (other than an entry without text) propagate: the entry
        stays unseen and is tried again at the next poll.
        """
        share = NewShare(source="feed")
        problem = "the entry has no link"
        if entry.link:
            try:
                return self._services.ingest.ingest_url(entry.link, share), None
            except NewsdeskError as error:
                problem = error.reason
        try:
            draft = entry_draft(entry, feed_title=feed_title)
        except NotAnArticle as error:
            return None, f"{problem}; {error.reason}"
        return self._services.ingest.store(draft, share), problem


def _validators(feed: ClaimedFeed) -> Mapping[str, str]:
    headers: dict[str, str] = {}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    return headers


def _record_success(
    feed_id: int, page: FetchedPage, parsed: ParsedFeed, *, session: Session, now: datetime
) -> None:
    record_poll_success(
        feed_id,
        etag=page.headers.get("etag"),
        last_modified=page.headers.get("last-modified"),
        title=parsed.title,
        session=session,
        now=now,
    )


def _entry_warning(entry: FeedEntry, problem: str, *, stored: bool) -> str:
    name = entry.title or entry.link or entry.key
    action = "stored from the feed's text" if stored else "skipped"
    return f"entry “{name[:80]}”: {problem} ({action})"


def _describe(error: Exception) -> str:
    text = " ".join(str(error).split())[:200]
    return f"unexpected error: {type(error).__name__}" + (f": {text}" if text else "")
