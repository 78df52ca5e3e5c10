"""``/news`` without Slack: argument reading, the subcommand table, help, refusals, builders."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from handlers.command_blocks import (
    FeedLine,
    SubscriptionLine,
    VersionLine,
    build_feed_list,
    build_history,
    build_refusal,
    build_status,
    build_subscriptions,
    story_label,
    with_mentions,
)
from handlers.commands import (
    SUBCOMMANDS,
    CommandContext,
    CommandError,
    CommandRequest,
    find_subcommand,
    read_channel,
    read_link,
    read_story_reference,
    run_command,
    split_arguments,
)
from handlers.slack_services import SlackServices
from handlers.submit import (
    SubmitForm,
    build_submit_modal,
    check_submit_form,
    command_in_private_conversation,
    read_submit_form,
)
from storage.status import StatusReport

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 1, 7, 12, 0, tzinfo=UTC)


class Editors:
    def __init__(self, *editors: str) -> None:
        self.editors = set(editors)

    def is_editor(self, user_id: str | None) -> bool:
        return user_id in self.editors

    def refusal(self, action: str) -> str:
        return f"Only editors can {action}: ask <@U0EDITOR>."


class Untouchable:
    """Services whose storage must not be reached (refusals and help happen before)."""

    def __init__(self, editors: Editors) -> None:
        self.editors = editors

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"services.{name} was used")


def context(*editors: str) -> CommandContext:
    def open_view(trigger_id: str, view: dict[str, Any]) -> None:
        raise AssertionError("no modal expected")

    services = cast(SlackServices, Untouchable(Editors(*editors)))
    return CommandContext(services, open_view)


def reply_text(text: str, user: str = "U0REPORTER") -> str:
    request = CommandRequest(user_id=user, channel_id="C0WORLD", channel_name="world")
    reply = run_command(context(), request, text)
    assert reply.message is not None
    return reply.message.text + json.dumps(reply.message.blocks)


# -- the table ------------------------------------------------------------------------------


def test_every_subcommand_has_usage_example_and_description() -> None:
    names = [subcommand.name for subcommand in SUBCOMMANDS]
    assert len(names) == len(set(names))
    for subcommand in SUBCOMMANDS:
        assert subcommand.description.strip(), subcommand.name
        assert subcommand.example.startswith(subcommand.name), subcommand.name
        found, _, _ = find_subcommand(subcommand.example)
        assert found is subcommand, f"the example of {subcommand.name} runs something else"


def test_every_subcommand_appears_in_the_readme_commands_section() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Commands\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert match is not None, "README.md has no '## Commands' section"
    section = match.group(1)
    missing = [s.name for s in SUBCOMMANDS if f"/news {s.name}" not in section]
    assert not missing, f"README's commands section lacks /news {', '.join(missing)}"


@pytest.mark.parametrize(
    ("text", "name", "rest"),
    [
        ("", "help", ""),
        ("HELP", "help", ""),
        ("latest  Ukraine war", "latest", "Ukraine war"),
        ("feed add https://a.b/rss", "feed add", "https://a.b/rss"),
        ("Feed List", "feed list", ""),
        ("subscribe <#C1|world> budget 5", "subscribe", "<#C1|world> budget 5"),
    ],
)
def test_find_subcommand(text: str, name: str, rest: str) -> None:
    found, found_rest, _ = find_subcommand(text)
    assert found is not None
    assert found.name == name
    assert found_rest == rest


def test_unknown_input_gets_the_reason_and_help() -> None:
    assert find_subcommand("frob it")[0] is None
    assert find_subcommand("feed eat")[2] == "feed eat"
    text = reply_text("frob <!channel> `x`")
    assert "Unknown subcommand `frob`." in text
    assert "/news feed add" in text
    assert "<!channel>" not in text


def test_editors_only_subcommands_are_refused_before_anything_runs() -> None:
    for subcommand in SUBCOMMANDS:
        if subcommand.editors_only:
            text = reply_text(f"{subcommand.name} 12")
            assert f"Only editors can {subcommand.editors_only}: ask <@U0EDITOR>." in text


# -- arguments ------------------------------------------------------------------------------


def test_split_arguments_keeps_markup_whole() -> None:
    text = "<#C1|world> <https://a.b/x?a=1&amp;b=2|the story> desk:World"
    assert split_arguments(text) == [
        "<#C1|world>",
        "<https://a.b/x?a=1&amp;b=2|the story>",
        "desk:World",
    ]


@pytest.mark.parametrize(
    ("token", "link"),
    [
        ("<https://a.b/x?a=1&amp;b=2>", "https://a.b/x?a=1&b=2"),
        ("<https://a.b/x|label>", "https://a.b/x"),
        ("https://a.b/y", "https://a.b/y"),
        ("<mailto:a@b.c|a@b.c>", None),
        ("<#C1|world>", None),
        ("12", None),
    ],
)
def test_read_link(token: str, link: str | None) -> None:
    assert read_link(token) == link


def test_read_story_reference() -> None:
    assert read_story_reference("12") == "12"
    assert read_story_reference("#12") == "12"
    assert read_story_reference("<https://a.b/s|s>") == "https://a.b/s"
    for bad, reason in (("", "say which story"), ("1 2", "one story"), ("grain", "neither")):
        with pytest.raises(CommandError, match=reason):
            read_story_reference(bad)


def test_read_channel() -> None:
    assert read_channel(["<#C123|world>", "Ukraine"], "C0HERE") == ("C123", ["Ukraine"])
    assert read_channel(["Ukraine"], "C0HERE") == ("C0HERE", ["Ukraine"])
    assert read_channel(["<@U1>", "x"], "C0HERE") == ("C0HERE", ["<@U1>", "x"])
    with pytest.raises(CommandError, match="suggestions"):
        read_channel(["#world", "Ukraine"], "C0HERE")


# -- builders -------------------------------------------------------------------------------


def test_refusal_keeps_editor_mentions_and_escapes_the_rest() -> None:
    assert with_mentions("ask <@U123> or <!here> & co") == "ask <@U123> or &lt;!here&gt; &amp; co"
    message = build_refusal("Only editors can publish stories: ask <@U123>.")
    assert message.blocks[0]["text"]["text"].endswith("ask <@U123>.")


def test_story_label_escapes_the_headline() -> None:
    assert story_label(3, "<!channel> wins & loses") == "#3 “&lt;!channel&gt; wins &amp; loses”"


def test_history_lists_versions_and_changes() -> None:
    versions = [VersionLine(1, "Old <b>", ("headline", "body"), NOW - timedelta(days=2))]
    message = build_history(5, "New", 2, NOW - timedelta(hours=1), versions, now=NOW)
    text = json.dumps(message.blocks)
    assert "2 versions" in text
    assert "v1" in text
    assert "Old &lt;b&gt;" in text
    assert "then changed: headline, body" in text
    assert "v2 (current)" in text
    single = build_history(5, "New", 1, NOW, [], now=NOW)
    assert "has one version" in single.text


def test_subscriptions_listing() -> None:
    lines = [SubscriptionLine("topic", "Ukraine"), SubscriptionLine("outlet", "A*B <x>")]
    message = build_subscriptions("C1AB", lines, alerts_per_hour=0)
    text = message.blocks[0]["text"]["text"]
    assert text.startswith("<#C1AB> follows (every alert goes into a digest")
    assert "• *Ukraine*" in text
    assert "outlet *AB &lt;x&gt;*" in text
    empty = build_subscriptions("not-an-id", [], alerts_per_hour=None)
    assert "<#" not in json.dumps(empty.blocks)


def test_feed_list_shows_health() -> None:
    feeds = [
        FeedLine(
            1,
            "https://a.b/rss",
            "A <feed>",
            NOW - timedelta(minutes=5),
            None,
            0,
            NOW + timedelta(minutes=10),
            True,
        ),
        FeedLine(2, "https://c.d/rss", None, None, "HTTP 500", 4, NOW + timedelta(hours=3), False),
    ]
    text = build_feed_list(feeds, now=NOW).blocks[0]["text"]["text"]
    assert "#1 <https://a.b/rss|A &lt;feed&gt;>" in text
    assert "healthy" in text
    assert "last read 5 min ago" in text
    assert "next poll in 10 min" in text
    assert "4 failed polls in a row" in text
    assert "last error: HTTP 500" in text
    assert "next poll in 3 h" in text


def status_view(heartbeat: datetime | None, **counts: Any) -> StatusReport:
    return StatusReport(
        archive_size=1200,
        stories_today=3,
        jobs=counts.get("jobs", {}),
        deliveries=counts.get("deliveries", {}),
        job_errors=[("ingest_link", "blocked <address>", NOW - timedelta(minutes=3))],
        dead_deliveries=[("C1AB", "alert", "channel_not_found", NOW - timedelta(hours=2))],
        last_heartbeat=heartbeat,
        feeds=2,
        failing_feeds=1,
    )


def test_status_report() -> None:
    view = status_view(
        NOW - timedelta(seconds=3), jobs={"pending": 2, "done": 9}, deliveries={"dead": 1}
    )
    text = build_status(view, timezone_name="Europe/Kyiv", now=NOW).blocks[0]["text"]["text"]
    assert "1,200 stories · 3 today (Europe/Kyiv)" in text
    assert "jobs 2 pending · alerts 1 dead" in text
    assert "*Worker:* last seen 3 s ago" in text
    assert "blocked &lt;address&gt;" in text
    assert "alert to <#C1AB>" in text
    assert "channel_not_found" in text
    assert "*Feeds:* 2, 1 failing" in text
    silent = build_status(status_view(None), timezone_name="Europe/Kyiv", now=NOW).blocks[0][
        "text"
    ]["text"]
    assert "no worker has reported — is `newsdesk worker` running?" in silent
    assert "nothing waiting" in silent
    stale = build_status(
        status_view(NOW - timedelta(minutes=10)), timezone_name="Europe/Kyiv", now=NOW
    )
    assert ":warning: last seen 10 min ago" in stale.blocks[0]["text"]["text"]


# -- the submit form ------------------------------------------------------------------------


def form(**fields: Any) -> SubmitForm:
    values: dict[str, Any] = {
        "url": "",
        "copy": "",
        "headline": "",
        "desk": "",
        "topics": (),
        "status": "draft",
    }
    values.update(fields)
    return SubmitForm(**values)


COPY = "Port reopens after storm\n\nThe port reopened on Tuesday after a storm closed it.\n"


def test_submit_form_checks() -> None:
    refusal = "Only editors can publish stories: ask @eda."
    assert check_submit_form(form(url="https://a.b/s"), may_publish=False, refusal="") == {}
    assert check_submit_form(form(copy=COPY), may_publish=False, refusal="") == {}
    assert "url" in check_submit_form(form(), may_publish=True, refusal="")
    assert "copy" in check_submit_form(
        form(url="https://a.b", copy=COPY), may_publish=True, refusal=""
    )
    assert check_submit_form(form(url="a b"), may_publish=True, refusal="")["url"].startswith(
        "Not a link"
    )
    errors = check_submit_form(
        form(copy=COPY, status="published"), may_publish=False, refusal=refusal
    )
    assert errors == {"status": refusal + " Choose Draft to submit it for them."}
    assert (
        check_submit_form(form(copy=COPY, status="published"), may_publish=True, refusal="") == {}
    )
    long_copy = check_submit_form(form(copy="x" * 40_001), may_publish=True, refusal="")
    assert "40,000" in long_copy["copy"]
    assert "desk" in check_submit_form(
        form(copy=COPY, desk="d" * 101), may_publish=True, refusal=""
    )
    assert "status" in check_submit_form(
        form(copy=COPY, status="live"), may_publish=True, refusal=""
    )


def test_submit_modal_round_trip() -> None:
    view = build_submit_modal(channel_id="C1AB", is_private=False)
    assert json.loads(view["private_metadata"]) == {"channel": "C1AB", "private": False}
    inputs = [block for block in view["blocks"] if block["type"] == "input"]
    assert [b["block_id"] for b in inputs] == [
        "url",
        "copy",
        "file",
        "headline",
        "desk",
        "topics",
        "status",
    ]
    assert all(b["element"]["action_id"] == b["block_id"] for b in inputs)
    assert all(b.get("optional") for b in inputs if b["block_id"] != "status")
    view["state"] = {
        "values": {
            "url": {"url": {"type": "plain_text_input", "value": " https://a.b/s "}},
            "topics": {
                "topics": {"type": "plain_text_input", "value": "grain, , Rail  line,grain"}
            },
            "status": {
                "status": {"type": "radio_buttons", "selected_option": {"value": "published"}}
            },
        }
    }
    read = read_submit_form(view)
    assert read.url == "https://a.b/s"
    assert read.copy == ""
    assert read.topics == ("grain", "Rail line")
    assert read.status == "published"
    private = build_submit_modal(channel_id="D1", is_private=True)
    assert "stays private" in json.dumps(private["blocks"])


def test_private_conversations() -> None:
    assert command_in_private_conversation("C1", "privategroup")
    assert command_in_private_conversation("D1", "directmessage")
    assert command_in_private_conversation("C1", "mpdm-ana--ben-1")
    assert not command_in_private_conversation("C1", "world")
