"""Block Kit rendered as terminal text: snapshots of cards, views and markup."""

from __future__ import annotations

from typing import Any

import pytest

from bot.block_text import (
    Clickable,
    render_blocks,
    render_interactive_message,
    render_message,
    render_mrkdwn,
    render_view,
)


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


CARD: list[dict[str, Any]] = [
    {"type": "header", "text": plain("Rates rise again")},
    {
        "type": "section",
        "block_id": "story",
        "text": {
            "type": "mrkdwn",
            "text": "*<https://news.example.com/a?x=1&amp;y=2|Rates rise again>* by Jane &amp; Joe"
            "\nThe central bank moved.",
        },
        "accessory": {
            "type": "button",
            "action_id": "open",
            "text": plain("Read"),
            "url": "https://news.example.com/a",
        },
    },
    {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": "*Desk*\nWorld"}, plain("Outlet: Reuters")],
    },
    {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "shared by <@U1> in <#C1|world>"},
            {"type": "image", "image_url": "https://img.example/logo.png", "alt_text": "logo"},
        ],
    },
    {"type": "divider"},
    {
        "type": "actions",
        "block_id": "card",
        "elements": [
            {
                "type": "button",
                "action_id": "publish",
                "value": "42",
                "text": plain("Publish"),
                "style": "primary",
            },
            {
                "type": "static_select",
                "action_id": "desk",
                "placeholder": plain("Desk"),
                "options": [option("World", "world"), option("Sport", "sport")],
            },
            {"type": "overflow", "action_id": "more", "options": [option("Delete", "del")]},
        ],
    },
    {
        "type": "image",
        "image_url": "https://img.example/chart.png",
        "alt_text": "chart",
        "title": plain("Rates since 2020"),
    },
]

CARD_TEXT = """\
Rates rise again
════════════════
*Rates rise again (https://news.example.com/a?x=1&y=2)* by Jane & Joe
The central bank moved.
[1 Read] → https://news.example.com/a
  *Desk*
  World
  Outlet: Reuters
  · shared by @ana in #world  [image: logo]
────────────────────────────────────────
[2 Publish]  [3 Desk ▾ World | Sport]  [4 more ▾ Delete]
[image: Rates since 2020] (https://img.example/chart.png)"""


def test_a_story_card_renders_as_readable_text() -> None:
    text, _ = render_blocks(CARD, names={"U1": "ana"})
    assert text == CARD_TEXT


def test_buttons_and_menus_are_numbered_clickables_tied_to_their_message() -> None:
    message = {"ts": "1700000000.000100", "channel": "C1", "blocks": CARD}
    _, clickables = render_interactive_message(message, start=3)
    assert [(c.number, c.kind, c.action_id, c.block_id) for c in clickables] == [
        (3, "button", "open", "story"),
        (4, "button", "publish", "card"),
        (5, "static_select", "desk", "card"),
        (6, "overflow", "more", "card"),
    ]
    publish = clickables[1]
    assert publish == Clickable(
        number=4,
        label="Publish",
        kind="button",
        action_id="publish",
        block_id="card",
        value="42",
        message_ts="1700000000.000100",
        channel="C1",
    )
    assert clickables[0].url == "https://news.example.com/a"
    assert clickables[2].options == (("World", "world"), ("Sport", "sport"))


MODAL = {
    "type": "modal",
    "id": "V1",
    "title": plain("Publish"),
    "submit": plain("Send"),
    "close": plain("Cancel"),
    "blocks": [
        {
            "type": "input",
            "block_id": "headline",
            "label": plain("Headline"),
            "element": {
                "type": "plain_text_input",
                "action_id": "value",
                "placeholder": plain("Write it"),
            },
        },
        {
            "type": "input",
            "block_id": "when",
            "optional": True,
            "label": plain("When"),
            "element": {"type": "datepicker", "action_id": "day", "initial_date": "2024-01-03"},
            "hint": plain("Leave empty to publish now"),
        },
        {
            "type": "input",
            "block_id": "desk",
            "label": plain("Desk"),
            "element": {
                "type": "static_select",
                "action_id": "choice",
                "options": [option("World", "world"), option("Sport", "sport")],
                "initial_option": option("Sport", "sport"),
            },
        },
    ],
}


