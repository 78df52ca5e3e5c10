"""Feed parsing: fixtures and the shared real feeds, served locally and fetched safely."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from news.errors import NotAnArticle
from news.feeds import (
    MAX_CONTENT_CHARS,
    MAX_ENTRIES,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    FeedEntry,
    InvalidFeed,
    ParsedFeed,
    entry_draft,
    html_to_text,
    parse_feed,
)
from news.fetching import FEED_TYPES, SafeFetcher
from tests.pageserver import PageServer, page_server

__all__ = ["page_server"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
NOW = datetime(2024, 1, 1, tzinfo=UTC)
MARKUP = re.compile(r"</?(?:p|div|img|a|script|style|span|br|figure|strong|em|b|i|ul|li)[\s>/]|<!")


def find_shared_feeds() -> Path:
    """``shared/data/feeds``, searched upwards from this file (CI has it beside the clone)."""
    for folder in Path(__file__).resolve().parents:
        for candidate in (folder / "shared", folder.parent / "shared"):
            feeds = candidate / "data" / "feeds"
            if feeds.is_dir():
                return feeds
    raise FileNotFoundError("shared/data/feeds not found above the test folder")


def read_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def fetcher() -> Iterator[SafeFetcher]:
    with SafeFetcher(allowed_hosts=["127.0.0.1"]) as safe_fetcher:
        yield safe_fetcher


def serve_and_parse(
    server: PageServer,
    fetcher: SafeFetcher,
    body: bytes,
    *,
    content_type: str,
    path: str = "/feed",
    now: datetime = NOW,
) -> ParsedFeed:
    """Serve ``body``, fetch it as a feed, and parse it with the full Content-Type header."""
    server.add(path, body, content_type=content_type)
    page = fetcher.fetch(server.url(path), accept=FEED_TYPES)
    assert page.status == 200
    return parse_feed(
        page.content,
        url=page.url,
        content_type=page.headers.get("content-type", page.content_type),
        now=now,
    )


def by_key(feed: ParsedFeed) -> dict[str, FeedEntry]:
    return {entry.key: entry for entry in feed.entries}


def assert_plain_and_sane(feed: ParsedFeed) -> None:
    """Properties every parsed feed has, whatever its source."""
    keys = [entry.key for entry in feed.entries]
    assert len(keys) == len(set(keys))
    assert len(feed.entries) <= MAX_ENTRIES
    for entry in feed.entries:
        assert entry.key
        assert len(entry.title) <= MAX_TITLE_CHARS
        assert len(entry.summary) <= MAX_SUMMARY_CHARS
        assert len(entry.content) <= MAX_CONTENT_CHARS
        for text in (entry.title, entry.summary, entry.content):
            # Literal text may mention a tag ("the <body> tag"); markup must be gone.
            assert not MARKUP.search(text), text[:200]
            assert "<@" not in text
        assert "\n" not in entry.title
        assert entry.link is None or entry.link.startswith(("http://", "https://"))
        for when in (entry.published_at, entry.updated_at):
            assert when is None or when.utcoffset() is not None
            assert when is None or datetime(1990, 1, 1, tzinfo=UTC) <= when


# Our fixtures, one per format.


@pytest.mark.parametrize(
    ("name", "content_type", "format_name", "title", "count"),
    [
        ("rss091_latin1.xml", "application/rss+xml", "rss091n", "Le Café du Commerce", 2),
        ("rss10.rdf", "application/xml", "rss10", "Wire Desk", 2),
        ("rss20.xml", "application/rss+xml", "rss20", "The Daily Example & Co", 7),
        ("atom.xml", "application/atom+xml", "atom10", "Metro Atom Desk", 2),
        ("jsonfeed.json", "application/feed+json", "json11", "Harbour News", 2),
        ("broken.xml", "text/xml", "rss20", "Half-rendered Feed", 1),
    ],
)
def test_parses_each_format_fetched_through_the_safe_fetcher(
    page_server: PageServer,
    fetcher: SafeFetcher,
    name: str,
    content_type: str,
    format_name: str,
    title: str,
    count: int,
) -> None:
    feed = serve_and_parse(page_server, fetcher, read_fixture(name), content_type=content_type)

    assert feed.format == format_name
    assert feed.title == title
    assert len(feed.entries) == count
    assert_plain_and_sane(feed)
    assert page_server.requests_to("/feed")[0].headers["accept"] == ", ".join(sorted(FEED_TYPES))


@pytest.mark.parametrize(
    "content_type", ["application/rss+xml", "text/xml", "text/xml; charset=utf-8"]
)
def test_latin1_feed_decodes_from_its_xml_declaration(
    page_server: PageServer, fetcher: SafeFetcher, content_type: str
) -> None:
    feed = serve_and_parse(
        page_server, fetcher, read_fixture("rss091_latin1.xml"), content_type=content_type
    )

    first = feed.entries[0]
    assert first.title == "Élection à Noël : le résultat"
    assert first.summary == "Les électeurs ont voté à 60 % pour « le changement »."
    assert feed.title == "Le Café du Commerce"
    # A bare text/xml must not be read as US-ASCII (RFC 3023) over the declaration.
    if content_type == "text/xml":
        assert feed.warnings == ()


def test_latin1_feed_without_declaration_decodes_from_the_header_charset(
    page_server: PageServer, fetcher: SafeFetcher
) -> None:
    body = read_fixture("rss091_latin1.xml").split(b"?>", 1)[1]
    assert b"encoding" not in body[:200]

    feed = serve_and_parse(page_server, fetcher, body, content_type="text/xml; charset=ISO-8859-1")

    assert feed.entries[0].title == "Élection à Noël : le résultat"


def test_rss20_entries_in_detail(page_server: PageServer, fetcher: SafeFetcher) -> None:
    feed = serve_and_parse(
        page_server, fetcher, read_fixture("rss20.xml"), content_type="application/rss+xml"
    )
    entries = by_key(feed)

    budget = entries["daily-example-1001"]
    assert budget.guid == "daily-example-1001"
    assert budget.link == "https://daily.example/news/budget?id=7"
    assert budget.title == "Council approves new budget"
    assert budget.summary == "The council voted 7–2 for the plan."
    assert budget.content == (
        "The council voted 7–2 for the plan on Monday.\n\nOpponents said the cuts go too far."
    )
    assert budget.author == "Jane Doe"
    assert budget.tags == ("Politics", "Budget")
    assert budget.published_at == datetime(2023, 11, 13, 10, 0, tzinfo=UTC)
    assert budget.updated_at is None

    storm = entries["daily-example-1002"]
    assert storm.link == page_server.url("/news/storm")
    # "Sat, Nov 11 2023 02:15:00 PM": feedparser alone reads 02:15.
    assert storm.published_at == datetime(2023, 11, 11, 14, 15, tzinfo=UTC)

    assert entries["daily-example-1003"].published_at is None
    assert entries["daily-example-1004"].published_at is None

    no_guid = entries["https://www.daily.example/news/no-guid/"]
    assert no_guid.guid is None
    assert no_guid.link == "https://www.daily.example/news/no-guid/"

    textual = [entry for entry in feed.entries if entry.key.startswith("sha256:")]
    assert [entry.title for entry in textual] == ["Item with neither guid nor link"]
    assert textual[0].link is None

    assert entries["daily-example-1008"].link is None  # guid is not a permalink
    assert "Repeated guid, should be dropped" not in [entry.title for entry in feed.entries]
    assert feed.warnings == ("skipped 1 entries repeating an earlier entry's id or link",)
    assert feed.link == "https://daily.example/"


def test_markup_and_slack_mentions_in_titles_come_out_as_plain_text(
    page_server: PageServer, fetcher: SafeFetcher
) -> None:
    feed = serve_and_parse(
        page_server, fetcher, read_fixture("rss20.xml"), content_type="application/rss+xml"
    )

    title = by_key(feed)["daily-example-1002"].title
    assert title == "Storm warning"
    assert "script" not in title
    assert "alert" not in title


def test_atom_entries(page_server: PageServer, fetcher: SafeFetcher) -> None:
    feed = serve_and_parse(
        page_server, fetcher, read_fixture("atom.xml"), content_type="application/atom+xml"
    )
    bridge, library = feed.entries

    assert bridge.key == "tag:metro.example,2023:bridge"
    assert bridge.title == "Bridge reopens after repairs"
    assert bridge.content == (
        "The bridge is open again after eight months of repairs.\n\n"
        "Traffic is expected to be heavy."
    )
    assert bridge.summary == "The bridge is open again."
    assert bridge.author == "Sam Lee"
    assert bridge.tags == ("Transport",)
    assert bridge.published_at == datetime(2023, 11, 14, 13, 0, tzinfo=UTC)
    assert bridge.updated_at == datetime(2023, 11, 14, 16, 0, tzinfo=UTC)
    # Only <updated>: it stands in for the publication time.
    assert library.published_at == library.updated_at == datetime(2023, 11, 13, 9, tzinfo=UTC)
    assert library.summary == "Branches will stay open until 9 pm."
    assert feed.link == "https://metro.example/"


def test_json_feed_items(page_server: PageServer, fetcher: SafeFetcher) -> None:
    feed = serve_and_parse(
        page_server, fetcher, read_fixture("jsonfeed.json"), content_type="application/feed+json"
    )
    ferry, market = feed.entries

    assert ferry.key == "2023-11-14-ferry"
    assert ferry.title == "Ferry service resumes"
    assert ferry.content == "Boats run again after the storm.\n\nThe first left at 6 am."
    assert ferry.author == "Ana Pereira, Tom Ng"
    assert ferry.tags == ("Transport", "Weather")
    assert ferry.published_at == datetime(2023, 11, 14, 6, 30, tzinfo=UTC)
    assert ferry.updated_at == datetime(2023, 11, 14, 7, 0, tzinfo=UTC)
    assert market.key == "42"
    assert market.link == page_server.url("/2023/11/market")
    assert market.author == "Harbour Newsroom"
    assert market.content == (
        "The market opens at the new site on Monday.\n\nStalls keep their numbers."
    )
    assert market.published_at is None
    assert feed.link == "https://harbour.example/"
    assert feed.warnings == ("skipped 1 items that are not objects",)


def test_json_feed_version_one_with_a_single_author() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1", "title": "Old", "author": {"name": "Desk"},'
        b' "items": [{"id": "a", "content_text": "Text <b>kept</b> as text"}]}'
    )

    feed = parse_feed(body, url="https://old.example/feed.json", now=NOW)

    assert feed.format == "json1"
    assert feed.entries[0].author == "Desk"
    assert feed.entries[0].content == "Text <b>kept</b> as text"


def test_broken_feed_keeps_what_it_can_with_a_warning(
    page_server: PageServer, fetcher: SafeFetcher
) -> None:
    feed = serve_and_parse(
        page_server, fetcher, read_fixture("broken.xml"), content_type="text/xml"
    )

    (entry,) = feed.entries
    assert entry.key == "broken-1"
    assert entry.title == "First story survives"
    assert feed.warnings[0].startswith("broken XML at line ")


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", "application/rss+xml", "not a feed: the response is empty"),
        (b"<html><body><p>Hello</p></body></html>", "text/html", "not a feed: "),
        (b"just some words", "text/plain", "not a feed: "),
        (b'{"title": "x", "items": []}', "application/json", "not a feed: JSON without a"),
        (b"[1, 2]", "application/json", "not a feed: the JSON is not an object"),
        (b"{broken", "application/json", "not a feed: invalid JSON"),
        (
            b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}',
            "application/feed+json",
            "not a feed: JSON Feed without an items list",
        ),
        (
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut',
            "application/rss+xml",
            "not a feed: broken XML",
        ),
    ],
)
def test_refuses_what_is_not_a_feed(body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(InvalidFeed) as raised:
        parse_feed(body, url="https://example.com/feed", content_type=content_type, now=NOW)

    assert raised.value.reason.startswith(reason)
    assert "\n" not in raised.value.reason


def test_never_fetches_a_url_given_as_content(page_server: PageServer) -> None:
    page_server.add("/feed", read_fixture("rss20.xml"), content_type="application/rss+xml")

    with pytest.raises(InvalidFeed):
        parse_feed(page_server.url("/feed").encode(), url=page_server.url("/"), now=NOW)

    assert page_server.requests == []


def test_never_opens_a_file_named_by_the_content(tmp_path: Path) -> None:
    path = tmp_path / "local.xml"
    path.write_bytes(read_fixture("rss20.xml"))

    with pytest.raises(InvalidFeed):
        parse_feed(str(path).encode(), url="https://example.com/feed", now=NOW)


def test_refuses_entity_declarations_and_reads_no_external_entity(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    external = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>&x;</title><item><title>a &x;</title>'
        "</item></channel></rss>"
    ).encode()
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
        b']><rss version="2.0"><channel><title>&c;</title></channel></rss>'
    )

    for body in (external, laughs, external.decode().encode("utf-16")):
        with pytest.raises(InvalidFeed, match="entity declarations"):
            parse_feed(body, url="https://example.com/feed", now=NOW)


def test_plain_doctype_without_entities_is_fine() -> None:
    feed = parse_feed(read_fixture("rss091_latin1.xml"), url="https://cafe.example/rss", now=NOW)

    assert len(feed.entries) == 2


# Identity across polls.


def redate_and_reverse(body: bytes, item_tag: bytes, date_pattern: bytes) -> bytes:
    """The same feed with its items in reverse order and every date changed."""
    opening, closing = b"<" + item_tag, b"</" + item_tag + b">"
    first, last = body.index(opening), body.rindex(closing) + len(closing)
    items = re.findall(re.escape(opening) + rb"[\s>].*?" + re.escape(closing), body, re.DOTALL)
    assert len(items) > 1
    redated = [
        re.sub(date_pattern, b"\\g<1>Tue, 02 Jan 2024 08:00:00 +0000\\g<2>", item) for item in items
    ]
    return body[:first] + b"\n".join(reversed(redated)) + body[last:]


@pytest.mark.parametrize(
    ("source", "item_tag"),
    [("fixture:rss20.xml", b"item"), ("shared:TechCrunch.xml", b"item")],
)
def test_identity_survives_reordering_and_redating(
    page_server: PageServer, fetcher: SafeFetcher, source: str, item_tag: bytes
) -> None:
    kind, name = source.split(":")
    body = read_fixture(name) if kind == "fixture" else (find_shared_feeds() / name).read_bytes()
    # Without the item that repeats a guid: which of two copies comes first is order itself.
    body = re.sub(rb"<item>\s*<title>Repeated guid.*?</item>", b"", body, flags=re.DOTALL)
    changed = redate_and_reverse(body, item_tag, rb"(<pubDate>).*?(</pubDate>)")
    assert changed != body

    first = serve_and_parse(page_server, fetcher, body, content_type="application/rss+xml")
    second = serve_and_parse(page_server, fetcher, changed, content_type="application/rss+xml")

    assert {e.key: e.link for e in first.entries} == {e.key: e.link for e in second.entries}
    assert [e.key for e in first.entries] != [e.key for e in second.entries]
    first_dates = {e.key: e.published_at for e in first.entries}
    second_dates = {e.key: e.published_at for e in second.entries}
    assert first_dates != second_dates


def test_huge_feed_is_capped(page_server: PageServer, fetcher: SafeFetcher) -> None:
    items = [
        f"<item><guid>item-{number}</guid><title>Story {number}</title>"
        f"<link>https://big.example/{number}</link></item>"
        for number in range(1000)
    ]
    huge = (
        "<item><guid>huge</guid>"
        f"<title>{'headline ' * 200}</title>"
        f"<description>{'summary words ' * 1000}</description>"
        f"<content:encoded><![CDATA[<p>{'content text here ' * 15_000}</p>]]></content:encoded>"
        "</item>"
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>Big</title>{huge}{''.join(items)}</channel></rss>"
    ).encode()

    feed = serve_and_parse(page_server, fetcher, body, content_type="application/rss+xml")

    assert len(feed.entries) == MAX_ENTRIES
    assert feed.warnings == (f"read the first {MAX_ENTRIES} of 1001 entries",)
    first = feed.entries[0]
    assert first.key == "huge"
    assert len(first.title) <= MAX_TITLE_CHARS
    assert first.title.endswith("headline…")
    assert len(first.summary) <= MAX_SUMMARY_CHARS
    assert first.summary.endswith("…")
    assert MAX_CONTENT_CHARS - 100 < len(first.content) <= MAX_CONTENT_CHARS
    assert feed.entries[-1].key == f"item-{MAX_ENTRIES - 2}"


# The shared real feeds.

SHARED_EXPECTATIONS = {
    "InvalidDateFormat.xml": ("rss20", 2),
    "TechCrunch.xml": ("rss20", 20),
    "TypePadNews.xml": ("atom10", 10),
    "atom_mediarss_newscred_1.xml": ("atom10", 1),
    "rss_1.0_iso8859.xml": ("rss10", 1),
    "rss_2.0_ilgiornale.xml": ("rss20", 1),
    "rss_2.0_nbcny.xml": ("rss20", 1),
    "rss_2.0_spiegel.xml": ("rss20", 1),
    "rss_2.0_wirecutter.xml": ("rss20", 1),
}
BROKEN_SHARED = {"rss_2.0_invalid_1.xml"}


def test_every_shared_feed_is_covered() -> None:
    names = {path.name for path in find_shared_feeds().iterdir()}
    assert names == set(SHARED_EXPECTATIONS) | BROKEN_SHARED


@pytest.mark.parametrize("name", sorted(SHARED_EXPECTATIONS))
@pytest.mark.parametrize("content_type", ["application/rss+xml", "text/xml"])
def test_parses_every_shared_feed(
    page_server: PageServer, fetcher: SafeFetcher, name: str, content_type: str
) -> None:
    body = (find_shared_feeds() / name).read_bytes()

    feed = serve_and_parse(page_server, fetcher, body, content_type=content_type)

    format_name, count = SHARED_EXPECTATIONS[name]
    assert (feed.format, len(feed.entries)) == (format_name, count)
    assert_plain_and_sane(feed)
    assert all(entry.title for entry in feed.entries)
    assert all(entry.link for entry in feed.entries)


def test_shared_broken_feed_is_refused_with_a_reason(
    page_server: PageServer, fetcher: SafeFetcher
) -> None:
    body = (find_shared_feeds() / "rss_2.0_invalid_1.xml").read_bytes()

    with pytest.raises(InvalidFeed, match=r"^not a feed: broken XML at line \d+"):
        serve_and_parse(page_server, fetcher, body, content_type="application/rss+xml")


def test_shared_latin1_feed(page_server: PageServer, fetcher: SafeFetcher) -> None:
    body = (find_shared_feeds() / "rss_1.0_iso8859.xml").read_bytes()

    feed = serve_and_parse(page_server, fetcher, body, content_type="text/xml")

    (entry,) = feed.entries
    assert entry.title == "Digitalministerium: Neue Glasfaserförderung mit Schnellkasse"
    assert entry.summary.startswith("Ab April soll es wieder Förderung für den Ausbau")
    assert entry.summary.endswith("(Infrastruktur, Glasfaser)")
    assert entry.author == "Achim Sawall"
    assert entry.published_at == datetime(2023, 1, 25, 18, 3, 2, tzinfo=UTC)
    assert feed.warnings == ()


def test_shared_feed_with_invalid_dates(page_server: PageServer, fetcher: SafeFetcher) -> None:
    body = (find_shared_feeds() / "InvalidDateFormat.xml").read_bytes()

    feed = serve_and_parse(page_server, fetcher, body, content_type="application/rss+xml")

    first, second = feed.entries
    assert first.published_at == datetime(2017, 10, 16, 15, 10, tzinfo=UTC)
    assert first.updated_at is None  # <dc:date>1518478934</dc:date>
    assert second.updated_at == datetime(2017, 10, 17, 22, 17, tzinfo=UTC)


def test_shared_feeds_details(page_server: PageServer, fetcher: SafeFetcher) -> None:
    shared = find_shared_feeds()

    nbc = serve_and_parse(
        page_server, fetcher, (shared / "rss_2.0_nbcny.xml").read_bytes(), content_type="text/xml"
    )
    (story,) = nbc.entries
    assert story.key == "4956764"
    assert story.published_at == datetime(2023, 12, 16, 14, 2, 33, tzinfo=UTC)
    assert story.author == "Gaby Acevedo and Jessica Cunnington"

    newscred = serve_and_parse(
        page_server,
        fetcher,
        (shared / "atom_mediarss_newscred_1.xml").read_bytes(),
        content_type="application/atom+xml",
        path="/newscred",
    )
    (entry,) = newscred.entries
    # The bare id is neither resolved against the feed's address nor taken as a link.
    assert entry.key == "75ffea6b731bb4534f3138fd6b726791"
    assert entry.link == "http://www.example.com/the-day-off-tampa"
    assert newscred.link is None
    assert newscred.title == ""

    wirecutter = serve_and_parse(
        page_server,
        fetcher,
        (shared / "rss_2.0_wirecutter.xml").read_bytes(),
        content_type="application/rss+xml",
        path="/wirecutter",
    )
    (review,) = wirecutter.entries
    assert review.link is not None
    assert "utm_" not in review.link


# Pieces.


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>One</p><p>Two &amp; three</p>", "One\n\nTwo & three"),
        ("Line one\nline two\n\nNext paragraph", "Line one line two\n\nNext paragraph"),
        ("<style>p{}</style><script>x()</script>Visible", "Visible"),
        ("x < y and y > z", "x < y and y > z"),
        ("Hi <!channel> <@U123|ana> &lt;!here&gt; <#C1|news> there", "Hi there"),
        ("A<br/>B<br>C", "A\n\nB\n\nC"),
        ("<b>unclosed <i>tags", "unclosed tags"),
        ("zero\u200bwidth\x00nul\x07bell", "zerowidthnulbell"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_html_to_text_on_one_line() -> None:
    assert html_to_text("<p>One</p>\n<p>Two</p>", single_line=True) == "One Two"


def rss_with_date(date: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>D</title>'
        f"<item><guid>d</guid><title>t</title><pubDate>{date}</pubDate></item>"
        "</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Sat, 16 Dec 2023 12:05:00 AM", datetime(2023, 12, 16, 0, 5, tzinfo=UTC)),
        ("Sat, 16 Dec 2023 12:05:00 PM", datetime(2023, 12, 16, 12, 5, tzinfo=UTC)),
        ("Sat, 16 Dec 2023 02:05:00 pm +0100", datetime(2023, 12, 16, 13, 5, tzinfo=UTC)),
        ("Sat, 16 Dec 2023 09:05:00 AM", datetime(2023, 12, 16, 9, 5, tzinfo=UTC)),
        ("2023-12-16T09:05:00+02:00", datetime(2023, 12, 16, 7, 5, tzinfo=UTC)),
        ("1518478934", None),
        ("0000-00-00", None),
        ("Thu, 01 Jan 1970 00:00:00 +0000", None),
        ("Wed, 03 Jan 2024 00:00:01 +0000", None),
        ("Tue, 02 Jan 2024 23:00:00 +0000", datetime(2024, 1, 2, 23, 0, tzinfo=UTC)),
        ("", None),
    ],
)
def test_dates(date: str, expected: datetime | None) -> None:
    (entry,) = parse_feed(rss_with_date(date), url="https://d.example/", now=NOW).entries

    assert entry.published_at == expected


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_feed(read_fixture("rss20.xml"), url="https://x.example/", now=datetime(2024, 1, 1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=300).map(lambda text: f"<rss version='2.0'>{text}".encode()),
        st.text(max_size=300).map(
            lambda text: ('{"version": "https://jsonfeed.org/version/1", ' + text).encode()
        ),
    )
)
def test_arbitrary_bytes_give_a_feed_or_invalid_feed(body: bytes) -> None:
    reason = "not a feed: "
    try:
        feed = parse_feed(body, url="https://fuzz.example/feed", now=NOW)
    except InvalidFeed as error:
        reason = error.reason
    else:
        assert_plain_and_sane(feed)
    assert reason.startswith("not a feed: ")


# The feed's own text as a story.


def make_entry(**changes: object) -> FeedEntry:
    values: dict[str, object] = {
        "key": "k",
        "guid": "k",
        "link": "https://daily.example/story",
        "title": "Council approves budget",
        "summary": "The council voted 7–2.",
        "content": "The council voted 7–2 on Monday.\n\nOpponents objected.",
        "author": "Jane Doe",
        "published_at": datetime(2023, 11, 13, 10, tzinfo=UTC),
        "updated_at": None,
        "tags": ("Politics",),
    }
    values.update(changes)
    return FeedEntry(**values)  # type: ignore[arg-type]


def test_entry_draft_uses_the_fullest_text() -> None:
    draft = entry_draft(make_entry(), feed_title="The Daily Example")

    assert draft.body == "The council voted 7–2 on Monday.\n\nOpponents objected."
    assert draft.headline == "Council approves budget"
    assert draft.standfirst is None  # the summary only repeats the opening
    assert draft.url == "https://daily.example/story"
    assert draft.byline == "Jane Doe"
    assert draft.outlet == "The Daily Example"
    assert draft.published_at == datetime(2023, 11, 13, 10, tzinfo=UTC)
    assert draft.tags == ["Politics"]


def test_entry_draft_keeps_a_distinct_summary_as_standfirst() -> None:
    draft = entry_draft(make_entry(summary="Budget passes after a long night."), feed_title="")

    assert draft.standfirst == "Budget passes after a long night."
    assert draft.outlet is None


def test_entry_draft_falls_back_to_the_summary() -> None:
    draft = entry_draft(make_entry(content="", title=""), feed_title="Feed")

    assert draft.body == "The council voted 7–2."
    assert draft.headline is None


def test_entry_draft_refuses_an_entry_without_text() -> None:
    with pytest.raises(NotAnArticle, match="no text"):
        entry_draft(make_entry(content="", summary=""), feed_title="Feed")


def test_entry_draft_from_a_parsed_feed(page_server: PageServer, fetcher: SafeFetcher) -> None:
    feed = serve_and_parse(
        page_server, fetcher, read_fixture("rss10.rdf"), content_type="application/xml"
    )

    draft = entry_draft(feed.entries[0], feed_title=feed.title)

    assert draft.outlet == "Wire Desk"
    assert draft.body.startswith(
        "Dock workers stayed away from the container terminals on Tuesday."
    )
    assert draft.byline == "Maria Keller"
