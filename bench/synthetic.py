"""Synthetic archives for search benchmarks, seeded from the Reuters-21578 corpus.

Vocabulary and word frequencies come from the Reuters bodies; every story gets topics from
a fixed mix (some in 10–40% of stories), dates spread over two years in ingest order
(with a few late imports of old stories), and is written with bulk inserts (SQLite) or
COPY (PostgreSQL). The FTS index build is part of the load.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from storage.database import create_database_engine, upgrade_database

# (topic name, share of stories about it)
TOPIC_MIX: tuple[tuple[str, float], ...] = (
    ("oil", 0.35),
    ("trade", 0.25),
    ("Japan", 0.20),
    ("dollar", 0.12),
    ("grain", 0.10),
    ("Brazil", 0.05),
    ("gold", 0.03),
    ("coffee", 0.02),
    ("sugar", 0.015),
    ("Iran", 0.01),
    ("copper", 0.005),
)
OUTLETS = ("Reuters", "The Ledger", "Evening Post", "Harbour Times", "Metro Daily")
SECTIONS = ("world", "business", "markets", "politics", "energy")
SPAN_DAYS = 730
BACKFILL_SHARE = 0.003
PASSING_MENTION_SHARE = 0.05

_WORD = re.compile(r"[a-z]{3,}")


def read_reuters(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def wire_body(story: Mapping[str, object]) -> str:
    """A Reuters story's text as wire copy reads: its dateline ("SYDNEY, March 3 -"), then body."""
    body = str(story.get("body") or "")
    dateline = str(story.get("dateline") or "").strip()
    return f"{dateline} {body}" if dateline and body else body


@dataclass(frozen=True)
class Vocabulary:
    words: list[str]
    weights: list[int]


def build_vocabulary(stories: list[dict[str, object]], size: int = 20000) -> Vocabulary:
    counts: Counter[str] = Counter()
    for story in stories:
        counts.update(_WORD.findall(str(story.get("body") or "").lower()))
    common = counts.most_common(size)
    return Vocabulary([w for w, _ in common], [c for _, c in common])


@dataclass(frozen=True)
class SyntheticStory:
    headline: str
    standfirst: str
    body: str
    topics: list[str]
    byline: str
    outlet: str
    section: str
    published_at: datetime
    is_public: bool


def generate_stories(
    vocabulary: Vocabulary, count: int, *, end: datetime, seed: int = 7
) -> Iterator[SyntheticStory]:
    """``count`` stories in ingest order; the same seed gives the same archive."""
    rng = random.Random(seed)
    start = end - timedelta(days=SPAN_DAYS)
    step = SPAN_DAYS * 86400.0 / count
    bylines = [
        f"{a.title()} {b.title()}"
        for a, b in zip(vocabulary.words[200:400], vocabulary.words[400:600], strict=True)
    ]
    # Cumulative weights once: random.choices is then O(k log n).
    cumulative: list[int] = []
    total = 0
    for weight in vocabulary.weights:
        total += weight
        cumulative.append(total)
    words = vocabulary.words

    def draw(k: int) -> list[str]:
        return rng.choices(words, cum_weights=cumulative, k=k)

    for index in range(count):
        topics = [name for name, share in TOPIC_MIX if rng.random() < share]
        headline = draw(rng.randint(5, 8))
        standfirst = draw(14)
        body = draw(rng.randint(60, 110))
        for position, topic in enumerate(topics):
            if position == 0 and rng.random() < 0.6:
                headline.insert(rng.randrange(len(headline) + 1), topic)
            if rng.random() < 0.4:
                standfirst.insert(rng.randrange(len(standfirst) + 1), topic)
            for _ in range(rng.randint(1, 4)):
                body.insert(rng.randrange(len(body) + 1), topic)
        if rng.random() < PASSING_MENTION_SHARE:
            name = rng.choice(TOPIC_MIX)[0]
            body.insert(rng.randrange(len(body) + 1), name)
        seconds = index * step + rng.uniform(-6 * 3600, 6 * 3600)
        if rng.random() < BACKFILL_SHARE:
            seconds = rng.uniform(0, seconds)
        yield SyntheticStory(
            headline=" ".join(headline).capitalize(),
            standfirst=" ".join(standfirst).capitalize() + ".",
            body=" ".join(body).capitalize() + ".",
            topics=topics,
            byline=rng.choice(bylines),
            outlet=rng.choice(OUTLETS),
            section=rng.choice(SECTIONS),
            published_at=start + timedelta(seconds=seconds),
            is_public=rng.random() < 0.97,
        )


COLUMNS = (
    "headline, standfirst, body, summary, topics, tags, byline, outlet, section, status, "
    "content_hash, version, is_public, published_at, first_seen_at, updated_at, fetched_at, "
    "sort_at"
)


def _row(story: SyntheticStory, index: int, *, sqlite: bool) -> tuple[object, ...]:
    when: object = story.published_at
    if sqlite:
        when = story.published_at.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return (
        story.headline,
        story.standfirst,
        story.body,
        story.standfirst,
        json.dumps(story.topics),
        "[]",
        story.byline,
        story.outlet,
        story.section,
        "published",
        f"{index:064x}",
        1,
        story.is_public,
        when,
        when,
        when,
        when,
        when,
    )


def load_sqlite(path: Path, stories: Iterator[SyntheticStory]) -> float:
    """Create a migrated SQLite archive at ``path`` holding ``stories``; seconds taken."""
    url = f"sqlite:///{path}"
    began = time.perf_counter()
    upgrade_database(url)
    engine = create_database_engine(url)
    placeholders = ", ".join("?" * len(COLUMNS.split(",")))
    with engine.begin() as connection:
        cursor = connection.connection.cursor()
        batch: list[tuple[object, ...]] = []
        for index, story in enumerate(stories):
            batch.append(_row(story, index, sqlite=True))
            if len(batch) == 20000:
                cursor.executemany(
                    f"INSERT INTO articles ({COLUMNS}) VALUES ({placeholders})", batch
                )
                batch.clear()
        if batch:
            cursor.executemany(f"INSERT INTO articles ({COLUMNS}) VALUES ({placeholders})", batch)
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - began


def load_postgresql(url: str, stories: Iterator[SyntheticStory]) -> float:
    """Migrate the schema in ``url`` and COPY ``stories`` in; the GIN index is built after."""
    began = time.perf_counter()
    upgrade_database(url)
    engine = create_database_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_articles_search_vector")
        raw = connection.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(f"COPY articles ({COLUMNS}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for index, story in enumerate(stories):
                copy.write_row(_row(story, index, sqlite=False))
    with engine.begin() as connection:
        connection.exec_driver_sql("SET maintenance_work_mem = '1GB'")
        connection.exec_driver_sql(
            "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)"
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE articles")
    engine.dispose()
    return time.perf_counter() - began


def create_postgresql_schema(admin_url: str, schema: str) -> str:
    """A new schema on the server; returns a URL whose search_path points at it."""
    admin = sa.create_engine(admin_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    admin.dispose()
    separator = "&" if "?" in admin_url else "?"
    return f"{admin_url}{separator}options=-csearch_path%3D{schema}"


def drop_postgresql_schema(admin_url: str, schema: str) -> None:
    admin = sa.create_engine(admin_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    admin.dispose()


def archive_end() -> datetime:
    """The fixed 'now' of synthetic archives, so runs are comparable."""
    return datetime(2026, 11, 1, tzinfo=UTC)
