"""A PostgreSQL schema of its own, migrated to head, for tests and benchmarks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from storage.database import upgrade_database


@contextmanager
def postgres_schema(server_url: str, prefix: str) -> Iterator[str]:
    """A new schema on ``server_url`` (``prefix_<random>``), migrated; yields a URL whose
    connections use it; drops it with everything in it afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        separator = "&" if "?" in server_url else "?"
        url = f"{server_url}{separator}options=-csearch_path%3D{schema}"
        try:
            upgrade_database(url)
            yield url
        finally:
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        admin.dispose()
