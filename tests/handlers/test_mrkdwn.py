from __future__ import annotations

import pytest

from handlers.mrkdwn import (
    clean_text,
    collapse_whitespace,
    defuse_plain_text,
    escape_mrkdwn,
    link,
    measure,
    plain_text,
    sanitize_url,
    truncate_words,
)

WJ = "\u2060"
ZWSP = "\u200b"


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here>", "&lt;!here&gt;"),
        ("<!everyone>", "&lt;!everyone&gt;"),
        ("<!subteam^S123|@team>", "&lt;!subteam^S123|@team&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<#C123|general>", "&lt;#C123|general&gt;"),
        ("<http://evil.example|click>", "&lt;http://evil.example|click&gt;"),
        ("AT&T & Verizon", "AT&amp;T &amp; Verizon"),
        ("&lt;already&gt;", "&amp;lt;already&amp;gt;"),
        ("a > b", "a &gt; b"),
        ("*bold* _it_ ~s~ `code`", "*bold* _it_ ~s~ `code`"),
    ],
)
def test_escape_mrkdwn_makes_control_sequences_inert(raw: str, escaped: str) -> None:
    assert escape_mrkdwn(raw) == escaped


def test_escape_mrkdwn_breaks_bare_broadcast_words_with_an_invisible_joiner() -> None:
    assert escape_mrkdwn("ping @channel and @Here, even @heretic") == (
        f"ping @{WJ}channel and @{WJ}Here, even @{WJ}heretic"
    )
    assert escape_mrkdwn("@everyone") == f"@{WJ}everyone"
    assert escape_mrkdwn("mail me@example.com") == "mail me@example.com"


def test_escape_mrkdwn_strips_control_characters_and_keeps_lines() -> None:
    assert escape_mrkdwn("a\x00b\x07c\x1bd\x7fe\x85f") == "abcde\nf"
    assert escape_mrkdwn("one\r\ntwo\rthree\u2028four") == "one\ntwo\nthree\nfour"
    assert escape_mrkdwn("tab\there") == "tab here"
    assert escape_mrkdwn("lone \ud800 surrogate") == "lone  surrogate"


def test_escape_mrkdwn_keeps_emoji_and_right_to_left_text() -> None:
    family = "👨\u200d👩\u200d👧"
    hebrew = "\u200fשלום עולם"
    arabic = "مرحبا بالعالم"
    assert escape_mrkdwn(family) == family
    assert escape_mrkdwn(hebrew) == hebrew
    assert escape_mrkdwn(f"{arabic} <b>") == f"{arabic} &lt;b&gt;"
    assert escape_mrkdwn("🇺🇦 Kyiv") == "🇺🇦 Kyiv"


def test_clean_text_leaves_printable_text_alone() -> None:
    text = "Plain headline, with «quotes» — and 😀"
    assert clean_text(text) is text


def test_defuse_plain_text_breaks_anything_shaped_like_a_control_sequence() -> None:
    assert defuse_plain_text("<!channel> <@U1> <#C1> <https://x.y|z>") == (
        f"<{ZWSP}!channel> <{ZWSP}@U1> <{ZWSP}#C1> <{ZWSP}https://x.y|z>"
    )
    assert defuse_plain_text("2 < 3 & 4 > 1") == "2 < 3 & 4 > 1"
    assert defuse_plain_text("hi @here\x00") == f"hi @{WJ}here"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a/b?x=1&y=2#frag", "https://example.com/a/b?x=1&y=2#frag"),
        ("HTTP://Example.COM/Path", "http://example.com/Path"),
        ("https://example.com/a|b>c<d", "https://example.com/a%7Cb%3Ec%3Cd"),
        ('https://example.com/"q" x', "https://example.com/%22q%22%20x"),
        ("https://example.com/%7Calready", "https://example.com/%7Calready"),
        (
            "https://пример.рф/новости",
            "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8",
        ),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://[2001:db8::1]/x", "https://[2001:db8::1]/x"),
        ("  https://example.com/  ", "https://example.com/"),
    ],
)
def test_sanitize_url_encodes_what_would_break_a_link(url: str, expected: str) -> None:
    assert sanitize_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "javascript:alert(1)",
        "ftp://example.com/file",
        "mailto:desk@example.com",
        "//example.com/path",
        "https://",
        "example.com/path",
        "https://user:secret@example.com/",
        "https://good.example@evil.example/",
        "https://exa\x00mple.com/",
        "https://example.com:99999/",
        "https://[::1/",
        "https://exa|mple.com/",
    ],
)
def test_sanitize_url_refuses_anything_but_plain_http_links(url: str | None) -> None:
    assert sanitize_url(url) is None


