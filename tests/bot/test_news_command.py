"""``/news`` end to end: signed, form-encoded slash commands and view submissions from the
local Slack stand-in to the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.local import LocalDeployment
from bot.settings import Settings
from handlers.commands import SUBCOMMANDS
from handlers.mrkdwn import escape_mrkdwn
from standin.slack import SlackStandin
from storage.articles import NewShare, count_articles, get_article
from storage.models import Article, Delivery, Feed, Job, Share, Subscription
from storage.queue import enqueue_job
from storage.services import Services
from tests.pageserver import PageServer

FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
EDITOR_ID = "U000000002"  # the first person added after the bot user
PAGE = """<!doctype html><html lang="en"><head><title>{headline}</title>
<link rel="canonical" href="{url}">
<meta property="og:site_name" content="The Harbour Gazette">
<meta name="author" content="Ana Lima">
<meta property="article:published_time" content="2025-01-06T09:30:00Z">
<meta property="article:section" content="World">
</head><body><article><h1>{headline}</h1>
<p>Ukraine and Poland agreed on Monday to reopen the Dorohusk rail crossing to grain freight from
next month, ending a dispute that had left thousands of wagons idle at the border.</p>
<p>Officials in Kyiv said the talks would continue next week, with ministers from both countries
expected to attend a meeting in Warsaw to settle the remaining questions about inspections.</p>
<p>{extra}Farmers on both sides of the border have protested for months, blocking roads and
demanding compensation for losses they blame on imports that reached the domestic market.</p>
</article></body></html>"""
WIRE_COPY = """Harbour authority approves night dredging to clear grain backlog

By Jane Doe

ODESA, Jan 7 (Harbour Wire) - The port authority on Tuesday approved night-time dredging of the
main grain channel, saying the work would clear a backlog of ships waiting to load wheat.

Officials said the dredgers would work from 10 p.m. to 6 a.m. for three weeks, and that shipping
would continue during the day under the supervision of harbour pilots.

Traders welcomed the decision, which follows weeks of delays that pushed up freight rates for
vessels leaving Black Sea ports with grain bound for North Africa and the Middle East.
"""


@dataclass
class Newsroom:
    local: LocalDeployment
    pages: PageServer
    slack: SlackStandin
    services: Services
    editor: str
    reporter: str
    world: str
    desk: str

    def run(self, user: str, channel: str, text: str) -> str:
        """Run ``/news text``; the ephemeral reply's text and blocks as one string."""
        before = len(self.slack.ephemeral(user))
        delivery = self.slack.slash_command(user, channel, "/news", text)
        assert delivery.status == 200, delivery.body
        shown = self.slack.ephemeral(user)
        if len(shown) == before:
            return ""
        reply = shown[-1]
        assert reply["channel"] == self.slack.channel_id(channel)
        return reply["text"] + "\n" + json.dumps(reply.get("blocks"), ensure_ascii=False)

    def add_page(self, path: str, headline: str, extra: str = "") -> str:
        url = self.pages.url(path)
        page = PAGE.format(headline=headline, url=url, extra=extra)
        self.pages.add(path, page.encode(), content_type="text/html")
        return url

    def archive(self, url: str, *, channel: str | None = None, private: bool = False) -> int:
        share = NewShare(source="cli")
        if channel is not None:
            share = NewShare(source="slack", channel_id=channel, is_private=private)
        return self.services.ingest.ingest_url(url, share, refetch=True).article.id

    def scalar(self, statement: Any) -> Any:
        with self.services.session_factory() as session:
            return session.scalar(statement)


@pytest.fixture
def newsroom(database_url: str) -> Iterator[Newsroom]:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        fetch_allowed_hosts=["127.0.0.1"],
        fetch_total_timeout=3,
        worker_threads=2,
        editors=[EDITOR_ID],
    )
    with PageServer() as pages, LocalDeployment(settings) as local:
        slack = local.slack
        editor = slack.add_user("eda")
        assert editor == EDITOR_ID
        reporter = slack.add_user("rita")
        members = [editor, reporter, slack.bot_user_id]
        world = slack.add_channel("world", members=members)
        desk = slack.add_channel("desk", members=members)
        assert local.services is not None
        yield Newsroom(local, pages, slack, local.services, editor, reporter, world, desk)