def test_a_modal_shows_title_inputs_with_their_kind_and_its_buttons() -> None:
    text, clickables = render_view(MODAL)
    assert text == (
        "Publish\n"
        "═══════\n"
        "Headline: [1 text: Write it]\n"
        "When (optional): [2 date = 2024-01-03]\n"
        "  · Leave empty to publish now\n"
        "Desk: [3 choose ▾ World | Sport = Sport]\n"
        "<Cancel>  <Send>"
    )
    assert [(c.kind, c.view_id, c.message_ts) for c in clickables] == [
        ("plain_text_input", "V1", None),
        ("datepicker", "V1", None),
        ("static_select", "V1", None),
    ]


def test_a_home_tab_has_no_title_line() -> None:
    home = {"type": "home", "id": "V2", "blocks": [{"type": "header", "text": plain("Desk")}]}
    assert render_view(home) == ("Desk\n════", [])


@pytest.mark.parametrize(
    ("markup", "shown"),
    [
        ("<https://a.example|A story>", "A story (https://a.example)"),
        ("<https://a.example>", "https://a.example"),
        ("<https://a.example|https://a.example>", "https://a.example"),
        ("<https://a.example/?a=1&amp;b=2|x &amp; y>", "x & y (https://a.example/?a=1&b=2)"),
        ("hi <@U1>", "hi @ana"),
        ("hi <@U9>", "hi @U9"),
        ("hi <@U9|bo>", "hi @bo"),
        ("in <#C1|world> and <#C1>", "in #world and #general"),
        ("<!here> <!channel>", "@here @channel"),
        ("<!subteam^S1|@editors> please", "@editors please"),
        ("<!date^1700000000^{date}|14 Nov 2023>", "14 Nov 2023"),
        ("&lt;!channel&gt; is escaped", "<!channel> is escaped"),
        ("<mailto:a@b.example|write>", "write (mailto:a@b.example)"),
    ],
)
def test_mrkdwn_markup_as_plain_text(markup: str, shown: str) -> None:
    assert render_mrkdwn(markup, names={"U1": "ana", "C1": "general"}) == shown


def test_a_message_without_blocks_shows_its_text_and_attachments() -> None:
    message = {
        "text": "Alert for <#C1|world>",
        "attachments": [{"fallback": "Older format", "text": "Line one\nLine two"}],
    }
    assert render_message(message) == "Alert for #world\n│ Line one\n│ Line two"


def test_rich_text_a_person_typed() -> None:
    message = {
        "text": "ignored when blocks exist",
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "text", "text": "look "},
                            {"type": "link", "url": "https://a.example", "text": "here"},
                            {"type": "text", "text": " "},
                            {"type": "user", "user_id": "U1"},
                            {"type": "text", "text": " "},
                            {"type": "emoji", "name": "wave"},
                        ],
                    },
                    {
                        "type": "rich_text_list",
                        "style": "ordered",
                        "elements": [
                            {
                                "type": "rich_text_section",
                                "elements": [{"type": "text", "text": "one"}],
                            },
                            {
                                "type": "rich_text_section",
                                "elements": [{"type": "text", "text": "two"}],
                            },
                        ],
                    },
                    {
                        "type": "rich_text_quote",
                        "elements": [{"type": "text", "text": "quoted"}],
                    },
                ],
            }
        ],
    }
    assert render_message(message, names={"U1": "ana"}) == (
        "look here (https://a.example) @ana :wave:\n1. one\n2. two\n> quoted"
    )


def test_color_makes_headers_bold_and_context_dim() -> None:
    blocks = [
        {"type": "header", "text": plain("News")},
        {"type": "context", "elements": [{"type": "plain_text", "text": "3 Jan"}]},
    ]
    text, _ = render_blocks(blocks, color=True)
    assert text == "\033[1mNews\033[0m\n════\n  · \033[2m3 Jan\033[0m"


def test_unknown_blocks_are_named_not_dropped() -> None:
    text, clickables = render_blocks([{"type": "video", "title": plain("Clip")}])
    assert (text, clickables) == ("[video block]", [])
