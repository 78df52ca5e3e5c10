"""Article body extraction benchmark: our extract_article against raw trafilatura.

Scores both on the scrapinghub article-extraction-benchmark pages with the benchmark's
own metric: ``\\w+`` tokens, 4-token shingles, per-document TP/FP/FN normalised to sum 1,
precision and recall averaged over documents, F1 of the two means.

A fixed third of the pages is held out (sha1 of "extraction/<id>" mod 3 == 0, the rule of
bench/metadata.py) and reported apart. "missed" counts pages whose text misses the story
(recall below 0.5, or no text at all). CPU is process time per page.

    python bench/extraction.py --data ../shared/data/extraction

``--fresh DIR`` also scores the fresh held-out set (``bench/fresh.py``): the pages whose
truth line has ``body_checked`` (their story text beside the page, checked by reading it),
unpacked under DIR by ``bench/fetch_fresh.py``, with the same metric, one row per set.

    python bench/extraction.py --fresh ../fresh
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/<name>.py` from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fresh import TRUTH_DIRECTORY, load_truth, read_body, read_page
from bench.metadata import SPLITS, split_of
from news.errors import NewsdeskError
from news.extraction import extract_article

TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)
SHINGLE_SIZE = 4


MISSED_RECALL = 0.5


@dataclass(frozen=True)
class Score:
    method: str
    precision: float
    recall: float
    f1: float
    pages: int
    failures: int
    seconds: float
    split: str = "all"
    missed: int = 0


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text or "")


def count_shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Multiset of ``size``-token shingles; a text shorter than ``size`` is one shingle."""
    tokens = tokenize(text)
    shingles = Counter[tuple[str, ...]]()
    for start in range(max(1, len(tokens) - size + 1)):
        shingle = tuple(tokens[start : start + size])
        if shingle:
            shingles[shingle] += 1
    return shingles


