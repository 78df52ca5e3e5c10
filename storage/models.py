"""The archive's tables, SQLAlchemy 2 typed models.

Search-engine objects (SQLite FTS5 table and triggers, PostgreSQL tsvector column and GIN
index) are created by the migrations for the dialect in use, not declared here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.states import DeliveryState, JobState

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Article(Base):
    """One story, in its latest version. Earlier versions live in ``article_versions``."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_url: Mapped[str | None] = mapped_column(String(2048), unique=True)
    original_url: Mapped[str | None] = mapped_column(String(2048), index=True)
    headline: Mapped[str] = mapped_column(String(500))
    standfirst: Mapped[str | None] = mapped_column(Text)
    # How a card shows the people credited ("Ana Ruiz and Tom Lee"); the people themselves
    # are in ``authors``, an organisation or agency credit in ``credit``.
    byline: Mapped[str | None] = mapped_column(String(300))
    authors: Mapped[list[str]] = mapped_column(default=list)
    credit: Mapped[str | None] = mapped_column(String(300))
    outlet: Mapped[str | None] = mapped_column(String(300))
    section: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(20))
    published_at: Mapped[datetime | None]
    # When the page says it was last updated (UTC), if it says so.
    modified_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    body: Mapped[str] = mapped_column(Text)
    # False when the page's metadata was read but its story text could not be extracted.
    text_extracted: Mapped[bool] = mapped_column(Boolean, default=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)
    image_url: Mapped[str | None] = mapped_column(String(2048))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
    fetched_at: Mapped[datetime] = mapped_column(default=utc_now)
    # Newest-first ordering key: published_at when known, else first_seen_at.
    sort_at: Mapped[datetime] = mapped_column(default=utc_now)

    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.version", cascade="all, delete-orphan"
    )
    shares: Mapped[list[Share]] = relationship(
        back_populates="article", order_by="Share.shared_at", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_articles_sort_at", "sort_at"),
        Index("ix_articles_public_sort_at", "is_public", "sort_at"),
        Index("ix_articles_outlet", "outlet"),
    )


class ArticleVersion(Base):
    """An earlier version of an article that later changed, with what changed."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    headline: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    headline_hash: Mapped[str] = mapped_column(String(64))
    body_hash: Mapped[str] = mapped_column(String(64))
    changes: Mapped[list[str]] = mapped_column(default=list)
    recorded_at: Mapped[datetime] = mapped_column(default=utc_now)

    article: Mapped[Article] = relationship(back_populates="versions")

    __table_args__ = (UniqueConstraint("article_id", "version"),)


class Share(Base):
    """Who brought a story in, where and when (a Slack message, the CLI, a feed, the CMS)."""

    __tablename__ = "shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str | None] = mapped_column(String(40))
    channel_id: Mapped[str | None] = mapped_column(String(40))
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    message_ts: Mapped[str | None] = mapped_column(String(40))
    permalink: Mapped[str | None] = mapped_column(String(2048))
    shared_at: Mapped[datetime] = mapped_column(default=utc_now)

    article: Mapped[Article] = relationship(back_populates="shares")

    __table_args__ = (Index("ix_shares_channel_id_article_id", "channel_id", "article_id"),)


class Job(Base):
    """Durable background work (link ingestion and the like), claimed by workers."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(500), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=JobState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(default=utc_now)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_jobs_state_run_after", "state", "run_after"),)


class ProcessedEvent(Base):
    """Slack event ids already accepted, so retries and duplicate deliveries do nothing."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


class WorkerHeartbeat(Base):
    """The last time each worker process reported in (shown by status commands)."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(default=utc_now)
    started_at: Mapped[datetime] = mapped_column(default=utc_now)


class Subscription(Base):
    """A channel following a topic, desk, outlet, author, or every published story."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    # As the editor typed it, for display; ``value_key`` is the folded form used to match.
    value: Mapped[str] = mapped_column(String(300))
    value_key: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (UniqueConstraint("channel_id", "kind", "value_key"),)


class ChannelSettings(Base):
    """Per-channel alert settings; a missing row or NULL column means the default."""

    __tablename__ = "channel_settings"

    channel_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    alerts_per_hour: Mapped[int | None] = mapped_column(Integer)
    digest_time: Mapped[str | None] = mapped_column(String(5))
    updated_by: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class Feed(Base):
    """An RSS, Atom or JSON feed the workers poll, with its health."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(String(500))
    added_by: Mapped[str | None] = mapped_column(String(40))
    added_at: Mapped[datetime] = mapped_column(default=utc_now)
    poll_interval_seconds: Mapped[int] = mapped_column(Integer, default=900)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    next_poll_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    entries_seen: Mapped[int] = mapped_column(Integer, default=0)
    # False until the first successful poll recorded the backlog (without alerting it).
    initialised: Mapped[bool] = mapped_column(Boolean, default=False)


class FeedEntryRecord(Base):
    """A feed entry already seen, recognised by guid (else link) so it never alerts twice."""

    __tablename__ = "feed_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(512))
    link: Mapped[str | None] = mapped_column(String(2048))
    first_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )

    __table_args__ = (UniqueConstraint("feed_id", "entry_key"),)


class Delivery(Base):
    """The outbox: one message to post to one channel about one story version.

    Rows are written in the same transaction as the publish (or change) that causes them,
    and claimed by delivery workers. States: pending, sending, sent, dead (failed N times),
    digested (over the channel's hourly budget; rolled into a digest), cancelled
    (unpublished before it was sent).
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    message_ts: Mapped[str | None] = mapped_column(String(40))
    thread_ts: Mapped[str | None] = mapped_column(String(40))
    article_version: Mapped[int] = mapped_column(Integer)
    # For a digested alert: the digest delivery it was rolled into.
    digest_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("deliveries.id", ondelete="SET NULL"),
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("article_id", "channel_id", "kind", "article_version"),
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_deliveries_channel_id_sent_at", "channel_id", "sent_at"),
        Index("ix_deliveries_sent_at", "sent_at"),
    )


class WebhookEvent(Base):
    """A CMS webhook event, recorded by its idempotency key in the transaction of its effect.

    States: ``queued`` (the story's page is being fetched by a job), ``done``, ``failed``.
    ``article_version`` is the story's version once the event took effect.
    """

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    event: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(2048), index=True)
    state: Mapped[str] = mapped_column(String(20))
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    article_version: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utc_now)
    processed_at: Mapped[datetime | None]


class StoredQuestion(Base):
    """A question asked in a channel, kept so its "More" button carries only a short key.

    Slack caps a button's value at 2,000 characters; a question can be longer than that once
    encoded. Rows older than ``storage.questions.KEEP_DAYS`` are removed as new ones come.
    """

    __tablename__ = "stored_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    channel_id: Mapped[str] = mapped_column(String(50))
    question: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
