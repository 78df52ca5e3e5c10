"""Full-text search over the archive: SQLite FTS5 or PostgreSQL tsvector/GIN, one API.

Semantics:

- Only public stories are found, plus stories shared in the asking channel.
- A question's term groups must all match; within a group any alternative may match;
  a multi-word alternative matches as a phrase. Terms are always quoted (FTS5) or bound
  as parameters (PostgreSQL): user text is never query syntax.
- ``outlet`` and ``byline`` match as case-insensitive substrings, ``desk`` (the section) and
  ``status`` as case-insensitive equality; ``since``/``until`` bound ``sort_at`` (until is
  exclusive).
- Matching stories fall in three tiers. *About*: an asked term is in the headline and
  again in the standfirst, topics or body. *Prominent*: in the headline, standfirst or
  topics (a headline-only flash, a story tagged with the topic). *Mention*: anywhere else
  (a passing mention).
  "Latest" reads the newest ``LATEST_POOL`` candidates tier by tier and the newest
  ``FRESH_POOL`` matches of any tier, then reads their text again (see "what a story is
  about" below): stories with every subject in the headline, or in the lead of a story
  tagged with it that names it again, and a body come first, newest first; then the
  others by aboutness and recency; stories
  matched only through a stem or a company's name last. "Search" orders by relevance
  (where the terms appear, how often) with a recency boost.
- A question's hedge words ("market", "figures") are not required; they and the typed
  word pairs ("money supply") rank stories that use them higher.

Cost does not grow with the number of matching stories: candidates are read newest first
in growing slices (PostgreSQL: time windows of 7, 30, 180, 730 days, then everything;
SQLite: the newest FTS rowids, 256, 4,096, 65,536, then all, joined to ``articles``),
and only candidates are scored. On SQLite, slices use article ids as the proxy for
recency, so a story imported long after its publication date is seen in the slice of its
import time; once a slice holds enough stories, they are ordered by ``sort_at``. On
PostgreSQL each slice goes on after the last match read (keyset), and the "about" tier,
a few percent of the matches, is read on a GIN index of the headline's words (migration
0008) rather than by checking every newest match's headline. When a window held so few
matches that the next would not fill a slice at that rate, the rest of the matches is read
at once on the GIN index and sorted (the planner, which takes a phrase for an AND of its
words, would read them newest first on ``sort_at``, checking every story's vector): the
same stories in the same order, the prominent and mention tiers sharing the one read.
On SQLite the "about" tier's MATCH leaves out the conditions it implies.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, Protocol

from sqlalchemy import (
    ColumnElement,
    Executable,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    case,
    column,
    func,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from news.questions import Intent, Question
from news.questions.vocabulary import names_a_currency
from storage.articles import has_outlet
from storage.models import Article, Share, UtcDateTime

# Schema objects the search migration creates that the models do not declare. Schema
# comparisons (alembic autogenerate) must skip them: see ``include_schema_object``.
SEARCH_OBJECTS = frozenset(
    {
        "articles_fts",
        "articles_fts_data",
        "articles_fts_idx",
        "articles_fts_docsize",
        "articles_fts_config",
        "articles_fts_content",
        "search_vector",
        "ix_articles_search_vector",
        "ix_articles_sort_at_id",
        "ix_articles_headline_vector",
    }
)

Tier = Literal["about", "prominent", "mention"]
TIERS: tuple[Tier, ...] = ("about", "prominent", "mention")

MATCH_START = "\x02"
MATCH_END = "\x03"

SEARCHED_COLUMNS = "{headline standfirst body topics}"
STRONG_COLUMNS = "{headline standfirst topics}"
SQLITE_SCAN_SIZES: tuple[int | None, ...] = (256, 4096, 65536, None)
POSTGRES_WINDOW_DAYS: tuple[int | None, ...] = (7, 30, 180, 730, None)
POSTGRES_FIRST_SCAN = 64
SEARCH_POOL = 40
RECENCY_HALF_LIFE_DAYS = 30.0
SNIPPET_TOKENS = 24

_WORD = re.compile(r"\w+")
_MARKED = re.compile(f"{MATCH_START}(.*?){MATCH_END}", re.DOTALL)


@dataclass(frozen=True)
class SearchHit:
    """One story found, with a highlighted snippet (matches between \\x02 and \\x03)."""

    article_id: int
    headline: str
    outlet: str | None
    byline: str | None
    published_at: datetime | None
    sort_at: datetime
    summary: str
    url: str | None
    status: str
    topics: tuple[str, ...]
    snippet: str
    why: str
    score: float


@dataclass(frozen=True)
class SearchPage:
    """One page of hits, and the question as it was answered: ``from <name>`` read as the
    subject when no story's outlet is called that (``Question.as_subject``)."""

    hits: list[SearchHit]
    next_offset: int | None
    question: Question


