"""Relevance of "latest on X" against the Reuters-21578 editors' labels.

Every Reuters story becomes a public article (headline = title, published_at = date). For
every place label with at least 50 stories (asked by the country's name) and every topic
label that is a plain word used in the stories' text, the question "latest on <name>" goes
through ``news.questions.parse_question`` and ``storage.search.search_articles``; the top 5
are judged against the label: precision@5, and how close they are to the newest relevant
stories (mean date rank of the relevant hits among all relevant stories, 1 = newest;
the ideal for five hits is 3.0).

    .venv/bin/python -m bench.relevance --data ../shared/data/corpus/reuters21578.jsonl.gz

``--fresh FILE`` (repeatable) also asks every question of FILE (same format as the dev set,
no holdout split) as a set of its own named by the file (``fresh2_questions.tsv`` is
"fresh2"), a column beside the others in the same tables.

A set named ``<set>-lower`` in ``--sets`` (``dev-lower``, ``tuned-lower``, ``fresh-lower``)
asks every question of ``<set>`` again with the text lower-cased, as editors often type it:
the same judgments, so the difference between the two columns is what capitals were worth.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/<name>.py` from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text
from sqlalchemy.orm import Session

from bench.synthetic import (
    create_postgresql_schema,
    drop_postgresql_schema,
    read_reuters,
    wire_body,
)
from news.aliases import AliasTable, load_alias_table
from news.questions import parse_question
from news.questions.vocabulary import STOP_WORDS
from news.topics import tag_topics
from storage.database import create_database_engine, create_session_factory, upgrade_database
from storage.models import Article
from storage.search import search_articles

POSTGRES_URL = os.environ.get(
    "NEWSDESK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MIN_STORIES = 50
DEV_QUESTIONS = Path(__file__).resolve().parent / "data" / "dev_questions.tsv"
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
    body = wire_body(story)
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


FIELDS = {"topic": "topics", "place": "places", "org": "orgs", "people": "people"}
Clause = tuple[tuple[str, str], ...]  # alternatives: (story field, slug)


@dataclass(frozen=True)
class Asked:
    """One question and its judgment: every clause must hold, any alternative in a clause."""

    set_name: str  # "tuned", "dev", "holdout", or a fresh file's name ("fresh", "fresh2")
    kind: str
    text: str
    clauses: tuple[Clause, ...]

    def relevant(self, story: dict[str, Any]) -> bool:
        return all(
            any(slug in (story.get(field) or ()) for field, slug in clause)
            for clause in self.clauses
        )

    def judged(self, story: dict[str, Any]) -> bool:
        """Whether the labels can say anything of ``story``: for every clause, it has a
        label of one of the clause's kinds (a story with no topic at all, as about half
        the archive, cannot be judged on a topic)."""
        return all(any(story.get(field) for field, _ in clause) for clause in self.clauses)


def is_holdout(question: str) -> bool:
    """The rule fixed before the dev set was run: a third of the questions, by hash."""
    return int(hashlib.sha256(question.encode("utf-8")).hexdigest(), 16) % 3 == 0


def parse_judgment(text: str) -> tuple[Clause, ...]:
    clauses = []
    for clause in text.split("&"):
        alternatives = []
        for label in clause.split("|"):
            field, _, slug = label.strip().partition(":")
            if field not in FIELDS or not slug:
                raise ValueError(f"bad label {label!r} in judgment {text!r}")
            alternatives.append((FIELDS[field], slug))
        clauses.append(tuple(alternatives))
    return tuple(clauses)


def read_questions(path: Path, set_of: Callable[[str], str]) -> list[Asked]:
    """A question file: one ``kind<TAB>question<TAB>judgment`` a line, ``#`` comments;
    ``set_of`` names each question's set from its text."""
    asked = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(f"{path}:{number}: expected kind, question and judgment")
        kind, question, judgment = fields
        asked.append(Asked(set_of(question), kind, question, parse_judgment(judgment)))
    return asked


def read_dev_questions(path: Path) -> list[Asked]:
    """``bench/data/dev_questions.tsv``: kind, question, judgment; holdout by ``is_holdout``."""
    return read_questions(path, lambda question: "holdout" if is_holdout(question) else "dev")


