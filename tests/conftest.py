"""Shared fixtures: a migrated archive on SQLite and on PostgreSQL.

PostgreSQL tests run against ``NEWSDESK_TEST_POSTGRES_URL`` (default: the local server,
database ``test``), each test session in a schema of its own. They fail, not skip, when
the server is down: CI starts it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from standin.slack import SlackStandin
from storage.database import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    upgrade_database,
)
from tests.databases import postgres_schema
from tests.pageserver import PageServer

POSTGRES_URL = os.environ.get(
    "NEWSDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A fresh schema on the test server, migrated to head once per test session."""
    with postgres_schema(POSTGRES_URL, "newsdesk_test") as url:
        yield url


def _truncate_all(engine: Engine) -> None:
    with engine.begin() as connection:
        tables = [
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            names = ", ".join(f'"{t}"' for t in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty archive: a new SQLite file, or the PostgreSQL test schema emptied."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("archive") / "newsdesk.db"
        url = f"sqlite:///{path}"
        upgrade_database(url)
        return url
    schema_url: str = request.getfixturevalue("postgres_schema_url")
    engine = create_database_engine(schema_url)
    _truncate_all(engine)
    engine.dispose()
    return schema_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> SessionFactory:
    return create_session_factory(engine)


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    """A Slack workspace of its own on a loopback port (a module may override it)."""
    with SlackStandin() as standin:
        yield standin


@pytest.fixture
def pages() -> Iterator[PageServer]:
    """A loopback web server for article pages and feeds."""
    with PageServer() as server:
        yield server