def include_schema_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic ``include_object`` hook: skip the search objects the models do not declare."""
    if not reflected or compare_to is not None or name is None:
        return True
    return name not in SEARCH_OBJECTS


@dataclass(frozen=True)
class _Terms:
    """Asked terms reduced to word tokens; each alternative is a phrase of tokens.

    ``soft`` are hedge words ("market"): they rank, they are not required.
    """

    groups: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...]
    soft: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()

    @property
    def alternatives(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for group in self.groups:
            for alternative in group:
                seen.setdefault(alternative, None)
        return tuple(seen)


def _tokens(text_value: str) -> str:
    return " ".join(_WORD.findall(text_value))


def _collect_terms(question: Question) -> _Terms:
    required = [g for g in question.groups if not g.optional] or list(question.groups)
    groups = []
    for group in required:
        alternatives = tuple(
            dict.fromkeys(t for t in (_tokens(a) for a in group.alternatives) if t)
        )
        groups.append(alternatives)
    soft = tuple(
        dict.fromkeys(
            t
            for group in question.groups
            if group not in required
            for t in (_tokens(a) for a in group.alternatives)
            if t
        )
    )
    excluded = tuple(dict.fromkeys(t for t in (_tokens(e) for e in question.excluded) if t))
    phrases = tuple(t for t in (_tokens(p) for p in question.phrases) if t)
    return _Terms(tuple(groups), excluded, soft, phrases)


@dataclass(frozen=True)
class _Candidate:
    article_id: int
    sort_at: datetime


@dataclass(frozen=True)
class _Features:
    headline: int
    middle: int
    body: int

    @property
    def relevance(self) -> float:
        return (
            3.0 * min(self.headline, 2) + 2.0 * min(self.middle, 2) + math.log1p(min(self.body, 20))
        )


@dataclass(frozen=True)
class _Description:
    snippet: str
    why: str


class _Backend(Protocol):
    def match_clause(self, terms: _Terms, *, tier: Tier) -> ColumnElement[bool]: ...
    def exclusion_clause(self, excluded: tuple[str, ...]) -> ColumnElement[bool]: ...
    def collect_newest(
        self,
        terms: _Terms,
        *,
        tier: Tier,
        need: int,
        filters: list[ColumnElement[bool]],
        now: datetime,
    ) -> list[_Candidate]: ...
    def measure(self, terms: _Terms, ids: list[int]) -> dict[int, _Features]: ...
    def describe(self, terms: _Terms, ids: list[int]) -> dict[int, _Description]: ...


def _quote_phrase(tokens: str) -> str:
    return '"' + tokens.replace('"', '""') + '"'


def _fts_any(alternatives: Sequence[str]) -> str:
    return "(" + " OR ".join(_quote_phrase(a) for a in alternatives) + ")"


def _fts_expression(terms: _Terms, *, tier: Tier) -> str:
    """An FTS5 MATCH string: every term a quoted phrase, every operator fixed text."""
    if tier == "about":
        return _fts_about(terms)
    expression = " AND ".join(_fts_any(group) for group in terms.groups)
    if terms.excluded:
        expression = f"({expression}) NOT {_fts_any(terms.excluded)}"
    expression = f"{SEARCHED_COLUMNS} : ({expression})"
    if tier == "prominent":
        expression = f"({expression}) AND ({STRONG_COLUMNS} : {_fts_any(terms.alternatives)})"
    return expression


def _fts_about(terms: _Terms) -> str:
    """The "about" tier: an asked term in the headline and again in the standfirst, body or
    topics; with two subjects, each in the headline, standfirst or topics.

    Written without the conditions these imply (the prominent tier's term in the headline,
    standfirst or topics; every subject somewhere), which FTS5 would evaluate again over
    every candidate: the same stories, read at two thirds of the cost.
    """
    any_term = _fts_any(terms.alternatives)
    parts = [f"({{headline}} : {any_term})", f"({{standfirst body topics}} : {any_term})"]
    if len(terms.groups) > 1:  # two subjects: both in the headline, standfirst or topics
        parts.extend(f"({STRONG_COLUMNS} : {_fts_any(group)})" for group in terms.groups)
    expression = " AND ".join(parts)
    if terms.excluded:
        expression = f"({expression}) NOT ({SEARCHED_COLUMNS} : {_fts_any(terms.excluded)})"
    return expression


class _SqliteBackend:
    def __init__(self, session: Session) -> None:
        self.session = session

    def match_clause(self, terms: _Terms, *, tier: Tier) -> ColumnElement[bool]:
        matched = text(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :fts_all"
        ).bindparams(fts_all=_fts_expression(terms, tier=tier))
        return Article.id.in_(matched.columns(column("rowid", Integer)))

    def exclusion_clause(self, excluded: tuple[str, ...]) -> ColumnElement[bool]:
        expression = f"{SEARCHED_COLUMNS} : {_fts_any(excluded)}"
        matched = text(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :fts_excluded"
        ).bindparams(fts_excluded=expression)
        return Article.id.not_in(matched.columns(column("rowid", Integer)))

    def collect_newest(
        self,
        terms: _Terms,
        *,
        tier: Tier,
        need: int,
        filters: list[ColumnElement[bool]],
        now: datetime,
    ) -> list[_Candidate]:
        """The ``need`` newest stories of ``tier`` that pass ``filters``.

        Matches are read newest rowid first in growing slices (``SQLITE_SCAN_SIZES``), each
        slice going on after the last rowid read, so every match is read once; the stories
        of the slices so far are then filtered and ordered by ``sort_at``. The search stops
        when enough are found or the matches run out (a slice shorter than asked).
        """
        expression = _fts_expression(terms, tier=tier)
        ids: list[int] = []
        rows: list[_Candidate] = []
        for scan in SQLITE_SCAN_SIZES:
            wanted = None if scan is None else scan - len(ids)
            read = self._newest_matches(expression, limit=wanted, before=ids[-1] if ids else None)
            ids.extend(read)
            if read:
                rows = self._newest_of(ids, filters, need)
            if len(rows) >= need or wanted is None or len(read) < wanted:
                break  # enough, or every match is read
        return rows

    def _newest_matches(
        self, expression: str, *, limit: int | None, before: int | None
    ) -> list[int]:
        """Rowids matching ``expression``, newest first: ``limit`` of them (None: all),
        older than ``before`` when given."""
        sql = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :fts"
        params: dict[str, Any] = {"fts": expression}
        if before is not None:
            sql += " AND rowid < :before"
            params["before"] = before
        sql += " ORDER BY rowid DESC"
        if limit is not None:
            sql += " LIMIT :limit"
            params["limit"] = limit
        return list(self.session.scalars(text(sql).bindparams(**params)))

    def _newest_of(
        self, ids: list[int], filters: list[ColumnElement[bool]], need: int
    ) -> list[_Candidate]:
        """The ``need`` newest stories among ``ids`` that pass ``filters``: the ids go as
        one JSON parameter, whatever their number, and are read on the primary key."""
        listed = text("SELECT value FROM json_each(:ids)").bindparams(ids=json.dumps(ids))
        statement = (
            select(Article.id, Article.sort_at)
            .where(Article.id.in_(listed.columns(column("value", Integer))), *filters)
            .order_by(Article.sort_at.desc(), Article.id.desc())
            .limit(need)
        )
        return [_Candidate(r.id, r.sort_at) for r in self.session.execute(statement)]

    def _highlights(self, terms: _Terms, ids: list[int], extra: str) -> list[Any]:
        if not ids:
            return []
        # Only fixed SQL and bind-parameter names are interpolated; terms are bound.
        statement = text(
            "SELECT rowid, "  # noqa: S608
            "highlight(articles_fts, 0, :start, :end) AS headline, "
            "highlight(articles_fts, 1, :start, :end) AS standfirst, "
            "highlight(articles_fts, 3, :start, :end) AS topics, "
            f"{extra} AS body "
            "FROM articles_fts WHERE articles_fts MATCH :fts AND rowid IN :ids"
        ).bindparams(
            bindparam("ids", expanding=True),
            start=MATCH_START,
            end=MATCH_END,
            fts=f"{SEARCHED_COLUMNS} : {_fts_any(terms.alternatives)}",
            ids=ids,
        )
        return list(self.session.execute(statement))

    def measure(self, terms: _Terms, ids: list[int]) -> dict[int, _Features]:
        rows = self._highlights(terms, ids, "highlight(articles_fts, 2, :start, :end)")
        return {
            row.rowid: _Features(
                headline=_count_marks(row.headline),
                middle=_count_marks(row.standfirst) + _count_marks(row.topics),
                body=_count_marks(row.body),
            )
            for row in rows
        }

    def describe(self, terms: _Terms, ids: list[int]) -> dict[int, _Description]:
        extra = f"snippet(articles_fts, 2, :start, :end, '…', {SNIPPET_TOKENS})"
        rows = self._highlights(terms, ids, extra)
        return {
            row.rowid: _describe_marked(row.headline, row.standfirst, row.topics, row.body)
            for row in rows
        }


# A phrase of single letters is a dotted acronym ("U S" for "U.S."): PostgreSQL's parser
# reads "U.S." in a story as one token, "u.s", so the letters are bound with their dots.
_LETTERS = re.compile(r"[^\W\d_](?: [^\W\d_])+")


def _tsquery_any(alternatives: Sequence[str], params: dict[str, str]) -> str:
    parts = []
    for alternative in alternatives:
        name = f"ts{len(params)}"
        params[name] = (
            alternative.replace(" ", ".") + "." if _LETTERS.fullmatch(alternative) else alternative
        )
        parts.append(f"phraseto_tsquery('english'::regconfig, :{name})")
    return "(" + " || ".join(parts) + ")"


def _tsquery(terms: _Terms, params: dict[str, str]) -> str:
    expression = " && ".join(_tsquery_any(group, params) for group in terms.groups)
    if terms.excluded:
        expression = f"({expression}) && !!{_tsquery_any(terms.excluded, params)}"
    return expression


SEARCH_VECTOR = "articles.search_vector"
# The expression of the ix_articles_headline_vector index (migration 0008): the same words
# as the 'a' weight of ``search_vector``.
HEADLINE_VECTOR = "to_tsvector('english'::regconfig, coalesce(articles.headline, ''))"


def _span_statement() -> Executable:
    """``min(sort_at)``, then for each of ``POSTGRES_WINDOW_DAYS`` whether a story has a
    ``sort_at`` from that window's bound (``from_N``) to the narrower one's (``to_N``)."""
    probes = []
    for number, days in enumerate(POSTGRES_WINDOW_DAYS):
        stretch = []
        if days is not None:
            stretch.append(Article.sort_at >= bindparam(f"from_{number}", type_=UtcDateTime()))
        if number > 0:
            stretch.append(Article.sort_at < bindparam(f"to_{number}", type_=UtcDateTime()))
        probes.append(select(Article.id).where(*stretch).exists().label(f"adds_{number}"))
    return select(func.min(Article.sort_at), *probes)


_SPAN_STATEMENT = _span_statement()


def _sparse_statement(conditions: list[ColumnElement[bool]]) -> Select[tuple[int, datetime]]:
    """Every story passing ``conditions``, newest first, read on the text (GIN) index.

    The planner cannot estimate phrases: it takes every ``<->`` for an AND of its words, so
    it reads sparse matches newest first on ``sort_at``, checking each story's vector,
    where reading the index's few matches and sorting them costs a fraction of that. A
    materialised CTE has no order to keep: the matches are gathered on the index first.
    """
    matches = (
        select(Article.id, Article.sort_at)
        .where(*conditions)
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    return select(matches.c.id, matches.c.sort_at).order_by(
        matches.c.sort_at.desc(), matches.c.id.desc()
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _descending(match: tuple[datetime, int]) -> tuple[timedelta, int]:
    """A bisect key for (sort_at, id) pairs in descending order."""
    return (_EPOCH - match[0], -match[1])


class _PostgresBackend:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._span: tuple[datetime | None, list[bool], datetime] | None = None
        # Sparse matches of one search, newest first, by statement: the prominent and
        # mention tiers ask for the same ones.
        self._sparse: dict[tuple[str, str], list[tuple[datetime, int]]] = {}

    @property
    def oldest(self) -> datetime | None:
        """The oldest story's ``sort_at`` (read once per search, on the index)."""
        if self._span is None:
            raise RuntimeError("windows() reads the archive's span first")
        return self._span[0]

    def windows(self, now: datetime) -> list[datetime | None]:
        """Lower bounds of the widening windows, ending at the first that holds every story.

        A young archive is covered by the first window already; reading the wider ones
        would return the same rows again. A window that holds no story beyond the narrower
        one before it (nothing archived from that stretch of time) is left out too: it
        would read no rows either.
        """
        oldest, adds = self._read_span(now)
        bounds: list[datetime | None] = []
        for number, days in enumerate(POSTGRES_WINDOW_DAYS):
            bound = None if days is None else now - timedelta(days=days)
            more = adds[number]
            if oldest is not None and bound is not None and bound <= oldest:
                bound, more = None, any(adds[number:])
            if more:
                bounds.append(bound)
            if bound is None:
                break
        return bounds

    def _read_span(self, now: datetime) -> tuple[datetime | None, list[bool]]:
        """The oldest story's ``sort_at``, and for each window whether any story is in it
        and not in the narrower one before: one read, of index probes on ``sort_at``."""
        if self._span is None or self._span[2] != now:
            bounds = [None if d is None else now - timedelta(days=d) for d in POSTGRES_WINDOW_DAYS]
            params = {f"from_{n}": b for n, b in enumerate(bounds) if b is not None}
            params.update({f"to_{n + 1}": b for n, b in enumerate(bounds[:-1]) if b is not None})
            row = self.session.execute(_SPAN_STATEMENT, params).one()
            self._span = (row[0], [bool(value) for value in row[1:]], now)
        return self._span[0], self._span[1]

    def match_clause(self, terms: _Terms, *, tier: Tier) -> ColumnElement[bool]:
        params: dict[str, str] = {}
        clause = f"{SEARCH_VECTOR} @@ ({_tsquery(terms, params)})"
        condition = and_(text(clause).bindparams(**params))
        if tier == "mention":
            return condition
        return and_(condition, self._tier_clause(terms, tier))

    def _tier_clause(self, terms: _Terms, tier: Tier) -> ColumnElement[bool]:
        params: dict[str, str] = {}
        any_query = _tsquery_any(terms.alternatives, params)
        clause = f"ts_filter({SEARCH_VECTOR}, '{{a,b}}') @@ {any_query}"
        if tier == "about":
            clause = (
                f"ts_filter({SEARCH_VECTOR}, '{{a}}') @@ {any_query}"
                f" AND ts_filter({SEARCH_VECTOR}, '{{b,c}}') @@ {any_query}"
            )
            if len(terms.groups) > 1:  # two subjects: both in the headline, standfirst or topics
                clause += "".join(
                    f" AND ts_filter({SEARCH_VECTOR}, '{{a,b}}') @@ {_tsquery_any(group, params)}"
                    for group in terms.groups
                )
        return and_(text(clause).bindparams(**params))

    def exclusion_clause(self, excluded: tuple[str, ...]) -> ColumnElement[bool]:
        params: dict[str, str] = {}
        clause = f"NOT ({SEARCH_VECTOR} @@ {_tsquery_any(excluded, params)})"
        return and_(text(clause).bindparams(**params))

    def collect_newest(
        self,
        terms: _Terms,
        *,
        tier: Tier,
        need: int,
        filters: list[ColumnElement[bool]],
        now: datetime,
    ) -> list[_Candidate]:
        """The ``need`` newest matches in ``tier``, reading matches newest first.

        The planner cannot estimate the tier conditions (``ts_filter``), so they are not in
        the WHERE clause: newest matches are read on the (sort_at, id) index in a slice of
        ``scan`` rows, the tier is checked on those only, and the slice grows (then the
        window widens) until enough are found; each slice starts after the last match of
        the one before. The "about" tier also requires an asked term on the headline index,
        which the planner can estimate, so only stories with it in the headline are read.
        """
        match = self.match_clause(terms, tier="mention")
        in_tier = (
            case((self._tier_clause(terms, tier), True), else_=False)
            if tier != "mention"
            else true()
        )
        if tier == "about":
            # An asked term in the headline: found on the headline index, so only stories
            # with it in the headline are read and checked (a few percent of the matches).
            params: dict[str, str] = {}
            headline = f"{HEADLINE_VECTOR} @@ {_tsquery_any(terms.alternatives, params)}"
            match = and_(match, text(headline).bindparams(**params))
        found: list[_Candidate] = []
        windows = self.windows(now)
        if self.oldest is None:
            return found  # nothing archived yet
        after: tuple[datetime, int] | None = None  # the last match read: go on from there
        first_scan = max(POSTGRES_FIRST_SCAN, 4 * need)
        for number, bound in enumerate(windows):
            window = [] if bound is None else [Article.sort_at >= bound]
            scan = first_scan
            while True:
                keyset = (
                    [] if after is None else [tuple_(Article.sort_at, Article.id) < tuple_(*after)]
                )
                statement = (
                    select(Article.id, Article.sort_at, in_tier.label("in_tier"))
                    .where(match, *window, *keyset, *filters)
                    .order_by(Article.sort_at.desc(), Article.id.desc())
                    .limit(scan)
                )
                rows = list(self.session.execute(statement))
                found.extend(_Candidate(r.id, r.sort_at) for r in rows if r.in_tier)
                if rows:
                    after = (rows[-1].sort_at, rows[-1].id)
                if len(found) >= need:
                    return found[:need]
                if len(rows) < scan:
                    break  # the window holds no more matches: widen it
                scan *= 8
            if bound is not None and scan == first_scan and number + 1 < len(windows):
                # The whole window fit in its first slice. When, at that rate, the next
                # window would not fill one either, the matches are sparse: the rest is
                # read on the text index, every window at once.
                wider = windows[number + 1] or self.oldest or bound
                if self._sparse_after(len(rows), bound, wider, now=now, scan=first_scan):
                    return found + self._collect_sparse(
                        [match, *filters], in_tier, after=after, need=need - len(found), scan=scan
                    )
        return found

    def _sparse_after(
        self, read: int, bound: datetime, wider: datetime, *, now: datetime, scan: int
    ) -> bool:
        """Whether ``read`` matches from ``bound`` on make the wider window's (from
        ``wider``) too few, at that rate, to fill a slice of ``scan``."""
        return read * (now - wider) / (now - bound) < scan

    def _collect_sparse(
        self,
        conditions: list[ColumnElement[bool]],
        in_tier: ColumnElement[bool],
        *,
        after: tuple[datetime, int] | None,
        need: int,
        scan: int,
    ) -> list[_Candidate]:
        """The ``need`` newest stories in the tier among the matches older than ``after``.

        The matches are read once per search on the text index (``_sparse_statement``),
        then the tier is checked on slices of them, newest first, as the windows would.
        """
        statement = _sparse_statement(conditions)
        compiled = statement.compile(dialect=self.session.get_bind().dialect)
        key = (compiled.string, repr(sorted(compiled.params.items())))
        if key not in self._sparse:
            self._sparse[key] = [(r.sort_at, r.id) for r in self.session.execute(statement)]
        matches = self._sparse[key]
        start = (
            0
            if after is None
            else bisect.bisect_right(matches, _descending(after), key=_descending)
        )
        found: list[_Candidate] = []
        while start < len(matches) and len(found) < need:
            chunk = matches[start : start + scan]
            start += len(chunk)
            scan *= 8
            ids = [article_id for _, article_id in chunk]
            checked = select(Article.id, in_tier.label("in_tier")).where(
                Article.id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
            )
            in_slice = {r.id for r in self.session.execute(checked) if r.in_tier}
            found.extend(
                _Candidate(article_id, sort_at)
                for sort_at, article_id in chunk
                if article_id in in_slice
            )
        return found[:need]

    def measure(self, terms: _Terms, ids: list[int]) -> dict[int, _Features]:
        if not ids:
            return {}
        params: dict[str, str] = {}
        any_query = _tsquery_any(terms.alternatives, params)
        # Only fixed SQL and bind-parameter names are interpolated; terms are bound.
        statement = text(
            "SELECT id, "  # noqa: S608
            f"(ts_filter(search_vector, '{{a}}') @@ {any_query})::int AS headline, "
            f"ts_rank_cd('{{0,0,1,0}}', ts_filter(search_vector, '{{b}}'), {any_query}) AS middle, "
            f"ts_rank_cd('{{0,1,0,0}}', ts_filter(search_vector, '{{c}}'), {any_query}) AS body "
            "FROM articles WHERE id IN :ids"
        ).bindparams(bindparam("ids", expanding=True), ids=ids, **params)
        return {
            row.id: _Features(
                headline=int(row.headline),
                middle=round(float(row.middle)),
                body=round(float(row.body)),
            )
            for row in self.session.execute(statement)
        }

    def describe(self, terms: _Terms, ids: list[int]) -> dict[int, _Description]:
        if not ids:
            return {}
        params: dict[str, str] = {}
        any_query = _tsquery_any(terms.alternatives, params)
        whole = f"StartSel={MATCH_START}, StopSel={MATCH_END}, HighlightAll=true"
        fragment = (
            f"StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords={SNIPPET_TOKENS}, "
            "MinWords=10, MaxFragments=1"
        )
        # Only fixed SQL and bind-parameter names are interpolated; terms are bound.
        statement = text(
            "SELECT id, "  # noqa: S608
            f"ts_headline('english'::regconfig, headline, {any_query}, :whole) AS headline, "
            f"ts_headline('english'::regconfig, coalesce(standfirst, ''), {any_query}, :whole)"
            " AS standfirst, "
            f"ts_headline('english'::regconfig, topics::text, {any_query}, :whole) AS topics, "
            f"ts_headline('english'::regconfig, body, {any_query}, :fragment) AS body "
            "FROM articles WHERE id IN :ids"
        ).bindparams(
            bindparam("ids", expanding=True), ids=ids, whole=whole, fragment=fragment, **params
        )
        return {
            row.id: _describe_marked(row.headline, row.standfirst, row.topics, row.body)
            for row in self.session.execute(statement)
        }