def fresh_set_name(path: Path) -> str:
    """The set a held-out file's questions are asked as: ``fresh_questions.tsv`` is "fresh",
    ``fresh2_questions.tsv`` "fresh2"."""
    return path.stem.removesuffix("_questions")


def read_fresh_questions(path: Path) -> list[Asked]:
    """A held-out file such as ``bench/data/fresh_questions.tsv``: every question is asked,
    as the set named by ``fresh_set_name`` (no hash split)."""
    name = fresh_set_name(path)
    return read_questions(path, lambda question: name)


LOWER_SUFFIX = "-lower"


def lowered(asked: list[Asked], set_name: str) -> list[Asked]:
    """Every question of ``asked`` lower-cased, as the set ``set_name``; judgments kept."""
    return [replace(a, set_name=set_name, text=a.text.lower()) for a in asked]


def with_enough_stories(
    asked: list[Asked], stories: list[dict[str, Any]]
) -> tuple[list[Asked], list[Asked]]:
    """The questions with at least ``TOP`` relevant stories, and those with fewer."""
    few = [a for a in asked if sum(1 for s in stories if a.relevant(s)) < TOP]
    return [a for a in asked if a not in few], few


def tuned_questions(labels: list[Label]) -> list[Asked]:
    return [
        Asked(
            "tuned",
            label.kind,
            f"latest on {label.name}",
            (((FIELDS[label.kind], label.slug),),),
        )
        for label in labels
    ]


@dataclass(frozen=True)
class Judgement:
    asked: Asked
    system: str
    relevant: int
    found: tuple[int, ...]
    hits: int
    newest_found: int
    judged: int = TOP  # of ``found``, the stories the labels can judge

    @property
    def precision(self) -> float:
        return self.hits / TOP

    @property
    def judged_precision(self) -> float | None:
        """Hits over the found stories the labels can judge; None when none can be."""
        return self.hits / self.judged if self.judged else None

    @property
    def newest_share(self) -> float:
        return self.newest_found / TOP


def content_words(question: str) -> list[str]:
    """The question's words without stop words: what a plain keyword engine is given."""
    words = [w for w in re.findall(r"\w+", question.casefold()) if w not in STOP_WORDS]
    return list(dict.fromkeys(words)) or re.findall(r"\w+", question.casefold())[:3]


def bm25_ids(session: Session, question: str, limit: int) -> list[int]:
    """Plain keyword ranking: any of the words, by BM25 (SQLite) or ts_rank_cd (PostgreSQL)."""
    words = content_words(question)
    if not words:
        return []
    if session.get_bind().dialect.name == "sqlite":
        expression = " OR ".join('"' + w.replace('"', "") + '"' for w in words)
        rows = session.execute(
            text(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q "
                "ORDER BY bm25(articles_fts) LIMIT :limit"
            ),
            {"q": expression, "limit": limit},
        )
    else:
        params: dict[str, Any] = {f"w{i}": w for i, w in enumerate(words)}
        query = " || ".join(f"plainto_tsquery('english', :w{i})" for i in range(len(words)))
        rows = session.execute(
            text(
                f"SELECT id FROM articles WHERE search_vector @@ ({query}) "
                f"ORDER BY ts_rank_cd(search_vector, ({query})) DESC, id DESC LIMIT :limit"
            ),
            {**params, "limit": limit},
        )
    return [int(row[0]) for row in rows]


SYSTEMS = ("newsdesk", "bm25 top 5", "bm25 top 50, 5 newest")


def run_system(
    system: str,
    session: Session,
    asked: Asked,
    *,
    now: datetime,
    aliases: AliasTable,
    sort_keys: dict[int, tuple[str, int]],
) -> list[int]:
    """Article ids of the top 5 that ``system`` gives for the question."""
    if system == "newsdesk":
        question = parse_question(asked.text, now=now, aliases=aliases, **PARSE_OPTIONS)
        page = search_articles(question, session=session, limit=TOP, now=now)
        return [hit.article_id for hit in page.hits]
    if system == "bm25 top 5":
        return bm25_ids(session, asked.text, TOP)
    pool = bm25_ids(session, asked.text, 50)
    return sorted(pool, key=lambda i: sort_keys[i], reverse=True)[:TOP]


PARSE_OPTIONS: dict[str, Any] = {}


