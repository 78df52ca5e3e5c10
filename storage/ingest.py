"""The one ingest path every entry point uses: a link or plain text in, a stored story out.

Fetching and extraction happen outside any transaction; storing the story, its earlier
version and the share row happens in one, so nothing is ever half-stored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from news.articles import ArticleDraft
from news.errors import InvalidCopy, NotAnArticle
from news.extraction import extract_article
from news.fetching import ARTICLE_TYPES, FetchedPage
from news.metadata import drop_implausible
from news.preparation import PreparedStory, StoryPreparer, hash_text
from news.redirects import is_redirector, unwrap_redirect
from news.urls import normalize_url
from news.wire_copy import parse_wire_copy
from storage.articles import (
    ArticleRecord,
    NewShare,
    ShareRecord,
    add_share,
    find_article_by_content,
    find_article_by_url,
    first_share,
    to_article_record,
)
from storage.database import SessionFactory
from storage.models import Article, ArticleVersion, utc_now

MAX_COPY_CHARACTERS = 1_000_000
STATUSES = ("draft", "published")


class PageFetcher(Protocol):
    def fetch(
        self,
        url: str,
        *,
        accept: Collection[str] = ...,
        headers: Mapping[str, str] | None = None,
    ) -> FetchedPage: ...


class IngestOutcome(StrEnum):
    NEW = "new"  # first time in the archive
    UPDATED = "updated"  # known story whose headline or text changed: new version stored
    UNCHANGED = "unchanged"  # refetched, same content
    KNOWN = "known"  # shared again within the refetch window: not fetched again


@dataclass(frozen=True)
class StoryOverrides:
    """Fields an editor or the CMS sets explicitly; they win over what extraction found."""

    headline: str | None = None
    section: str | None = None
    byline: str | None = None
    topics: Sequence[str] = ()
    status: str | None = None
    published_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")


@dataclass(frozen=True)
class IngestResult:
    outcome: IngestOutcome
    article: ArticleRecord
    first_share: ShareRecord | None  # the earliest earlier share the sharer may know about
    changes: tuple[str, ...] = ()

    @property
    def already_archived(self) -> bool:
        return self.outcome in (IngestOutcome.KNOWN, IngestOutcome.UNCHANGED)


def read_page(page: FetchedPage) -> ArticleDraft:
    """Extract the story from a fetched page: HTML through extraction, plain text as copy."""
    if page.content_type == "text/plain":
        return parse_wire_copy(page.text)
    return extract_article(page.text, url=page.url)


TRACKED_FIELDS = ("headline", "body", "standfirst", "byline", "section", "published_at")


class IngestService:
    """Stores stories: new, unchanged duplicate or new version, always with a share row."""

    def __init__(
        self,
        *,
        session_factory: SessionFactory,
        fetcher: PageFetcher,
        preparer: StoryPreparer,
        refetch_after: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._session_factory = session_factory
        self._fetcher = fetcher
        self._preparer = preparer
        self._refetch_after = refetch_after
        self._clock = clock

    def ingest_url(
        self,
        url: str,
        share: NewShare,
        *,
        overrides: StoryOverrides | None = None,
        refetch: bool = False,
    ) -> IngestResult:
        """Fetch, extract and store the story at ``url`` unless it was fetched recently."""
        normalized = normalize_url(unwrap_redirect(url))
        if not refetch:
            known = self._record_known_share(normalized, share)
            if known is not None:
                return known
        page = self._fetcher.fetch(normalized, accept=ARTICLE_TYPES)
        draft = read_page(page)
        final_url = normalize_url(page.url)
        draft = replace(
            draft,
            url=final_url if is_redirector(normalized) else normalized,
            canonical_url=draft.canonical_url or final_url,
        )
        return self.store(draft, share, overrides=overrides)

    def ingest_copy(
        self, text: str, share: NewShare, *, overrides: StoryOverrides | None = None
    ) -> IngestResult:
        """Store plain-text copy in the wire format (no headline: one is derived)."""
        if len(text) > MAX_COPY_CHARACTERS:
            raise InvalidCopy(f"copy longer than {MAX_COPY_CHARACTERS:,} characters")
        return self.store(parse_wire_copy(text), share, overrides=overrides)

    def ingest_html(self, html: str, share: NewShare, *, url: str | None = None) -> IngestResult:
        """Store an article from a saved HTML page (its canonical link names it, if any)."""
        draft = extract_article(html, url=url)
        if url is not None:
            draft = replace(draft, url=normalize_url(url))
        return self.store(draft, share)

    def store(
        self, draft: ArticleDraft, share: NewShare, *, overrides: StoryOverrides | None = None
    ) -> IngestResult:
        """Prepare ``draft`` and store it as a new story or a new version, with the share."""
        if not draft.body.strip() and (draft.text_extracted or not draft.headline):
            raise NotAnArticle("not an article: no article text found")
        draft = _apply_overrides(draft, overrides)
        now = self._clock()
        where = draft.canonical_url or draft.url or "copy"
        published_at = drop_implausible(
            draft.published_at, now=now, what=f"publication date of {where}"
        )
        modified_at = drop_implausible(draft.modified_at, now=now, what=f"update date of {where}")
        if modified_at is not None and published_at is not None and modified_at < published_at:
            modified_at = None
        prepared = self._preparer.prepare(
            replace(draft, published_at=published_at, modified_at=modified_at)
        )
        try:
            return self._store_prepared(prepared, share, overrides)
        except IntegrityError:
            # Another worker stored the same URL between our lookup and insert: now it exists.
            return self._store_prepared(prepared, share, overrides)

    def resummarize_archive(self, *, batch_size: int = 200) -> tuple[int, int]:
        """Write every stored story's summary again with the current summarizer.

        A summary is derived text, so this is not a new version of the story. Each batch is
        its own transaction: an interrupted run leaves whole batches done and can be re-run.
        Returns (stories read, summaries changed).
        """
        summarizer = self._preparer.summarizer
        read = changed = 0
        last_id = 0
        while True:
            with self._session_factory.begin() as session:
                batch = list(
                    session.scalars(
                        select(Article)
                        .where(Article.id > last_id)
                        .order_by(Article.id)
                        .limit(batch_size)
                    )
                )
                for article in batch:
                    summary = summarizer.summarize(article.body, headline=article.headline)
                    if summary != article.summary:
                        article.summary = summary
                        changed += 1
            if not batch:
                return read, changed
            read += len(batch)
            last_id = batch[-1].id

    def rederive_archive(self, *, batch_size: int = 500) -> tuple[int, int]:
        """Re-derive every stored story's headline, byline and date (``storage.rederive``).

        One transaction per batch. Returns (stories read, stories changed).
        """
        from storage.rederive import rederive_batch

        read = changed = 0
        last_id = 0
        while True:
            with self._session_factory.begin() as session:
                report, last_id = rederive_batch(
                    session.connection(), after_id=last_id, now=self._clock(), limit=batch_size
                )
            read += report.read
            changed += report.changed
            if report.read == 0:
                return read, changed

    def _record_known_share(self, normalized_url: str, share: NewShare) -> IngestResult | None:
        with self._session_factory.begin() as session:
            article = find_article_by_url(normalized_url, session=session)
            if article is None or self._clock() - article.fetched_at >= self._refetch_after:
                return None
            earlier = first_share(
                article.id, session=session, viewer_channel_id=share.channel_id, excluding=share
            )
            add_share(article, share, session=session)
            session.flush()
            return IngestResult(IngestOutcome.KNOWN, to_article_record(article), earlier)

    def _store_prepared(
        self, prepared: PreparedStory, share: NewShare, overrides: StoryOverrides | None
    ) -> IngestResult:
        now = self._clock()
        with self._session_factory.begin() as session:
            article = _find_existing(prepared, session=session)
            if article is None:
                article = _new_article(prepared, now)
                session.add(article)
                session.flush()
                add_share(article, share, session=session)
                session.flush()
                return IngestResult(IngestOutcome.NEW, to_article_record(article), None)
            earlier = first_share(
                article.id, session=session, viewer_channel_id=share.channel_id, excluding=share
            )
            changes = _changed_fields(article, prepared)
            article.fetched_at = now
            if overrides is not None and overrides.status is not None:
                article.status = overrides.status
            if changes:
                _record_version(article, prepared, changes, now, session=session)
            add_share(article, share, session=session)
            session.flush()
            outcome = IngestOutcome.UPDATED if changes else IngestOutcome.UNCHANGED
            return IngestResult(outcome, to_article_record(article), earlier, tuple(changes))


def _apply_overrides(draft: ArticleDraft, overrides: StoryOverrides | None) -> ArticleDraft:
    if overrides is None:
        return draft
    return replace(
        draft,
        headline=overrides.headline or draft.headline,
        section=overrides.section or draft.section,
        byline=overrides.byline or draft.byline,
        authors=draft.authors if not overrides.byline else [],
        published_at=overrides.published_at or draft.published_at,
        tags=[*overrides.topics, *draft.tags],
    )


def _find_existing(prepared: PreparedStory, *, session: Session) -> Article | None:
    draft = prepared.draft
    for url in (draft.canonical_url, draft.url):
        if url:
            article = find_article_by_url(url, session=session)
            if article is not None:
                return article
    if draft.canonical_url is None and draft.url is None:
        return find_article_by_content(prepared.content_hash, session=session)
    return None


def _topics(prepared: PreparedStory) -> list[str]:
    given = [tag.strip() for tag in prepared.draft.tags if tag.strip()]
    return list(dict.fromkeys([*given, *prepared.topics]))[:12]


def _new_article(prepared: PreparedStory, now: datetime) -> Article:
    draft = prepared.draft
    return Article(
        canonical_url=draft.canonical_url,
        original_url=draft.url,
        headline=prepared.headline[:500],
        standfirst=draft.standfirst,
        byline=(draft.byline or None) and draft.byline[:300],
        authors=list(draft.authors),
        credit=(draft.credit or None) and draft.credit[:300],
        modified_at=draft.modified_at,
        text_extracted=draft.text_extracted,
        outlet=(draft.outlet or None) and draft.outlet[:300],
        section=(draft.section or None) and draft.section[:200],
        language=draft.language,
        published_at=draft.published_at,
        status="draft",
        body=draft.body,
        summary=prepared.summary,
        topics=_topics(prepared),
        tags=list(draft.tags),
        image_url=draft.image_url,
        content_hash=prepared.content_hash,
        version=1,
        is_public=False,
        first_seen_at=now,
        updated_at=now,
        fetched_at=now,
        sort_at=draft.published_at or now,
    )


def _changed_fields(article: Article, prepared: PreparedStory) -> list[str]:
    draft = prepared.draft
    current = {
        "headline": article.headline,
        "body": article.body,
        "standfirst": article.standfirst,
        "byline": article.byline,
        "section": article.section,
        "published_at": article.published_at,
    }
    incoming = {
        "headline": prepared.headline[:500],
        "body": draft.body,
        "standfirst": draft.standfirst,
        "byline": draft.byline,
        "section": draft.section,
        "published_at": draft.published_at,
    }
    changes = []
    for name in TRACKED_FIELDS:
        new = incoming[name]
        if new is None and name != "headline":
            continue  # a refetch that lost a field does not erase what we know
        old = current[name]
        if isinstance(old, str) and isinstance(new, str):
            if " ".join(old.split()) != " ".join(new.split()):
                changes.append(name)
        elif old != new:
            changes.append(name)
    return changes


def _record_version(
    article: Article,
    prepared: PreparedStory,
    changes: list[str],
    now: datetime,
    *,
    session: Session,
) -> None:
    """Keep the current text as an earlier version, then move the article on."""
    session.add(
        ArticleVersion(
            article_id=article.id,
            version=article.version,
            headline=article.headline,
            body=article.body,
            summary=article.summary,
            content_hash=article.content_hash,
            headline_hash=hash_text(article.headline),
            body_hash=hash_text(article.body),
            changes=changes,
            recorded_at=now,
        )
    )
    draft = prepared.draft
    article.headline = prepared.headline[:500]
    article.body = draft.body
    article.summary = prepared.summary
    article.topics = _topics(prepared)
    article.content_hash = prepared.content_hash
    if draft.standfirst is not None:
        article.standfirst = draft.standfirst
    if draft.byline is not None:
        article.byline = draft.byline[:300]
    if draft.authors:
        article.authors = list(draft.authors)
    if draft.credit is not None:
        article.credit = draft.credit[:300]
    if draft.modified_at is not None:
        article.modified_at = draft.modified_at
    article.text_extracted = draft.text_extracted
    if draft.section is not None:
        article.section = draft.section[:200]
    if draft.published_at is not None:
        article.published_at = draft.published_at
        article.sort_at = draft.published_at
    article.version += 1
    article.updated_at = now