def _count_marks(value: str | None) -> int:
    return 0 if not value else value.count(MATCH_START)


def _marked_terms(value: str | None) -> list[str]:
    if not value:
        return []
    found: dict[str, str] = {}
    for match in _MARKED.finditer(value):
        term = " ".join(match.group(1).split())
        if term:
            found.setdefault(term.casefold(), term)
    return list(found.values())[:3]


def _quoted(terms: list[str]) -> str:
    return ", ".join(f'"{t}"' for t in terms)


def _clean_snippet(value: str) -> str:
    return " ".join(value.split())


def _describe_marked(
    headline: str | None, standfirst: str | None, topics: str | None, body: str | None
) -> _Description:
    reasons = []
    if terms := _marked_terms(headline):
        reasons.append(f"headline mentions {_quoted(terms)}")
    if terms := _marked_terms(topics):
        reasons.append("topic: " + ", ".join(terms))
    if terms := _marked_terms(standfirst):
        reasons.append(f"standfirst mentions {_quoted(terms)}")
    if terms := _marked_terms(body):
        reasons.append(f"body mentions {_quoted(terms)}")
    snippet = ""
    for candidate in (body, standfirst, headline):
        if candidate and MATCH_START in candidate:
            snippet = _clean_snippet(candidate)
            break
    return _Description(snippet=snippet, why="; ".join(reasons[:2]) or "matches the question")


