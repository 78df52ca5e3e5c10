"""Pure pieces of Home, card buttons and unfurls: builders and payload parsing, no Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient

from handlers.block_kit import VIEW_BLOCK_LIMIT
from handlers.buttons import (
    MORE_LIKE_ACTION,
    PUBLISH_ACTION,
    SUBSCRIBE_ACTION,
    ButtonRefused,
    card_actions,
    parse_article_id,
)
from handlers.conversations import PublicChannels
from handlers.home import build_home_view
from handlers.unfurls import is_own_link, normalize_domains, own_links, request_from_event
from standin.blockkit import find_view_problems
from standin.slack import SlackStandin
from storage.articles import ArticleRecord
from storage.feeds import FeedHealth
from storage.overview import ChannelSubscriptions, FollowedTarget, HomeOverview

NOW = datetime(2025, 1, 8, 12, 0, tzinfo=UTC)


def record(
    article_id: int = 7,
    *,
    headline: str = "Grain crossing to reopen",
    status: str = "draft",
    is_public: bool = True,
    topics: tuple[str, ...] = ("Ukraine", "Poland"),
    url: str | None = "https://news.example.org/grain",
) -> ArticleRecord:
    return ArticleRecord(
        id=article_id,
        canonical_url=url,
        original_url=url,
        headline=headline,
        standfirst=None,
        byline="Ana Lima",
        outlet="The Harbour Gazette",
        section=None,
        language="en",
        published_at=NOW - timedelta(days=2),
        status=status,
        body="Body.",
        summary="Summary.",
        topics=topics,
        image_url=None,
        version=1,
        is_public=is_public,
        first_seen_at=NOW,
        updated_at=NOW,
    )


def feed(
    feed_id: int, *, failures: int = 0, polled: bool = True, title: str = "Wire"
) -> FeedHealth:
    return FeedHealth(
        id=feed_id,
        url=f"https://feeds.example.org/{feed_id}.xml",
        title=title,
        added_by=None,
        poll_interval_seconds=900,
        last_success_at=NOW - timedelta(minutes=20) if polled else None,
        last_error="HTTP 503" if failures else None,
        last_error_at=NOW - timedelta(minutes=5) if failures else None,
        consecutive_failures=failures,
        next_poll_at=NOW,
        entries_seen=3,
        initialised=polled,
    )


def overview(stories: int = 3, channels: int = 2, feeds: int = 2, failing: int = 1) -> HomeOverview:
    return HomeOverview(
        stories=tuple(record(n, headline=f"Story {n}") for n in range(1, stories + 1)),
        public_story_count=stories,
        channels=tuple(
            ChannelSubscriptions(
                f"C{n:08d}", (FollowedTarget("topic", "Ukraine"), FollowedTarget("all", "all"))
            )
            for n in range(channels)
        ),
        feeds=tuple(feed(n, failures=2 if n <= failing else 0) for n in range(1, feeds + 1)),
    )


def text_of(view: dict[str, object]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def test_home_lists_stories_subscriptions_and_feed_health() -> None:
    view = build_home_view(overview(), now=NOW)
    assert find_view_problems(view, kinds=frozenset({"home"})) == []
    text = text_of(view)
    assert "<https://news.example.org/grain|Story 1>" in text
    assert "The Harbour Gazette · 6 Jan · Draft" in text
    assert "<#C00000000>: *Ukraine*, every published story" in text
    assert ":warning: <https://feeds.example.org/1.xml|Wire> — failing (2 failures in a row" in text
    assert "HTTP 503" in text
    assert ":white_check_mark: <https://feeds.example.org/2.xml|Wire> — ok, read 20 min ago" in text
    assert "The archive holds 3 public stories · updated 12:00" in text


def test_failing_feeds_come_first_and_unpolled_feeds_wait() -> None:
    feeds = (feed(1), feed(2, failures=3), feed(3, polled=False))
    view = build_home_view(
        HomeOverview(stories=(), public_story_count=0, channels=(), feeds=feeds), now=NOW
    )
    text = text_of(view)
    assert text.index("2.xml") < text.index("1.xml")
    assert "3.xml|Wire> — waiting for its first poll" in text
    assert "3 feeds, 1 failing" in text


def test_empty_home_says_how_to_start() -> None:
    view = build_home_view(
        HomeOverview(stories=(), public_story_count=0, channels=(), feeds=()), now=NOW
    )
    assert find_view_problems(view, kinds=frozenset({"home"})) == []
    text = text_of(view)
    assert "Nothing in the archive yet" in text
    assert "/news subscribe #channel Ukraine" in text
    assert "/news feed add <url>" in text.replace("&lt;", "<").replace("&gt;", ">")


@pytest.mark.parametrize(
    ("stories", "channels", "feeds"), [(50, 500, 500), (0, 500, 0), (10, 0, 500)]
)
def test_home_stays_within_one_hundred_blocks(stories: int, channels: int, feeds: int) -> None:
    view = build_home_view(overview(stories, channels, feeds, failing=feeds // 2), now=NOW)
    blocks = view["blocks"]
    assert isinstance(blocks, list)
    assert len(blocks) <= VIEW_BLOCK_LIMIT
    assert find_view_problems(view, kinds=frozenset({"home"})) == []
    text = text_of(view)
    if channels:
        assert "more channels" in text
    if feeds:
        assert "more feeds" in text


def test_untrusted_text_on_home_cannot_ping_or_link() -> None:
    story = record(headline="<!channel> Breaking <https://evil.example|click>")
    hostile = HomeOverview(
        stories=(story,),
        public_story_count=1,
        channels=(ChannelSubscriptions("not-an-id", (FollowedTarget("desk", "<@U123> *bold*"),)),),
        feeds=(feed(1, failures=1, title="<!here> feed"),),
    )
    text = text_of(build_home_view(hostile, now=NOW))
    assert "<!channel>" not in text
    assert "<!here>" not in text
    assert "<https://evil.example" not in text
    assert "<@U123>" not in text
    assert "not-an-id: desk: *&lt;@U123&gt; bold*" in text


def test_card_actions_depend_on_status_privacy_and_topics() -> None:
    draft = [a.action_id for a in card_actions(record())]
    assert draft == [PUBLISH_ACTION, SUBSCRIBE_ACTION, MORE_LIKE_ACTION]
    published = [a.action_id for a in card_actions(record(status="published"))]
    assert published == [SUBSCRIBE_ACTION, MORE_LIKE_ACTION]
    private = [a.action_id for a in card_actions(record(is_public=False))]
    assert PUBLISH_ACTION not in private
    assert [a.action_id for a in card_actions(record(topics=()))] == [PUBLISH_ACTION]
    subscribe = card_actions(record(topics=("  Russia   sanctions ",)))[1]
    assert subscribe.value == "Russia sanctions"
    assert subscribe.text == "Subscribe this channel to Russia sanctions"


@pytest.mark.parametrize("value", ["", "abc", "0", "-1", "1.5", " 12x", "2147483648", "1" * 40])
def test_crafted_article_ids_are_refused(value: str) -> None:
    with pytest.raises(ButtonRefused):
        parse_article_id(value)


def test_article_ids_read_plain_numbers() -> None:
    assert parse_article_id(" 42 ") == 42
    assert parse_article_id("2147483647") == 2147483647


def test_own_links_keep_only_the_newsrooms_domains() -> None:
    domains = normalize_domains(["News.Example.org", ".gazette.example", " "])
    assert domains == {"news.example.org", "gazette.example"}
    assert is_own_link("https://news.example.org/a", domains)
    assert is_own_link("https://www.gazette.example/a", domains)
    assert not is_own_link("https://evilnews.example.org.attacker.test/a", domains)
    assert not is_own_link("https://notgazette.example/a", domains)
    assert not is_own_link("ftp://news.example.org/a", domains)
    assert not is_own_link("https://[bad/a", domains)
    links = [
        {"domain": "news.example.org", "url": "https://news.example.org/a"},
        {"domain": "news.example.org", "url": "https://news.example.org/a"},
        {"domain": "other.example", "url": "https://other.example/b"},
        "not a mapping",
    ]
    assert own_links(links, domains) == ["https://news.example.org/a"]  # type: ignore[arg-type]


def test_link_shared_event_becomes_an_unfurl_request() -> None:
    event = {
        "type": "link_shared",
        "channel": "C1",
        "user": "U1",
        "message_ts": "1.2",
        "unfurl_id": "abc",
        "source": "conversations_history",
        "links": [{"domain": "news.example.org", "url": "https://news.example.org/a"}],
    }
    request = request_from_event(event, {"news.example.org"})
    assert request is not None
    assert request.links == ("https://news.example.org/a",)
    assert (request.channel_id, request.message_ts, request.unfurl_id) == ("C1", "1.2", "abc")
    assert request_from_event(event, {"other.example"}) is None
    assert request_from_event({**event, "channel": None}, {"news.example.org"}) is None


def test_public_channels_are_confirmed_by_slack_once_and_fail_closed() -> None:
    with SlackStandin() as slack:
        world = slack.add_channel("world")
        secret = slack.add_channel("secret", is_private=True)
        client = WebClient(token=slack.bot_token, base_url=slack.api_url)
        clock = [0.0]
        channels = PublicChannels(client, ttl=60, clock=lambda: clock[0])
        assert channels.is_public(world)
        assert not channels.is_public(secret)
        assert not channels.is_public("C0NOTTHERE")  # Slack cannot confirm it: not public
        assert channels.is_public(world)
        asked = [call.arguments.get("channel") for call in slack.calls("conversations.info")]
        assert asked.count(world) == 1
        clock[0] = 61.0  # remembered answers go stale: asked again
        assert channels.is_public(world)
        asked = [call.arguments.get("channel") for call in slack.calls("conversations.info")]
        assert asked.count(world) == 2
