"""Search latency on synthetic archives of 100k–1M stories, SQLite and PostgreSQL.

Builds each archive (bulk insert / COPY, FTS index included), then times "latest on X",
free-text questions and questions as editors type them (parsed by
``news.questions.parse_question``: regions that search every member, lower-case names, two
subjects) through ``storage.search.search_articles`` beside a naive baseline that ranks
every match. Archives live in a temporary directory and a temporary
PostgreSQL schema, both removed at the end.

    .venv/bin/python -m bench.search --data ../shared/data/corpus/reuters21578.jsonl.gz
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

if __package__ in (None, ""):  # run as `python bench/<name>.py` from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import (
    TOPIC_MIX,
    Vocabulary,
    archive_end,
    build_vocabulary,
    create_postgresql_schema,
    drop_postgresql_schema,
    generate_stories,
    load_postgresql,
    load_sqlite,
    read_reuters,
)
from news.aliases import load_alias_table
from news.questions import Intent, Question, TermGroup, parse_question
from storage.database import create_database_engine, create_session_factory
from storage.search import search_articles

POSTGRES_URL = os.environ.get(
    "NEWSDESK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BM25_WEIGHTS = "10.0, 5.0, 1.0, 5.0, 0.0, 0.0"

# Questions as editors type them, for latency only: the widest parsed forms the search sees
# (a region is the union of its members' names, up to about a hundred alternatives).
TYPED_QUESTIONS = (
    "latest on latin america",
    "news from the gulf states",
    "what's happening in eastern europe",
    "anything from southeast asia",
    "west africa cocoa",
    "us interest rates",
    "coffee exports from brazil",
    "wheat sales to the soviet union",
    "bank of japan",
    "any news on sao paulo",
    "uk money supply",
    "oil prices in the middle east",
    "comecon trade",
    "what's new with the world bank",
    "canadian rates",
    "latest on new mexico",
)


def build_questions(vocabulary: Vocabulary, count: int, seed: int) -> dict[str, list[Question]]:
    aliases = load_alias_table()
    latest = [
        Question(
            raw=name, intent=Intent.LATEST, groups=(TermGroup(name, tuple(aliases.expand(name))),)
        )
        for name, _share in TOPIC_MIX
    ]
    rng = random.Random(seed)
    common = vocabulary.words[30:400]
    middling = vocabulary.words[400:5000]
    topics = [name for name, _ in TOPIC_MIX]
    free_text = []
    for index in range(count):
        if index % 3 == 0:
            words = [rng.choice(topics), rng.choice(common)]
        elif index % 3 == 1:
            words = [rng.choice(common), rng.choice(middling)]
        else:
            words = [rng.choice(middling), rng.choice(middling), rng.choice(common)]
        free_text.append(
            Question(
                raw=" ".join(words),
                intent=Intent.SEARCH,
                groups=tuple(TermGroup(w, (w,)) for w in words),
            )
        )
    now = archive_end()
    typed = [parse_question(raw, now=now, aliases=aliases) for raw in TYPED_QUESTIONS]
    return {"latest": latest, "free_text": free_text, "typed": typed}


def _fts_query(question: Question) -> str:
    return " AND ".join(
        "(" + " OR ".join(f'"{a}"' for a in g.alternatives) + ")" for g in question.groups
    )


def _tsquery(question: Question, params: dict[str, str]) -> str:
    groups = []
    for group in question.groups:
        parts = []
        for alternative in group.alternatives:
            name = f"p{len(params)}"
            params[name] = alternative
            parts.append(f"phraseto_tsquery('english', :{name})")
        groups.append("(" + " || ".join(parts) + ")")
    return " && ".join(groups)


def run_naive(engine: sa.Engine, question: Question) -> int:
    """Rank every match (bm25 / ts_rank) and keep five: the cost search avoids."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(
                sa.text(
                    "SELECT a.id FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
                    "WHERE articles_fts MATCH :q AND a.is_public "
                    f"ORDER BY bm25(articles_fts, {BM25_WEIGHTS}) LIMIT 5"
                ),
                {"q": _fts_query(question)},
            )
        else:
            params: dict[str, str] = {}
            query = _tsquery(question, params)
            rows = connection.execute(
                sa.text(
                    f"SELECT id FROM articles WHERE search_vector @@ ({query}) AND is_public "
                    f"ORDER BY ts_rank(search_vector, ({query})) DESC LIMIT 5"
                ),
                params,
            )
        return len(rows.fetchall())