def test_help_lists_every_subcommand_and_unknown_input_gets_help(newsroom: Newsroom) -> None:
    room = newsroom
    for text in ("help", ""):
        reply = room.run(room.reporter, room.world, text)
        for subcommand in SUBCOMMANDS:
            assert escape_mrkdwn(f"/news {subcommand.usage}") in reply
            assert escape_mrkdwn(f"/news {subcommand.example}") in reply
    unknown = room.run(room.reporter, room.world, "frobnicate <!channel> now")
    assert "Unknown subcommand `frobnicate`." in unknown
    assert "/news publish" in unknown
    assert "<!channel>" not in unknown
    assert "Unknown subcommand `feed frob`" in room.run(room.reporter, room.world, "feed frob")
    assert room.slack.messages(room.world) == []  # replies are ephemeral


def test_latest_search_show_and_history(newsroom: Newsroom) -> None:
    room = newsroom
    url = room.add_page("/grain", "Grain crossing to reopen")
    article_id = room.archive(url)
    room.add_page("/grain", "Grain crossing to reopen in March", extra="Updated: ")
    assert room.archive(url) == article_id

    latest = room.run(room.reporter, room.world, "latest Ukraine")
    assert "Grain crossing to reopen in March" in latest
    search = room.run(room.reporter, room.world, "search grain freight")
    assert "Grain crossing to reopen in March" in search
    assert "say what to search for" in room.run(room.reporter, room.world, "search")
    assert "Nothing on" in room.run(room.reporter, room.world, "latest Antarctica")

    for reference in (str(article_id), f"#{article_id}", f"<{url}>"):
        card = room.run(room.reporter, room.world, f"show {reference}")
        assert "Grain crossing to reopen in March" in card
        assert "The Harbour Gazette" in card
    history = room.run(room.reporter, room.world, f"history {article_id}")
    assert "2 versions" in history
    assert "v1" in history
    assert "“Grain crossing to reopen”" in history
    assert "headline" in history
    assert "v2 (current)" in history

    assert "no story 999 in the archive" in room.run(room.reporter, room.world, "show 999")
    assert "neither a story number" in room.run(room.reporter, room.world, "show grain")
    assert "say which story" in room.run(room.reporter, room.world, "history")


def test_private_story_is_not_found_outside_its_channel(newsroom: Newsroom) -> None:
    room = newsroom
    secret = room.slack.add_channel(
        "secret", is_private=True, members=[room.editor, room.slack.bot_user_id]
    )
    article_id = room.archive(
        room.add_page("/scoop", "Embargoed scoop"), channel=secret, private=True
    )
    for text in (f"show {article_id}", f"history {article_id}", f"publish {article_id}"):
        assert f"no story {article_id} in the archive" in room.run(room.editor, room.world, text)
        assert "Embargoed scoop" not in room.run(room.editor, room.world, text)
    assert "Embargoed scoop" in room.run(room.editor, secret, f"show {article_id}")
    published = room.run(room.editor, secret, f"publish {article_id}")
    assert "Not published" in published
    assert "private conversations" in published
    status = room.scalar(select(Article.status).where(Article.id == article_id))
    assert status == "draft"


def test_editor_publishes_unpublishes_and_deletes(newsroom: Newsroom) -> None:
    room = newsroom
    article_id = room.archive(room.add_page("/grain", "Grain crossing to reopen"))
    channel_ref = f"<#{room.world}|world>"
    assert "now follows *Ukraine*" in room.run(
        room.editor, room.desk, f"subscribe {channel_ref} Ukraine"
    )

    published = room.run(room.editor, room.desk, f"publish {article_id}")
    assert (
        f"Published #{article_id} “Grain crossing to reopen” — alerts queued for <#{room.world}>"
        in published
    )
    assert room.local.wait_until_idle()
    alerts = room.slack.messages(room.world)
    assert len(alerts) == 1
    assert "Grain crossing to reopen" in json.dumps(alerts[0]["blocks"])
    again = room.run(room.editor, room.desk, f"publish {article_id}")
    assert "already published; nothing new to send" in again

    unpublished = room.run(room.editor, room.desk, f"unpublish {article_id}")
    assert f"Unpublished #{article_id}" in unpublished
    assert "draft again" in unpublished
    assert "was not published" in room.run(room.editor, room.desk, f"unpublish {article_id}")
    assert room.local.wait_until_idle()

    deleted = room.run(room.editor, room.desk, f"delete {article_id}")
    assert f"Deleted #{article_id} “Grain crossing to reopen”" in deleted
    assert room.scalar(select(func.count()).select_from(Article)) == 0
    assert room.scalar(select(func.count()).select_from(Delivery)) == 0
    assert room.scalar(select(func.count()).select_from(Share)) == 0
    assert f"no story {article_id}" in room.run(room.editor, room.desk, f"delete {article_id}")