def _backend_for(session: Session) -> _Backend:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return _SqliteBackend(session)
    if dialect == "postgresql":
        return _PostgresBackend(session)
    raise ValueError(f"search does not support the {dialect} database")


def _visibility_clause(viewer_channel_id: str | None) -> ColumnElement[bool]:
    if viewer_channel_id is None:
        return Article.is_public.is_(True)
    shared_here = select(Share.article_id).where(Share.channel_id == viewer_channel_id)
    return or_(Article.is_public.is_(True), Article.id.in_(shared_here))


def _filter_clauses(question: Question, viewer_channel_id: str | None) -> list[ColumnElement[bool]]:
    clauses = [_visibility_clause(viewer_channel_id)]
    if question.outlet:
        clauses.append(
            func.lower(Article.outlet).contains(question.outlet.lower(), autoescape=True)
        )
    if question.byline:
        clauses.append(
            func.lower(Article.byline).contains(question.byline.lower(), autoescape=True)
        )
    if question.desk:
        clauses.append(func.lower(Article.section) == question.desk.lower())
    if question.status:
        clauses.append(func.lower(Article.status) == question.status.lower())
    if question.since is not None:
        clauses.append(Article.sort_at >= bindparam(None, question.since, type_=UtcDateTime()))
    if question.until is not None:
        clauses.append(Article.sort_at < bindparam(None, question.until, type_=UtcDateTime()))
    return clauses


