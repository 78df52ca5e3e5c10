"""The ingest service on both engines: new, duplicate, new version, shares and privacy."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from news.aliases import load_alias_table
from news.errors import BlockedAddress, InvalidCopy, NotAnArticle
from news.fetching import ARTICLE_TYPES, FetchedPage
from news.preparation import StoryPreparer
from news.summaries import ExtractiveSummarizer
from storage.articles import NewShare, find_article_by_url, first_share, list_versions
from storage.database import SessionFactory
from storage.ingest import IngestOutcome, IngestService, StoryOverrides

ARTICLE_HTML = """<!doctype html><html lang="en"><head>
<title>{headline} | The Harbour Gazette</title>
<link rel="canonical" href="https://gazette.example/world/{slug}">
<meta property="og:site_name" content="The Harbour Gazette">
<meta name="author" content="Ana Lima">
<meta property="article:published_time" content="2025-01-06T09:30:00Z">
</head><body><nav>Home | World | Sport</nav><article><h1>{headline}</h1>
<p>{body}</p>
<p>Officials in Kyiv said the talks would continue next week, with ministers from both countries
expected to attend a meeting in Warsaw to settle the remaining questions about inspections.</p>
<p>Farmers on both sides of the border have protested for months, blocking roads and demanding
compensation for losses they blame on imports that reached the domestic market.</p>
</article><footer>© The Harbour Gazette</footer></body></html>"""

WIRE_COPY = """Published: 06 January 2025
Europe Desk
The Harbour Gazette

Ukraine and Poland agree to reopen the Dorohusk rail crossing to grain freight from next month, ending a dispute that had left thousands of wagons idle at the border.

The agreement follows weeks of talks between the two transport ministries and pressure from farmers on both sides.

