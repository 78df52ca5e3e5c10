"""Metadata benchmark: headline, byline and publication date against checked truth.

Scores our extraction beside raw trafilatura (``bare_extraction`` with metadata) and, where
installed, htmldate (dates only) on the truth in ``bench/data/metadata-truth.jsonl``: one
line per page of ``DATA/metadata`` and ``DATA/extraction``, written by reading each page.
A fixed third of the pages is held out (sha1 of "set/page" mod 3 == 0) and reported apart.

- headline: exact after quote, dash and whitespace normalisation (case kept), on the pages
  that show one (a page without a headline gets one derived from its text, by design);
- byline: the same set of people, ignoring case, "By" and punctuation (no people = no people);
- date: the same UTC day as the truth's publication time (no date = no date); pages where we
  give a wrong date and pages where we give none although the page has one are counted apart.

    python bench/metadata.py --data ../shared/data

``--fresh DIR`` also scores the fresh held-out set (``bench/fresh.py``: every
``bench/data/fresh-truth-*.jsonl`` against the pages unpacked under DIR by
``bench/fetch_fresh.py``) with the same rules, as its own table with one row group per set;
pages of a kind other than ``article`` are skipped there.

    python bench/metadata.py --fresh ../fresh

``--fresh-set NAME`` keeps only that set (repeatable); with ``--misses`` it prints our
misses on that set's pages, so a set used for development can be read page by page while
the others are scored only as totals.

    python bench/metadata.py --fresh ../fresh --fresh-set trafilatura --misses
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/<name>.py` from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fresh import TRUTH_DIRECTORY, load_truth, read_page

TRUTH = Path(__file__).parent / "data" / "metadata-truth.jsonl"
SPLITS = ("dev", "holdout")
EXTENSIVE = True


@dataclass(frozen=True)
class Page:
    set: str
    page: str
    url: str | None
    html: str
    headline: str
    authors: tuple[str, ...]
    published: date | None
    group: str = ""  # a fresh page's set; the dev/holdout rule applies to the others

    @property
    def split(self) -> str:
        return self.group or split_of(self.set, self.page)


@dataclass(frozen=True)
class Guess:
    headline: str | None
    authors: tuple[str, ...]
    published: date | None


@dataclass
class Tally:
    pages: int = 0
    headline: int = 0
    headline_pages: int = 0
    byline: int = 0
    date: int = 0
    wrong_date: int = 0
    missing_date: int = 0
    cpu: float = 0.0
    misses: list[str] = field(default_factory=list)


def split_of(set_name: str, page: str) -> str:
    digest = hashlib.sha1(f"{set_name}/{page}".encode(), usedforsecurity=False).hexdigest()
    return "holdout" if int(digest, 16) % 3 == 0 else "dev"


def normalise_headline(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"[‘’‚‛′`´]", "'", text)
    text = re.sub(r"[“”„‟″«»]", '"', text)
    text = re.sub(r"[‐‑‒–—―]", "-", text)
    return " ".join(text.split()).strip()


def normalise_name(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).casefold()
    name = re.sub(r"^\s*by\s+", "", name)
    return " ".join(re.sub(r"[^\w\s]", " ", name).split())


def name_set(names: tuple[str, ...] | list[str]) -> frozenset[str]:
    return frozenset(key for key in (normalise_name(name) for name in names) if key)


def truth_day(value: str | None) -> date | None:
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()


def load_pages(data: Path, truth: Path) -> list[Page]:
    pages = []
    urls: dict[str, str] = {}
    ground = data / "extraction" / "ground-truth.json"
    if ground.exists():
        urls = {key: value.get("url") for key, value in json.loads(ground.read_text()).items()}
    for line in truth.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        path = data / row["set"] / "pages" / f"{row['page']}.html.gz"
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        pages.append(
            Page(
                set=row["set"],
                page=row["page"],
                url=urls.get(row["page"]) or row.get("url"),
                html=html,
                headline=row.get("headline") or "",
                authors=tuple(row.get("authors") or ()),
                published=truth_day(row.get("published")),
            )
        )
    return pages


def load_fresh_pages(fresh: Path, limit: int = 0, truth: Path = TRUTH_DIRECTORY) -> list[Page]:
    """The fresh set's article pages, each set in its own group (``limit`` per set).

    ``truth`` is the folder of ``fresh-truth-*.jsonl`` files (``bench/data`` by default).
    """
    pages: list[Page] = []
    taken: dict[str, int] = {}
    for row in load_truth(truth):
        if not row.scored or (limit and taken.get(row.set, 0) >= limit):
            continue
        taken[row.set] = taken.get(row.set, 0) + 1
        pages.append(
            Page(
                set=row.set,
                page=row.page,
                url=row.url,
                html=read_page(fresh, row),
                headline=row.headline or "",
                authors=row.authors,
                published=truth_day(row.published),
                group=row.set,
            )
        )
    return pages


def guess_ours(page: Page) -> Guess:
    from news.errors import NewsdeskError
    from news.extraction import extract_article, extract_metadata

    try:
        draft = extract_article(page.html, url=page.url)
    except NewsdeskError:
        # No story text: the card still shows the page's metadata.
        metadata = extract_metadata(page.html, url=page.url)
        if metadata is None:
            return Guess(None, (), None)
        return Guess(
            metadata.headline,
            tuple(metadata.authors),
            metadata.published_at.date() if metadata.published_at else None,
        )
    return Guess(
        draft.headline,
        tuple(draft.authors),
        draft.published_at.astimezone(UTC).date() if draft.published_at else None,
    )


def guess_trafilatura(page: Page) -> Guess:
    from trafilatura import bare_extraction

    document: Any = bare_extraction(page.html, url=page.url, with_metadata=True)
    if document is None:
        return Guess(None, (), None)
    authors = tuple(a.strip() for a in (document.author or "").split(";") if a.strip())
    day = None
    if document.date:
        try:
            day = date.fromisoformat(document.date[:10])
        except ValueError:
            day = None
    return Guess(document.title, authors, day)


def guess_htmldate(page: Page) -> Guess:
    from htmldate import find_date

    found = find_date(page.html, url=page.url, original_date=True, extensive_search=EXTENSIVE)
    return Guess(None, (), date.fromisoformat(found[:10]) if found else None)


def score(
    name: str,
    guess: Callable[[Page], Guess],
    pages: list[Page],
    fields: tuple[str, ...],
    groups: tuple[str, ...] = SPLITS,
) -> dict[str, Tally]:
    tallies = {group: Tally() for group in groups}
    if pages:  # imports and caches are not a page's cost
        with contextlib.suppress(Exception):  # the timed run reports it
            guess(pages[0])
    for page in pages:
        tally = tallies[page.split]
        started = time.process_time()
        try:
            result = guess(page)
        except Exception as error:  # a baseline that crashes on a page scores nothing there
            print(f"  {name} {page.set}/{page.page}: {error!r}", file=sys.stderr)
            result = Guess(None, (), None)
        tally.cpu += time.process_time() - started
        tally.pages += 1
        if not page.headline:
            pass  # the page shows no headline: ours is derived from the text by design
        elif normalise_headline(result.headline) == normalise_headline(page.headline):
            tally.headline += 1
            tally.headline_pages += 1
        else:
            tally.headline_pages += 1
            tally.misses.append(f"headline {page.page}: {result.headline!r} != {page.headline!r}")
        if name_set(result.authors) == name_set(page.authors):
            tally.byline += 1
        elif "byline" in fields:
            tally.misses.append(f"byline {page.page}: {list(result.authors)} != {page.authors}")
        if result.published == page.published:
            tally.date += 1
        else:
            if result.published is None:
                tally.missing_date += 1
            else:
                tally.wrong_date += 1
            if "date" in fields:
                tally.misses.append(f"date {page.page}: {result.published} != {page.published}")
    return tallies


def _share(count: int, pages: int, scored: bool) -> str:
    return f"{count / max(pages, 1):.3f}" if scored else "–"


def format_table(
    results: dict[str, tuple[dict[str, Tally], tuple[str, ...]]],
    groups: tuple[str, ...] = SPLITS,
    column: str = "split",
) -> str:
    lines = [
        f"| {column} | extractor | pages | headline | byline | date (same UTC day) "
        "| wrong date | no date | CPU ms/page |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for split in groups:
        for name, (tallies, fields) in results.items():
            tally = tallies[split]
            n = max(tally.pages, 1)
            headline = _share(tally.headline, tally.headline_pages, "headline" in fields)
            byline = _share(tally.byline, tally.pages, "byline" in fields)
            day = _share(tally.date, tally.pages, "date" in fields)
            lines.append(
                f"| {split} | {name} | {tally.pages} | {headline} | {byline} | {day} "
                f"| {tally.wrong_date if 'date' in fields else '–'} "
                f"| {tally.missing_date if 'date' in fields else '–'} "
                f"| {1000 * tally.cpu / n:.1f} |"
            )
    return "\n".join(lines)


def baselines() -> list[tuple[str, Callable[[Page], Guess], tuple[str, ...]]]:
    """Ours, raw trafilatura and, where installed, htmldate (dates only)."""
    all_fields = ("headline", "byline", "date")
    methods: list[tuple[str, Callable[[Page], Guess], tuple[str, ...]]] = [
        ("newsdesk", guess_ours, all_fields),
        ("trafilatura bare_extraction", guess_trafilatura, all_fields),
    ]
    try:
        import htmldate  # noqa: F401

        methods.append(("htmldate find_date", guess_htmldate, ("date",)))
    except ImportError:
        pass
    return methods


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, help="the shared data folder")
    parser.add_argument("--truth", type=Path, default=TRUTH, help="truth JSON lines")
    parser.add_argument(
        "--split", choices=(*SPLITS, "both"), default="both", help="which pages to score"
    )
    parser.add_argument(
        "--misses",
        action="store_true",
        help="print our misses (dev split; fresh pages only with --fresh-set)",
    )
    parser.add_argument(
        "--fresh", type=Path, help="also score the fresh set unpacked here (fetch_fresh.py)"
    )
    parser.add_argument(
        "--limit", type=int, default=0, help="score only the first N fresh pages of each set"
    )
    parser.add_argument(
        "--fresh-set",
        action="append",
        dest="fresh_sets",
        help="score only this fresh set (repeatable); needed for --misses on fresh pages",
    )
    arguments = parser.parse_args(argv)
    if arguments.data is None and arguments.fresh is None:
        parser.error("give --data, --fresh or both")
    methods = baselines()
    if arguments.data is not None:
        pages = load_pages(arguments.data, arguments.truth)
        if arguments.split != "both":
            pages = [page for page in pages if page.split == arguments.split]
        results: dict[str, Any] = {}
        for name, guess, fields in methods:
            results[name] = (score(name, guess, pages, fields), fields)
        print(format_table(results))
        if arguments.misses:
            for line in results["newsdesk"][0]["dev"].misses:
                print(line)
    if arguments.fresh is not None:
        fresh_pages = load_fresh_pages(arguments.fresh, arguments.limit)
        if arguments.fresh_sets:
            fresh_pages = [page for page in fresh_pages if page.group in arguments.fresh_sets]
        groups = tuple(dict.fromkeys(page.group for page in fresh_pages))
        fresh_results: dict[str, Any] = {}
        for name, guess, fields in methods:
            fresh_results[name] = (score(name, guess, fresh_pages, fields, groups), fields)
        if arguments.data is not None:
            print()
        print(format_table(fresh_results, groups, column="fresh set"))
        # Misses are shown only for sets named on the command line: a set kept for a
        # final score is never read page by page.
        if arguments.misses and arguments.fresh_sets:
            for group in groups:
                for line in fresh_results["newsdesk"][0][group].misses:
                    print(f"{group} {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
