"""The real app fed event payloads shaped like Slack's own (tests/fixtures/slack, modelled on
Slack's published samples): message subtypes, edits, deletions, joins, bot posts, file shares,
Enterprise Grid and shared-channel envelopes. Each is acked and does what a person expects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.local import LocalDeployment
from standin.slack import SlackStandin
from storage.articles import count_articles
from storage.models import Job, Share
from tests.articles import add_article
from tests.documents import make_docx, wire_copy_paragraphs
from tests.pageserver import PageServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"


def fill(value: Any, values: dict[str, str]) -> Any:
    """The fixture with every ``$NAME`` placeholder replaced (longest names first)."""
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, values) for item in value]
    if isinstance(value, str):
        for name in sorted(values, key=len, reverse=True):
            value = value.replace(f"${name}", values[name])
        return value
    return value


class Payloads:
    """Sends fixture events to the app as Slack would, signed, in an envelope."""

    def __init__(self, slack: SlackStandin) -> None:
        self.slack = slack
        self.values: dict[str, str] = {
            "TEAM": slack.team_id,
            "APP": slack.app_id,
            "BOT_USER": slack.bot_user_id,
            "VERIFICATION": slack.verification_token,
        }

    def message_in(self, channel: str, user: str, text: str) -> str:
        """Store a message in the stand-in without telling the app (the app hears the
        fixture's event for it instead); returns its ts."""
        workspace = self.slack.workspace
        with workspace.lock:
            stored = workspace.store_message(
                workspace.channel(channel), {"user": user, "text": text}
            )
        return stored.ts

    def send(self, name: str, *, envelope: str = "envelope", **values: str) -> int:
        event = fill(json.loads((FIXTURES / f"{name}.json").read_text()), {**self.values, **values})
        wrapper = fill(
            json.loads((FIXTURES / f"{envelope}.json").read_text()),
            {**self.values, "EVENT_ID": self.slack.new_event_id()},
        )
        wrapper["event"] = event
        return self.slack.app.post_json(wrapper).status


def bot_replies(local: LocalDeployment, channel: str, ts: str) -> list[dict[str, Any]]:
    return [m for m in local.slack.replies(channel, ts) if m.get("bot_id")]


def stories(local: LocalDeployment) -> int:
    assert local.services is not None
    with local.services.session_factory() as session:
        return count_articles(session=session)


def jobs(local: LocalDeployment) -> list[str]:
    assert local.services is not None
    with local.services.session_factory() as session:
        return sorted(session.scalars(select(Job.kind)))


@pytest.fixture
def world(local: LocalDeployment) -> tuple[Payloads, str, str]:
    slack = local.slack
    ana = slack.add_user("ana")
    return Payloads(slack), slack.add_channel("world", members=[ana]), ana


def test_links_only_in_rich_text_blocks_are_archived(
    local: LocalDeployment, pages: PageServer, world: tuple[Payloads, str, str]
) -> None:
    payloads, channel, ana = world
    first = add_article(pages, "/grain", "Grain crossing to reopen")
    second = add_article(pages, "/ports", "Baltic ports brace for grain")
    ts = payloads.message_in(channel, ana, "worth a read: the crossing story")
    assert (
        payloads.send(
            "message_blocks_only", USER=ana, CHANNEL=channel, TS=ts, URL=first, URL2=second
        )
        == 200
    )
    assert local.wait_until_idle()
    assert len(bot_replies(local, channel, ts)) == 2
    assert stories(local) == 2


def test_a_link_added_by_an_edit_is_archived_once_and_a_typo_fix_is_not_a_share(
    local: LocalDeployment, pages: PageServer, world: tuple[Payloads, str, str]
) -> None:
    payloads, channel, ana = world
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    ts = payloads.message_in(channel, ana, "the grain story is out")
    values = {"USER": ana, "CHANNEL": channel, "TS": ts, "URL": url}
    assert (
        payloads.send("message_changed_adds_link", EDIT_TS=f"{float(ts) + 1:.6f}", **values) == 200
    )
    assert local.wait_until_idle()
    [card] = bot_replies(local, channel, ts)
    assert "Grain crossing to reopen" in json.dumps(card["blocks"])
    # A second edit that only fixes a typo, and Slack's own edit adding the unfurl.
    assert payloads.send("message_changed_typo", EDIT_TS=f"{float(ts) + 2:.6f}", **values) == 200
    assert payloads.send("message_changed_unfurl", EDIT_TS=f"{float(ts) + 3:.6f}", **values) == 200
    assert local.wait_until_idle()
    assert len(bot_replies(local, channel, ts)) == 1
    assert len(pages.requests_to("/grain")) == 1
    assert jobs(local) == ["ingest_link"]


@pytest.mark.parametrize("name", ["message_deleted", "bot_message", "channel_join"])
def test_deletions_joins_and_bot_posts_are_acked_and_ignored(
    local: LocalDeployment, pages: PageServer, world: tuple[Payloads, str, str], name: str
) -> None:
    payloads, channel, ana = world
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    ts = payloads.message_in(channel, ana, url)
    values = {
        "USER": ana,
        "CHANNEL": channel,
        "TS": ts,
        "URL": url,
        "EDIT_TS": f"{float(ts) + 1:.6f}",
    }
    assert payloads.send(name, **values) == 200
    assert local.wait_until_idle()
    assert bot_replies(local, channel, ts) == []
    assert jobs(local) == []
    assert pages.requests_to("/grain") == []


@pytest.mark.parametrize("name", ["me_message", "thread_broadcast"])
def test_me_messages_and_thread_broadcasts_share_their_links(
    local: LocalDeployment, pages: PageServer, world: tuple[Payloads, str, str], name: str
) -> None:
    payloads, channel, ana = world
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    root = payloads.message_in(channel, ana, "thread")
    ts = payloads.message_in(channel, ana, f"<{url}>")
    assert payloads.send(name, USER=ana, CHANNEL=channel, TS=ts, URL=url, THREAD_TS=root) == 200
    assert local.wait_until_idle()
    assert jobs(local) == ["ingest_link"]
    assert stories(local) == 1


def test_a_file_share_event_is_downloaded_and_archived(
    local: LocalDeployment, world: tuple[Payloads, str, str]
) -> None:
    payloads, channel, ana = world
    slack = local.slack
    slack.files.base_url, slack.files.team_id = slack.base_url, slack.team_id
    stored = slack.files.add("F0SAMPLE01", "grain.docx", ana, make_docx(wire_copy_paragraphs()), 1)
    stored.channels.add(channel)
    ts = payloads.message_in(channel, ana, "agency copy")
    download = slack.files.download_url(stored)
    assert (
        payloads.send(
            "file_share", USER=ana, CHANNEL=channel, TS=ts, FILE_ID=stored.id, DOWNLOAD=download
        )
        == 200
    )
    assert local.wait_until_idle()
    [card] = bot_replies(local, channel, ts)
    assert "Ukraine and Poland agree" in json.dumps(card["blocks"])
    assert jobs(local) == ["ingest_file"]


def test_enterprise_grid_and_shared_channel_messages_are_archived_for_the_sender(
    local: LocalDeployment, pages: PageServer, world: tuple[Payloads, str, str]
) -> None:
    payloads, channel, _ = world
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    partner = "W0PARTNER01"  # a Grid user id from the other organisation
    ts = payloads.message_in(channel, partner, f"from our partners <{url}>")
    sent = payloads.send(
        "shared_channel_message",
        envelope="enterprise_envelope",
        USER=partner,
        CHANNEL=channel,
        TS=ts,
        URL=url,
    )
    assert sent == 200
    assert local.wait_until_idle()
    assert len(bot_replies(local, channel, ts)) == 1
    assert local.services is not None
    with local.services.session_factory() as session:
        [share] = session.scalars(select(Share)).all()
        assert share.user_id == partner
        assert share.channel_id == channel
