"""What App Home shows: the newest public stories, channel subscriptions and feed health.

Read-only queries; the caller owns the session. Stories known only from a private
conversation never appear here: Home is seen outside every channel.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.articles import ArticleRecord, to_article_record
from storage.feeds import FeedHealth, list_feeds
from storage.models import Article, Subscription
from storage.subscriptions import list_subscriptions

HOME_STORIES = 8


@dataclass(frozen=True)
class FollowedTarget:
    """One subscription of a channel, as it reads: kind and the name the editor typed."""

    kind: str
    value: str


@dataclass(frozen=True)
class ChannelSubscriptions:
    """Everything one channel follows, in the order it was subscribed."""

    channel_id: str
    targets: tuple[FollowedTarget, ...]


@dataclass(frozen=True)
class HomeOverview:
    """The newsroom at a glance, for one person's App Home."""

    stories: tuple[ArticleRecord, ...]
    public_story_count: int
    channels: tuple[ChannelSubscriptions, ...]
    feeds: tuple[FeedHealth, ...]


def list_latest_public_stories(
    *, session: Session, limit: int = HOME_STORIES
) -> list[ArticleRecord]:
    """The newest public stories (by publication time, else first sighting), newest first."""
    statement = (
        select(Article)
        .where(Article.is_public.is_(True))
        .order_by(Article.sort_at.desc(), Article.id.desc())
        .limit(max(limit, 0))
    )
    return [to_article_record(article) for article in session.scalars(statement)]


def count_public_stories(*, session: Session) -> int:
    statement = select(func.count()).select_from(Article).where(Article.is_public.is_(True))
    return int(session.scalar(statement) or 0)


def group_subscriptions(subscriptions: list[Subscription]) -> list[ChannelSubscriptions]:
    """Subscriptions grouped by channel, channels in id order, each in subscription order."""
    grouped: dict[str, list[FollowedTarget]] = {}
    for subscription in sorted(subscriptions, key=lambda s: (s.channel_id, s.id)):
        grouped.setdefault(subscription.channel_id, []).append(
            FollowedTarget(kind=subscription.kind, value=subscription.value)
        )
    return [
        ChannelSubscriptions(channel_id=channel_id, targets=tuple(targets))
        for channel_id, targets in grouped.items()
    ]


def load_home_overview(*, session: Session, story_limit: int = HOME_STORIES) -> HomeOverview:
    """Latest public stories, every channel's subscriptions and every feed's health."""
    return HomeOverview(
        stories=tuple(list_latest_public_stories(session=session, limit=story_limit)),
        public_story_count=count_public_stories(session=session),
        channels=tuple(group_subscriptions(list_subscriptions(session=session))),
        feeds=tuple(list_feeds(session=session)),
    )