def count_matches(engine: sa.Engine, question: Question) -> int:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            value = connection.execute(
                sa.text("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH :q"),
                {"q": _fts_query(question)},
            ).scalar_one()
        else:
            params: dict[str, str] = {}
            query = _tsquery(question, params)
            value = connection.execute(
                sa.text(f"SELECT count(*) FROM articles WHERE search_vector @@ ({query})"),
                params,
            ).scalar_one()
    return int(value)


def time_calls(calls: Sequence[Callable[[], object]], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        for call in calls:
            began = time.perf_counter()
            call()
            samples.append((time.perf_counter() - began) * 1000.0)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@dataclass(frozen=True)
class Row:
    size: int
    engine: str
    load_seconds: float
    kind: str
    strategy: str
    samples: list[float]
    median_matches: int


def measure_archive(
    engine: sa.Engine,
    size: int,
    load_seconds: float,
    questions: dict[str, list[Question]],
    repeats: int,
) -> list[Row]:
    session_factory = create_session_factory(engine)
    now = archive_end()
    rows = []
    for kind, asked in questions.items():

        def ask(question: Question) -> Callable[[], object]:
            def call() -> object:
                with session_factory() as session:
                    return search_articles(question, session=session, limit=5, now=now)

            return call

        def naive(question: Question) -> Callable[[], object]:
            return lambda: run_naive(engine, question)

        for warm_up in [ask(q) for q in asked[:3]]:
            warm_up()
        matches = int(statistics.median(count_matches(engine, q) for q in asked))
        bounded = time_calls([ask(q) for q in asked], repeats)
        baseline = time_calls([naive(q) for q in asked], 1)
        name = engine.dialect.name
        rows.append(Row(size, name, load_seconds, kind, "search_articles", bounded, matches))
        rows.append(
            Row(size, name, load_seconds, kind, "naive: rank all matches", baseline, matches)
        )
    return rows


def format_table(rows: list[Row]) -> str:
    lines = [
        "| stories | engine | build (s) | question | strategy | median matches | n "
        "| p50 ms | p95 ms | p99 ms |",
        "|---:|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.size:,} | {row.engine} | {row.load_seconds:.0f} | {row.kind} | {row.strategy} "
            f"| {row.median_matches:,} | {len(row.samples)} | {percentile(row.samples, 0.5):.1f} "
            f"| {percentile(row.samples, 0.95):.1f} | {percentile(row.samples, 0.99):.1f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="reuters21578.jsonl.gz")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--free-text-questions", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each question")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args(argv)

    vocabulary = build_vocabulary(read_reuters(args.data))
    questions = build_questions(vocabulary, args.free_text_questions, seed=11)
    rows: list[Row] = []
    for size in (int(s) for s in args.sizes.split(",")):
        for engine_name in args.engines.split(","):
            with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as directory:
                schema = f"newsdesk_bench_{uuid.uuid4().hex[:10]}"
                try:
                    stories = generate_stories(vocabulary, size, end=archive_end())
                    if engine_name == "sqlite":
                        url = f"sqlite:///{directory}/archive.db"
                        load_seconds = load_sqlite(Path(directory) / "archive.db", stories)
                    else:
                        url = create_postgresql_schema(args.postgres_url, schema)
                        load_seconds = load_postgresql(url, stories)
                    print(
                        f"built {size:,} stories on {engine_name} in {load_seconds:.0f} s",
                        flush=True,
                    )
                    engine = create_database_engine(url)
                    rows.extend(
                        measure_archive(engine, size, load_seconds, questions, args.repeats)
                    )
                    engine.dispose()
                finally:
                    if engine_name != "sqlite":
                        drop_postgresql_schema(args.postgres_url, schema)
            print(format_table(rows[-2 * len(questions) :]), flush=True)
    print()
    print(format_table(rows))


if __name__ == "__main__":
    main()
