"""Re-derive archived stories' headlines, bylines and dates with today's rules.

Archives written by earlier versions kept site names on headlines, bylines as one string
(sometimes with dates or outlet names in it) and implausible dates. The rules in
``news.metadata.rederive_card_fields`` fix what can be fixed from the stored fields alone.
Each batch is one transaction, so an interrupted run leaves whole batches done and can be
run again; a run changes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from news.metadata import rederive_card_fields

logger = logging.getLogger(__name__)

BATCH_SIZE = 500

_articles = sa.table(
    "articles",
    sa.column("id", sa.Integer()),
    sa.column("headline", sa.String()),
    sa.column("byline", sa.String()),
    sa.column("authors", sa.JSON()),
    sa.column("credit", sa.String()),
    sa.column("outlet", sa.String()),
    sa.column("canonical_url", sa.String()),
    sa.column("original_url", sa.String()),
    sa.column("published_at", sa.DateTime(timezone=True)),
    sa.column("sort_at", sa.DateTime(timezone=True)),
    sa.column("first_seen_at", sa.DateTime(timezone=True)),
)


@dataclass(frozen=True)
class RederiveReport:
    read: int
    changed: int


def rederive_rows(
    connection: Connection, *, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> RederiveReport:
    """Re-derive every story on ``connection``, in the caller's transaction (a migration)."""
    now = now or datetime.now(UTC)
    read = changed = 0
    last_id = 0
    while True:
        report, last_id = rederive_batch(connection, after_id=last_id, now=now, limit=batch_size)
        if report.read == 0:
            return RederiveReport(read, changed)
        read += report.read
        changed += report.changed


def rederive_batch(
    connection: Connection, *, after_id: int, now: datetime, limit: int
) -> tuple[RederiveReport, int]:
    """Re-derive up to ``limit`` stories with ids above ``after_id``; (report, last id)."""
    from storage.models import UtcDateTime

    dates = UtcDateTime()
    dialect = connection.dialect
    read = changed = 0
    rows = connection.execute(
        sa.select(_articles).where(_articles.c.id > after_id).order_by(_articles.c.id).limit(limit)
    ).all()
    for row in rows:
        read += 1
        published = dates.process_result_value(row.published_at, dialect)
        first_seen = dates.process_result_value(row.first_seen_at, dialect)
        fields = rederive_card_fields(
            headline=row.headline,
            byline=row.byline,
            authors=list(row.authors or []),
            credit=row.credit,
            outlet=row.outlet,
            url=row.canonical_url or row.original_url,
            published_at=published,
            now=now,
        )
        values: dict[str, Any] = {}
        if fields.headline != row.headline:
            values["headline"] = fields.headline[:500]
        if fields.byline != row.byline:
            values["byline"] = fields.byline[:300] if fields.byline else None
        if fields.authors != list(row.authors or []):
            values["authors"] = fields.authors
        if fields.credit != row.credit:
            values["credit"] = fields.credit[:300] if fields.credit else None
        if fields.published_at != published:
            values["published_at"] = dates.process_bind_param(fields.published_at, dialect)
            sort_at = fields.published_at or first_seen
            values["sort_at"] = dates.process_bind_param(sort_at, dialect)
        if values:
            changed += 1
            connection.execute(
                sa.update(_articles).where(_articles.c.id == row.id).values(**values)
            )
    return RederiveReport(read, changed), rows[-1].id if rows else after_id