def judge(
    url: str,
    questions: list[Asked],
    stories: list[dict[str, Any]],
    mapping: dict[int, int],
    aliases: AliasTable,
    systems: Sequence[str] = SYSTEMS,
) -> list[Judgement]:
    by_id = {int(s["id"]): s for s in stories}
    now = max(datetime.fromisoformat(str(s["date"])) for s in stories).replace(
        tzinfo=UTC
    ) + timedelta(days=1)
    sort_keys = {
        article_id: (str(by_id[reuters_id]["date"]), reuters_id)
        for article_id, reuters_id in mapping.items()
    }
    engine = create_database_engine(url)
    session_factory = create_session_factory(engine)
    results = []
    for asked in questions:
        relevant = [s for s in stories if asked.relevant(s)]
        newest = sorted(relevant, key=lambda s: (str(s["date"]), int(s["id"])), reverse=True)
        newest_ids = {int(s["id"]) for s in newest[:TOP]}
        for system in systems:
            with session_factory() as session:
                ids = run_system(
                    system, session, asked, now=now, aliases=aliases, sort_keys=sort_keys
                )
            found = tuple(mapping[i] for i in ids)
            results.append(
                Judgement(
                    asked=asked,
                    system=system,
                    relevant=len(relevant),
                    found=found,
                    hits=sum(1 for r in found if asked.relevant(by_id[r])),
                    newest_found=len(newest_ids & set(found)),
                    judged=sum(1 for r in found if asked.judged(by_id[r])),
                )
            )
    engine.dispose()
    return results


def _mean(values: Sequence[float]) -> float:
    return statistics.mean(values) if values else float("nan")


def _system_rows(
    judgements: list[Judgement], sets: Sequence[str], cell: Callable[[list[Judgement]], str]
) -> list[str]:
    """A table row per system: ``cell`` of its judgements in each set."""
    rows = []
    for system in dict.fromkeys(j.system for j in judgements):
        cells = [
            cell([j for j in judgements if j.system == system and j.asked.set_name == name])
            for name in sets
        ]
        rows.append(f"| {system} | " + " | ".join(cells) + " |")
    return rows


def _precision_cell(chosen: list[Judgement]) -> str:
    precision = _mean([j.precision for j in chosen])
    return f"{precision:.3f} / {_mean([j.newest_share for j in chosen]):.3f} (n={len(chosen)})"


def _judged_cell(chosen: list[Judgement]) -> str:
    judged = [p for j in chosen if (p := j.judged_precision) is not None]
    return f"{_mean(judged):.3f} ({_mean([j.judged / TOP for j in chosen]):.0%} judged)"


