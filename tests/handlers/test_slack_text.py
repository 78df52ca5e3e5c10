from __future__ import annotations

import pytest

from handlers.slack_text import SlackReference, find_links, parse_reference, strip_markup


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("see <https://a.example/story>", ["https://a.example/story"]),
        (
            "<https://a.example/x|a.example/x> and <http://b.example>",
            ["https://a.example/x", "http://b.example"],
        ),
        ("dup <https://a.example> <https://a.example|again>", ["https://a.example"]),
        ("<@U123> <#C123|world> <!here> <mailto:a@b.example|a@b>", []),
        ("<https://a.example/?a=1&amp;b=2>", ["https://a.example/?a=1&b=2"]),
        ("no links, just https://plain.example typed", []),
        ("", []),
    ],
)
def test_find_links(text: str, links: list[str]) -> None:
    assert find_links(text) == links


def test_find_links_caps_the_count() -> None:
    text = " ".join(f"<https://a.example/{n}>" for n in range(30))
    assert len(find_links(text)) == 10


def test_strip_markup_leaves_the_question() -> None:
    assert strip_markup("<@UBOT>  latest on   Ukraine &amp; Russia") == "latest on Ukraine & Russia"


@pytest.mark.parametrize(
    ("token", "reference"),
    [
        ("<#C123ABC|world>", SlackReference("channel", "C123ABC")),
        ("<#G1>", SlackReference("channel", "G1")),
        ("<@U999>", SlackReference("user", "U999")),
        ("<@W1|ana>", SlackReference("user", "W1")),
        ("#world", None),
        ("<!channel>", None),
        ("<#c123>", None),
    ],
)
def test_parse_reference(token: str, reference: SlackReference | None) -> None:
    assert parse_reference(token) == reference
