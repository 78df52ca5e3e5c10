"""Hostile feeds: entity declarations refused wherever they are and in any encoding; the entry
cap applies while parsing, so a feed of 100,000 items is cut before feedparser reads it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from news.feed_guard import EntityDeclarations, bound_feed_document, feed_as_utf8
from news.feeds import MAX_ENTRIES, InvalidFeed, parse_feed

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LAUGHS = (
    '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(8))
    + "]>"
)
RSS = '<rss version="2.0"><channel><title>&i;</title><item><title>x</title></item></channel></rss>'


def many_items(count: int, *, broken: bool = False) -> bytes:
    title = "Ham & eggs" if broken else "Ham and eggs"
    items = "".join(f"<item><guid>g{i}</guid><title>Story {i}</title></item>" for i in range(count))
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{items}'
        "</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(f'<?xml version="1.0"?><!-- <a -->{LAUGHS}{RSS}'.encode(), id="comment-first"),
        pytest.param(f"<a/>{LAUGHS}{RSS}".encode(), id="element-before-doctype"),
        pytest.param(f"<!-- x -->\n{LAUGHS}{RSS}".encode(), id="comment-before-doctype"),
        pytest.param(
            f'<?xml version="1.0" encoding="utf-32"?>{LAUGHS}{RSS}'.encode("utf-32"), id="utf-32"
        ),
        pytest.param(f"{LAUGHS}{RSS}".encode("utf-32-be"), id="utf-32-be-without-bom"),
        pytest.param(
            f'<?xml version="1.0" encoding="utf-16"?>{LAUGHS}{RSS}'.encode("utf-16-le"),
            id="utf-16-without-bom",
        ),
        pytest.param(
            f'<?xml version="1.0"?><rss version="2.0"><channel>{LAUGHS}</channel></rss>'.encode(),
            id="doctype-inside-the-document",
        ),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "http://x.example/d">%p;]>'
            + RSS.encode(),
            id="parameter-entity",
        ),
    ],
)
def test_entity_declarations_are_refused_wherever_they_are(body: bytes) -> None:
    with pytest.raises(InvalidFeed, match="entity declarations are not accepted"):
        parse_feed(body, url="https://example.com/feed", content_type="text/xml", now=NOW)


@pytest.mark.parametrize("broken", [False, True], ids=["well-formed", "broken-xml"])
def test_a_feed_of_100000_items_is_cut_at_the_cap_before_feedparser(broken: bool) -> None:
    body = many_items(100_000, broken=broken)

    bounded = bound_feed_document(feed_as_utf8(body, "application/rss+xml"), max_entries=400)
    feed = parse_feed(body, url="https://example.com/feed", now=NOW)

    assert bounded.document.count(b"<item>") == 400
    assert bounded.total_entries == 100_000
    assert len(feed.entries) == MAX_ENTRIES
    assert [entry.key for entry in feed.entries[:2]] == ["g0", "g1"]
    assert feed.warnings[-1] == f"read the first {MAX_ENTRIES} of 100000 entries"


def test_the_cut_document_is_well_formed_with_its_open_elements_closed() -> None:
    body = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        + "".join(f"<entry><id>e{i}</id><title>T{i}</title></entry>" for i in range(10))
        + "</feed>"
    ).encode()

    bounded = bound_feed_document(body, max_entries=3)

    assert bounded.document.endswith(b"<entry><id>e2</id><title>T2</title></entry></feed>")
    assert bound_feed_document(bounded.document, max_entries=3).total_entries is None


def test_a_plain_doctype_is_kept_and_short_feeds_are_untouched() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
        + RSS.replace("&i;", "t").encode()
    )

    assert bound_feed_document(body, max_entries=10).document == body
    with pytest.raises(EntityDeclarations):
        bound_feed_document(f"{LAUGHS}{RSS}".encode(), max_entries=10)


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-le", "utf-16", "utf-16-be", "utf-8-sig"])
def test_wide_encodings_are_read_as_utf8(codec: str) -> None:
    body = f'<?xml version="1.0" encoding="{codec}"?><rss><channel><title>Noël</title>'.encode(
        codec
    )

    assert feed_as_utf8(body, "").startswith(
        b'<?xml version="1.0" encoding="utf-8"?><rss><channel><title>No\xc3\xabl</title>'
    )
