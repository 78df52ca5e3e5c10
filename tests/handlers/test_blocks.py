from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.block_kit import MESSAGE_BLOCK_LIMIT
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

NOW = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
URL = "https://harbour.example/world/kyiv-talks?id=7&src=rss"

STORY = StoryView(
    article_id=42,
    headline="Kyiv talks resume",
    url=URL,
    outlet="The Harbour Gazette",
    byline="Jane Doe",
    published_at=datetime(2025, 1, 10, 9, 0, tzinfo=UTC),
    summary="Negotiators met again on Friday.\nA second round is planned.",
    topics=("Ukraine", "Russia"),
    status="published",
    desk="World",
)


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(text)]}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def open_button(label: str, article_id: int = 42, url: str = URL) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": "open_story",
        "text": plain(label),
        "url": url,
        "value": str(article_id),
    }


LINKED = "*<https://harbour.example/world/kyiv-talks?id=7&amp;src=rss|Kyiv talks resume>*"


# -- article card ------------------------------------------------------------------------


def test_article_card() -> None:
    message = build_article_card(STORY, now=NOW)
    assert message == Message(
        text="Kyiv talks resume — The Harbour Gazette",
        blocks=[
            section(LINKED),
            context("The Harbour Gazette · Jane Doe · 10 Jan"),
            section("Negotiators met again on Friday.\nA second round is planned."),
            context("Topics: Ukraine, Russia · Desk: World · Published"),
            {"type": "actions", "elements": [open_button("Open story")]},
        ],
    )


def test_article_card_with_caller_buttons() -> None:
    actions = [
        CardAction("publish_story", "Publish", "42", style="primary"),
        CardAction("subscribe_topic", "Subscribe this channel to Ukraine", "Ukraine"),
    ]
    message = build_article_card(STORY, now=NOW, actions=actions)
    assert message.blocks[-1] == {
        "type": "actions",
        "elements": [
            open_button("Open story"),
            {
                "type": "button",
                "action_id": "publish_story",
                "text": plain("Publish"),
                "value": "42",
                "style": "primary",
            },
            {
                "type": "button",
                "action_id": "subscribe_topic",
                "text": plain("Subscribe this channel to Ukraine"),
                "value": "Ukraine",
            },
        ],
    }


def test_article_card_without_url_date_or_optional_fields() -> None:
    story = StoryView(
        article_id=7,
        headline="Wire copy: storm warning",
        url=None,
        outlet=None,
        byline=None,
        published_at=None,
        summary="",
    )
    message = build_article_card(story, now=NOW)
    assert message == Message(
        text="Wire copy: storm warning",
        blocks=[
            section("*Wire copy: storm warning*"),
            context("byline unknown"),
            context("Draft"),
        ],
    )


def test_article_card_shows_an_agency_credit_when_no_people_are_named() -> None:
    story = replace(STORY, byline=None, credit="Reuters")
    message = build_article_card(story, now=NOW)
    assert "Reuters" in message.blocks[1]["elements"][0]["text"]
    assert "byline unknown" not in str(message.blocks)


def test_article_card_says_plainly_when_the_text_could_not_be_extracted() -> None:
    story = replace(STORY, summary="", text_extracted=False)
    message = build_article_card(story, now=NOW)
    texts = [str(block) for block in message.blocks]
    assert any("could not be extracted" in text for text in texts)
    assert texts[0].count(STORY.headline) == 1
    assert STORY.byline is not None
    assert STORY.byline in texts[1]


def test_article_card_with_an_unsafe_url_has_no_link_and_no_button() -> None:
    story = replace(STORY, url="javascript:alert(1)")
    message = build_article_card(story, now=NOW)
    assert message.blocks[0] == section("*Kyiv talks resume*")
    assert all(block["type"] != "actions" for block in message.blocks)


def test_article_card_for_a_story_already_in_the_archive() -> None:
    share = ShareView("U024BE7LH", "C0G9QF9GZ", "slack", datetime(2025, 1, 3, 8, tzinfo=UTC))
    message = build_article_card(STORY, now=NOW, first_share=share, already_archived=True)
    assert message.text == "Already in the archive: Kyiv talks resume — The Harbour Gazette"
    assert message.blocks[4] == context(
        ":file_cabinet: Already in the archive — "
        "first shared by <@U024BE7LH> in <#C0G9QF9GZ>, 3 Jan"
    )


