"""Removing a story from the archive with everything that hangs off it, in one transaction.

Versions and shares go with the story; its alerts, updates and unsent messages are deleted
(a worker holding one finds it gone and posts nothing); feed entries that pointed at it
are kept, unlinked, so the feed does not bring the story back. Digests listing it drop it;
a digest that was led by it is led by its next story, and one that listed only it is
deleted. Functions never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.articles import ArticleNotFound
from storage.models import Article, ArticleVersion, Delivery, FeedEntryRecord, Share
from storage.states import DeliveryKind, DeliveryState


@dataclass(frozen=True)
class DeletionResult:
    article_id: int
    headline: str
    versions: int
    shares: int
    deliveries: int


def delete_article(article_id: int, *, session: Session) -> DeletionResult:
    """Delete a story, its versions, shares and deliveries; ArticleNotFound when missing."""
    is_postgresql = session.get_bind().dialect.name == "postgresql"
    article = session.get(Article, article_id, with_for_update=is_postgresql or None)
    if article is None:
        raise ArticleNotFound(f"no story #{article_id} in the archive")
    headline = article.headline
    versions = session.scalar(select(func.count()).where(ArticleVersion.article_id == article_id))
    shares = session.scalar(select(func.count()).where(Share.article_id == article_id))
    _detach_digests(article_id, session=session)
    own = select(Delivery.id).where(Delivery.article_id == article_id)
    session.execute(
        update(Delivery)
        .where(Delivery.digest_id.in_(own))
        .values(digest_id=None)
        .execution_options(synchronize_session=False)
    )
    deliveries = session.execute(
        delete(Delivery)
        .where(Delivery.article_id == article_id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(FeedEntryRecord)
        .where(FeedEntryRecord.article_id == article_id)
        .values(article_id=None)
        .execution_options(synchronize_session=False)
    )
    session.delete(article)
    session.flush()
    return DeletionResult(
        article_id=article_id,
        headline=headline,
        versions=int(versions or 0),
        shares=int(shares or 0),
        deliveries=int(deliveries.rowcount),  # type: ignore[attr-defined]
    )


def _detach_digests(article_id: int, *, session: Session) -> None:
    """Take the story out of every unsent digest listing it; re-lead digests it led."""
    statement = select(Delivery).where(
        Delivery.kind == DeliveryKind.DIGEST,
        or_(Delivery.article_id == article_id, Delivery.state != DeliveryState.SENT),
    )
    for digest in list(session.scalars(statement)):
        listed = [int(i) for i in (digest.payload or {}).get("article_ids", [])]
        if article_id not in listed and digest.article_id != article_id:
            continue
        remaining = [i for i in listed if i != article_id]
        digest.payload = {**(digest.payload or {}), "article_ids": remaining}
        if digest.article_id == article_id and remaining:
            digest.article_id = remaining[0]
    session.flush()
