"""The App Home tab: latest public stories, channel subscriptions, feed health, quick actions.

Opening the tab (or pressing "Refresh") queues a durable ``publish_home`` job, so the
event is acked at once; the worker builds the view with ``build_home_view`` (a pure
function) and publishes it with ``views.publish``. Home stays within Slack's 100 blocks.
Home is the same for everyone, so it lists only public channels' subscriptions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.block_kit import VIEW_BLOCK_LIMIT, button, context, header, section
from handlers.conversations import PublicChannels
from handlers.mrkdwn import (
    clean_text,
    collapse_whitespace,
    escape_mrkdwn,
    link,
    truncate_words,
)
from handlers.slack_services import SlackServices
from handlers.submit import build_submit_modal
from news.dates import describe_relative, format_day
from storage.feeds import FeedHealth
from storage.overview import ChannelSubscriptions, FollowedTarget, HomeOverview, load_home_overview
from storage.queue import ClaimedJob, JobKind, JobRunner, remember_event
from storage.services import Services

PUBLISH_HOME = "publish_home"
SUBMIT_STORY_ACTION = "home_submit_story"
REFRESH_HOME_ACTION = "home_refresh"

HOME_STORIES_SHOWN = 10
HOME_CHANNELS_SHOWN = 30
HOME_FEEDS_SHOWN = 30

_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,63}")
_HEADLINE_LIMIT = 250
_PART_LIMIT = 120
_ERROR_LIMIT = 300
_TARGET_LIMIT = 80
_KIND_LABELS = {"desk": "desk", "outlet": "outlet", "author": "author"}


# -- the view ----------------------------------------------------------------------------


def build_home_view(overview: HomeOverview, *, now: datetime) -> dict[str, Any]:
    """The Home tab for ``overview``; ``now`` (aware, in the newsroom's zone) dates things."""
    stories = _plural(overview.public_story_count, "public story", "public stories")
    blocks: list[dict[str, Any]] = [
        header("newsdesk"),
        context(f"The archive holds {stories} · updated {now:%H:%M}", verbatim=False),
        {
            "type": "actions",
            "elements": [
                button(SUBMIT_STORY_ACTION, "Submit a story", "submit", style="primary"),
                button(REFRESH_HOME_ACTION, "Refresh", "refresh"),
            ],
        },
    ]
    blocks += _stories_part(overview, now=now)
    # Feeds are few and short; channels get what the feeds leave (each part ends in "and N more").
    feeds = _feeds_part(overview.feeds, now=now, room=HOME_FEEDS_SHOWN)
    room = VIEW_BLOCK_LIMIT - len(blocks) - len(feeds)
    blocks += _channels_part(overview.channels, room=room)
    blocks += feeds
    return {"type": "home", "callback_id": "newsdesk_home", "blocks": blocks}


def _stories_part(overview: HomeOverview, *, now: datetime) -> list[dict[str, Any]]:
    part: list[dict[str, Any]] = [{"type": "divider"}, header("Latest stories")]
    if not overview.stories:
        part.append(
            context(
                "Nothing in the archive yet: share a link in a channel I am in.", verbatim=False
            )
        )
        return part
    for story in overview.stories[:HOME_STORIES_SHOWN]:
        title = collapse_whitespace(clean_text(story.headline)) or "Untitled story"
        lines = [f"*{link(story.url, title, label_limit=_HEADLINE_LIMIT)}*"]
        meta = [_fit(story.outlet, _PART_LIMIT)]
        if story.published_at is not None:
            meta.append(format_day(story.published_at, now=now))
        meta.append("Published" if story.status == "published" else "Draft")
        lines.append(" · ".join(part for part in meta if part))
        part.append(section("\n".join(lines)))
    return part


def _channels_part(channels: Sequence[ChannelSubscriptions], *, room: int) -> list[dict[str, Any]]:
    part: list[dict[str, Any]] = [{"type": "divider"}, header("Channel subscriptions")]
    if not channels:
        part.append(
            context(
                "No channel follows anything yet: `/news subscribe #channel Ukraine`.",
                verbatim=False,
            )
        )
        return part
    part.append(context("What each channel follows; alerts go to the channel.", verbatim=False))
    shown = channels[: max(0, min(HOME_CHANNELS_SHOWN, room - len(part) - 1))]
    for channel in shown:
        targets = ", ".join(_describe_target(target) for target in channel.targets)
        part.append(section(f"{_channel_mention(channel.channel_id)}: {targets}"))
    if len(channels) > len(shown):
        part.append(
            context(f"and {_plural(len(channels) - len(shown), 'more channel')}", verbatim=False)
        )
    return part


def _feeds_part(feeds: Sequence[FeedHealth], *, now: datetime, room: int) -> list[dict[str, Any]]:
    part: list[dict[str, Any]] = [{"type": "divider"}, header("Feeds")]
    if not feeds:
        part.append(context("No feeds yet: `/news feed add <url>`.", verbatim=False))
        return part
    failing = sum(1 for feed in feeds if not feed.healthy)
    part.append(context(f"{_plural(len(feeds), 'feed')}, {failing} failing", verbatim=False))
    # Failing feeds first: they are the ones that need someone.
    ordered = sorted(feeds, key=lambda feed: (feed.healthy, feed.id))
    shown = ordered[: max(0, room - len(part) - 1)]
    for feed in shown:
        part.append(section(_describe_feed(feed, now=now)))
    if len(feeds) > len(shown):
        part.append(context(f"and {_plural(len(feeds) - len(shown), 'more feed')}", verbatim=False))
    return part


def _describe_feed(feed: FeedHealth, *, now: datetime) -> str:
    name = collapse_whitespace(clean_text(feed.title or "")) or feed.url
    label = link(feed.url, name, label_limit=_PART_LIMIT)
    if not feed.healthy:
        since = describe_relative(feed.last_error_at, now=now) if feed.last_error_at else ""
        error = _fit(feed.last_error, _ERROR_LIMIT) or "unknown error"
        failures = _plural(feed.consecutive_failures, "failure")
        return f":warning: {label} — failing ({failures} in a row, last {since}): {error}"
    if feed.last_success_at is None:
        return f":hourglass: {label} — waiting for its first poll"
    return (
        f":white_check_mark: {label} — ok, read {describe_relative(feed.last_success_at, now=now)}"
    )


def _describe_target(target: FollowedTarget) -> str:
    if target.kind == "all":
        return "every published story"
    name = _fit(target.value, _TARGET_LIMIT) or "?"
    kind = _KIND_LABELS.get(target.kind)
    return f"{kind}: *{name}*" if kind else f"*{name}*"


def _channel_mention(channel_id: str) -> str:
    if _CHANNEL_ID.fullmatch(channel_id):
        return f"<#{channel_id}>"
    return _fit(channel_id, _PART_LIMIT) or "a channel"


def _fit(text: str | None, limit: int) -> str:
    if not text:
        return ""
    cleaned = collapse_whitespace(clean_text(text)).replace("*", "")
    return truncate_words(escape_mrkdwn(cleaned[: limit + 1]), limit)


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"


# -- queueing and publishing -------------------------------------------------------------


@dataclass(frozen=True)
class HomeFor:
    """A ``publish_home`` job: publish App Home for this person."""

    user_id: str


PUBLISH_HOME_JOB = JobKind(PUBLISH_HOME, HomeFor)


def queue_home_publish(
    user_id: str, *, session: Session, event_id: str | None = None, request_key: str | None = None
) -> bool:
    """Queue a ``publish_home`` job for ``user_id``; False for a repeated event or request."""
    if event_id is not None and not remember_event(event_id, session=session):
        return False
    key = event_id or request_key
    dedupe_key = f"{PUBLISH_HOME}:{user_id}:{key}" if key else None
    return PUBLISH_HOME_JOB.enqueue(HomeFor(user_id), session=session, dedupe_key=dedupe_key)


def home_view_for(services: Services, channels: PublicChannels) -> dict[str, Any]:
    """Home as it is now: the same for everyone, so only public channels' subscriptions are
    listed (what a private channel follows stays in that channel: ``/news subscriptions``)."""
    now = services.clock().astimezone(services.timezone)
    with services.session_factory() as session:
        overview = load_home_overview(session=session)
    public = tuple(c for c in overview.channels if channels.is_public(c.channel_id))
    return build_home_view(replace(overview, channels=public), now=now)


def publish_home(
    services: Services, client: WebClient, user_id: str, channels: PublicChannels
) -> None:
    """Build Home and publish it for ``user_id`` (run by the ``publish_home`` job)."""
    client.views_publish(user_id=user_id, view=home_view_for(services, channels))


def job_runners(services: Services, client: WebClient) -> dict[str, JobRunner]:
    """The ``publish_home`` runner (one lookup cache of public channels per process)."""
    channels = PublicChannels(client)

    def run_publish_home(job: ClaimedJob) -> None:
        publish_home(services, client, PUBLISH_HOME_JOB.read(job).user_id, channels)

    return {PUBLISH_HOME: run_publish_home}


def register(app: App, services: SlackServices) -> None:
    @app.event("app_home_opened")
    def queue_home(body: dict[str, Any], event: dict[str, Any]) -> None:
        user_id = event.get("user")
        if event.get("tab") != "home" or not user_id:
            return
        with services.session_factory.begin() as session:
            queued = queue_home_publish(
                str(user_id), session=session, event_id=body.get("event_id")
            )
        if queued:
            services.notify_work()

    @app.action(REFRESH_HOME_ACTION)
    def refresh(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user_id = (body.get("user") or {}).get("id")
        if not user_id:
            return
        request_key = str(body.get("trigger_id") or "") or None
        with services.session_factory.begin() as session:
            queue_home_publish(str(user_id), session=session, request_key=request_key)
        services.notify_work()

    @app.action(SUBMIT_STORY_ACTION)
    def submit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        trigger_id = body.get("trigger_id")
        if trigger_id:
            # The same form as ``/news submit``. Home is in no conversation: the story is
            # shared by the person (public, like the CLI) and the outcome comes as a DM.
            modal = build_submit_modal(channel_id="", is_private=False)
            client.views_open(trigger_id=str(trigger_id), view=modal)
