"""Query functions for articles, their versions and shares.

Functions take the session as a keyword argument and never commit: the caller owns
the transaction (``with session_factory.begin() as session:``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from news.errors import NewsdeskError
from news.urls import normalize_url
from storage.models import Article, ArticleVersion, Share, utc_now

SHARE_SOURCES = ("slack", "cli", "feed", "webhook")


@dataclass(frozen=True)
class NewShare:
    """Where a story came in from: a Slack message, the CLI, a feed or the CMS webhook."""

    source: str
    user_id: str | None = None
    channel_id: str | None = None
    is_private: bool = False
    message_ts: str | None = None
    permalink: str | None = None
    shared_at: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        if self.source not in SHARE_SOURCES:
            raise ValueError(f"unknown share source {self.source!r}")


@dataclass(frozen=True)
class ShareRecord:
    source: str
    user_id: str | None
    channel_id: str | None
    is_private: bool
    message_ts: str | None
    permalink: str | None
    shared_at: datetime


@dataclass(frozen=True)
class ArticleRecord:
    """A stored story, detached from any session."""

    id: int
    canonical_url: str | None
    original_url: str | None
    headline: str
    standfirst: str | None
    byline: str | None
    outlet: str | None
    section: str | None
    language: str | None
    published_at: datetime | None
    status: str
    body: str
    summary: str
    topics: tuple[str, ...]
    image_url: str | None
    version: int
    is_public: bool
    first_seen_at: datetime
    updated_at: datetime
    authors: tuple[str, ...] = ()
    credit: str | None = None
    modified_at: datetime | None = None
    text_extracted: bool = True

    @property
    def url(self) -> str | None:
        return self.canonical_url or self.original_url


@dataclass(frozen=True)
class VersionRecord:
    version: int
    headline: str
    summary: str
    changes: tuple[str, ...]
    recorded_at: datetime


class ArticleNotFound(NewsdeskError):
    """No story matches the id or URL given."""


def to_article_record(article: Article) -> ArticleRecord:
    return ArticleRecord(
        id=article.id,
        canonical_url=article.canonical_url,
        original_url=article.original_url,
        headline=article.headline,
        standfirst=article.standfirst,
        byline=article.byline,
        outlet=article.outlet,
        section=article.section,
        language=article.language,
        published_at=article.published_at,
        status=article.status,
        body=article.body,
        summary=article.summary,
        topics=tuple(article.topics or ()),
        image_url=article.image_url,
        version=article.version,
        is_public=article.is_public,
        first_seen_at=article.first_seen_at,
        updated_at=article.updated_at,
        authors=tuple(article.authors or ()),
        credit=article.credit,
        modified_at=article.modified_at,
        text_extracted=article.text_extracted,
    )


def to_share_record(share: Share) -> ShareRecord:
    return ShareRecord(
        source=share.source,
        user_id=share.user_id,
        channel_id=share.channel_id,
        is_private=share.is_private,
        message_ts=share.message_ts,
        permalink=share.permalink,
        shared_at=share.shared_at,
    )


def find_article_by_url(url: str, *, session: Session) -> Article | None:
    """The article whose canonical or original URL is ``url`` (normalised first)."""
    normalized = normalize_url(url)
    statement = (
        select(Article)
        .where(or_(Article.canonical_url == normalized, Article.original_url == normalized))
        .order_by(Article.id)
        .limit(1)
    )
    return session.scalars(statement).first()


def find_article_by_content(content_hash: str, *, session: Session) -> Article | None:
    statement = select(Article).where(Article.content_hash == content_hash).limit(1)
    return session.scalars(statement).first()


def get_article(reference: str | int, *, session: Session) -> Article:
    """The article with this id (``42``, ``#42``) or URL; ArticleNotFound otherwise."""
    text = str(reference).strip().strip("<>").split("|", 1)[0]
    digits = text.removeprefix("#")
    article: Article | None
    if digits.isdigit():
        article = session.get(Article, int(digits))
    elif text.startswith(("http://", "https://")):
        article = find_article_by_url(text, session=session)
    else:
        raise ArticleNotFound(f"“{text[:80]}” is neither a story id nor a link")
    if article is None:
        raise ArticleNotFound(f"no story {text[:200]} in the archive")
    return article


def add_share(article: Article, share: NewShare, *, session: Session) -> Share | None:
    """Record who brought ``article`` in; a public share makes the story public.

    The same Slack message shared again (a retried job) adds no second row.
    """
    if share.channel_id is not None and share.message_ts is not None and article.id is not None:
        repeated = select(Share.id).where(
            Share.article_id == article.id,
            Share.channel_id == share.channel_id,
            Share.message_ts == share.message_ts,
        )
        if session.scalar(repeated.limit(1)) is not None:
            return None
    row = Share(
        article=article,
        source=share.source,
        user_id=share.user_id,
        channel_id=share.channel_id,
        is_private=share.is_private,
        message_ts=share.message_ts,
        permalink=share.permalink,
        shared_at=share.shared_at,
    )
    session.add(row)
    if not share.is_private:
        article.is_public = True
    return row


def first_share(
    article_id: int,
    *,
    session: Session,
    viewer_channel_id: str | None = None,
    excluding: NewShare | None = None,
) -> ShareRecord | None:
    """The earliest share of a story that the viewer may know about.

    A share made in a private conversation is only reported inside that conversation;
    ``excluding`` leaves out the message being answered (so it never names itself).
    """
    statement = select(Share).where(Share.article_id == article_id)
    if viewer_channel_id is None:
        statement = statement.where(Share.is_private.is_(False))
    else:
        statement = statement.where(
            or_(Share.is_private.is_(False), Share.channel_id == viewer_channel_id)
        )
    if excluding is not None and excluding.message_ts is not None:
        statement = statement.where(
            or_(
                Share.channel_id.is_(None),
                Share.message_ts.is_(None),
                Share.channel_id != excluding.channel_id,
                Share.message_ts != excluding.message_ts,
            )
        )
    share = session.scalars(statement.order_by(Share.shared_at, Share.id).limit(1)).first()
    return to_share_record(share) if share is not None else None


def list_versions(article_id: int, *, session: Session) -> list[VersionRecord]:
    """Earlier versions of a story, oldest first, each with what changed after it."""
    statement = (
        select(ArticleVersion)
        .where(ArticleVersion.article_id == article_id)
        .order_by(ArticleVersion.version)
    )
    return [
        VersionRecord(
            version=row.version,
            headline=row.headline,
            summary=row.summary,
            changes=tuple(row.changes or ()),
            recorded_at=row.recorded_at,
        )
        for row in session.scalars(statement)
    ]


def is_visible_in(article: Article, channel_id: str | None, *, session: Session) -> bool:
    """Whether a story may be shown in ``channel_id`` (public, or shared right there)."""
    if article.is_public:
        return True
    if channel_id is None:
        return False
    statement = select(func.count()).where(
        Share.article_id == article.id, Share.channel_id == channel_id
    )
    return bool(session.scalar(statement))


def get_visible_article(
    reference: str | int, channel_id: str | None, *, session: Session
) -> Article:
    """The story with this id or URL, unless it is private to another conversation: then
    ArticleNotFound, as if it did not exist (its existence is not given away)."""
    article = get_article(reference, session=session)
    if not is_visible_in(article, channel_id, session=session):
        raise ArticleNotFound(f"no story {str(reference)[:200]} in the archive")
    return article


def count_articles(*, session: Session, since: datetime | None = None) -> int:
    statement = select(func.count()).select_from(Article)
    if since is not None:
        statement = statement.where(Article.first_seen_at >= since)
    return int(session.scalar(statement) or 0)


# Distinct outlets read one by one on ix_articles_outlet (migration 0009): an archive of a
# few hundred outlets costs a few hundred index seeks, however many stories it holds.
MAX_OUTLETS_READ = 2000
_DISTINCT_OUTLETS = text(
    "WITH RECURSIVE outlets(name) AS ("
    " SELECT min(outlet) FROM articles"
    " UNION ALL"
    " SELECT (SELECT min(outlet) FROM articles WHERE outlet > outlets.name)"
    " FROM outlets WHERE outlets.name IS NOT NULL"
    ") SELECT name FROM outlets WHERE name IS NOT NULL LIMIT :limit"
)


def has_outlet(name: str, *, session: Session) -> bool:
    """Whether a story's outlet contains ``name``, case-insensitively: what the outlet
    filter of a search matches.

    The distinct outlet names are read on the outlet index; an archive with more than
    ``MAX_OUTLETS_READ`` of them is asked directly instead.
    """
    wanted = name.casefold()
    names = [str(row[0]) for row in session.execute(_DISTINCT_OUTLETS, {"limit": MAX_OUTLETS_READ})]
    if len(names) < MAX_OUTLETS_READ:
        return any(wanted in outlet.casefold() for outlet in names)
    matching = select(Article.id).where(
        func.lower(Article.outlet).contains(name.lower(), autoescape=True)
    )
    return session.scalar(matching.limit(1)) is not None
