"""Wrapped links are fetched from their target and archived under it; feeds too."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

from news.fetching import ARTICLE_TYPES, FetchedPage
from storage.articles import NewShare, find_article_by_url
from storage.database import SessionFactory
from storage.ingest import IngestOutcome, IngestService
from storage.models import Article
from tests.storage.test_feed_polls import Desk, desk, serve_feed
from tests.storage.test_ingest import LEDE, Clock, FakeFetcher, clock, fetcher, service

__all__ = ["clock", "desk", "fetcher", "service"]  # fixtures used below

STORY = "https://gazette.example/world/grain-crossing"
PAGE = f"""<!doctype html><html lang="en"><head><title>Grain crossing to reopen</title></head>
<body><article><h1>Grain crossing to reopen</h1><p>{LEDE}</p>
<p>Officials in Kyiv said the talks would continue next week, with ministers from both countries
expected to attend a meeting in Warsaw to settle the remaining questions about inspections.</p>
<p>Farmers on both sides of the border have protested for months, blocking roads and demanding
compensation for losses they blame on imports that reached the domestic market.</p>
</article></body></html>"""
ANA = NewShare(source="slack", user_id="UANA", channel_id="CWORLD", message_ts="1.0")
BEN = NewShare(source="slack", user_id="UBEN", channel_id="CWORLD", message_ts="2.0")


def alert_link(target: str) -> str:
    return f"https://www.google.com/url?rct=j&sa=t&url={quote(target, safe='')}&ct=ga&usg=AOv"


def test_google_alerts_link_is_fetched_from_the_site_and_named_by_it(
    service: IngestService, fetcher: FakeFetcher, clock: Clock, session_factory: SessionFactory
) -> None:
    fetcher.pages[STORY] = PAGE
    first = service.ingest_url(alert_link(STORY), ANA)
    assert first.outcome is IngestOutcome.NEW
    assert fetcher.fetched == [STORY]  # never google.com
    with session_factory() as session:
        article = find_article_by_url(STORY, session=session)
        assert article is not None
        assert article.original_url == STORY
    clock.now += timedelta(hours=1)
    again = service.ingest_url(STORY, BEN)  # the plain link is the same story
    assert again.outcome is IngestOutcome.KNOWN
    assert again.article.id == first.article.id
    assert fetcher.fetched == [STORY]


@dataclass
class RedirectingFetcher:
    """Follows FeedBurner-style redirects: the target is known only after the fetch."""

    redirects: dict[str, str]
    pages: dict[str, str]
    fetched: list[str] = field(default_factory=list)

    def fetch(
        self,
        url: str,
        *,
        accept: Collection[str] = ARTICLE_TYPES,
        headers: Mapping[str, str] | None = None,
    ) -> FetchedPage:
        self.fetched.append(url)
        final = self.redirects.get(url, url)
        text = self.pages[final]
        return FetchedPage(url, final, 200, "text/html", text.encode(), text, {})


def test_feedproxy_link_is_named_by_where_it_leads(
    service: IngestService, session_factory: SessionFactory
) -> None:
    proxy = "https://feedproxy.google.com/~r/harbour/~3/AbC123/grain"
    redirecting = RedirectingFetcher({proxy: STORY}, {STORY: PAGE})
    service._fetcher = redirecting
    first = service.ingest_url(proxy, ANA)
    second = service.ingest_url(STORY, BEN, refetch=True)
    assert second.article.id == first.article.id
    assert second.outcome is IngestOutcome.UNCHANGED
    with session_factory() as session:
        assert session.query(Article).count() == 1
        assert find_article_by_url(STORY, session=session) is not None
        assert find_article_by_url(proxy, session=session) is None


def alerts_feed(entries: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:google.com,2005:reader/user/1/state/com.google/alerts/1</id>
<title>Google Alert - Ukraine</title><updated>2026-03-02T08:00:00Z</updated>{entries}</feed>""".encode()


def test_google_alerts_feed_entries_are_archived_under_their_target(desk: Desk) -> None:
    desk.pages.add("/world/grain", PAGE.encode(), content_type="text/html")
    target = desk.pages.url("/world/grain")
    serve_feed(
        desk.pages, "/alerts.xml", alerts_feed(""), etag='"1"', content_type="application/atom+xml"
    )
    desk.add_feed("/alerts.xml")
    desk.poll()  # the first poll only records the backlog
    entry = f"""<entry><id>tag:google.com,2013:googlealerts/feed:1</id>
<title type="html">Grain crossing to reopen</title>
<link href="{alert_link(target).replace("&", "&amp;")}"/>
<published>2026-03-02T07:30:00Z</published><updated>2026-03-02T07:30:00Z</updated>
<content type="html">Ukraine and Poland agreed to reopen the crossing.</content></entry>"""
    serve_feed(
        desk.pages,
        "/alerts.xml",
        alerts_feed(entry),
        etag='"2"',
        content_type="application/atom+xml",
    )
    [second] = desk.poll(minutes_later=5).feeds
    [story_id] = second.published
    assert len(desk.pages.requests_to("/world/grain")) == 1
    with desk.services.session_factory() as session:
        article = session.get(Article, story_id)
        assert article is not None
        assert article.original_url == target
        assert article.headline == "Grain crossing to reopen"