def test_delete_removes_pending_alerts_in_the_same_transaction(newsroom: Newsroom) -> None:
    room = newsroom
    article_id = room.archive(room.add_page("/grain", "Grain crossing to reopen"))
    room.run(room.editor, room.world, "subscribe all")
    room.slack.inject_fault("chat.postMessage", kind="server_error")  # alerts stay queued
    room.run(room.editor, room.world, f"publish {article_id}")
    assert room.scalar(select(func.count()).select_from(Delivery)) == 1
    deleted = room.run(room.editor, room.world, f"delete {article_id}")
    assert "1 alert" in deleted
    assert room.scalar(select(func.count()).select_from(Delivery)) == 0
    room.slack.clear_faults()


def test_non_editors_are_refused_every_editors_only_subcommand(newsroom: Newsroom) -> None:
    room = newsroom
    article_id = room.archive(room.add_page("/grain", "Grain crossing to reopen"))
    arguments = {
        "publish": str(article_id),
        "unpublish": str(article_id),
        "delete": str(article_id),
        "subscribe": "Ukraine",
        "unsubscribe": "Ukraine",
        "feed add": "https://example.com/rss",
        "feed remove": "1",
        "retry": "",
    }
    editors_only = [s for s in SUBCOMMANDS if s.editors_only]
    assert {s.name for s in editors_only} == set(arguments)
    for subcommand in editors_only:
        reply = room.run(
            room.reporter, room.world, f"{subcommand.name} {arguments[subcommand.name]}"
        )
        assert f"Only editors can {subcommand.editors_only}: ask <@{EDITOR_ID}>." in reply
    budget = room.run(room.reporter, room.world, "subscribe budget 3")
    assert "Only editors can subscribe channels" in budget
    assert room.scalar(select(Article.status).where(Article.id == article_id)) == "draft"
    assert room.scalar(select(func.count()).select_from(Subscription)) == 0
    assert room.scalar(select(func.count()).select_from(Feed)) == 0
    assert room.scalar(select(func.count()).select_from(Article)) == 1
    # Reporters may still ask and list.
    assert "follows nothing yet" in room.run(room.reporter, room.world, "subscriptions")
    assert "No feeds yet" in room.run(room.reporter, room.world, "feed list")


def test_subscriptions_budget_and_unsubscribe(newsroom: Newsroom) -> None:
    room = newsroom
    ref = f"<#{room.world}|world>"
    assert "now follows the *World* desk" in room.run(
        room.editor, room.desk, f"subscribe {ref} desk:World"
    )
    assert "already follows the *World* desk" in room.run(
        room.editor, room.desk, f"subscribe {ref} desk:world"
    )
    assert "now follows outlet *AT&amp;T News*" in room.run(
        room.editor, room.desk, f"subscribe {ref} outlet:AT&amp;T News"
    )
    assert "now follows *Kyiv*" in room.run(room.editor, room.world, "subscribe Kyiv")
    assert "at most 5 alerts an hour" in room.run(
        room.editor, room.desk, f"subscribe {ref} budget 5"
    )
    assert "not a number of alerts" in room.run(room.editor, room.desk, "subscribe budget lots")
    assert "between 0 and 1000" in room.run(room.editor, room.desk, "subscribe budget 5000")

    listing = room.run(room.reporter, room.desk, f"subscriptions {ref}")
    assert f"<#{room.world}> follows (at most 5 alerts an hour" in listing
    assert "the *World* desk" in listing
    assert "outlet *AT&amp;T News*" in listing
    assert "*Kyiv*" in listing
    assert "follows nothing yet" in room.run(room.reporter, room.desk, "subscriptions")

    missing = room.run(room.editor, room.desk, f"unsubscribe {ref} Brazil")
    assert "does not follow *Brazil*: nothing to unsubscribe" in missing
    assert "no longer follows the *World* desk" in room.run(
        room.editor, room.desk, f"unsubscribe {ref} desk:World"
    )
    assert "pick it from Slack's suggestions" in room.run(
        room.editor, room.desk, "subscribe #nowhere Ukraine"
    )
    assert "unknown kind" in room.run(room.editor, room.desk, "subscribe colour:blue")
    assert "say what to follow" in room.run(room.editor, room.desk, "subscribe")


