"""Card metadata in the archive, on both engines: people, credit, zoned dates, metadata-only
stories, and re-deriving old archives (the 0005 upgrade and ``rederive_archive``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from news.aliases import load_alias_table
from news.errors import NotAnArticle
from news.preparation import StoryPreparer
from news.summaries import ExtractiveSummarizer
from storage.articles import NewShare, get_article
from storage.database import (
    SessionFactory,
    create_database_engine,
    downgrade_database,
    upgrade_database,
)
from storage.ingest import IngestService
from storage.models import Article
from tests.conftest import POSTGRES_URL
from tests.storage.test_ingest import Clock, FakeFetcher

URL = "https://gazette.example/world/2025/01/06/grain-crossing"
STORY = (
    "Ukraine and Poland agreed on Monday to reopen the Dorohusk rail crossing to grain "
    "freight from next month, ending a dispute that had left thousands of wagons idle. "
    "Officials in Kyiv said the talks would continue next week, with ministers from both "
    "countries expected to attend a meeting in Warsaw to settle the remaining questions."
)
REPRINT = (
    "This copy is for your personal, non-commercial use only. Distribution and use of this "
    "material are governed by our Subscriber Agreement and by copyright law. For "
    "non-personal use or to order multiple copies, please contact Dow Jones Reprints."
)
SHARE = NewShare(source="cli")


def article_page(head: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><title>Grain crossing to reopen | The Gazette"
        f"</title><meta property='og:site_name' content='The Gazette'>{head}</head><body>"
        f"<article><h1>Grain crossing to reopen</h1><p>{body}</p></article></body></html>"
    )


@pytest.fixture
def fetcher() -> FakeFetcher:
    return FakeFetcher()


@pytest.fixture
def service(session_factory: SessionFactory, fetcher: FakeFetcher) -> IngestService:
    return IngestService(
        session_factory=session_factory,
        fetcher=fetcher,
        preparer=StoryPreparer(summarizer=ExtractiveSummarizer(), aliases=load_alias_table()),
        refetch_after=timedelta(hours=24),
        clock=Clock(),
    )


def test_people_credit_and_zoned_times_are_stored(
    service: IngestService, fetcher: FakeFetcher, session_factory: SessionFactory
) -> None:
    fetcher.pages[URL] = article_page(
        "<meta name='author' content='By Ana Lima and Piotr Nowak, Reuters'>"
        "<meta property='article:published_time' content='2025-01-06T00:30:00+09:00'>"
        "<meta property='article:modified_time' content='2025-01-06T08:00:00+01:00'>",
        STORY,
    )
    record = service.ingest_url(URL, SHARE).article
    assert record.authors == ("Ana Lima", "Piotr Nowak")
    assert record.byline == "Ana Lima and Piotr Nowak"
    assert record.credit == "Reuters"
    with session_factory() as session:
        article = get_article(record.id, session=session)
        assert article.published_at == datetime(2025, 1, 5, 15, 30, tzinfo=UTC)
        assert article.modified_at == datetime(2025, 1, 6, 7, 0, tzinfo=UTC)
        assert article.sort_at == article.published_at
        assert article.text_extracted


def test_a_page_whose_text_cannot_be_extracted_is_stored_with_its_metadata_only(
    service: IngestService, fetcher: FakeFetcher
) -> None:
    fetcher.pages[URL] = article_page(
        "<meta property='og:type' content='article'><meta name='author' content='Ana Lima'>",
        REPRINT,
    )
    record = service.ingest_url(URL, SHARE).article
    assert not record.text_extracted
    assert record.body == ""
    assert record.summary == ""
    assert record.headline == "Grain crossing to reopen"
    assert record.byline == "Ana Lima"


def test_a_metadata_only_draft_without_a_headline_is_refused(
    service: IngestService, fetcher: FakeFetcher, session_factory: SessionFactory
) -> None:
    fetcher.pages[URL] = (
        "<html><head><meta property='og:type' content='article'></head>"
        f"<body><p>{REPRINT}</p></body></html>"
    )
    with pytest.raises(NotAnArticle):
        service.ingest_url(URL, SHARE)
    with session_factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Article)) == 0


def test_rederive_archive_fixes_old_stories_once(
    service: IngestService, session_factory: SessionFactory
) -> None:
    with session_factory.begin() as session:
        article = Article(
            canonical_url=URL,
            headline="Grain crossing to reopen | The Gazette",
            byline="By Ana Lima, Piotr Nowak January",
            outlet="The Gazette",
            published_at=datetime(2019, 1, 1, tzinfo=UTC),
            body=STORY,
            content_hash="0" * 64,
            sort_at=datetime(2019, 1, 1, tzinfo=UTC),
        )
        session.add(article)
        session.flush()
        article_id = article.id
    assert service.rederive_archive(batch_size=1) == (1, 1)
    assert service.rederive_archive(batch_size=1) == (1, 0)
    with session_factory() as session:
        stored = get_article(article_id, session=session)
        assert stored.headline == "Grain crossing to reopen"
        assert stored.authors == ["Ana Lima", "Piotr Nowak"]
        assert stored.byline == "Ana Lima and Piotr Nowak"
        assert stored.published_at == datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
        assert stored.sort_at == stored.published_at


@pytest.fixture(params=["sqlite", "postgresql"])
def old_archive_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An archive migrated only to 0004, on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.db"
        return
    schema = f"newsdesk_cards_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def test_upgrading_to_0005_rederives_stored_stories(old_archive_url: str) -> None:
    upgrade_database(old_archive_url, "0004")
    engine = create_database_engine(old_archive_url)
    columns = {
        "canonical_url": URL,
        "headline": "Grain crossing to reopen - The Gazette",
        "byline": "Ana Lima View author archive",
        "outlet": "The Gazette",
        "published_at": datetime(2025, 1, 6, 9, 0, tzinfo=UTC),
        "status": "draft",
        "body": STORY,
        "summary": "",
        "topics": [],
        "tags": [],
        "content_hash": "0" * 64,
        "version": 1,
        "is_public": False,
        "first_seen_at": datetime(2025, 1, 6, tzinfo=UTC),
        "updated_at": datetime(2025, 1, 6, tzinfo=UTC),
        "fetched_at": datetime(2025, 1, 6, tzinfo=UTC),
        "sort_at": datetime(2025, 1, 6, 9, 0, tzinfo=UTC),
    }
    old = sa.table(
        "articles", *(sa.column(name, Article.__table__.c[name].type) for name in columns)
    )
    with engine.begin() as connection:
        connection.execute(sa.insert(old).values(**columns))
    upgrade_database(old_archive_url)
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(Article.headline, Article.byline, Article.authors, Article.text_extracted)
        ).one()
    assert tuple(row) == ("Grain crossing to reopen", "Ana Lima", ["Ana Lima"], True)
    downgrade_database(old_archive_url, "0004")
    upgrade_database(old_archive_url)
    engine.dispose()


def test_a_card_shows_the_day_in_the_newsroom_timezone(
    service: IngestService, fetcher: FakeFetcher, session_factory: SessionFactory
) -> None:
    from zoneinfo import ZoneInfo

    from handlers.answers import article_message
    from storage.services import Services

    fetcher.pages[URL] = article_page(
        "<meta property='article:published_time' content='2025-01-06T20:00:00Z'>", STORY
    )
    record = service.ingest_url(URL, SHARE).article
    days = {}
    for zone in ("America/New_York", "Asia/Tokyo"):
        services = Services(
            session_factory=session_factory,
            ingest=service,
            aliases=load_alias_table(),
            timezone=ZoneInfo(zone),
            clock=Clock(),
        )
        message = article_message(services, str(record.id))
        days[zone] = message.blocks[1]["elements"][0]["text"]
    assert "6 Jan" in days["America/New_York"]
    assert "7 Jan" in days["Asia/Tokyo"]
