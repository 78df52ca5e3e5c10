"""Relevance of "latest on X" against the Reuters-21578 editors' labels.

Every Reuters story becomes a public article (headline = title, published_at = date). For
every place label with at least 50 stories (asked by the country's name) and every topic
label that is a plain word used in the stories' text, the question "latest on <name>" goes
through ``news.questions.parse_question`` and ``storage.search.search_articles``; the top 5
are judged against the label: precision@5, and how close they are to the newest relevant
stories (mean date rank of the relevant hits among all relevant stories, 1 = newest;
the ideal for five hits is 3.0).

    .venv/bin/python -m bench.relevance --data ../shared/data/corpus/reuters21578.jsonl.gz
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import statistics
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/<name>.py` from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import create_postgresql_schema, drop_postgresql_schema, read_reuters
from news.aliases import AliasTable, load_alias_table
from news.questions import parse_question
from news.topics import tag_topics
from storage.database import create_database_engine, create_session_factory, upgrade_database
from storage.models import Article
from storage.search import search_articles

POSTGRES_URL = os.environ.get(
    "NEWSDESK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MIN_STORIES = 50
TOP = 5
PLACE_NAMES = {
    "usa": "United States",
    "uk": "Britain",
    "west-germany": "West Germany",
    "ussr": "Soviet Union",
    "hong-kong": "Hong Kong",
    "south-korea": "South Korea",
    "south-africa": "South Africa",
    "new-zealand": "New Zealand",
    "saudi-arabia": "Saudi Arabia",
}
# Reuters topic codes that are abbreviations, asked by the words a person would use.
TOPIC_NAMES = {
    "acq": "acquisitions",
    "alum": "aluminium",
    "bop": "balance of payments",
    "cpi": "consumer prices",
    "dlr": "dollar",
    "earn": "earnings",
    "gas": "gasoline",
    "ipi": "industrial production",
    "ship": "shipping",
}
_PLAIN_WORD = re.compile(r"^[a-z]+$")


@dataclass(frozen=True)
class Label:
    kind: str  # "place" or "topic"
    slug: str
    name: str


@dataclass(frozen=True)
class Judgement:
    label: Label
    relevant: int
    returned: int
    precision: float
    mean_date_rank: float | None
    newest_found: int


def place_name(slug: str) -> str:
    return PLACE_NAMES.get(slug, slug.replace("-", " ").title())


def choose_labels(stories: list[dict[str, Any]]) -> list[Label]:
    """Every place label and every plain-word topic label with at least 50 stories."""
    places: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    for story in stories:
        places.update(set(story.get("places") or []))
        topics.update(set(story.get("topics") or []))
    labels = [Label("place", s, place_name(s)) for s, n in places.items() if n >= MIN_STORIES]
    labels.extend(
        Label("topic", slug, TOPIC_NAMES.get(slug, slug))
        for slug, count in topics.items()
        if count >= MIN_STORIES and _PLAIN_WORD.match(slug)
    )
    labels.sort(key=lambda label: (label.kind, label.slug))
    return labels


def to_article(story: dict[str, Any], aliases: AliasTable | None) -> Article:
    """A public article from a Reuters story; topics tagged when ``aliases`` is given."""
    when = datetime.fromisoformat(str(story["date"])).replace(tzinfo=UTC)
    body = str(story.get("body") or "")
    headline = str(story.get("title") or "").strip() or body[:80]
    topics = []
    if aliases is not None:
        topics = [t.name for t in tag_topics(headline=headline, body=body, aliases=aliases)]
    return Article(
        canonical_url=f"https://reuters.example/{story['id']}",
        headline=headline,
        body=body,
        summary="",
        topics=topics,
        tags=[],
        status="published",
        outlet="Reuters",
        is_public=True,
        content_hash=hashlib.sha256(f"{story['id']}".encode()).hexdigest(),
        published_at=when,
        sort_at=when,
        first_seen_at=when,
        updated_at=when,
        fetched_at=when,
    )


def load_archive(
    url: str, stories: list[dict[str, Any]], aliases: AliasTable | None
) -> dict[int, int]:
    """Write the stories in date order; returns article id -> Reuters id."""
    upgrade_database(url)
    engine = create_database_engine(url)
    ordered = sorted(stories, key=lambda s: (str(s["date"]), int(s["id"])))
    mapping: dict[int, int] = {}
    with create_session_factory(engine).begin() as session:
        for start in range(0, len(ordered), 2000):
            chunk = ordered[start : start + 2000]
            articles = [to_article(story, aliases) for story in chunk]
            session.add_all(articles)
            session.flush()
            for story, article in zip(chunk, articles, strict=True):
                mapping[article.id] = int(story["id"])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE articles")
    engine.dispose()
    return mapping


def judge(
    url: str,
    labels: list[Label],
    stories: list[dict[str, Any]],
    mapping: dict[int, int],
    aliases: AliasTable,
) -> list[Judgement]:
    by_id = {int(s["id"]): s for s in stories}
    now = max(datetime.fromisoformat(str(s["date"])) for s in stories).replace(
        tzinfo=UTC
    ) + timedelta(days=1)
    engine = create_database_engine(url)
    session_factory = create_session_factory(engine)
    results = []
    for label in labels:
        field = "places" if label.kind == "place" else "topics"
        relevant = [s for s in stories if label.slug in (s.get(field) or [])]
        newest = sorted(relevant, key=lambda s: (str(s["date"]), int(s["id"])), reverse=True)
        rank = {int(s["id"]): index + 1 for index, s in enumerate(newest)}
        question = parse_question(f"latest on {label.name}", now=now, aliases=aliases)
        with session_factory() as session:
            page = search_articles(question, session=session, limit=TOP, now=now)
        found = [mapping[hit.article_id] for hit in page.hits]
        hits = [r for r in found if label.slug in (by_id[r].get(field) or [])]
        ranks = [rank[r] for r in hits]
        newest_ids = {int(s["id"]) for s in newest[:TOP]}
        results.append(
            Judgement(
                label=label,
                relevant=len(relevant),
                returned=len(found),
                precision=len(hits) / TOP,
                mean_date_rank=statistics.mean(ranks) if ranks else None,
                newest_found=len(newest_ids & set(found)),
            )
        )
    engine.dispose()
    return results


def format_table(engine_name: str, judgements: list[Judgement]) -> str:
    lines = [
        f"#### {engine_name}",
        "",
        "| label | asked as | relevant stories | precision@5 | mean date rank of relevant hits "
        "| of the 5 newest relevant, found |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for j in judgements:
        rank = "–" if j.mean_date_rank is None else f"{j.mean_date_rank:.1f}"
        lines.append(
            f"| {j.label.kind}: {j.label.slug} | latest on {j.label.name} | {j.relevant} "
            f"| {j.precision:.2f} | {rank} | {j.newest_found} |"
        )
    precision = statistics.mean(j.precision for j in judgements)
    ranks = [j.mean_date_rank for j in judgements if j.mean_date_rank is not None]
    newest = statistics.mean(j.newest_found for j in judgements)
    lines.append(
        f"| **mean** ({len(judgements)} labels) | | | **{precision:.3f}** "
        f"| {statistics.mean(ranks):.1f} | {newest:.2f} |"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="reuters21578.jsonl.gz")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument(
        "--no-topics", action="store_true", help="leave article topics empty (no tagging)"
    )
    args = parser.parse_args(argv)
    aliases = load_alias_table()

    stories = [
        s for s in read_reuters(args.data) if s.get("date") and (s.get("body") or s.get("title"))
    ]
    labels = choose_labels(stories)
    tagged = "empty" if args.no_topics else "tagged by news.topics.tag_topics"
    print(f"{len(stories)} dated stories, {len(labels)} labels, article topics {tagged}")
    for engine_name in args.engines.split(","):
        with tempfile.TemporaryDirectory(prefix="newsdesk-relevance-") as directory:
            schema = f"newsdesk_relevance_{uuid.uuid4().hex[:10]}"
            try:
                if engine_name == "sqlite":
                    url = f"sqlite:///{directory}/reuters.db"
                else:
                    url = create_postgresql_schema(args.postgres_url, schema)
                mapping = load_archive(url, stories, None if args.no_topics else aliases)
                judgements = judge(url, labels, stories, mapping, aliases)
                print(format_table(engine_name, judgements))
                print()
            finally:
                if engine_name != "sqlite":
                    drop_postgresql_schema(args.postgres_url, schema)


if __name__ == "__main__":
    main()
