"""Publish alerts end to end: the outbox, the delivery worker and the local Slack stand-in,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.local import LocalDeployment
from bot.settings import Settings
from handlers.alerts import ALERT_EVENT_TYPE
from news.articles import ArticleDraft
from storage.articles import NewShare
from storage.ingest import IngestResult, StoryOverrides
from storage.models import Delivery, utc_now
from storage.publishing import (
    PublishResult,
    publish_article,
    record_story_change,
    retry_dead_deliveries,
    unpublish_article,
)
from storage.services import Services
from storage.subscriptions import set_alert_budget, set_digest_time, subscribe

BODY = (
    "Ukraine and Poland agreed on Monday to reopen the Dorohusk rail crossing to grain "
    "freight from next month, ending a dispute that had left thousands of wagons idle.\n\n"
    "Officials in Kyiv said the talks would continue next week in Warsaw."
)


@pytest.fixture
def local(database_url: str) -> Iterator[LocalDeployment]:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        alerts_per_hour=None,
        delivery_threads=2,
        delivery_max_attempts=3,
        delivery_retry_max_seconds=1,
        delivery_call_timeout=2,
        delivery_lease_seconds=10,
    )
    with LocalDeployment(settings) as deployment:
        yield deployment


def services_of(local: LocalDeployment) -> Services:
    assert local.services is not None
    return local.services


def store_story(
    local: LocalDeployment,
    slug: str,
    headline: str,
    *,
    topics: tuple[str, ...] = ("Ukraine",),
    private: bool = False,
) -> IngestResult:
    share = (
        NewShare(source="slack", channel_id="D0PRIVATE", is_private=True)
        if private
        else NewShare(source="cli")
    )
    draft = ArticleDraft(
        body=BODY,
        url=f"https://news.example.com/{slug}",
        headline=headline,
        byline="Ana Lima",
        outlet="The Harbour Gazette",
    )
    return services_of(local).ingest.store(draft, share, overrides=StoryOverrides(topics=topics))


def follow(local: LocalDeployment, channel_id: str, kind: str, value: str) -> None:
    services = services_of(local)
    with services.session_factory.begin() as session:
        subscribe(
            channel_id,
            kind,
            value,
            created_by="U0EDITOR",
            aliases=services.aliases,
            session=session,
        )


def publish(local: LocalDeployment, article_id: int) -> PublishResult:
    services = services_of(local)
    with services.session_factory.begin() as session:
        result = publish_article(article_id, session=session, aliases=services.aliases)
    services.notify_work()
    return result


def deliveries(local: LocalDeployment) -> list[Delivery]:
    with services_of(local).session_factory() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def alert_keys(message: dict[str, Any]) -> str | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != ALERT_EVENT_TYPE:
        return None
    return str(metadata["event_payload"]["key"])


def test_published_story_alerts_each_following_channel_once(local: LocalDeployment) -> None:
    slack = local.slack
    world = slack.add_channel("world")
    europe = slack.add_channel("europe")
    sport = slack.add_channel("sport")
    follow(local, world, "topic", "Ukraine")
    follow(local, world, "author", "Ana Lima")  # a second match: still one alert
    follow(local, europe, "author", "Ana Lima")
    follow(local, sport, "topic", "Football")
    story = store_story(local, "grain", "Grain crossing to reopen")

    result = publish(local, story.article.id)
    assert result.channels == tuple(sorted([world, europe]))
    assert local.wait_until_idle()

    [alert] = slack.messages(world)
    blocks = alert["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "Grain crossing to reopen"
    text = json.dumps(blocks)
    assert "Dorohusk" in text  # the summary
    assert "Why: You follow *Ukraine*" in text
    [button] = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert button["text"]["text"] == "Read story"
    assert button["url"] == "https://news.example.com/grain"
    [row] = [d for d in deliveries(local) if d.channel_id == world]
    assert alert["metadata"]["event_type"] == ALERT_EVENT_TYPE
    assert alert["metadata"]["event_payload"]["key"] == str(row.id)
    assert row.state == "sent"
    assert row.message_ts == alert["ts"]
    [europe_alert] = slack.messages(europe)
    assert "You follow *Ana Lima*" in json.dumps(europe_alert["blocks"])
    assert slack.messages(sport) == []

    again = publish(local, story.article.id)
    assert again.new_deliveries == 0
    assert local.wait_until_idle()
    assert len(slack.messages(world)) == 1
    assert len(slack.calls("chat.postMessage")) == 2


def test_a_private_story_is_never_alerted(local: LocalDeployment) -> None:
    world = local.slack.add_channel("world")
    follow(local, world, "all", "all")
    story = store_story(local, "secret", "Leaked memo", private=True)

    result = publish(local, story.article.id)

    assert result.skipped_reason is not None
    assert result.new_deliveries == 0
    assert local.wait_until_idle()
    assert deliveries(local) == []
    assert local.slack.messages(world) == []


def test_changes_go_into_the_alert_thread(local: LocalDeployment) -> None:
    slack = local.slack
    world = slack.add_channel("world")
    follow(local, world, "topic", "Ukraine")
    story = store_story(local, "grain", "Grain crossing to reopen")
    publish(local, story.article.id)
    assert local.wait_until_idle()
    [alert] = slack.messages(world)

    changed = store_story(local, "grain", "Grain crossing reopens early")
    assert "headline" in changed.changes
    services = services_of(local)
    with services.session_factory.begin() as session:
        change = record_story_change(
            story.article.id,
            changes=changed.changes,
            previous_headline="Grain crossing to reopen",
            note="An earlier version misnamed the crossing.",
            session=session,
        )
    services.notify_work()
    assert change.queued_channels == (world,)
    assert local.wait_until_idle()

    assert [m["ts"] for m in slack.messages(world)] == [alert["ts"]]  # no new top-level post
    [reply] = slack.replies(world, alert["ts"])
    text = json.dumps(reply["blocks"], ensure_ascii=False)
    assert "Headline changed: Grain crossing to reopen → Grain crossing reopens early" in text
    assert "Correction appended: An earlier version misnamed the crossing." in text
    assert alert_keys(reply) is not None


def test_unpublishing_edits_the_alert(local: LocalDeployment) -> None:
    slack = local.slack
    world = slack.add_channel("world")
    follow(local, world, "topic", "Ukraine")
    story = store_story(local, "grain", "Grain crossing to reopen")
    publish(local, story.article.id)
    assert local.wait_until_idle()

    services = services_of(local)
    with services.session_factory.begin() as session:
        result = unpublish_article(story.article.id, session=session)
    services.notify_work()
    assert result.edited_channels == (world,)
    assert local.wait_until_idle()

    [alert] = slack.messages(world)
    assert "was unpublished" in json.dumps(alert["blocks"])
    assert "edited" in alert
    assert alert_keys(alert) is not None  # still recognisable as the original alert
    assert len(slack.calls("chat.postMessage")) == 1
    assert slack.replies(world, alert["ts"]) == []


def test_alerts_over_the_budget_roll_into_one_digest(local: LocalDeployment) -> None:
    slack = local.slack
    world = slack.add_channel("world")
    follow(local, world, "topic", "Ukraine")
    services = services_of(local)
    with services.session_factory.begin() as session:
        set_alert_budget(world, 1, session=session)
    first = store_story(local, "one", "First story")
    publish(local, first.article.id)
    assert local.wait_until_idle()
    later = [store_story(local, f"s{n}", f"Later story {n}") for n in (2, 3)]
    for story in later:
        publish(local, story.article.id)
    assert local.wait_until_idle()
    assert len(slack.messages(world)) == 1
    assert {d.state for d in deliveries(local) if d.article_id != first.article.id} == {"digested"}

    # The hour of the budget window passes: the worker rolls the waiting alerts up.
    services.clock = lambda: utc_now() + timedelta(minutes=61)
    services.notify_work()
    assert local.wait_until_idle()

    messages = slack.messages(world)
    assert len(messages) == 2
    digest = json.dumps(messages[1]["blocks"])
    assert "2 more stories from the past hour" in digest
    assert "Later story 2" in digest
    assert "Later story 3" in digest
    assert alert_keys(messages[1]) is not None


def test_rate_limit_waits_retry_after_without_using_an_attempt(local: LocalDeployment) -> None:
    slack = local.slack
    world = slack.add_channel("world")
    follow(local, world, "topic", "Ukraine")
    slack.inject_fault("chat.postMessage", kind="rate_limited", times=1, retry_after=30)
    story = store_story(local, "grain", "Grain crossing to reopen")
    publish(local, story.article.id)

    def rescheduled() -> Delivery | None:
        [row] = deliveries(local)
        return row if row.state == "pending" and row.last_error else None

    row = slack.wait_for(rescheduled, timeout=10)
    assert row is not None
    assert row.attempts == 0
    assert "rate limited" in (row.last_error or "")
    assert row.next_attempt_at >= utc_now() + timedelta(seconds=25)
    assert [c.status for c in slack.calls("chat.postMessage")] == [429]
    assert slack.messages(world) == []


def test_rate_limited_alert_goes_out_after_the_wait(local: LocalDeployment) -> None:
    slack = local.slack
    world = slack.add_channel("world")
    follow(local, world, "topic", "Ukraine")
    slack.inject_fault("chat.postMessage", kind="rate_limited", times=1, retry_after=1)
    story = store_story(local, "grain", "Grain crossing to reopen")
    publish(local, story.article.id)

    assert local.wait_until_idle()
    [row] = deliveries(local)
    assert row.state == "sent"
    assert row.attempts == 1
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 200]
    assert len(slack.messages(world)) == 1


def test_lost_answer_is_found_by_metadata_not_posted_twice(local: LocalDeployment) -> None:
    slack = local.slack
    world = slack.add_channel("world")
    follow(local, world, "topic", "Ukraine")
    slack.inject_fault("chat.postMessage", kind="timeout", times=1, delay=0.2)
    story = store_story(local, "grain", "Grain crossing to reopen")
    publish(local, story.article.id)

    assert local.wait_until_idle()
    [alert] = slack.messages(world)
    [row] = deliveries(local)
    assert row.state == "sent"
    assert row.message_ts == alert["ts"]
    assert len(slack.calls("chat.postMessage")) == 1
    [lookup] = slack.calls("conversations.history")
    assert lookup.arguments["include_all_metadata"] in ("1", "true", True)


def test_server_errors_are_retried_then_dead_and_retry_revives(local: LocalDeployment) -> None:
    slack = local.slack
    world = slack.add_channel("world")
    follow(local, world, "topic", "Ukraine")
    slack.inject_fault("chat.postMessage", kind="server_error", times=2)
    first = store_story(local, "one", "First story")
    publish(local, first.article.id)
    assert local.wait_until_idle()
    [row] = deliveries(local)
    assert row.state == "sent"
    assert row.attempts == 3
    assert len(slack.messages(world)) == 1

    slack.inject_fault("chat.postMessage", kind="server_error")  # every call from now on
    second = store_story(local, "two", "Second story")
    publish(local, second.article.id)
    assert local.wait_until_idle()
    dead = deliveries(local)[1]
    assert dead.state == "dead"
    assert dead.attempts == 3
    assert dead.last_error == "Slack answered 500 fatal_error"

    slack.clear_faults()
    services = services_of(local)
    with services.session_factory.begin() as session:
        assert retry_dead_deliveries(session=session) == 1
    services.notify_work()
    assert local.wait_until_idle()
    assert deliveries(local)[1].state == "sent"
    assert len(slack.messages(world)) == 2


def test_a_refused_message_is_dead_at_once(local: LocalDeployment) -> None:
    slack = local.slack
    follow(local, "C0GONE", "topic", "Ukraine")  # a channel that does not exist
    story = store_story(local, "grain", "Grain crossing to reopen")
    publish(local, story.article.id)
    assert local.wait_until_idle()
    [row] = deliveries(local)
    assert row.state == "dead"
    assert row.attempts == 1
    assert row.last_error == "Slack refused the message: channel_not_found"
    assert len(slack.calls("chat.postMessage")) == 1


def test_daily_briefing_lists_the_days_alerts_by_topic_once(local: LocalDeployment) -> None:
    slack = local.slack
    world = slack.add_channel("world")
    follow(local, world, "topic", "Ukraine")
    for slug, headline in (("one", "First story"), ("two", "Second story")):
        publish(local, store_story(local, slug, headline).article.id)
    assert local.wait_until_idle()
    services = services_of(local)
    now = utc_now()
    with services.session_factory.begin() as session:
        set_digest_time(world, (now - timedelta(minutes=1)).strftime("%H:%M"), session=session)

    # A day later, just after the channel's digest time.
    services.clock = lambda: utc_now() + timedelta(days=1)
    services.notify_work()
    briefing = slack.wait_for(lambda: slack.messages(world)[2:], timeout=10)
    assert local.wait_until_idle()

    assert len(slack.messages(world)) == 3
    header = briefing[0]["blocks"][0]["text"]["text"]
    assert header.endswith("briefing: 2 stories since yesterday, by topic")
    text = json.dumps(briefing[0]["blocks"])
    assert "*Ukraine*" in text  # grouped under the topic
    assert "First story" in text
    assert "Second story" in text
    assert alert_keys(briefing[0]) is not None


def test_cli_publishes_once_and_revives_dead_deliveries(
    local: LocalDeployment, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("DATABASE_URL", database_url)
    slack = local.slack
    world = slack.add_channel("world")
    follow(local, world, "topic", "Ukraine")
    follow(local, "C0GONE", "topic", "Ukraine")
    story = store_story(local, "grain", "Grain crossing to reopen")
    runner = CliRunner()

    first = runner.invoke(cli, ["publish", f"#{story.article.id}"])
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        f"published #{story.article.id}  Grain crossing to reopen",
        f"2 new alerts queued: {', '.join(sorted([world, 'C0GONE']))}",
    ]
    again = runner.invoke(cli, ["publish", "https://news.example.com/grain"])
    assert again.output.splitlines()[1] == "0 new alerts queued"
    assert local.wait_until_idle()
    assert len(slack.messages(world)) == 1

    status = runner.invoke(cli, ["deliveries", "status"])
    lines = status.output.splitlines()
    assert "sent       1" in lines
    assert "dead       1" in lines
    assert any(line.endswith("channel_not_found") and "C0GONE" in line for line in lines)
    retried = runner.invoke(cli, ["deliveries", "retry", "--channel", "C0GONE"])
    assert retried.output.strip() == "1 dead deliveries queued again"

    missing = runner.invoke(cli, ["publish", "999"])
    assert missing.exit_code == 1
    assert "no story 999 in the archive" in missing.output
    private = store_story(local, "memo", "Leaked memo", private=True)
    refused = runner.invoke(cli, ["publish", str(private.article.id)])
    assert refused.exit_code == 1
    assert "only shared in private conversations" in refused.output