@pytest.mark.parametrize(
    ("share", "line"),
    [
        (
            ShareView("W123ABC", None, "slack", datetime(2024, 12, 3, tzinfo=UTC)),
            "first shared by <@W123ABC>, 3 Dec 2024",
        ),
        (
            ShareView(None, "G12345", "slack", datetime(2025, 1, 3, tzinfo=UTC)),
            "first shared in <#G12345>, 3 Jan",
        ),
        (
            ShareView("<!channel>", "C1|x> <!here", "slack", datetime(2025, 1, 3, tzinfo=UTC)),
            "first shared by &lt;!channel&gt; in C1|x&gt; &lt;!here, 3 Jan",
        ),
        (
            ShareView("u123abc", "c123", "slack", datetime(2025, 1, 3, tzinfo=UTC)),
            "first shared by u123abc in c123, 3 Jan",
        ),
        (
            ShareView(None, None, "cli", datetime(2025, 1, 3, tzinfo=UTC)),
            "first shared from the command line, 3 Jan",
        ),
        (
            ShareView(None, None, "feed", datetime(2025, 1, 3, tzinfo=UTC)),
            "first shared by a feed, 3 Jan",
        ),
        (
            ShareView(None, None, "webhook", datetime(2025, 1, 3, tzinfo=UTC)),
            "first shared by the CMS, 3 Jan",
        ),
        (
            ShareView("U123", "C123", "email<!here>", datetime(2025, 1, 3, tzinfo=UTC)),
            "first shared via email&lt;!here&gt;, 3 Jan",
        ),
    ],
)
def test_already_archived_line_for_each_kind_of_first_share(share: ShareView, line: str) -> None:
    message = build_article_card(STORY, now=NOW, first_share=share, already_archived=True)
    assert message.blocks[4] == context(f":file_cabinet: Already in the archive — {line}")


def test_already_archived_without_a_known_first_share() -> None:
    message = build_article_card(STORY, now=NOW, already_archived=True)
    assert message.blocks[4] == context(":file_cabinet: Already in the archive")


