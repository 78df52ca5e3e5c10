"""Feed polls against the real feeds in shared/data/feeds, served on 127.0.0.1.

Each feed's links are rewritten to the local page server, so linked pages are served
locally (or answer 404) and nothing reaches the internet.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from bot.wiring import build_fetcher, build_services
from news.fetching import SafeFetcher
from storage.articles import find_article_by_url
from storage.feed_polls import FeedPolls, PollSummary
from storage.feeds import FeedHealth, add_feed, list_feeds
from storage.models import Article, Delivery
from storage.services import Services
from storage.subscriptions import subscribe
from tests.pageserver import PageServer, RecordedRequest, Reply

ARTICLE = """<!doctype html><html lang="en"><head><title>{headline}</title>
<meta property="og:site_name" content="The Harbour Gazette">
<meta property="article:published_time" content="2025-01-06T09:30:00Z">
</head><body><article><h1>{headline}</h1>
<p>Dock workers in Gdansk voted on Sunday to end a nine-day strike that had stranded dozens of
container ships in the Baltic, after the port authority agreed to a new pay scale.</p>
<p>The union said the agreement covers overtime and night shifts, and ships began unloading within
hours of the vote, according to the harbour master's office.</p>
</article></body></html>"""


def find_feeds_directory() -> Path:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data" / "feeds"
        if candidate.is_dir():
            return candidate
    pytest.fail("shared/data/feeds not found above the test file (CI places it beside the clone)")


def localize(name: str, hosts: list[str], base_url: str) -> bytes:
    """A real feed with its links on ``hosts`` pointing at the local server instead."""
    content = (find_feeds_directory() / name).read_bytes()
    for host in hosts:
        content = re.sub(rb"https?://" + re.escape(host.encode()), base_url.encode(), content)
    return content


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@dataclass
class Desk:
    services: Services
    fetcher: SafeFetcher
    pages: PageServer
    clock: Clock

    def polls(self) -> FeedPolls:
        return FeedPolls(self.services, self.fetcher)

    def add_feed(self, path: str) -> int:
        with self.services.session_factory.begin() as session:
            feed, _ = add_feed(
                self.pages.url(path),
                added_by="U1",
                session=session,
                poll_interval=timedelta(minutes=5),
                now=self.clock(),
            )
            return feed.id

    def poll(self, minutes_later: float = 0) -> PollSummary:
        self.clock.advance(minutes_later)
        return self.polls().poll_due()

    def health(self, feed_id: int) -> FeedHealth:
        with self.services.session_factory() as session:
            [health] = [feed for feed in list_feeds(session=session) if feed.id == feed_id]
            return health

    def count(self, model: type[Article] | type[Delivery]) -> int:
        with self.services.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def alerts(self) -> list[tuple[int, str]]:
        with self.services.session_factory() as session:
            rows = session.execute(
                select(Delivery.article_id, Delivery.channel_id).where(Delivery.kind == "alert")
            )
            return sorted((int(article), str(channel)) for article, channel in rows)


def feed_settings(database_url: str) -> Settings:
    """Pages and feeds from the local page server only; no poller thread of its own."""
    return Settings(
        _env_file=None,
        database_url=database_url,
        fetch_allowed_hosts=["127.0.0.1"],
        fetch_total_timeout=3,
        feed_poll_seconds=0,
    )


@pytest.fixture
def desk(database_url: str) -> Iterator[Desk]:
    settings = feed_settings(database_url)
    services = build_services(settings)
    clock = Clock()
    services.clock = clock
    with services.session_factory.begin() as session:
        subscribe("CALL", "all", "all", created_by="U1", aliases=services.aliases, session=session)
    with PageServer() as pages:
        yield Desk(services, build_fetcher(settings), pages, clock)


def serve_feed(
    pages: PageServer,
    path: str,
    content: bytes,
    *,
    etag: str,
    content_type: str = "application/rss+xml",
) -> None:
    """Serve a feed with validators; answer 304 when the client already has this version."""
    last_modified = "Mon, 02 Mar 2026 08:00:00 GMT"

    def answer(request: RecordedRequest) -> Reply:
        if request.headers.get("if-none-match") == etag:
            return Reply(304, {"ETag": etag})
        headers = {"Content-Type": content_type, "ETag": etag, "Last-Modified": last_modified}
        return Reply(200, headers, content)

    pages.add_handler(path, answer)


TECHCRUNCH_HOSTS = ["feedproxy.google.com", "techcrunch.com"]
NEW_ITEM = b"""<item>
<title>Port strike ends after nine days</title>
<link>{link}</link>
<guid isPermaLink="false">http://techcrunch.com/?p=999001</guid>
<pubDate>Mon, 02 Mar 2026 07:30:00 +0000</pubDate>
<description>Dock workers voted to end the strike.</description>
</item>
"""


def test_first_poll_records_the_backlog_then_only_the_new_entry_is_published(
    desk: Desk,
) -> None:
    original = localize("TechCrunch.xml", TECHCRUNCH_HOSTS, desk.pages.base_url)
    serve_feed(desk.pages, "/techcrunch.xml", original, etag='"v1"')
    feed_id = desk.add_feed("/techcrunch.xml")

    [first] = desk.poll().feeds
    assert (first.status, first.first_poll, first.entries, first.recorded) == ("ok", True, 20, 20)
    assert first.published == ()
    assert (desk.count(Article), desk.count(Delivery)) == (0, 0)
    health = desk.health(feed_id)
    assert health.initialised
    assert health.entries_seen == 20
    assert health.title == "TechCrunch"

    # Nothing is due before the feed's interval has passed.
    assert desk.poll(minutes_later=1).feeds == ()

    desk.pages.add("/port-strike", ARTICLE.format(headline="Port strike ends after nine days"))
    item = NEW_ITEM.replace(b"{link}", desk.pages.url("/port-strike").encode())
    updated = original.replace(b"<item>", item + b"<item>", 1)
    serve_feed(desk.pages, "/techcrunch.xml", updated, etag='"v2"')
    [second] = desk.poll(minutes_later=5).feeds
    assert (second.status, second.recorded, second.from_feed_text) == ("ok", 1, 0)
    [story_id] = second.published
    with desk.services.session_factory() as session:
        article = session.get(Article, story_id)
        assert article is not None
        assert (article.headline, article.status, article.is_public) == (
            "Port strike ends after nine days",
            "published",
            True,
        )
    assert desk.alerts() == [(story_id, "CALL")]
    # The validators of the first answer went with the second request.
    sent = desk.pages.requests_to("/techcrunch.xml")[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 02 Mar 2026 08:00:00 GMT"

    [third] = desk.poll(minutes_later=5).feeds
    assert third.status == "not_modified"
    assert desk.pages.requests_to("/techcrunch.xml")[2].headers["if-none-match"] == '"v2"'
    health = desk.health(feed_id)
    assert health.last_success_at == desk.clock()
    assert health.consecutive_failures == 0
    assert health.next_poll_at == desk.clock() + timedelta(minutes=5)
    assert desk.alerts() == [(story_id, "CALL")]


def test_reordered_and_redated_entries_are_never_new(desk: Desk) -> None:
    hosts = ["feedproxy.google.com", "everything.typepad.com"]
    original = localize("TypePadNews.xml", hosts, desk.pages.base_url)
    serve_feed(
        desk.pages, "/typepad.xml", original, etag='"v1"', content_type="application/atom+xml"
    )
    desk.add_feed("/typepad.xml")
    [first] = desk.poll().feeds
    assert (first.status, first.recorded) == ("ok", 10)

    head, *entries = re.split(rb"(?=<entry)", original)
    last = entries[-1]
    tail_at = last.index(b"</entry>") + len(b"</entry>")
    entries[-1], tail = last[:tail_at], last[tail_at:]
    shuffled = head + b"".join(reversed(entries)) + tail
    redated = re.sub(rb"2013-02-(\d\d)T", rb"2014-05-\1T", shuffled)
    assert redated != original
    serve_feed(
        desk.pages, "/typepad.xml", redated, etag='"v2"', content_type="application/atom+xml"
    )
    [second] = desk.poll(minutes_later=5).feeds
    assert (second.status, second.entries, second.recorded, second.published) == ("ok", 10, 0, ())
    assert (desk.count(Article), desk.count(Delivery)) == (0, 0)


def test_broken_feeds_are_recorded_and_never_stop_the_round(desk: Desk) -> None:
    base = desk.pages.base_url
    desk.pages.add(
        "/reuters.xml",
        localize("rss_2.0_invalid_1.xml", ["www.reuters.com"], base),
        content_type="application/rss+xml",
    )
    invalid_dates = localize("InvalidDateFormat.xml", ["example.com"], base)
    desk.pages.add("/dates.xml", invalid_dates, content_type="application/rss+xml")
    desk.pages.add(
        "/nbc.xml",
        localize("rss_2.0_nbcny.xml", ["www.nbcnewyork.com"], base),
        content_type="application/rss+xml",
    )
    broken = desk.add_feed("/reuters.xml")
    dated = desk.add_feed("/dates.xml")
    missing = desk.add_feed("/gone.xml")

    results = {result.feed_id: result for result in desk.poll().feeds}
    assert results[broken].status == "failed"
    assert (results[broken].error or "").startswith("not a feed: broken XML at line")
    assert results[missing].status == "failed"
    assert results[missing].error == "the server answered 404 Not Found"
    # Truncated, with an unreadable dc:date: read as far as it goes, with a warning.
    assert results[dated].status == "ok"
    assert results[dated].recorded == 2
    assert any("broken XML" in warning for warning in results[dated].warnings)

    health = desk.health(broken)
    assert health.consecutive_failures == 1
    assert health.last_error is not None
    assert health.last_error.startswith("not a feed")
    assert health.next_poll_at > desk.clock()
    assert desk.health(dated).healthy

    # A new entry with a broken date whose page is gone: stored from the feed's own text.
    new_item = (
        b"<item><title>Ferry service resumes</title>"
        b"<link>" + desk.pages.url("/ferry").encode() + b"</link>"
        b"<pubDate>Someday, 45 Smarch 20X6</pubDate>"
        b"<description>&lt;p&gt;The harbour ferry runs again from Monday after repairs to its "
        b"hull, the port authority said.&lt;/p&gt;</description></item>"
    )
    serve_again = invalid_dates.replace(b"<item>", new_item + b"<item>", 1)
    desk.pages.add("/dates.xml", serve_again, content_type="application/rss+xml")
    results = {result.feed_id: result for result in desk.poll(minutes_later=5).feeds}
    [story_id] = results[dated].published
    assert results[dated].from_feed_text == 1
    assert any("404" in warning for warning in results[dated].warnings)
    assert desk.pages.requests_to("/ferry")
    with desk.services.session_factory() as session:
        article = find_article_by_url(desk.pages.url("/ferry"), session=session)
        assert article is not None
        assert article.id == story_id
        assert article.headline == "Ferry service resumes"
        assert article.outlet == "Invalid date format feed"
        assert article.body.startswith("The harbour ferry runs again")
        assert article.published_at == desk.clock()  # no readable date: published now
    assert desk.alerts() == [(story_id, "CALL")]

    # The NBC feed was added late; the broken feeds back off and are not polled yet.
    nbc = desk.add_feed("/nbc.xml")
    polled = {result.feed_id for result in desk.poll().feeds}
    assert polled == {nbc}


def test_an_entry_without_text_whose_page_is_gone_is_skipped_with_a_warning(
    desk: Desk,
) -> None:
    original = localize("InvalidDateFormat.xml", ["example.com"], desk.pages.base_url)
    desk.pages.add("/dates.xml", original, content_type="application/rss+xml")
    feed_id = desk.add_feed("/dates.xml")
    desk.poll()
    bare = b"<item><title>Item 2</title><link>" + desk.pages.url("/item2").encode() + b"</link>"
    desk.pages.add(
        "/dates.xml",
        original.replace(b"<item>", bare + b"</item><item>", 1),
        content_type="application/rss+xml",
    )
    [result] = desk.poll(minutes_later=5).feeds
    assert (result.status, result.recorded, result.published) == ("ok", 1, ())
    assert any("no text" in warning and "skipped" in warning for warning in result.warnings)
    assert desk.health(feed_id).healthy
    # Remembered: not tried again.
    desk.poll(minutes_later=5)
    assert len(desk.pages.requests_to("/item2")) == 1


def slowly(pages: PageServer, content: bytes) -> Iterator[bytes]:
    """The feed in two halves, a moment apart, so concurrent polls overlap."""
    middle = len(content) // 2
    return pages.trickle([content[:middle], content[middle:]], delay=0.05)


def test_two_pollers_never_poll_the_same_feed(desk: Desk) -> None:
    base = desk.pages.base_url
    names = {
        "/nbc.xml": ("rss_2.0_nbcny.xml", ["www.nbcnewyork.com"]),
        "/wirecutter.xml": ("rss_2.0_wirecutter.xml", ["www.nytimes.com"]),
        "/giornale.xml": ("rss_2.0_ilgiornale.xml", ["www.ilgiornale.it"]),
        "/golem.xml": ("rss_1.0_iso8859.xml", ["www.golem.de", "rss.golem.de"]),
        "/spiegel.xml": ("rss_2.0_spiegel.xml", ["omny.fm", "www.omnycontent.com"]),
        "/newscred.xml": ("atom_mediarss_newscred_1.xml", ["www.example.com"]),
    }
    for path, (name, hosts) in names.items():
        content = localize(name, hosts, base)
        desk.pages.add_stream(
            path, partial(slowly, desk.pages, content), content_type="application/rss+xml"
        )
        desk.add_feed(path)
    summaries: list[PollSummary] = []
    pollers = [desk.polls(), desk.polls()]
    threads = [threading.Thread(target=lambda p=p: summaries.append(p.poll_due())) for p in pollers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    summaries.append(desk.polls().poll_due())
    polled = [result.feed_id for summary in summaries for result in summary.feeds]
    assert len(polled) == len(set(polled)) == len(names)
    for path in names:
        assert len(desk.pages.requests_to(path)) == 1
    assert all(result.status == "ok" for summary in summaries for result in summary.feeds)