Polish officials said the new checks would ensure that grain passing through the country is bound for ports on the Baltic.
"""


@dataclass
class FakeFetcher:
    """Serves canned pages by URL and counts fetches (the real fetcher is tested on its own)."""

    pages: dict[str, str] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    content_type: str = "text/html"

    def fetch(
        self,
        url: str,
        *,
        accept: Collection[str] = ARTICLE_TYPES,
        headers: Mapping[str, str] | None = None,
    ) -> FetchedPage:
        self.fetched.append(url)
        if "10.0.0.5" in url:
            raise BlockedAddress("blocked: 10.0.0.5 is a private address")
        text = self.pages[url]
        return FetchedPage(
            requested_url=url,
            url=url,
            status=200,
            content_type=self.content_type,
            content=text.encode(),
            text=text,
            headers={},
        )


def page(headline: str, body: str, slug: str = "grain-crossing") -> str:
    return ARTICLE_HTML.format(headline=headline, body=body, slug=slug)


LEDE = (
    "Ukraine and Poland agreed on Monday to reopen the Dorohusk rail crossing to grain freight "
    "from next month, ending a dispute that had left thousands of wagons idle at the border."
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 7, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fetcher() -> FakeFetcher:
    return FakeFetcher()


@pytest.fixture
def service(session_factory: SessionFactory, fetcher: FakeFetcher, clock: Clock) -> IngestService:
    preparer = StoryPreparer(summarizer=ExtractiveSummarizer(), aliases=load_alias_table())
    return IngestService(
        session_factory=session_factory,
        fetcher=fetcher,
        preparer=preparer,
        refetch_after=timedelta(hours=24),
        clock=clock,
    )


ANA = NewShare(source="slack", user_id="UANA", channel_id="CWORLD", message_ts="1.0")


def test_new_link_is_stored_with_metadata_and_share(
    service: IngestService, fetcher: FakeFetcher, session_factory: SessionFactory
) -> None:
    url = "https://gazette.example/world/grain-crossing?utm_source=slack"
    fetcher.pages["https://gazette.example/world/grain-crossing"] = page(
        "Grain crossing to reopen", LEDE
    )
    result = service.ingest_url(url, ANA)
    assert result.outcome is IngestOutcome.NEW
    article = result.article
    assert article.headline == "Grain crossing to reopen"
    assert article.canonical_url == "https://gazette.example/world/grain-crossing"
    assert article.outlet == "The Harbour Gazette"
    assert article.published_at == datetime(2025, 1, 6, 9, 30, tzinfo=UTC)
    assert article.summary.startswith("Ukraine and Poland agreed")
    assert len(article.summary) <= 600
    assert "Ukraine" in article.topics
    assert article.is_public
    with session_factory() as session:
        share = first_share(article.id, session=session)
    assert share is not None
    assert (share.user_id, share.channel_id) == ("UANA", "CWORLD")


def test_reshare_within_window_is_not_refetched_and_names_first_sharer(
    service: IngestService, fetcher: FakeFetcher, clock: Clock
) -> None:
    url = "https://gazette.example/world/grain-crossing"
    fetcher.pages[url] = page("Grain crossing to reopen", LEDE)
    service.ingest_url(url, ANA)
    clock.now += timedelta(hours=2)
    again = service.ingest_url(
        url + "#comments", NewShare(source="slack", user_id="UBEN", channel_id="CDESK")
    )
    assert again.outcome is IngestOutcome.KNOWN
    assert again.already_archived
    assert again.first_share is not None
    assert again.first_share.user_id == "UANA"
    assert fetcher.fetched == [url]


def test_refetch_after_window_records_new_version(
    service: IngestService, fetcher: FakeFetcher, clock: Clock, session_factory: SessionFactory
) -> None:
    url = "https://gazette.example/world/grain-crossing"
    fetcher.pages[url] = page("Grain crossing to reopen", LEDE)
    first = service.ingest_url(url, ANA)
    clock.now += timedelta(days=2)
    unchanged = service.ingest_url(url, ANA)
    assert unchanged.outcome is IngestOutcome.UNCHANGED
    fetcher.pages[url] = page(
        "Grain crossing reopens after deal", LEDE + " Trains resumed on Tuesday."
    )
    clock.now += timedelta(days=2)
    updated = service.ingest_url(url, ANA)
    assert updated.outcome is IngestOutcome.UPDATED
    assert updated.article.id == first.article.id
    assert updated.article.version == 2
    assert set(updated.changes) >= {"headline", "body"}
    with session_factory() as session:
        [old] = list_versions(first.article.id, session=session)
    assert old.version == 1
    assert old.headline == "Grain crossing to reopen"


def test_wire_copy_gets_derived_headline_and_dedupes_on_content(service: IngestService) -> None:
    result = service.ingest_copy(WIRE_COPY, NewShare(source="cli"))
    assert result.outcome is IngestOutcome.NEW
    article = result.article
    assert article.outlet == "The Harbour Gazette"
    assert article.byline == "Europe Desk" or article.section == "Europe Desk"
    assert article.published_at is not None
    assert article.published_at.date().isoformat() == "2025-01-06"
    assert 0 < len(article.headline) <= 100
    assert article.headline.split()[0] == "Ukraine"
    assert article.canonical_url is None
    again = service.ingest_copy(WIRE_COPY.replace("\n", "\r\n"), NewShare(source="cli"))
    assert again.outcome is IngestOutcome.UNCHANGED
    assert again.article.id == article.id


def test_overrides_win_over_extraction(service: IngestService) -> None:
    overrides = StoryOverrides(
        headline="Rail deal", section="Europe", topics=("Grain",), status="published"
    )
    result = service.ingest_copy(
        WIRE_COPY, NewShare(source="slack", user_id="U1"), overrides=overrides
    )
    assert result.article.headline == "Rail deal"
    assert result.article.section == "Europe"
    assert result.article.topics[0] == "Grain"


def test_failures_store_nothing(
    service: IngestService, fetcher: FakeFetcher, session_factory: SessionFactory
) -> None:
    with pytest.raises(BlockedAddress):
        service.ingest_url("http://10.0.0.5/story", ANA)
    with pytest.raises(InvalidCopy):
        service.ingest_copy("   \n\n  ", NewShare(source="cli"))
    fetcher.pages["https://gazette.example/empty"] = "<html><body><p>Subscribe!</p></body></html>"
    with pytest.raises(NotAnArticle):
        service.ingest_url("https://gazette.example/empty", ANA)
    with session_factory() as session:
        assert find_article_by_url("https://gazette.example/empty", session=session) is None
        from storage.articles import count_articles

        assert count_articles(session=session) == 0


def test_story_known_only_privately_stays_private(
    service: IngestService, fetcher: FakeFetcher, session_factory: SessionFactory, clock: Clock
) -> None:
    url = "https://gazette.example/world/grain-crossing"
    fetcher.pages[url] = page("Grain crossing to reopen", LEDE)
    secret = NewShare(source="slack", user_id="UANA", channel_id="DSECRET", is_private=True)
    result = service.ingest_url(url, secret)
    assert not result.article.is_public
    clock.now += timedelta(hours=1)
    other = service.ingest_url(url, NewShare(source="slack", user_id="UBEN", channel_id="CWORLD"))
    # The first share was private: it is not revealed to a public channel.
    assert other.first_share is None
    assert other.article.is_public


SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "wire-copy-sample.txt"


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed sample is not beside this clone")
def test_seed_sample_ingests(service: IngestService) -> None:
    result = service.ingest_copy(SEED.read_text(encoding="utf-8"), NewShare(source="cli"))
    article = result.article
    assert article.outlet == "The English Chronicle Online"
    assert article.byline == "The English Chronicle Desk"
    assert article.published_at is not None
    assert article.published_at.date().isoformat() == "2025-01-06"
    assert article.headline.startswith("UK and France")
    assert len(article.headline) <= 100
    assert article.summary


class FirstWords:
    """A stand-in summarizer: the first five words, so a change is easy to see."""

    def summarize(self, text: str, *, headline: str | None = None) -> str:
        return " ".join(text.split()[:5])


def test_resummarize_rewrites_summaries_without_new_versions(
    service: IngestService, session_factory: SessionFactory, clock: Clock
) -> None:
    first = service.ingest_copy(WIRE_COPY, NewShare(source="cli")).article
    second = service.ingest_copy(
        WIRE_COPY.replace("Poland", "Hungary"), NewShare(source="cli")
    ).article
    other = IngestService(
        session_factory=session_factory,
        fetcher=FakeFetcher(),
        preparer=StoryPreparer(summarizer=FirstWords(), aliases=load_alias_table()),
        clock=clock,
    )
    assert other.resummarize_archive(batch_size=1) == (2, 2)
    assert other.resummarize_archive(batch_size=1) == (2, 0)
    with session_factory() as session:
        from storage.articles import get_article

        for record in (first, second):
            article = get_article(record.id, session=session)
            assert article.summary == " ".join(article.body.split()[:5])
            assert article.version == 1
