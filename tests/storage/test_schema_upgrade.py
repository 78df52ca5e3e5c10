"""The schema upgrades one revision at a time from an empty database to head, on SQLite and
PostgreSQL, keeping the stories stored at the first revision; it goes down to nothing and
up again cleanly. Revisions are read from the migration scripts, so new ones are covered."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from storage.database import (
    alembic_config,
    check_schema_current,
    create_database_engine,
    current_revision,
    downgrade_database,
    upgrade_database,
)
from tests.conftest import POSTGRES_URL

SHARED_AT = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)


def revisions_in_order(url: str) -> list[str]:
    """Every revision from the first to head, one straight line."""
    script = ScriptDirectory.from_config(alembic_config(url))
    assert len(script.get_heads()) == 1, "migrations have more than one head"
    newest_first = [revision.revision for revision in script.walk_revisions("base", "heads")]
    return list(reversed(newest_first))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/upgrade.db"
        return
    schema = f"newsdesk_upgrade_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def insert_first_story(engine: sa.Engine) -> None:
    """An article with one share, written with plain SQL against the first revision's tables."""
    naive = SHARED_AT.replace(tzinfo=None) if engine.dialect.name == "sqlite" else SHARED_AT
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO articles (id, canonical_url, original_url, headline, body, summary,"
                " status, topics, tags, content_hash, version, is_public, first_seen_at,"
                " updated_at, fetched_at, sort_at, outlet)"
                " VALUES (1, :url, :url, :headline, :body, :summary, 'published', '[\"ports\"]',"
                " '[]', :hash, 1, :public, :at, :at, :at, :at, 'The Harbour Gazette')"
            ),
            {
                "url": "https://example.org/cranes",
                "headline": "Harbour cranes stand idle",
                "body": "Dock workers walked out on Tuesday in a dispute over night shifts.",
                "summary": "Dock workers walked out.",
                "hash": "a" * 64,
                "public": True,
                "at": naive,
            },
        )
        connection.execute(
            sa.text(
                "INSERT INTO shares (id, article_id, source, user_id, channel_id, is_private,"
                " message_ts, shared_at) VALUES (1, 1, 'slack', 'U1', 'C1', :private, '1.0', :at)"
            ),
            {"private": False, "at": naive},
        )


def read_first_story(engine: sa.Engine) -> tuple[object, ...]:
    with engine.connect() as connection:
        article = connection.execute(
            sa.text("SELECT headline, canonical_url, outlet, is_public FROM articles WHERE id = 1")
        ).one()
        share = connection.execute(
            sa.text("SELECT article_id, user_id, channel_id FROM shares WHERE id = 1")
        ).one()
    return (*article, *share)


def test_upgrade_step_by_step_keeps_the_first_stories(empty_database: str) -> None:
    url = empty_database
    revisions = revisions_in_order(url)
    engine = create_database_engine(url)
    try:
        upgrade_database(url, revisions[0])
        assert current_revision(engine) == revisions[0]
        insert_first_story(engine)
        expected = read_first_story(engine)
        assert expected[0] == "Harbour cranes stand idle"
        for revision in revisions[1:]:
            upgrade_database(url, revision)
            assert current_revision(engine) == revision
            assert read_first_story(engine) == expected, f"story changed at {revision}"
        check_schema_current(engine)
    finally:
        engine.dispose()


def test_the_archive_works_on_a_database_upgraded_from_the_first_revision(
    empty_database: str,
) -> None:
    from news.aliases import load_alias_table
    from news.questions import parse_question
    from storage.search import search_articles

    url = empty_database
    revisions = revisions_in_order(url)
    engine = create_database_engine(url)
    try:
        upgrade_database(url, revisions[0])
        insert_first_story(engine)
        upgrade_database(url)
        question = parse_question(
            "latest on harbour cranes", now=SHARED_AT, aliases=load_alias_table(), timezone=UTC
        )
        with sa.orm.Session(engine) as session:
            page = search_articles(question, session=session, now=SHARED_AT)
        assert [hit.article_id for hit in page.hits] == [1]
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_upgrade_again(empty_database: str) -> None:
    url = empty_database
    revisions = revisions_in_order(url)
    engine = create_database_engine(url)
    try:
        upgrade_database(url)
        for revision in reversed(revisions[:-1]):
            downgrade_database(url, revision)
            assert current_revision(engine) == revision
        downgrade_database(url, "base")
        assert current_revision(engine) is None
        tables = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade_database(url)
        check_schema_current(engine)
        insert_first_story(engine)
        assert read_first_story(engine)[0] == "Harbour cranes stand idle"
    finally:
        engine.dispose()