def _describe_filters(question: Question) -> str:
    parts = []
    if question.outlet:
        parts.append(f"outlet: {question.outlet}")
    if question.byline:
        parts.append(f"by {question.byline}")
    if question.desk:
        parts.append(f"desk: {question.desk}")
    if question.status:
        parts.append(f"status: {question.status}")
    return "; ".join(parts) or "newest in the archive"


def _recency(sort_at: datetime, now: datetime) -> float:
    age_days = max((now - sort_at).total_seconds() / 86400.0, 0.0)
    return 0.6 + 0.4 * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)


def _list_newest(
    session: Session, filters: list[ColumnElement[bool]], *, limit: int, offset: int
) -> list[_Candidate]:
    statement = (
        select(Article.id, Article.sort_at)
        .where(*filters)
        .order_by(Article.sort_at.desc(), Article.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    return [_Candidate(r.id, r.sort_at) for r in session.execute(statement)]


def _rank_latest(
    backend: _Backend,
    terms: _Terms,
    filters: list[ColumnElement[bool]],
    *,
    need: int,
    now: datetime,
) -> list[_Candidate]:
    ordered: list[_Candidate] = []
    seen: set[int] = set()
    for tier in TIERS:
        found = backend.collect_newest(
            terms, tier=tier, need=need + len(ordered), filters=filters, now=now
        )
        ordered.extend(c for c in found if c.article_id not in seen)
        seen.update(c.article_id for c in found)
        if len(ordered) >= need:
            if tier != "mention":
                # The newest matches of any tier too: a story naming the subject in its
                # lead, not its headline, may be newer than every headline story.
                fresh = backend.collect_newest(
                    terms, tier="mention", need=FRESH_POOL, filters=filters, now=now
                )
                ordered.extend(c for c in fresh if c.article_id not in seen)
            break
    return ordered


# -- what a story is about ------------------------------------------------------------------
#
# The engines match stems ("France" finds "franc", "lead" finds "leads"), and a word inside
# a company's name ("QUAKER OATS CO <OAT>") matches like any other. For the few candidates
# a page needs, the text is read again in Python: a mention counts only as the word itself
# (plural and possessive forms allowed; a capitalised name exactly), not as part of a
# hyphenated compound or of a company's name when a common noun is asked. Where the
# mentions are (headline, lead, body) and the story's tagged topics say how much it is
# about the subject; a recency decay turns that into the "latest" order.

LATEST_POOL = 30
FRESH_POOL = 10  # the newest matches of any tier, read beside the best tier's pool
LEAD_CHARS = 400
BODY_CHARS_READ = 6000
ABOUT_HALF_LIFE_DAYS = 30.0
CLEAR_SUBSTANCE = 0.75  # a "clear" story has a body of five words or more, not a flash
COMPANY_WORDS = frozenset(
    [
        "inc",
        "corp",
        "corporation",
        "co",
        "cos",
        "company",
        "ltd",
        "plc",
        "llc",
        "group",
        "holdings",
        "industries",
        "systems",
        "software",
        "bancorp",
        "financial",
        "resources",
        "international",
        "technologies",
        "enterprises",
        "partners",
        "laboratories",
        "pharmaceuticals",
        "securities",
        "stores",
        "products",
    ]
)
# Legal forms that end a company's name.
LEGAL_FORMS = frozenset(
    ["inc", "corp", "corporation", "co", "cos", "ltd", "plc", "llc", "ag", "sa", "nv", "bhd"]
)
_WORD_OR_TICKER = re.compile(r"<[A-Z0-9.]{1,8}>|[^\W_][\w'’]*", re.UNICODE)
# A term right after a scale word is the unit of an amount: "200 billion yen of bills",
# "500 mln marks", "a 15 billion yen bond" count money, they are not news about the yen.
_AFTER_AMOUNT = re.compile(r"\b(?:mln|million|billion|bln|trillion|bn)\s+$", re.IGNORECASE)
# A currency right before the name of a security or a loan is its denomination: a
# "Canadian dollar bond", a "mark floating rate note", a "Swiss franc issue" or a "yen
# private placement" is a borrower's issue, not news about the currency.
_BEFORE_BOND = re.compile(
    r"^\s+(?:(?:floating\s+rate|zero\s+coupon|straight|convertible|private|public"
    r"|\d+(?:-|\s+)year|warrant)\s+)*"
    r"(?:bonds?|eurobonds?|notes?|issues?|placements?|convertibles?|debentures?|loans?"
    r"|warrants?|certificates\s+of\s+deposit)\b",
    re.IGNORECASE,
)


# What comes right before a word that opens a sentence (or the text).
_SENTENCE_START = re.compile(r"(^|[.!?\"]\s*)$")


@dataclass(frozen=True)
class _About:
    score: float  # 0 when no asked subject is really mentioned
    why: str
    clear: bool = False  # every subject in the headline of a story with a body
    # Every subject in the headline, or in the lead of a story tagged with it that names
    # it again: a story about them, not one that names them in passing further down.
    strong: bool = False
    # Every subject in the headline or the tagged topics, whatever the body's length: a
    # story about them, if a short one, before stories naming them in passing.
    prominent: bool = False

    @property
    def leads(self) -> bool:
        """Whether the story belongs with the newest first: clearly or strongly about it."""
        return self.clear or self.strong


@lru_cache(maxsize=4096)
def _term_pattern(alternative: str) -> re.Pattern[str]:
    words = alternative.split()
    proper = alternative[:1].isupper()
    last = re.escape(words[-1])
    if proper:
        ending = r"(?:['’]s)?"
    elif words[-1].endswith("y") and len(words[-1]) > 3:
        last = re.escape(words[-1][:-1])
        ending = r"(?:y|ies|y['’]s)"
    else:
        ending = r"(?:es|s|['’]s)?"
    body = r"\W+".join([*(re.escape(w) for w in words[:-1]), last + ending])
    edge = r"(?<![\w])" if proper else r"(?<![\w-])"
    after = r"(?![\w])" if proper else r"(?![\w-])"
    return re.compile(edge + body + after, re.IGNORECASE)


# Characters that Python's case-insensitive matching takes for an ASCII letter but
# ``str.casefold`` does not fold to it ("İ", "ı" match "i"; "ſ" and the Kelvin sign fold).
_FOLD_AS_ASCII = str.maketrans({"\u0130": "i", "\u0131": "i"})


def _folded(text: str) -> str:
    """``text`` case-folded so that ``_literal_start(a) in _folded(text)`` holds wherever
    ``_term_pattern(a)`` finds a match in ``text``."""
    if text.isascii():  # nothing to translate (the test costs nothing: str knows it)
        return text.casefold()
    return text.translate(_FOLD_AS_ASCII).casefold()


@lru_cache(maxsize=4096)
def _literal_start(alternative: str) -> str:
    """The case-folded text every match of ``_term_pattern(alternative)`` starts with ("" when
    it is not plain ASCII): a substring test that rules out a regex search, which over a
    story's text costs far more. A lower-case word ending in "y" matches from its stem."""
    words = alternative.split()
    first = words[0] if words else ""
    if len(words) == 1 and not alternative[:1].isupper() and first.endswith("y") and len(first) > 3:
        first = first[:-1]
    return first.casefold() if first.isascii() else ""


def _is_company_use(text: str, start: int, end: int, *, words: frozenset[str]) -> bool:
    """Whether the mention at text[start:end] is part of a company's name: a ticker or
    one of ``words`` among the capitalised words that follow it."""
    following = _WORD_OR_TICKER.findall(text[end : end + 60])[:3]
    for word in following:
        if word.startswith("<"):
            return True
        if not word[:1].isupper():
            break  # "the oil company": a lower-case word ends the name
        if word.casefold().rstrip(".") in words:
            return True
    return False


def _mentions(pattern: re.Pattern[str], text: str, *, proper: bool, headline: bool) -> int:
    count = 0
    for match in pattern.finditer(text):
        found = match.group(0)
        if (
            text[match.start() - 1 : match.start()] == "<"
            and text[match.end() : match.end() + 1] == ">"
        ):
            continue  # a ticker: "ADOBE RESOURCES CORP <ADB>"
        if _AFTER_AMOUNT.search(text[max(0, match.start() - 12) : match.start()]):
            continue  # the unit of an amount: "500 mln marks"
        if proper:
            # A place or name opening a company's name ("SINGAPORE PETROLEUM CO",
            # "PANCHO'S MEXICAN BUFFET INC <PAMX.O>"): only a ticker or a legal form
            # says so, since "Japan Financial" or "U.S. Group" may well be the place.
            if _is_company_use(text, match.start(), match.end(), words=LEGAL_FORMS):
                continue
        else:
            if _is_company_use(text, match.start(), match.end(), words=COMPANY_WORDS):
                continue
        # A currency ("Swiss franc") before a bond is its denomination, as a common noun
        # is; a place alone before "bonds" ("Japan bonds") is its bond market, a mention.
        denomination = not proper or names_a_currency(found)
        if denomination and _BEFORE_BOND.match(text[match.end() : match.end() + 40]):
            continue  # the denomination of an issue: "a Canadian dollar bond"
        if not proper and not headline and found[:1].isupper() and not text.isupper():
            before = text[max(0, match.start() - 3) : match.start()]
            if not _SENTENCE_START.search(before) and match.start() > 0:
                continue  # "Quaker Oats": a capitalised common noun mid-sentence is a name
        count += 1
    return count


@dataclass(frozen=True)
class _Story:
    headline: str
    body: str
    topics: tuple[str, ...]


def _about(terms: _Terms, story: _Story) -> _About:
    """How much ``story`` is about the asked subjects (0: none of them really mentioned)."""
    lead, rest = story.body[:LEAD_CHARS], story.body[LEAD_CHARS:BODY_CHARS_READ]
    folded_head, folded_lead, folded_rest = _folded(story.headline), _folded(lead), _folded(rest)
    topics = {t.casefold() for t in story.topics}
    scores: list[float] = []
    clear: list[bool] = []
    strong: list[bool] = []
    prominent: list[bool] = []
    reasons: list[str] = []
    for group in terms.groups:
        best, best_reason, group_clear, group_strong = 0.0, "", False, False
        group_prominent = False
        for alternative in group:
            # A part whose folded text lacks the alternative's first word holds no mention.
            start = _literal_start(alternative)
            in_head, in_lead, in_rest = (
                start in folded_head,
                start in folded_lead,
                start in folded_rest,
            )
            tagged = alternative.casefold() in topics
            if not (in_head or in_lead or in_rest or tagged):
                continue  # no mention and no topic: it scores nothing
            pattern = _term_pattern(alternative)
            proper = alternative[:1].isupper()
            head = (
                _mentions(pattern, story.headline, proper=proper, headline=True) if in_head else 0
            )
            early = _mentions(pattern, lead, proper=proper, headline=False) if in_lead else 0
            later = _mentions(pattern, rest, proper=proper, headline=False) if in_rest else 0
            score = (
                3.0 * (head > 0) + 2.0 * tagged + 1.5 * (early > 0) + 0.5 * min(early + later, 4)
            )
            group_clear = group_clear or head > 0
            # Strongly about the subject: in the headline, or in the lead of a story
            # tagged with it that names it again.
            lead_subject = early > 0 and tagged and early + later >= 2
            group_strong = group_strong or head > 0 or lead_subject
            group_prominent = group_prominent or head > 0 or (tagged and early + later > 0)
            if score > best:
                best = score
                parts = []
                if head:
                    parts.append(f'headline mentions "{alternative}"')
                if tagged:
                    parts.append(f"topic: {alternative}")
                if early + later and not head:
                    times = f" ({early + later} times)" if early + later > 1 else ""
                    parts.append(f'body mentions "{alternative}"{times}')
                best_reason = "; ".join(parts)
        if best == 0.0:
            return _About(0.0, "")  # a subject not really mentioned: the others do not count
        scores.append(best)
        clear.append(group_clear)
        strong.append(group_strong)
        prominent.append(group_prominent)
        if best_reason:
            reasons.append(best_reason)
    if not scores:
        return _About(0.0, "")
    bonus = 0.0
    for word in terms.soft:
        pattern = _term_pattern(word)
        if pattern.search(story.headline) or pattern.search(lead):
            bonus += 0.5
    for phrase in terms.phrases:
        pattern = _term_pattern(phrase)
        head = _mentions(pattern, story.headline, proper=False, headline=True)
        early = _mentions(pattern, lead, proper=False, headline=False)
        later = _mentions(pattern, rest, proper=False, headline=False)
        bonus += 2.0 * (head > 0) + 1.5 * (early > 0) + 0.25 * min(early + later, 4)
    substance = _substance(story)
    score = (statistics.fmean(scores) + 0.5 * min(scores) + bonus) * substance
    return _About(
        score,
        "; ".join(reasons[:2]),
        clear=all(clear) and substance >= CLEAR_SUBSTANCE,
        strong=all(strong) and substance >= CLEAR_SUBSTANCE,
        prominent=all(prominent),
    )


# The text aboutness reads of each candidate: one statement built once, bound per search.
_STORIES_STATEMENT = select(
    Article.id,
    Article.headline,
    func.substr(Article.body, 1, BODY_CHARS_READ).label("body"),
    Article.standfirst,
    Article.topics,
).where(Article.id.in_(bindparam("ids", expanding=True)))


def _read_stories(session: Session, ids: list[int]) -> dict[int, _Story]:
    if not ids:
        return {}
    return {
        row.id: _Story(
            headline=row.headline or "",
            body=" ".join(filter(None, [row.standfirst, row.body or ""])),
            topics=tuple(row.topics or ()),
        )
        for row in session.execute(_STORIES_STATEMENT, {"ids": ids})
    }


FULL_SUBSTANCE_WORDS = 10  # a body this long or longer is a report, not a flash


def _substance(story: _Story) -> float:
    """A flash with a line or two of body is less of a story about anything than a report."""
    # Words past the tenth change nothing, so they are not split off.
    words = len(story.body.split(maxsplit=FULL_SUBSTANCE_WORDS))
    return min(1.0, 0.5 + words / (2 * FULL_SUBSTANCE_WORDS))


def _is_clear(terms: _Terms, story: _Story) -> bool:
    """``_about(terms, story).clear``, from the headline and the length of the body only."""
    if not terms.groups or _substance(story) < CLEAR_SUBSTANCE:
        return False
    headline = _folded(story.headline)
    return all(
        any(
            _literal_start(alternative) in headline
            and _mentions(
                _term_pattern(alternative),
                story.headline,
                proper=alternative[:1].isupper(),
                headline=True,
            )
            for alternative in group
        )
        for group in terms.groups
    )


def _distinct_headlines(
    candidates: list[_Candidate], stories: dict[int, _Story]
) -> list[_Candidate]:
    """``candidates`` without a repeated headline (wire copy is often sent twice)."""
    seen: set[str] = set()
    kept = []
    for candidate in candidates:
        headline = " ".join(stories[candidate.article_id].headline.casefold().split())
        if headline and headline in seen:
            continue
        seen.add(headline)
        kept.append(candidate)
    return kept


def _about_order(
    session: Session, terms: _Terms, candidates: list[_Candidate], *, need: int, now: datetime
) -> tuple[list[_Candidate], dict[int, _About]]:
    """``candidates`` in "latest" order; the first ``need`` of them at least.

    First the stories about every subject, newest first: each subject in the headline
    ("clear"), or in the lead of a story tagged with it that names it again ("strong"),
    with a body of some length; then the others that mention them, by aboutness × a
    recency decay counted from the newest candidate; last those whose match was only a
    stem or a name.

    When ``need`` distinct-headline clear stories are found, only the candidates newer
    than the last of them are read in full (a strong story among them takes its place by
    date); the page is in order and has its ``_About``, the others follow newest first.
    """
    stories = _read_stories(session, [c.article_id for c in candidates])
    # Most pages are filled by the "clear" stories alone, and that is a cheap check (the
    # headlines and a word count): then only the stories on the page are read in full.
    clear = sorted(
        (c for c in candidates if _is_clear(terms, stories[c.article_id])),
        key=lambda c: (c.sort_at, c.article_id),
        reverse=True,
    )
    distinct = _distinct_headlines(clear, stories)
    if len(distinct) >= need:
        # Newer stories than the clear ones on the page may be as much about the subjects
        # (each in the lead or the tagged topics): only those are read in full.
        cutoff = (distinct[need - 1].sort_at, distinct[need - 1].article_id)
        on_clear = {c.article_id for c in distinct}
        newer = [
            c
            for c in candidates
            if (c.sort_at, c.article_id) > cutoff and c.article_id not in on_clear
        ]
        about = {c.article_id: _about(terms, stories[c.article_id]) for c in newer}
        leading = sorted(
            [*distinct[:need], *(c for c in newer if about[c.article_id].strong)],
            key=lambda c: (c.sort_at, c.article_id),
            reverse=True,
        )
        page = _distinct_headlines(leading, stories)[:need]
        on_page = {c.article_id for c in page}
        rest = sorted(
            (c for c in candidates if c.article_id not in on_page),
            key=lambda c: (c.sort_at, c.article_id),
            reverse=True,
        )
        for candidate in page:  # the clear stories on it are not read in full yet
            if candidate.article_id not in about:
                about[candidate.article_id] = _about(terms, stories[candidate.article_id])
        return page + rest, {c.article_id: about[c.article_id] for c in page}
    about = {c.article_id: _about(terms, stories[c.article_id]) for c in candidates}
    newest = max((c.sort_at for c in candidates), default=now)

    def key(candidate: _Candidate) -> tuple[int, float, datetime, int]:
        found = about[candidate.article_id]
        if found.leads:
            return (3, 0.0, candidate.sort_at, candidate.article_id)
        age = max((newest - candidate.sort_at).total_seconds() / 86400.0, 0.0)
        decayed = found.score * 0.5 ** (age / ABOUT_HALF_LIFE_DAYS)
        # Stories about the subjects, if short, before those naming them in passing.
        standing = 1 + found.prominent if found.score > 0 else 0
        return (standing, decayed, candidate.sort_at, candidate.article_id)

    ordered = sorted(candidates, key=key, reverse=True)
    # Wire copy is often sent twice: a repeated headline goes after the other stories.
    seen: set[str] = set()
    first: list[_Candidate] = []
    repeated: list[_Candidate] = []
    for candidate in ordered:
        headline = " ".join(stories[candidate.article_id].headline.casefold().split())
        (repeated if headline and headline in seen else first).append(candidate)
        seen.add(headline)
    return first + repeated, about


def _rank_relevant(
    backend: _Backend,
    terms: _Terms,
    filters: list[ColumnElement[bool]],
    *,
    need: int,
    now: datetime,
) -> tuple[list[_Candidate], dict[int, float]]:
    pool = max(SEARCH_POOL, 2 * need)
    candidates = {
        c.article_id: c
        for c in backend.collect_newest(
            terms, tier="prominent", need=pool, filters=filters, now=now
        )
    }
    for candidate in backend.collect_newest(
        terms, tier="mention", need=pool, filters=filters, now=now
    ):
        candidates.setdefault(candidate.article_id, candidate)
    features = backend.measure(terms, list(candidates))
    scores = {
        article_id: features[article_id].relevance * _recency(candidate.sort_at, now)
        if article_id in features
        else 0.0
        for article_id, candidate in candidates.items()
    }
    ordered = sorted(
        candidates.values(),
        key=lambda c: (scores[c.article_id], c.sort_at, c.article_id),
        reverse=True,
    )
    return ordered, scores


def search_articles(
    question: Question,
    *,
    session: Session,
    limit: int = 5,
    offset: int = 0,
    viewer_channel_id: str | None = None,
    now: datetime | None = None,
) -> SearchPage:
    """One page of stories answering ``question``, and the offset of the next page if any.

    ``question.limit``, when set, overrides ``limit``.
    """
    now = now or datetime.now(UTC)
    if (
        question.as_subject is not None
        and question.outlet
        and not has_outlet(question.outlet, session=session)
    ):
        question = question.as_subject  # "news from Peking": a place, not an outlet
    limit = max(question.limit or limit, 1)
    offset = max(offset, 0)
    need = offset + limit + 1
    backend = _backend_for(session)
    terms = _collect_terms(question)
    filters = _filter_clauses(question, viewer_channel_id)
    scores: dict[int, float] = {}
    about: dict[int, _About] = {}
    if any(not group for group in terms.groups):
        # A group whose every alternative is punctuation can match nothing.
        ordered: list[_Candidate] = []
    elif not terms.groups:
        if terms.excluded:
            filters.append(backend.exclusion_clause(terms.excluded))
        listed = _list_newest(session, filters, limit=limit, offset=offset)
        page = listed[:limit]
        next_offset = offset + limit if len(listed) > limit else None
        hits = _load_hits(
            backend, session, terms, page, {}, filter_text=_describe_filters(question)
        )
        return SearchPage(hits=hits, next_offset=next_offset, question=question)
    elif question.intent == Intent.LATEST:
        pool = LATEST_POOL * math.ceil(need / LATEST_POOL)
        found = _rank_latest(backend, terms, filters, need=pool, now=now)
        ordered, about = _about_order(session, terms, found, need=need, now=now)
    else:
        ordered, scores = _rank_relevant(backend, terms, filters, need=need, now=now)
    if not ordered and question.broader is not None:
        # Nothing matches every word: answer on the named subjects, the plain words
        # ranking ("ghana cocoa harvest" with no story saying "harvest").
        return search_articles(
            question.broader,
            session=session,
            limit=limit,
            offset=offset,
            viewer_channel_id=viewer_channel_id,
            now=now,
        )
    page = ordered[offset : offset + limit]
    next_offset = offset + limit if len(ordered) > offset + limit else None
    if about:
        scores = {c.article_id: round(about[c.article_id].score, 3) for c in page}
    hits = _load_hits(
        backend, session, terms, page, scores, filter_text=_describe_filters(question)
    )
    if about:
        hits = [replace(h, why=about[h.article_id].why or h.why) for h in hits]
    return SearchPage(hits=hits, next_offset=next_offset, question=question)


def _load_hits(
    backend: _Backend,
    session: Session,
    terms: _Terms,
    page: list[_Candidate],
    scores: dict[int, float],
    *,
    filter_text: str,
) -> list[SearchHit]:
    ids = [c.article_id for c in page]
    if not ids:
        return []
    articles = {
        a.id: a for a in session.execute(select(Article).where(Article.id.in_(ids))).scalars()
    }
    descriptions: dict[int, _Description] = {}
    features: dict[int, _Features] = {}
    if terms.groups:
        descriptions = backend.describe(terms, ids)
        if not scores:
            features = backend.measure(terms, ids)
    hits = []
    for article_id in ids:
        article = articles[article_id]
        description = descriptions.get(article_id)
        if article_id in scores:
            score = scores[article_id]
        elif article_id in features:
            score = features[article_id].relevance
        else:
            score = 0.0
        hits.append(
            SearchHit(
                article_id=article.id,
                headline=article.headline,
                outlet=article.outlet,
                byline=article.byline,
                published_at=article.published_at,
                sort_at=article.sort_at,
                summary=article.summary,
                url=article.canonical_url or article.original_url,
                status=article.status,
                topics=tuple(article.topics or ()),
                snippet=description.snippet
                if description and description.snippet
                else _plain_snippet(article),
                why=description.why if description else filter_text,
                score=score,
            )
        )
    return hits


def _plain_snippet(article: Article) -> str:
    source = article.standfirst or article.summary or article.body
    words = source.split()
    snippet = " ".join(words[: SNIPPET_TOKENS + 6])
    return snippet + (" …" if len(words) > SNIPPET_TOKENS + 6 else "")


__all__ = [
    "MATCH_END",
    "MATCH_START",
    "SEARCH_OBJECTS",
    "SearchHit",
    "SearchPage",
    "include_schema_object",
    "search_articles",
]