def test_feeds_add_list_remove(newsroom: Newsroom) -> None:
    room = newsroom
    added = room.run(room.editor, room.world, "feed add <https://example.com/rss?a=1&amp;b=2>")
    assert "Added feed #1 https://example.com/rss?a=1&amp;b=2" in added
    assert "already on the list" in room.run(
        room.editor, room.world, "feed add https://example.com/rss?a=1&amp;b=2"
    )
    assert "not an http(s) link" in room.run(room.editor, room.world, "feed add example")
    assert "not an http(s) link" in room.run(room.editor, room.world, "feed add <ftp://a.b/feed>")
    with room.services.session_factory.begin() as session:
        session.execute(
            update(Feed).values(consecutive_failures=3, last_error="HTTP 503 from the feed")
        )
    listing = room.run(room.reporter, room.world, "feed list")
    assert "1 feed:" in listing
    assert "3 failed polls in a row" in listing
    assert "HTTP 503 from the feed" in listing
    assert "next poll" in listing
    assert "no feed 9" in room.run(room.editor, room.world, "feed remove 9")
    assert "Removed feed #1" in room.run(room.editor, room.world, "feed remove 1")
    assert room.scalar(select(func.count()).select_from(Feed)) == 0


def test_status_and_retry(newsroom: Newsroom) -> None:
    room = newsroom
    room.archive(room.add_page("/grain", "Grain crossing to reopen"))
    asked = room.slack.post_message(room.reporter, room.world, "what about Ukraine?")
    question = {
        "question": "latest on Ukraine",
        "message": {
            "channel_id": room.world,
            "message_ts": asked.ts,
            "user_id": room.reporter,
            "is_private": False,
        },
    }
    with room.services.session_factory.begin() as session:
        enqueue_job("answer_question", question, session=session, run_after=FAR_FUTURE)
        session.execute(update(Job).values(state="dead", last_error="Slack answered 500"))
    status = room.run(room.reporter, room.world, "status")
    assert "*Archive:* 1 story · 1 today (UTC)" in status
    assert "jobs 1 dead" in status
    assert "answer_question" in status
    assert "Slack answered 500" in status
    room.slack.wait_for(
        lambda: "last seen" in room.run(room.reporter, room.world, "status"), timeout=15
    )

    retried = room.run(room.editor, room.world, "retry")
    assert "Back in the queue: 0 alerts and 1 job." in retried
    assert room.local.wait_until_idle()
    assert "Grain crossing to reopen" in json.dumps(room.slack.replies(room.world, asked.ts))
    assert "Nothing to retry" in room.run(room.editor, room.world, "retry")


def open_submit_modal(room: Newsroom, user: str, channel: str) -> dict[str, Any]:
    assert room.run(user, channel, "submit") == ""
    [modal] = room.slack.modals(user)
    assert modal["callback_id"] == "news_submit"
    return modal


def test_reporter_submits_a_link_as_draft(newsroom: Newsroom) -> None:
    room = newsroom
    url = room.add_page("/grain", "Grain crossing to reopen")
    modal = open_submit_modal(room, room.reporter, room.world)
    answer = room.slack.submit_view(
        room.reporter,
        modal["id"],
        {"url": url, "headline": "Rail crossing reopens", "topics": "grain, rail"},
    )
    assert answer.status == 200
    assert answer.json() == {"response_action": "clear"}
    assert room.slack.modals(room.reporter) == []
    assert room.local.wait_until_idle()
    reply = room.slack.ephemeral(room.reporter)[-1]
    assert reply["channel"] == room.world
    assert "Archived #1 “Rail crossing reopens” as a draft." in reply["text"]
    with room.services.session_factory() as session:
        article = get_article(url, session=session)
        assert article.headline == "Rail crossing reopens"
        assert article.status == "draft"
        assert {"grain", "rail"} <= set(article.topics)
        [share] = article.shares
        assert share.user_id == room.reporter
        assert share.channel_id == room.world


def test_editor_submits_copy_and_publishes_it(newsroom: Newsroom) -> None:
    room = newsroom
    room.run(room.editor, room.world, "subscribe desk:Business")
    modal = open_submit_modal(room, room.editor, room.desk)
    answer = room.slack.submit_view(
        room.editor, modal["id"], {"copy": WIRE_COPY, "desk": "Business", "status": "published"}
    )
    assert answer.json() == {"response_action": "clear"}
    assert room.local.wait_until_idle()
    reply = room.slack.ephemeral(room.editor)[-1]
    assert "Harbour authority approves night dredging" in reply["text"]
    assert f"published it — alerts queued for <#{room.world}>" in reply["text"]
    with room.services.session_factory() as session:
        [article] = session.scalars(select(Article)).all()
        assert article.status == "published"
        assert article.section == "Business"
    assert "Harbour authority approves night dredging" in json.dumps(
        room.slack.messages(room.world)
    )


