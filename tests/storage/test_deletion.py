"""Deleting a story takes its versions, shares and alerts with it, and keeps digests whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.articles import ArticleNotFound
from storage.database import SessionFactory
from storage.deletion import delete_article
from storage.models import Article, Delivery, Share

NOW = datetime(2025, 1, 7, 12, 0, tzinfo=UTC)


def add_story(session: Session, headline: str) -> Article:
    article = Article(headline=headline, body="Text.", content_hash=headline, is_public=True)
    session.add(article)
    session.flush()
    session.add(Share(article_id=article.id, source="cli"))
    return article


def alert(article: Article, state: str, digest: Delivery | None = None) -> Delivery:
    return Delivery(
        article_id=article.id,
        channel_id="C1",
        kind="alert",
        state=state,
        article_version=1,
        digest_id=digest.id if digest is not None else None,
    )


def test_delete_keeps_the_digest_of_other_stories(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        first, second = add_story(session, "First"), add_story(session, "Second")
        digest = Delivery(
            article_id=first.id,
            channel_id="C1",
            kind="digest",
            state="pending",
            article_version=1,
            payload={"article_ids": [first.id, second.id]},
        )
        session.add(digest)
        session.flush()
        session.add_all([alert(first, "digested", digest), alert(second, "digested", digest)])
        first_id, second_id, digest_id = first.id, second.id, digest.id
    with session_factory.begin() as session:
        result = delete_article(first_id, session=session)
    assert (result.headline, result.shares, result.deliveries) == ("First", 1, 1)
    with session_factory() as session:
        kept = session.get(Delivery, digest_id)
        assert kept is not None
        assert kept.article_id == second_id
        assert kept.payload["article_ids"] == [second_id]
        remaining = session.scalars(select(Delivery).where(Delivery.kind == "alert")).all()
        assert [(d.article_id, d.digest_id) for d in remaining] == [(second_id, digest_id)]
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        assert session.scalar(select(func.count()).select_from(Share)) == 1


def test_delete_a_missing_story(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session, pytest.raises(ArticleNotFound, match="no story #7"):
        delete_article(7, session=session)