def format_summary(engine_name: str, judgements: list[Judgement], sets: Sequence[str]) -> str:
    header = " | ".join(f"{name}: p@5 / newest found" for name in sets)
    lines = [
        f"#### {engine_name}: precision@5 / newest found (share of the 5 newest relevant)",
        "",
        f"| system | {header} |",
        "|---|" + "---:|" * len(sets),
    ]
    lines += _system_rows(judgements, sets, _precision_cell)
    lines += [
        "",
        "Precision over the judged stories of the top 5 only (a story with no label of a",
        "clause's kind, such as one with no topic at all, is left out; questions with none",
        "judged are left out), and the share of the top 5 the labels can judge:",
        "",
        f"| system | {' | '.join(sets)} |",
        "|---|" + "---:|" * len(sets),
    ]
    lines += _system_rows(judgements, sets, _judged_cell)
    lines += ["", "By kind of question (newsdesk / bm25 top 5), p@5 / newest found:", ""]
    lines += ["| set | kind | n | newsdesk | bm25 top 5 |", "|---|---|---:|---:|---:|"]
    for name in sets:
        kinds = dict.fromkeys(j.asked.kind for j in judgements if j.asked.set_name == name)
        for kind in kinds:
            cells = []
            count = 0
            for system in ("newsdesk", "bm25 top 5"):
                chosen = [
                    j
                    for j in judgements
                    if j.system == system and j.asked.set_name == name and j.asked.kind == kind
                ]
                count = max(count, len(chosen))
                cells.append(
                    f"{_mean([j.precision for j in chosen]):.3f} / "
                    f"{_mean([j.newest_share for j in chosen]):.3f}"
                )
            lines.append(f"| {name} | {kind} | {count} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_table(engine_name: str, judgements: list[Judgement]) -> str:
    lines = [
        f"#### {engine_name}: newsdesk per question",
        "",
        "| set | kind | asked as | relevant | precision@5 | of the 5 newest relevant, found |",
        "|---|---|---|---:|---:|---:|",
    ]
    for j in judgements:
        if j.system == "newsdesk":
            lines.append(
                f"| {j.asked.set_name} | {j.asked.kind} | {j.asked.text} | {j.relevant} "
                f"| {j.precision:.2f} | {j.newest_found} |"
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
    parser.add_argument(
        "--questions", type=Path, default=DEV_QUESTIONS, help="the dev question set (TSV)"
    )
    parser.add_argument(
        "--holdout", action="store_true", help="also ask the held-out third of the dev set"
    )
    parser.add_argument(
        "--fresh",
        type=Path,
        action="append",
        default=[],
        help="also ask every question of this file (dev format, no holdout split) as a set "
        "named by the file (fresh_questions.tsv: 'fresh'); repeatable",
    )
    parser.add_argument(
        "--sets",
        default="tuned,dev",
        help="which sets to ask: tuned, dev, and <set>-lower for a set lower-cased "
        "(tuned-lower, dev-lower, fresh-lower with --fresh)",
    )
    parser.add_argument("--per-question", action="store_true", help="print every question")
    parser.add_argument("--details", type=Path, help="write every judgment as JSON lines")
    args = parser.parse_args(argv)
    aliases = load_alias_table()

    stories = [
        s for s in read_reuters(args.data) if s.get("date") and (s.get("body") or s.get("title"))
    ]
    labels = choose_labels(stories)
    sets = [name for name in args.sets.split(",") if name]
    if args.holdout:
        sets.append("holdout")
    sets += [fresh_set_name(path) for path in args.fresh]
    sets = list(dict.fromkeys(sets))
    bases = {name.removesuffix(LOWER_SUFFIX) for name in sets}
    asked: list[Asked] = []
    if "tuned" in bases:
        asked += tuned_questions(labels)
    dev = [a for a in read_dev_questions(args.questions) if a.set_name in bases]
    kept, few = with_enough_stories(dev, stories)
    asked += kept
    left_out = f"{len(few)} dev questions"
    for path in args.fresh:
        kept, few_fresh = with_enough_stories(read_fresh_questions(path), stories)
        asked += kept
        left_out += f" and {len(few_fresh)} {fresh_set_name(path)} questions"
    questions: list[Asked] = []
    for name in sets:
        base = name.removesuffix(LOWER_SUFFIX)
        of_base = [a for a in asked if a.set_name == base]
        questions += of_base if name == base else lowered(of_base, name)
    tagged = "empty" if args.no_topics else "tagged by news.topics.tag_topics"
    print(
        f"{len(stories)} dated stories, {len(questions)} questions "
        f"({', '.join(f'{n}: {sum(1 for q in questions if q.set_name == n)}' for n in sets)}; "
        f"{left_out} with fewer than {TOP} relevant stories left out), "
        f"article topics {tagged}"
    )
    for engine_name in args.engines.split(","):
        with tempfile.TemporaryDirectory(prefix="newsdesk-relevance-") as directory:
            schema = f"newsdesk_relevance_{uuid.uuid4().hex[:10]}"
            try:
                if engine_name == "sqlite":
                    url = f"sqlite:///{directory}/reuters.db"
                else:
                    url = create_postgresql_schema(args.postgres_url, schema)
                mapping = load_archive(url, stories, None if args.no_topics else aliases)
                judgements = judge(url, questions, stories, mapping, aliases)
                print(format_summary(engine_name, judgements, sets))
                print()
                if args.per_question:
                    print(format_table(engine_name, judgements))
                    print()
                if args.details:
                    with args.details.open("a", encoding="utf-8") as out:
                        for j in judgements:
                            row = {
                                "engine": engine_name,
                                "set": j.asked.set_name,
                                "kind": j.asked.kind,
                                "q": j.asked.text,
                                "system": j.system,
                                "relevant": j.relevant,
                                "hits": j.hits,
                                "newest": j.newest_found,
                                "judged": j.judged,
                                "found": j.found,
                            }
                            out.write(json.dumps(row) + "\n")
            finally:
                if engine_name != "sqlite":
                    drop_postgresql_schema(args.postgres_url, schema)


if __name__ == "__main__":
    main()