def test_first_share_is_ignored_unless_already_archived() -> None:
    share = ShareView("U024BE7LH", "C0G9QF9GZ", "slack", NOW)
    assert build_article_card(STORY, now=NOW, first_share=share) == build_article_card(
        STORY, now=NOW
    )


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (CardAction("", "Publish", "1"), "action id"),
        (CardAction("a" * 256, "Publish", "1"), "action id"),
        (CardAction("publish", "Publish", ""), "button value"),
        (CardAction("publish", "Publish", "v" * 2001), "button value"),
        (CardAction("publish", "Publish", "1", style="blue"), "button style"),
        (CardAction("open_story", "Open", "1"), "unique"),
    ],
)
def test_article_card_refuses_buttons_slack_would_reject(action: CardAction, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_article_card(STORY, now=NOW, actions=[action])


def test_article_card_refuses_more_buttons_than_fit_a_row() -> None:
    actions = [CardAction(f"action_{number}", "Go", "1") for number in range(25)]
    build_article_card(replace(STORY, url=None), now=NOW, actions=actions)
    with pytest.raises(ValueError, match="at most 25"):
        build_article_card(STORY, now=NOW, actions=actions)


def test_article_card_accepts_the_longest_values_slack_allows() -> None:
    action = CardAction("a" * 255, "x" * 200, "v" * 2000)
    button = build_article_card(STORY, now=NOW, actions=[action]).blocks[-1]["elements"][1]
    assert button["action_id"] == "a" * 255
    assert button["value"] == "v" * 2000
    assert button["text"]["text"] == "x" * 74 + "…"


def test_long_headline_and_summary_are_cut_on_word_boundaries() -> None:
    story = replace(STORY, headline="word " * 100, summary="sentence here. " * 400)
    message = build_article_card(story, now=NOW)
    headline = message.blocks[0]["text"]["text"]
    label = headline[headline.index("|") + 1 : -2]
    assert label == ("word " * 60).strip() + "…"
    assert len(label) == 300
    summary = message.blocks[2]["text"]["text"]
    assert summary == "sentence here. " * 186 + "sentence…"
    assert len(summary) == 2799


def test_headline_with_a_huge_url_loses_its_link_but_keeps_the_button() -> None:
    url = "https://harbour.example/" + "a" * 2500
    message = build_article_card(replace(STORY, url=url), now=NOW)
    assert message.blocks[0] == section("*Kyiv talks resume*")
    assert message.blocks[-1]["elements"][0]["url"] == url


def test_headline_that_is_only_control_characters_reads_untitled() -> None:
    message = build_article_card(replace(STORY, headline="\x00\x01 "), now=NOW)
    assert message.blocks[0] == section(
        "*<https://harbour.example/world/kyiv-talks?id=7&amp;src=rss|Untitled story>*"
    )
    assert message.text == "Untitled story — The Harbour Gazette"


# -- answers -----------------------------------------------------------------------------


def test_answer() -> None:
    older = replace(
        STORY,
        article_id=43,
        headline="Sanctions widen",
        url="https://harbour.example/s",
        byline=None,
        published_at=datetime(2025, 1, 6, 9, 0, tzinfo=UTC),
        summary="The EU agreed new sanctions.\nMore follows.",
        snippet="EU agreed new \x02sanctions\x03 on \x02Russian\x03 banks",
        reason="matched Russia (alias of Russian)",
    )
    message = build_answer("Ukraine", [STORY, older], now=NOW, more_value='{"q":"x","o":5}')
    assert message == Message(
        text="2 stories on Ukraine: Kyiv talks resume; Sanctions widen",
        blocks=[
            context("2 stories on *Ukraine*"),
            section(
                f"{LINKED}\nThe Harbour Gazette · Jane Doe · 3 h ago\n"
                "Negotiators met again on Friday. A second round is planned."
            ),
            section(
                "*<https://harbour.example/s|Sanctions widen>*\nThe Harbour Gazette · Mon\n"
                "EU agreed new *sanctions* on *Russian* banks\n"
                "_matched Russia (alias of Russian)_"
            ),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "answer_more",
                        "text": plain("More"),
                        "value": '{"q":"x","o":5}',
                    }
                ],
            },
        ],
    )


def test_answer_shows_at_most_five_stories_and_no_more_button_without_a_token() -> None:
    stories = [replace(STORY, article_id=number) for number in range(8)]
    message = build_answer("Ukraine", stories, now=NOW, more_value=None)
    assert message.blocks[0] == context("5 stories on *Ukraine*")
    assert len(message.blocks) == 6
    assert all(block["type"] == "section" for block in message.blocks[1:])


def test_answer_with_one_story_and_no_stories() -> None:
    one = build_answer("Ukraine", [STORY], now=NOW, more_value=None)
    assert one.blocks[0] == context("1 story on *Ukraine*")
    none = build_answer("Ukraine <!here>", [], now=NOW, more_value=None)
    assert none == Message(
        text="Nothing found for Ukraine &lt;!here&gt;.",
        blocks=[section("Nothing found for Ukraine &lt;!here&gt;.")],
    )


def test_answer_refuses_a_paging_token_too_long_for_a_button() -> None:
    with pytest.raises(ValueError, match="button value"):
        build_answer("Ukraine", [STORY], now=NOW, more_value="x" * 2001)


@pytest.mark.parametrize(
    ("snippet", "rendered"),
    [
        ("\x02Kyiv\x03 talks", "*Kyiv* talks"),
        ("talks in \x02 Kyiv \x03today", "talks in *Kyiv* today"),
        ("\x02<!here>\x03 & \x02A&B\x03", "*&lt;!here&gt;* &amp; *A&amp;B*"),
        ("no marks at all", "no marks at all"),
        ("\x02\x03empty mark", "empty mark"),
        ("unclosed \x02mark", "unclosed *mark*"),
    ],
)
def test_answer_renders_search_snippets_with_bold_matches(snippet: str, rendered: str) -> None:
    story = replace(STORY, snippet=snippet)
    text = build_answer("q", [story], now=NOW, more_value=None).blocks[1]["text"]["text"]
    assert text.split("\n")[2] == rendered