def test_submit_errors_are_shown_in_the_fields(newsroom: Newsroom) -> None:
    room = newsroom
    modal = open_submit_modal(room, room.reporter, room.world)
    cases = [
        ({}, "url", "Give a link"),
        ({"url": "https://example.com/a", "copy": WIRE_COPY}, "copy", "not both"),
        ({"url": "example dot com"}, "url", "Not a link"),
        ({"url": "ftp://example.com/story"}, "url", "Unsupported link"),
        ({"copy": "x" * 40_001}, "copy", "at most 40,000 characters, this has 40,001"),
        (
            {"copy": WIRE_COPY, "status": "published"},
            "status",
            "Only editors can publish stories: ask @eda",
        ),
        ({"copy": WIRE_COPY, "headline": "h" * 301}, "headline", "too long"),
        (
            {"copy": WIRE_COPY, "topics": ",".join(f"t{i}" for i in range(11))},
            "topics",
            "At most 10",
        ),
    ]
    empty = {"url": "", "copy": "", "headline": "", "desk": "", "topics": "", "status": "draft"}
    for values, block_id, message in cases:
        answer = room.slack.submit_view(room.reporter, modal["id"], {**empty, **values})
        assert answer.json()["response_action"] == "errors"
        errors = room.slack.view_errors(modal["id"])
        assert message in errors.get(block_id, ""), (values.keys(), errors)
        assert [view["id"] for view in room.slack.modals(room.reporter)] == [modal["id"]]
    assert room.scalar(select(func.count()).select_from(Job)) == 0


def test_submit_failure_is_told_with_its_reason(newsroom: Newsroom) -> None:
    room = newsroom
    modal = open_submit_modal(room, room.reporter, room.world)
    room.slack.submit_view(room.reporter, modal["id"], {"url": room.pages.url("/missing")})
    assert room.local.wait_until_idle()
    reply = room.slack.ephemeral(room.reporter)[-1]
    assert reply["text"].startswith("Couldn't archive your submission:")
    assert "404" in reply["text"]
    with room.services.session_factory() as session:
        assert count_articles(session=session) == 0


def test_submission_from_a_channel_without_the_bot_arrives_by_dm(newsroom: Newsroom) -> None:
    room = newsroom
    lounge = room.slack.add_channel("lounge", members=[room.reporter], bot_is_member=False)
    modal = open_submit_modal(room, room.reporter, lounge)
    room.slack.submit_view(room.reporter, modal["id"], {"copy": WIRE_COPY})
    assert room.local.wait_until_idle()
    dm = room.slack.open_dm(room.reporter)
    [message] = room.slack.messages(dm)
    assert "Archived #1" in message["text"]


def test_a_submission_queued_before_forms_took_files_still_runs(newsroom: Newsroom) -> None:
    room = newsroom
    url = room.add_page("/grain", "Grain crossing to reopen")
    # The shape submit_story jobs had before the form took a file: no "file" field.
    queued = {
        "user_id": room.reporter,
        "channel_id": room.world,
        "is_private": False,
        "url": url,
        "copy": None,
        "headline": None,
        "desk": None,
        "topics": ["grain"],
        "publish": False,
    }
    with room.services.session_factory.begin() as session:
        enqueue_job("submit_story", queued, session=session)
    room.services.notify_work()
    assert room.local.wait_until_idle()
    reply = room.slack.ephemeral(room.reporter)[-1]
    assert "Archived #1 “Grain crossing to reopen” as a draft." in reply["text"]
    assert room.scalar(select(Job.state)) == "done"


def test_a_submission_with_a_malformed_payload_fails_at_once_with_its_reason(
    newsroom: Newsroom,
) -> None:
    room = newsroom
    url = room.add_page("/grain", "Grain crossing to reopen")
    # "no" is not a bool: read leniently it was True, so a public story would have been
    # stored as private (or the reverse); read strictly, the job fails and says why.
    malformed = {
        "user_id": room.reporter,
        "channel_id": room.world,
        "is_private": "no",
        "url": url,
        "copy": None,
    }
    with room.services.session_factory.begin() as session:
        enqueue_job("submit_story", malformed, session=session)
    room.services.notify_work()
    assert room.local.wait_until_idle()
    with room.services.session_factory() as session:
        job = session.scalars(select(Job)).one()
        assert (job.state, job.attempts) == ("failed", 1)
        assert job.last_error is not None
        assert "\n" not in job.last_error
        assert "(submit_story): the payload does not fit StorySubmission" in job.last_error
        assert "is_private: Input should be a valid boolean" in job.last_error
        assert count_articles(session=session) == 0
    assert room.slack.ephemeral(room.reporter) == []
    status = room.run(room.reporter, room.world, "status")
    assert "jobs 1 failed" in status
    assert "is_private: Input should be a valid boolean" in status