def test_link_builds_a_safe_mrkdwn_link() -> None:
    assert link("https://example.com/a?b=1&c=2", "Kyiv & <!here>") == (
        "<https://example.com/a?b=1&amp;c=2|Kyiv &amp; &lt;!here&gt;>"
    )
    assert link("https://example.com/x|y", "a|b") == "<https://example.com/x%7Cy|a|b>"
    assert link("https://example.com/", "  two\n lines ") == "<https://example.com/|two lines>"
    assert link("https://example.com/", "\x00") == "<https://example.com/>"


def test_link_falls_back_to_the_escaped_label_for_unsafe_urls() -> None:
    assert link("javascript:alert(1)", "<@U1> click") == "&lt;@U1&gt; click"
    assert link(None, "Headline") == "Headline"


def test_link_truncates_the_label() -> None:
    result = link("https://example.com/", "one two three four", label_limit=10)
    assert result == "<https://example.com/|one two…>"


def test_collapse_whitespace() -> None:
    assert collapse_whitespace("  a \n\t b  c ") == "a b c"


def test_measure_counts_utf16_code_units() -> None:
    assert measure("abc") == 3
    assert measure("é") == 1
    assert measure("😀") == 2
    assert measure("👨\u200d👩") == 5
    assert measure("\ud800") == 1  # a lone surrogate is one unit, not an error


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("the quick brown fox jumps", 16, "the quick brown…"),
        ("the quick brown fox jumps", 15, "the quick…"),
        ("the quick brown fox jumps", 12, "the quick…"),
        ("Supercalifragilistic", 8, "Superca…"),
        ("word, another", 9, "word,…"),
        ("AT&amp;T merger talks", 6, "AT…"),
        ("AT&amp;T merger talks", 9, "AT&amp;T…"),
        ("x&lt;y", 4, "x…"),
        ("anything", 1, "…"),
        ("anything", 0, ""),
        ("😀😀😀😀", 5, "😀😀…"),
    ],
)
def test_truncate_words(text: str, limit: int, expected: str) -> None:
    assert truncate_words(text, limit) == expected


def test_truncate_words_with_another_ellipsis() -> None:
    assert truncate_words("one two three", 10, ellipsis=" [more]") == "one [more]"
    assert truncate_words("one two three", 7, ellipsis="") == "one two"
    assert truncate_words("one two three", 2, ellipsis="...") == ".."


@pytest.mark.parametrize("limit", [1, 2, 5, 17, 100])
def test_truncate_words_never_exceeds_the_limit(limit: int) -> None:
    text = "Ukraine &amp; Russia &lt;talks&gt; 😀 " * 20
    result = truncate_words(text, limit)
    assert measure(result) <= limit
    assert len(result) <= limit


def test_plain_text_object() -> None:
    assert plain_text("Kyiv <!channel>\x00", 150) == {
        "type": "plain_text",
        "text": f"Kyiv <{ZWSP}!channel>",
        "emoji": True,
    }
    assert plain_text("Subscribe this channel to Ukraine", 20)["text"] == "Subscribe this…"
    assert plain_text("  padded  ", 150)["text"] == "padded"


def test_plain_text_refuses_empty_text() -> None:
    with pytest.raises(ValueError, match="visible character"):
        plain_text(" \x00\x01 ", 10)


@pytest.mark.parametrize(
    "label",
    [
        "https://evil.example.com/login",
        "paypal.com.evil.net/account",
        "www.bbc.co.uk/news",
        "https://news.example.com/other-story",
        "evil.com",
        "https://evil.com/very/long/path/that/gets/truncated/at/the/limit/of/the/label",
    ],
)
def test_a_label_that_is_an_address_gives_way_to_the_real_target(label: str) -> None:
    assert link("https://news.example.com/story", label, label_limit=40) == (
        "<https://news.example.com/story>"
    )


@pytest.mark.parametrize(
    "label",
    ["Amazon.com shares fall", "Log in at https://evil.com/x?y=1 now", "10.0.0.1 admin page"],
)
def test_a_label_naming_another_site_is_text_beside_the_real_target(label: str) -> None:
    result = link("https://news.example.com/story", label)

    assert result.startswith(escape_mrkdwn(label) + " (")
    assert result.endswith("(<https://news.example.com/story|news.example.com>)")
    assert result.count("|") == 1


@pytest.mark.parametrize(
    "label", ["Node.js 22 released", "U.S. and E.U. agree", "No.10 says", "Example.com launches"]
)
def test_a_label_naming_no_other_site_stays_the_label(label: str) -> None:
    assert link("https://www.example.com/story", label) == (
        f"<https://www.example.com/story|{label}>"
    )


@pytest.mark.parametrize(
    "control", ["\u202e", "\u202a", "\u202b", "\u202d", "\u2066", "\u2067", "\u2069"]
)
def test_bidi_overrides_and_isolates_are_removed(control: str) -> None:
    label = f"Invoice {control}gpj.exe"

    assert link("https://example.com/", label) == "<https://example.com/|Invoice gpj.exe>"
    assert control not in escape_mrkdwn(label)
    assert control not in plain_text(label, 100)["text"]