def test_answer_cuts_long_snippets_without_leaving_bold_open() -> None:
    snippet = "lead " * 50 + "\x02" + "match " * 40 + "\x03 tail"
    story = replace(STORY, snippet=snippet)
    text = build_answer("q", [story], now=NOW, more_value=None).blocks[1]["text"]["text"]
    line = text.split("\n")[2]
    assert len(line) <= 300
    assert line.startswith("lead lead")
    assert line.endswith("match*…")
    assert line.count("*") == 2


# -- nothing found, failures, help -------------------------------------------------------


def test_nothing_found_since_a_day() -> None:
    message = build_nothing_found("Ukraine", datetime(2025, 1, 6, 0, 0, tzinfo=UTC), now=NOW)
    assert message == Message(
        text="Nothing on Ukraine since 6 Jan.",
        blocks=[section("Nothing on Ukraine since 6 Jan.")],
    )


def test_nothing_found_without_a_start_day() -> None:
    message = build_nothing_found("stories by <@U1>", None, now=NOW)
    assert message.blocks == [section("Nothing on stories by &lt;@U1&gt; in the archive.")]


def test_failure() -> None:
    message = build_failure("blocked: 10.0.0.5 is a private address")
    assert message == Message(
        text="Couldn't archive that link: blocked: 10.0.0.5 is a private address",
        blocks=[
            section(":warning: Couldn't archive that link: blocked: 10.0.0.5 is a private address")
        ],
    )


def test_failure_keeps_the_first_line_of_the_reason_and_another_action() -> None:
    message = build_failure("\n  not an article <!here>\nTraceback ...", action="Couldn't publish")
    assert message.blocks == [section(":warning: Couldn't publish: not an article &lt;!here&gt;")]
    assert build_failure("").blocks == [
        section(":warning: Couldn't archive that link: something went wrong")
    ]


def test_help() -> None:
    message = build_help(
        [("latest on Ukraine", "the newest stories"), ("stories by `Jane`", "by byline & desk")]
    )
    assert message == Message(
        text=(
            "What I understand. Share a link to archive it, or ask: "
            "latest on Ukraine; stories by `Jane`"
        ),
        blocks=[
            {"type": "header", "text": plain("What I understand")},
            section(
                "Share a link and I archive it and reply with a summary. "
                "Mention me or message me directly to ask about the archive:"
            ),
            section(
                "`latest on Ukraine` — the newest stories\n"
                "`stories by 'Jane'` — by byline &amp; desk"
            ),
        ],
    )


def test_help_with_a_huge_table_stays_within_the_block_limit() -> None:
    examples = [(f"example {number} " + "x" * 200, "y" * 250) for number in range(1000)]
    message = build_help(examples)
    assert len(message.blocks) == MESSAGE_BLOCK_LIMIT
    assert all(len(block["text"]["text"]) <= 3000 for block in message.blocks[1:])


# -- alerts ------------------------------------------------------------------------------


def test_alert() -> None:
    message = build_alert(STORY, reason="You follow *Ukraine*", now=NOW)
    assert message == Message(
        text=("Kyiv talks resume — Negotiators met again on Friday. A second round is planned."),
        blocks=[
            {"type": "header", "text": plain("Kyiv talks resume")},
            section("Negotiators met again on Friday.\nA second round is planned."),
            context("The Harbour Gazette · Jane Doe · 3 h ago"),
            context("Topics: Ukraine, Russia"),
            {"type": "actions", "elements": [open_button("Read story")]},
            context("Why: You follow *Ukraine*"),
        ],
    )


def test_alert_header_is_cut_to_150_characters() -> None:
    story = replace(STORY, headline="Breaking " * 40, summary="", topics=(), url=None)
    message = build_alert(story, reason="", now=NOW)
    header = message.blocks[0]["text"]["text"]
    assert len(header) <= 150
    assert header.endswith("Breaking…")
    assert [block["type"] for block in message.blocks] == ["header", "context"]


