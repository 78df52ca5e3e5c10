"""Hostile text through every builder: nothing may ping, link or break Slack's limits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.blocks import (
    CardAction,
    Message,
    ShareView,
    StoryView,
    build_alert,
    build_alert_unpublished,
    build_alert_update,
    build_answer,
    build_article_card,
    build_digest,
    build_failure,
    build_help,
    build_nothing_found,
)
from handlers.mrkdwn import measure, sanitize_url

NOW = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
USER_ID = re.compile(r"[UW][A-Z0-9]{2,63}")
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,63}")
ANGLE_SEQUENCE = re.compile(r"<([^<>]*)>")
BARE_BROADCAST = re.compile(r"@(?:channel|here|everyone)\b", re.IGNORECASE)
PLAIN_CONTROL = re.compile(r"<(?:[!@#]|[A-Za-z][A-Za-z0-9+.-]*:)")
CONTROL_CHARACTER = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

HOSTILE_TOKENS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S1|@team>",
    "<!date^1392734382^{date}|Feb 18>",
    "<@U123>",
    "<@W0A1B2C3|ana>",
    "<#C123|x>",
    "<#C123>",
    "<http://evil|click>",
    "<https://evil.example|https://bank.example>",
    "<mailto:a@evil.example|mail>",
    "&lt;!here&gt;",
    "&amp;",
    "@here",
    "@channel",
    "@everyone",
    "&",
    ">",
    "<",
    "|",
    "*",
    "_",
    "~",
    "`",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\x02",
    "\x03",
    "\x1b[31m",
    "\u202e",
    "\u200f",
    "שלום עולם",
    "مرحبا",
    "👨\u200d👩\u200d👧",
    "🇺🇦",
    "😀",
    " ",
]

tokens = st.sampled_from(HOSTILE_TOKENS)
hostile_text = st.lists(st.one_of(tokens, st.text(max_size=12)), max_size=12).map("".join)
huge_text = st.tuples(tokens, st.text(min_size=1, max_size=8)).map(
    lambda pair: ((pair[0] + pair[1]) * 100_000)[:100_000]
)
untrusted = st.one_of(hostile_text, hostile_text, hostile_text, huge_text)
optional_untrusted = st.one_of(st.none(), untrusted)
marked_snippet = st.lists(st.one_of(untrusted, st.sampled_from(["\x02", "\x03"])), max_size=8).map(
    "".join
)

urls = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "https://harbour.example/world/story?id=1&src=rss",
            "https://harbour.example/<!channel>|click>",
            "http://evil.example/a>b|c<d e",
            "https://пример.рф/новости",
            "javascript:alert(1)",
            "https://user:pw@evil.example/",
            "data:text/html,<script>",
            "https://harbour.example/" + "a" * 5000,
            "https://harbour.example/" + "&" * 2000,
        ]
    ),
    untrusted,
    untrusted.map(lambda text: "https://harbour.example/" + text),
)
aware_datetimes = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2040, 1, 1),
    timezones=st.just(UTC),
)
slack_ids = st.one_of(
    st.from_regex(r"[UW][A-Z0-9]{2,11}", fullmatch=True),
    st.from_regex(r"[CGD][A-Z0-9]{2,11}", fullmatch=True),
)
stories = st.builds(
    StoryView,
    article_id=st.integers(min_value=1, max_value=2**63 - 1),
    headline=untrusted,
    url=urls,
    outlet=optional_untrusted,
    byline=optional_untrusted,
    published_at=st.one_of(st.none(), aware_datetimes),
    summary=untrusted,
    topics=st.lists(untrusted, max_size=14).map(tuple),
    status=st.one_of(st.sampled_from(["draft", "published"]), untrusted),
    desk=optional_untrusted,
    snippet=st.one_of(st.none(), marked_snippet),
    reason=optional_untrusted,
)
shares = st.builds(
    ShareView,
    user_id=st.one_of(st.none(), slack_ids, untrusted),
    channel_id=st.one_of(st.none(), slack_ids, untrusted),
    source=st.one_of(st.sampled_from(["slack", "cli", "feed", "webhook"]), untrusted),
    shared_at=aware_datetimes,
)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- the checks --------------------------------------------------------------------------


def check_block_kit_limits(message: Message) -> None:
    """Fail unless ``message`` is one Slack would accept: sizes, counts, required text."""
    assert message.text.strip()
    assert measure(message.text) <= 40_000
    assert not CONTROL_CHARACTER.search(message.text)
    json.dumps({"text": message.text, "blocks": message.blocks}).encode("utf-8")
    check_size(len(message.blocks), 50, "blocks in a message")
    for block in message.blocks:
        kind = block["type"]
        if kind == "header":
            check_text_object(block["text"], 150, "plain_text")
        elif kind == "section":
            check_text_object(block["text"], 3000)
        elif kind == "context":
            check_size(len(block["elements"]), 10, "elements in a context block")
            for element in block["elements"]:
                check_text_object(element, 3000)
        elif kind == "actions":
            check_buttons(block["elements"])
        else:
            pytest.fail(f"unexpected block type {kind}")


def check_size(size: int, most: int, what: str) -> None:
    """Block Kit refuses an empty list or string here, and one longer than ``most``."""
    assert size > 0, f"no {what}"
    assert size <= most, f"{size} {what}, Slack allows {most}"


def check_text_object(text: dict[str, Any], limit: int, kind: str | None = None) -> None:
    assert text["type"] in ("plain_text", "mrkdwn")
    if kind is not None:
        assert text["type"] == kind
    assert text["text"].strip(), text
    assert measure(text["text"]) <= limit
    assert not CONTROL_CHARACTER.search(text["text"])


def check_buttons(buttons: list[dict[str, Any]]) -> None:
    check_size(len(buttons), 25, "elements in an actions block")
    action_ids = [button["action_id"] for button in buttons]
    assert len(set(action_ids)) == len(action_ids)
    for button in buttons:
        assert button["type"] == "button"
        check_text_object(button["text"], 75, "plain_text")
        check_size(len(button["action_id"]), 255, "characters in an action_id")
        check_size(len(button["value"]), 2000, "characters in a button value")
        if "url" in button:
            assert len(button["url"]) <= 3000


def text_fields(message: Message) -> Iterator[tuple[str, str]]:
    """Every string a person sees, with its kind: "mrkdwn" or "plain_text"."""
    yield "mrkdwn", message.text  # the fallback is read as mrkdwn
    yield from _walk(message.blocks)


def _walk(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text"):
            yield node["type"], node["text"]
        for key, value in node.items():
            if key != "text" or not isinstance(value, str):
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def check_no_injection(
    message: Message,
    *,
    stories: Sequence[StoryView] = (),
    shares: Sequence[ShareView | None] = (),
) -> None:
    """Fail if any text could ping, mention or link anything the builders did not vouch for.

    Allowed ``<…>`` sequences are mentions of ids shaped like Slack's and links to the
    sanitised URL of a story; every other ``<`` or ``>`` must have been escaped.
    """
    mentions = set()
    for share in shares:
        if share is None:
            continue
        if share.user_id and USER_ID.fullmatch(share.user_id):
            mentions.add(f"@{share.user_id}")
        if share.channel_id and CHANNEL_ID.fullmatch(share.channel_id):
            mentions.add(f"#{share.channel_id}")
    targets = set()
    for story in stories:
        url = sanitize_url(story.url)
        if url is not None:
            targets.add(url.replace("&", "&amp;"))
    for kind, text in text_fields(message):
        if kind == "plain_text":
            assert not BARE_BROADCAST.search(text), text
            assert not PLAIN_CONTROL.search(text), text
            continue
        labels = []
        for sequence in ANGLE_SEQUENCE.finditer(text):
            inner = sequence.group(1)
            target, _, label = inner.partition("|")
            assert inner in mentions or target in targets, f"untrusted <{inner[:80]}>"
            labels.append(label)
        outside = ANGLE_SEQUENCE.sub("", text)
        assert "<" not in outside, text
        assert ">" not in outside, text
        for visible in (outside, *labels):  # a link's target is never parsed for mentions
            assert not BARE_BROADCAST.search(visible), text
    for block in message.blocks:
        for element in block.get("elements", []):
            if "url" in element:
                assert element["url"] in {sanitize_url(story.url) for story in stories if story.url}


# -- every builder -----------------------------------------------------------------------


@FUZZ
@given(
    story=stories,
    share=st.one_of(st.none(), shares),
    already=st.booleans(),
    topic=untrusted,
)
def test_article_card_is_safe(
    story: StoryView, share: ShareView | None, already: bool, topic: str
) -> None:
    actions = [
        CardAction("publish_story", "Publish", str(story.article_id), style="primary"),
        CardAction("subscribe_topic", f"Subscribe this channel to {topic}", "topic-1"),
        CardAction("more_like_this", "More like this", str(story.article_id)),
    ]
    message = build_article_card(
        story, now=NOW, first_share=share, already_archived=already, actions=actions
    )
    check_block_kit_limits(message)
    check_no_injection(message, stories=[story], shares=[share])


@FUZZ
@given(question=untrusted, found=st.lists(stories, max_size=7), more=st.booleans())
def test_answer_is_safe(question: str, found: list[StoryView], more: bool) -> None:
    message = build_answer(question, found, now=NOW, more_value="page-2" if more else None)
    check_block_kit_limits(message)
    check_no_injection(message, stories=found)


@FUZZ
@given(description=untrusted, since=st.one_of(st.none(), aware_datetimes))
def test_nothing_found_is_safe(description: str, since: datetime | None) -> None:
    message = build_nothing_found(description, since, now=NOW)
    check_block_kit_limits(message)
    check_no_injection(message)


@FUZZ
@given(reason=untrusted, action=untrusted)
def test_failure_is_safe(reason: str, action: str) -> None:
    for message in (build_failure(reason), build_failure(reason, action=action)):
        check_block_kit_limits(message)
        check_no_injection(message)


@FUZZ
@given(examples=st.lists(st.tuples(untrusted, untrusted), max_size=30))
def test_help_is_safe(examples: list[tuple[str, str]]) -> None:
    message = build_help(examples)
    check_block_kit_limits(message)
    check_no_injection(message)


@FUZZ
@given(story=stories, reason=untrusted)
def test_alert_is_safe(story: StoryView, reason: str) -> None:
    message = build_alert(story, reason=reason, now=NOW)
    check_block_kit_limits(message)
    check_no_injection(message, stories=[story])


@FUZZ
@given(lines=st.lists(untrusted, max_size=60))
def test_alert_update_is_safe(lines: list[str]) -> None:
    message = build_alert_update(lines)
    check_block_kit_limits(message)
    check_no_injection(message)


@FUZZ
@given(story=stories)
def test_alert_unpublished_is_safe(story: StoryView) -> None:
    message = build_alert_unpublished(story)
    check_block_kit_limits(message)
    check_no_injection(message)


@settings(FUZZ, max_examples=25)
@given(title=untrusted, many=st.lists(stories, max_size=60))
def test_digest_is_safe(title: str, many: list[StoryView]) -> None:
    message = build_digest(title, many, now=NOW)
    check_block_kit_limits(message)
    check_no_injection(message, stories=many)


@settings(FUZZ, max_examples=20)
@given(title=untrusted, few=st.lists(stories, min_size=1, max_size=4), count=st.integers(49, 70))
def test_digest_too_long_for_one_message_is_safe(
    title: str, few: list[StoryView], count: int
) -> None:
    many = [few[number % len(few)] for number in range(count)]
    message = build_digest(title, many, now=NOW)
    check_block_kit_limits(message)
    check_no_injection(message, stories=many)
    # a desk heading is only added with room for a story under it, so one block may stay free
    assert len(message.blocks) in (49, 50)
    assert message.blocks[-1]["elements"][0]["text"].startswith("and ")


# -- the checks themselves catch what they are meant to ----------------------------------


def test_injection_check_catches_raw_mentions_and_links() -> None:
    story = StoryView(1, "h", "https://harbour.example/", None, None, None, "s")
    for text in (
        "<!channel>",
        "hi <@U123>",
        "<#C1|x>",
        "<http://evil|click>",
        "a > b",
        "@here",
    ):
        message = Message(text="ok", blocks=[{"type": "section", "text": _mrkdwn(text)}])
        with pytest.raises(AssertionError):
            check_no_injection(message, stories=[story])
    fine = "<https://harbour.example/|h> &lt;!here&gt;"
    check_no_injection(
        Message(text="ok", blocks=[{"type": "section", "text": _mrkdwn(fine)}]), stories=[story]
    )


def test_limits_check_catches_oversized_payloads() -> None:
    too_many = Message(text="ok", blocks=[{"type": "section", "text": _mrkdwn("x")}] * 51)
    long_header = Message(
        text="ok", blocks=[{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    )
    empty_text = Message(text=" ", blocks=[{"type": "section", "text": _mrkdwn("x")}])
    emoji_section = Message(text="ok", blocks=[{"type": "section", "text": _mrkdwn("😀" * 1501)}])
    for message in (too_many, long_header, empty_text, emoji_section):
        with pytest.raises(AssertionError):
            check_block_kit_limits(message)


def test_a_huge_hostile_story_renders_quickly_enough_to_fuzz() -> None:
    hostile = "<!channel> & <@U1> " * 6000
    story = StoryView(
        1, hostile, "https://harbour.example/", hostile, hostile, NOW - timedelta(days=1), hostile
    )
    message = build_article_card(story, now=NOW)
    check_block_kit_limits(message)
    check_no_injection(message, stories=[story])


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}