def match_shingles(true: str, predicted: str) -> tuple[float, float, float]:
    """TP, FP, FN of one document, normalised to sum to 1 (all zero for two empty texts)."""
    true_shingles, predicted_shingles = count_shingles(true), count_shingles(predicted)
    tp = fp = fn = 0
    for key in true_shingles.keys() | predicted_shingles.keys():
        true_count, predicted_count = true_shingles[key], predicted_shingles[key]
        tp += min(true_count, predicted_count)
        fp += max(0, predicted_count - true_count)
        fn += max(0, true_count - predicted_count)
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def score_precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def score_recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def summarize_matches(matches: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Mean precision and recall over documents where each is defined, and their F1."""
    precisions = [score_precision(*match) for match in matches if match[0] + match[1] > 0]
    recalls = [score_recall(*match) for match in matches if match[0] + match[2] > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def extract_ours(html: str, url: str) -> str:
    return extract_article(html, url=url).body


_PREPARER: list[object] = []


def ingest_ours(html: str, url: str) -> str:
    """What ingest does with a page before the database: extract, then summarise and tag."""
    from news.aliases import load_alias_table
    from news.preparation import StoryPreparer
    from news.summaries import ExtractiveSummarizer

    if not _PREPARER:
        _PREPARER.append(
            StoryPreparer(summarizer=ExtractiveSummarizer(), aliases=load_alias_table())
        )
    preparer = _PREPARER[0]
    assert isinstance(preparer, StoryPreparer)
    draft = extract_article(html, url=url)
    return preparer.prepare(draft).draft.body


def extract_raw_trafilatura(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def load_pages(data: Path) -> list[tuple[str, str, str, str]]:
    """(id, url, html, true body) for every page with ground truth."""
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, expected in sorted(truth.items()):
        path = data / "pages" / f"{page_id}.html.gz"
        if not path.exists():
            continue
        raw = gzip.decompress(path.read_bytes())
        html = raw.decode("utf-8", errors="replace")
        pages.append((page_id, expected.get("url") or "", html, expected.get("articleBody") or ""))
    return pages


def load_fresh_pages(
    fresh: Path, limit: int = 0, truth: Path = TRUTH_DIRECTORY
) -> dict[str, list[tuple[str, str, str, str]]]:
    """Set -> (id, url, html, true body) of its body-checked pages (the first ``limit``)."""
    sets: dict[str, list[tuple[str, str, str, str]]] = {}
    for row in load_truth(truth):
        if not (row.scored and row.body_checked):
            continue
        pages = sets.setdefault(row.set, [])
        if limit and len(pages) >= limit:
            continue
        page_id = f"{row.set}/{row.page}"
        pages.append((page_id, row.url or "", read_page(fresh, row), read_body(fresh, row)))
    return sets


METHODS: tuple[tuple[str, Callable[[str, str], str]], ...] = (
    ("newsdesk extract_article", extract_ours),
    ("newsdesk ingest (extract + summary + topics)", ingest_ours),
    ("trafilatura.extract (defaults)", extract_raw_trafilatura),
)


def run_method(
    name: str,
    extract: Callable[[str, str], str],
    pages: list[tuple[str, str, str, str]],
    *,
    verbose: bool,
    split: str = "all",
) -> Score:
    matches: list[tuple[float, float, float]] = []
    failures = missed = 0
    if pages:  # imports and caches are not a page's cost
        with contextlib.suppress(NewsdeskError):
            extract(pages[0][2], pages[0][1])
    started = time.process_time()
    for page_id, url, html, true_body in pages:
        try:
            predicted = extract(html, url)
        except NewsdeskError as error:
            predicted = ""
            if verbose:
                print(f"  {name} {page_id[:12]}: {error.reason}", file=sys.stderr)
        if not predicted:
            failures += 1
        match = match_shingles(true_body, predicted)
        matches.append(match)
        if not predicted or score_recall(*match) < MISSED_RECALL:
            missed += 1
        if verbose:
            print(
                f"  {name} {page_id[:12]} P={score_precision(*match):.3f} "
                f"R={score_recall(*match):.3f}",
                file=sys.stderr,
            )
    elapsed = time.process_time() - started
    precision, recall, f1 = summarize_matches(matches)
    return Score(name, precision, recall, f1, len(pages), failures, elapsed, split, missed)


def format_table(scores: list[Score], column: str = "split") -> str:
    lines = [
        f"| {column} | method | precision | recall | F1 | pages | no text | missed story "
        "| CPU ms/page |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for score in scores:
        lines.append(
            f"| {score.split} | {score.method} | {score.precision:.3f} | {score.recall:.3f} "
            f"| {score.f1:.3f} | {score.pages} | {score.failures} | {score.missed} "
            f"| {1000 * score.seconds / max(score.pages, 1):.1f} |"
        )
    return "\n".join(lines)


def score_data(data: Path, limit: int, split: str, verbose: bool) -> list[Score]:
    """The dev/holdout rows on the scrapinghub pages under ``data``."""
    pages = load_pages(data)
    if limit:
        pages = pages[:limit]
    splits = {"dev": [], "holdout": []}  # type: dict[str, list[tuple[str, str, str, str]]]
    for page in pages:
        splits[split_of("extraction", page[0])].append(page)
    wanted = SPLITS if split == "both" else (split,)
    scores = []
    for group in wanted:
        for name, method in METHODS:
            scores.append(run_method(name, method, splits[group], verbose=verbose, split=group))
    return scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, help="the extraction data folder")
    parser.add_argument(
        "--fresh", type=Path, help="also score the fresh set unpacked here (fetch_fresh.py)"
    )
    parser.add_argument(
        "--limit", type=int, default=0, help="score only the first N pages (N of each fresh set)"
    )
    parser.add_argument("--verbose", action="store_true", help="print per-page scores")
    parser.add_argument(
        "--split", choices=(*SPLITS, "both"), default="both", help="which pages to score"
    )
    arguments = parser.parse_args(argv)
    if arguments.data is None and arguments.fresh is None:
        parser.error("give --data, --fresh or both")
    if arguments.data is not None:
        if not (arguments.data / "ground-truth.json").exists():
            parser.error(f"no ground-truth.json in {arguments.data}")
        scores = score_data(arguments.data, arguments.limit, arguments.split, arguments.verbose)
        print(format_table(scores))
    if arguments.fresh is not None:
        if arguments.data is not None:
            print()
        fresh_scores = []
        for set_name, fresh_pages in load_fresh_pages(arguments.fresh, arguments.limit).items():
            for name, method in METHODS:
                fresh_scores.append(
                    run_method(name, method, fresh_pages, verbose=arguments.verbose, split=set_name)
                )
        print(format_table(fresh_scores, column="fresh set"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