def test_alert_update() -> None:
    message = build_alert_update(
        ["Headline changed: Kyiv talks resume → Kyiv talks stall", "Correction appended"]
    )
    assert message == Message(
        text=(
            "Updated: Headline changed: Kyiv talks resume → Kyiv talks stall; Correction appended"
        ),
        blocks=[
            section(":pencil2: *Updated*"),
            section(
                "• Headline changed: Kyiv talks resume → Kyiv talks stall\n• Correction appended"
            ),
        ],
    )


def test_alert_update_without_lines() -> None:
    message = build_alert_update(["", "\x00"])
    assert message.blocks == [section(":pencil2: The story was updated.")]


def test_alert_unpublished() -> None:
    message = build_alert_unpublished(STORY)
    assert message == Message(
        text="Unpublished: Kyiv talks resume",
        blocks=[
            section(
                ":no_entry_sign: *Kyiv talks resume* was unpublished and is no longer available."
            )
        ],
    )


# -- digests -----------------------------------------------------------------------------


def test_digest_groups_stories_by_desk() -> None:
    business = replace(STORY, article_id=2, headline="Rates hold", url=None, desk="Business")
    loose = replace(STORY, article_id=3, headline="Weather", url=None, desk=None, summary="")
    message = build_digest("Morning digest", [STORY, business, loose, STORY], now=NOW)
    entry = (
        f"{LINKED}\nThe Harbour Gazette · Jane Doe · 10 Jan\n"
        "Negotiators met again on Friday. A second round is planned."
    )
    assert message.blocks == [
        {"type": "header", "text": plain("Morning digest")},
        context("*World*"),
        section(entry),
        section(entry),
        context("*Business*"),
        section(
            "*Rates hold*\nThe Harbour Gazette · Jane Doe · 10 Jan\n"
            "Negotiators met again on Friday. A second round is planned."
        ),
        context("*Other*"),
        section("*Weather*\nThe Harbour Gazette · Jane Doe · 10 Jan"),
    ]
    assert message.text == (
        "Morning digest: Kyiv talks resume; Kyiv talks resume; Rates hold; Weather"
    )


def test_digest_without_desks_has_no_headings() -> None:
    story = replace(STORY, desk=None)
    message = build_digest("Weekly", [story], now=NOW)
    assert [block["type"] for block in message.blocks] == ["header", "section"]


def test_digest_of_many_stories_says_how_many_more() -> None:
    stories = [replace(STORY, article_id=number, desk=None) for number in range(60)]
    message = build_digest("Weekly", stories, now=NOW)
    assert len(message.blocks) == MESSAGE_BLOCK_LIMIT
    assert message.blocks[-1] == context("and 12 more")
    assert message.text.endswith("; and 12 more")


def test_digest_headings_count_against_the_block_limit() -> None:
    stories = [replace(STORY, article_id=number, desk=f"Desk {number}") for number in range(40)]
    message = build_digest("Weekly", stories, now=NOW)
    assert len(message.blocks) == MESSAGE_BLOCK_LIMIT
    assert message.blocks[-1] == context("and 16 more")
    assert message.blocks[-2]["type"] == "section"


def test_empty_digest() -> None:
    message = build_digest("Weekly", [], now=NOW)
    assert message == Message(
        text="Weekly: no new stories.",
        blocks=[{"type": "header", "text": plain("Weekly")}, section("No new stories.")],
    )


def test_digest_title_that_is_only_control_characters_reads_digest() -> None:
    message = build_digest("\x00", [replace(STORY, desk=None)], now=NOW)
    assert message.blocks[0] == {"type": "header", "text": plain("Digest")}


def test_stories_a_week_old_show_their_day_in_answers() -> None:
    story = replace(STORY, published_at=NOW - timedelta(days=30))
    text = build_answer("q", [story], now=NOW, more_value=None).blocks[1]["text"]["text"]
    assert text.split("\n")[1] == "The Harbour Gazette · Jane Doe · 11 Dec 2024"
