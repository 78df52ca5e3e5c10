"""Stored stories and search hits turned into the view objects the Block Kit builders take."""

from __future__ import annotations

from handlers.blocks import ShareView, StoryView
from storage.articles import ArticleRecord, ShareRecord
from storage.search import SearchHit


def story_from_article(article: ArticleRecord, *, reason: str | None = None) -> StoryView:
    return StoryView(
        article_id=article.id,
        headline=article.headline,
        url=article.url,
        outlet=article.outlet,
        byline=article.byline,
        published_at=article.published_at,
        summary=article.summary,
        topics=article.topics,
        status=article.status,
        desk=article.section,
        reason=reason,
        credit=article.credit,
        text_extracted=article.text_extracted,
    )


def story_from_hit(hit: SearchHit) -> StoryView:
    return StoryView(
        article_id=hit.article_id,
        headline=hit.headline,
        url=hit.url,
        outlet=hit.outlet,
        byline=hit.byline,
        published_at=hit.published_at,
        summary=hit.summary,
        topics=hit.topics,
        status=hit.status,
        snippet=hit.snippet or None,
        reason=hit.why or None,
    )


def share_view(share: ShareRecord | None) -> ShareView | None:
    if share is None:
        return None
    return ShareView(
        user_id=share.user_id,
        channel_id=share.channel_id,
        source=share.source,
        shared_at=share.shared_at,
    )
