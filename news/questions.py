"""Understanding what editors type: ``latest on Ukraine this week`` → a structured Question.

The result is engine-agnostic: term groups (AND of groups, OR inside a group), exclusions,
filters (outlet, byline, desk, status), a time window and a count. Every search term is
reduced to plain words (Unicode letters, digits, marks, spaces and apostrophes inside
words), so nothing a user types can reach a search engine as query syntax.

A bare topic (``Ukraine``) asks for the newest stories first: in a newsroom a topic on its
own means "what is happening with it now". ``top N``, ``search``, ``find`` and
``what do we have on`` ask for the most relevant first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from news.aliases import AliasTable

MAX_QUESTION_CHARS = 500
MAX_LIMIT = 50
MAX_GROUPS = 12
MAX_EXCLUDED = 10
MAX_TERM_CHARS = 100
MAX_NAME_CHARS = 100
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


class Intent(StrEnum):
    LATEST = "latest"  # newest relevant first
    SEARCH = "search"  # most relevant first
    HELP = "help"  # "help", "?", "what can you do"


@dataclass(frozen=True)
class TermGroup:
    """One concept the story must match: any of the alternatives (words or multi-word phrases)."""

    label: str
    alternatives: tuple[str, ...]
    phrase: bool = False


@dataclass(frozen=True)
class Question:
    """A parsed question; datetimes are aware and in UTC, ``period`` says them in words."""

    raw: str
    intent: Intent
    topic: str = ""
    groups: tuple[TermGroup, ...] = ()
    excluded: tuple[str, ...] = ()
    outlet: str | None = None
    byline: str | None = None
    desk: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    period: str = ""

    def describe(self) -> str:
        """A phrase for replies: ``Ukraine since 6 Jan``, ``stories by Jane Doe this week``."""
        if self.intent is Intent.HELP:
            return "help"
        status_noun = {"published": "published stories", "draft": "drafts"}.get(self.status or "")
        if self.topic:
            subject = f"{status_noun} on {self.topic}" if status_noun else self.topic
        elif status_noun:
            subject = status_noun
        elif self.byline or self.outlet or self.desk or self.excluded or self.since or self.until:
            subject = "stories"
        else:
            subject = "everything"
        parts = [subject]
        if self.byline:
            parts.append(f"by {self.byline}")
        if self.outlet:
            parts.append(f"from {self.outlet}")
        if self.desk:
            parts.append(f"from the {self.desk} desk")
        if self.excluded:
            parts.append("without " + ", ".join(self.excluded))
        period = self.period or _describe_dates(self.since, self.until)
        if period:
            parts.append(period)
        return " ".join(parts)


def _describe_dates(since: datetime | None, until: datetime | None) -> str:
    if since and until:
        return f"from {since:%Y-%m-%d} to {until:%Y-%m-%d}"
    if since:
        return f"since {since:%Y-%m-%d}"
    if until:
        return f"until {until:%Y-%m-%d}"
    return ""


# -- vocabulary -----------------------------------------------------------------------------


def _word_list(words: str) -> list[str]:
    return words.split()


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


STOP_WORDS = _word_set(
    """a an the of on about any news stories story articles article pieces piece items item
    coverage headlines results links in at for to with and or from by re regarding concerning
    around near into over since until till after before between during is are was were be been
    there what what's whats which who how when where why do does did we have has had got get
    give show tell find search list us me i you your our my it its this that these those some
    all anything something everything please pls plz thanks thank can could would will should
    hey hi hello ok okay newsdesk latest newest recent updates update happening happened going
    up more stuff things let know just also not without so but if as via per else other"""
)
# Words that end a byline or outlet name typed in capitals ("from Reuters since Monday").
HARD_BOUNDARY = _word_set(
    """on about in at for to with from by since until till after before between during this
    last past today yesterday tonight published unpublished drafts top and or re regarding
    monday tuesday wednesday thursday friday saturday sunday desk"""
)
NAME_CONNECTORS = _word_set("of the de van von der al bin da di le la del du y and")
COUNT_NOUNS = _word_set(
    "stories story articles article items item results pieces headlines links ones"
)
HELP_PHRASES = frozenset(
    {
        "help",
        "help me",
        "help please",
        "what can you do",
        "what do you do",
        "what can i ask",
        "what can i ask you",
        "how does this work",
        "how do i use this",
        "how do i use you",
        "how do you work",
        "who are you",
        "commands",
        "usage",
        "options",
    }
)
GREETINGS = _word_set("hey hi hello please newsdesk ok okay")
LATEST_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "what's the latest",
        "whats the latest",
        "what is the latest",
        "what's going on",
        "whats going on",
        "what is going on",
        "what's happening",
        "whats happening",
        "what is happening",
        "what's new",
        "whats new",
        "what is new",
        "what happened",
        "is there anything",
        "are there any",
        "anything new",
        "any updates",
        "any update",
        "any news",
        "catch me up",
        "most recent",
        "the latest",
        "latest",
        "anything",
        "news",
        "updates",
        "update",
        "newest",
        "recent",
        "breaking",
    )
)
SEARCH_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "what do we have",
        "what have we got",
        "what've we got",
        "what we have",
        "what have we",
        "do we have",
        "have we got",
        "search for",
        "look for",
        "look up",
        "find me",
        "dig up",
        "search",
        "find",
        "lookup",
        "everything",
    )
)
INTENT_PHRASES: tuple[tuple[tuple[str, ...], Intent], ...] = tuple(
    sorted(
        [(p, Intent.LATEST) for p in LATEST_PHRASES] + [(p, Intent.SEARCH) for p in SEARCH_PHRASES],
        key=lambda entry: -len(entry[0]),
    )
)
NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        _word_list(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen "
            "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
}
ROLLING_NUMBER_WORDS = {**NUMBER_WORDS, "few": 3, "couple": 2}
TIME_UNITS = {
    **dict.fromkeys(["minute", "minutes", "min", "mins"], "minute"),
    **dict.fromkeys(["hour", "hours", "hr", "hrs", "h"], "hour"),
    **dict.fromkeys(["day", "days", "d"], "day"),
    **dict.fromkeys(["week", "weeks", "wk", "wks", "w"], "week"),
    **dict.fromkeys(["month", "months", "mo", "mos"], "month"),
    **dict.fromkeys(["year", "years", "yr", "yrs", "y"], "year"),
}
UNIT_LENGTHS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
GLUED_DURATION = re.compile(r"(\d{1,9})(min|mins|h|hr|hrs|d|w|wk|wks|mo|y|yr|yrs)")
WEEKDAYS = {
    **{name: n for n, name in enumerate(_word_list("monday tuesday wednesday thursday friday"))},
    "saturday": 5,
    "sunday": 6,
    **{name: n for n, name in enumerate(_word_list("mon tue wed thu fri"))},
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
MONTH_NAMES = _word_list(
    "January February March April May June July August September October November December"
)
MONTHS = {
    **{name.casefold(): n for n, name in enumerate(MONTH_NAMES, start=1)},
    **{name.casefold()[:3]: n for n, name in enumerate(MONTH_NAMES, start=1) if n != 5},
    "sept": 9,
}
ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
ORDINAL_DAY = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?")
YEAR = re.compile(r"(19\d\d|20\d\d|2100)")
ACRONYM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]?")
SLACK_MARKUP = re.compile(r"<(?:[@#!][^<>]*|[a-z][a-z0-9+.\-]*:[^<>]*)>", re.IGNORECASE)
EMOJI_SHORTCODE = re.compile(r"(?<!\w):[a-z][a-z0-9_+'\-]*:", re.IGNORECASE)
QUOTES = str.maketrans(
    {c: '"' for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb\u301d\u301e\u2033"}
    | {c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u02bc"}
)
FIELD_KEYS = {
    **dict.fromkeys(["outlet", "source", "publication"], "outlet"),
    **dict.fromkeys(["author", "byline", "by", "reporter", "writer"], "byline"),
    **dict.fromkeys(["desk", "section"], "desk"),
    "status": "status",
    **dict.fromkeys(["limit", "count", "top"], "limit"),
    **dict.fromkeys(["since", "after"], "since"),
    **dict.fromkeys(["until", "before"], "until"),
    "date": "on",
    "from": "from",
}
FIELD_KEY_PATTERN = "|".join(sorted(FIELD_KEYS, key=len, reverse=True))
TOKEN = re.compile(
    rf"""(?P<field>(?<!\S)(?P<key>{FIELD_KEY_PATTERN}):
            \s*(?:"(?P<fquoted>[^"]*)"|(?P<fvalue>[^\s"]+)))
        |(?P<neg>(?<!\S)-)?"(?P<phrase>[^"]*)"
        |(?P<chunk>[^\s"]+)
        |\"""",
    re.IGNORECASE | re.VERBOSE,
)
STATUS_VALUES = {
    **dict.fromkeys(["published", "publish", "live"], "published"),
    **dict.fromkeys(["draft", "drafts", "unpublished"], "draft"),
}
CLAUSE_ENDS = frozenset(",;:?!")
JOINERS = "'-.&"


# -- text to tokens -------------------------------------------------------------------------


def is_word_character(character: str) -> bool:
    """A Unicode letter, digit or combining mark: what a search term may be made of."""
    return unicodedata.category(character)[0] in "LNM"


def _clean_text(text: str) -> str:
    text = SLACK_MARKUP.sub(" ", text[: MAX_QUESTION_CHARS * 4])
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = unicodedata.normalize("NFKC", text[: MAX_QUESTION_CHARS * 2]).translate(QUOTES)
    text = text[: MAX_QUESTION_CHARS * 2]
    kept = []
    for character in text:
        category = unicodedata.category(character)
        if category in ("Cf", "Cs", "Co", "Cn"):
            continue
        kept.append(" " if category[0] in "CZ" else character)
    text = EMOJI_SHORTCODE.sub(" ", "".join(kept))
    text = " ".join(text.split())
    if len(text) > MAX_QUESTION_CHARS:
        cut = text[:MAX_QUESTION_CHARS]
        space = cut.rfind(" ")
        text = cut[:space] if space > MAX_QUESTION_CHARS - 50 else cut
    return text


def clean_term(text: str) -> str:
    """``text`` as plain search words: ``U.S.`` → ``US``, ``anti-war`` → ``anti war``."""
    words = []
    for chunk in text.split():
        if ACRONYM.fullmatch(chunk):
            chunk = chunk.replace(".", "")
        plain = "".join(c if is_word_character(c) or c == "'" else " " for c in chunk)
        for word in plain.split():
            word = re.sub("'{2,}", "'", word.strip("'"))
            if word:
                words.append(word)
    cleaned = " ".join(words)
    if len(cleaned) > MAX_TERM_CHARS:
        cut = cleaned[:MAX_TERM_CHARS]
        return clean_term(cut.rsplit(" ", 1)[0] if " " in cut else cut)
    return cleaned


def _clean_name(text: str) -> str | None:
    kept = "".join(c if is_word_character(c) or c in JOINERS else " " for c in text)
    name = " ".join(kept.split()).strip("'-&")
    if name.endswith(".") and not ACRONYM.fullmatch(name.rsplit(" ", 1)[-1]):
        name = name.rstrip(".")
    return name[:MAX_NAME_CHARS].strip() or None


@dataclass
class _Token:
    kind: str  # "word" | "phrase" | "field" | "neg"
    text: str
    clean: str
    ends_clause: bool = False
    key: str = ""
    quoted: bool = False

    @property
    def word(self) -> str:
        return self.text.casefold() if self.kind == "word" else ""


def _split_chunk(chunk: str) -> list[tuple[str, bool]]:
    """Pieces of one whitespace-free chunk, each with whether punctuation ended a clause."""
    texts: list[str] = []
    ends: list[bool] = []
    current: list[str] = []
    for character in chunk:
        if is_word_character(character) or character in JOINERS:
            current.append(character)
            continue
        if current:
            texts.append("".join(current))
            ends.append(False)
            current = []
        if character in CLAUSE_ENDS and ends:
            ends[-1] = True
    if current:
        texts.append("".join(current))
        ends.append(False)
    pieces = []
    for raw, clause_end in zip(texts, ends, strict=True):
        text = raw.lstrip(JOINERS).rstrip("'-&")
        if text.endswith(".") and not ACRONYM.fullmatch(text):
            text, clause_end = text.rstrip("."), True
        if text:
            pieces.append((text, clause_end))
    return pieces


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in TOKEN.finditer(text):
        if match.group("field"):
            quoted = match.group("fquoted")
            value = quoted if quoted is not None else match.group("fvalue")
            ends = quoted is None and value[-1:] in CLAUSE_ENDS | {"."}
            value = value if quoted is not None else value.rstrip(",;:?!.")
            key = FIELD_KEYS[match.group("key").casefold()]
            tokens.append(_Token("field", value.strip(), "", ends, key, quoted is not None))
        elif match.group("phrase") is not None:
            phrase = " ".join(match.group("phrase").split())
            cleaned = clean_term(phrase)
            if cleaned:
                kind = "neg" if match.group("neg") else "phrase"
                tokens.append(_Token(kind, phrase, cleaned))
        elif chunk := match.group("chunk"):
            if chunk.startswith("@") or "://" in chunk or chunk.casefold().startswith("www."):
                continue
            if chunk.startswith("-") and len(chunk) > 1 and is_word_character(chunk[1]):
                cleaned = clean_term(chunk[1:])
                if cleaned:
                    tokens.append(_Token("neg", chunk[1:], cleaned))
                continue
            for piece, ends in _split_chunk(chunk):
                cleaned = clean_term(piece)
                tokens.append(_Token("word", piece, cleaned, ends))
    return tokens


# -- aliases --------------------------------------------------------------------------------

_ALIAS_INDEXES: dict[int, tuple[AliasTable, dict[tuple[str, ...], str], int]] = {}


def _words_key(texts: Sequence[str]) -> tuple[str, ...]:
    return tuple(" ".join(texts).casefold().split())


def _alias_index(aliases: AliasTable) -> tuple[dict[tuple[str, ...], str], int]:
    cached = _ALIAS_INDEXES.get(id(aliases))
    if cached is not None and cached[0] is aliases:
        return cached[1], cached[2]
    index: dict[tuple[str, ...], str] = {}
    for canonical, names in aliases.topics.items():
        for name in (canonical, *names):
            cleans = [
                clean_term(piece) for chunk in name.split() for piece, _ in _split_chunk(chunk)
            ]
            key = _words_key(cleans)
            if key and len(key) <= 8:
                index.setdefault(key, name)
    longest = max((len(key) for key in index), default=1)
    if len(_ALIAS_INDEXES) >= 8:
        _ALIAS_INDEXES.clear()
    _ALIAS_INDEXES[id(aliases)] = (aliases, index, longest)
    return index, longest


# -- dates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    start: datetime  # local, aware
    end: datetime
    name: str
    kind: str  # "day" | "week" | "month" | "year"
    relative: bool = False  # named relative to now: today, last week
    current: bool = False  # contains now: today, this week
    bare: bool = False  # understood without a preposition
    weekday: int | None = None  # named by a weekday: "Monday"


def _possessive(word: str) -> str:
    return word[:-2] if word.endswith("'s") else word


@dataclass
class _Builder:
    intent: Intent | None = None
    intent_hint: Intent | None = None
    windows: list[tuple[datetime | None, datetime | None, str]] = field(default_factory=list)
    outlet: str | None = None
    byline: str | None = None
    desk: str | None = None
    status: str | None = None
    limit: int | None = None
    excluded: list[str] = field(default_factory=list)


class _Parser:
    def __init__(
        self,
        tokens: list[_Token],
        *,
        now: datetime,
        timezone: tzinfo,
        aliases: AliasTable,
    ) -> None:
        self.tokens = tokens
        self.used = [False] * len(tokens)
        self.now = now
        self.timezone = timezone
        self.local_now = now.astimezone(timezone)
        self.today = self.local_now.date()
        self.aliases = aliases
        self.index, self.longest_alias = _alias_index(aliases)
        self.out = _Builder()

    # token access ---------------------------------------------------------------------------

    def word(self, i: int) -> str:
        """The casefolded word at ``i`` if it is a free word token, else ""."""
        if 0 <= i < len(self.tokens) and not self.used[i]:
            return self.tokens[i].word
        return ""

    def is_free_word(self, i: int) -> bool:
        return bool(self.word(i))

    def consume(self, start: int, count: int) -> int:
        for i in range(start, min(start + count, len(self.tokens))):
            self.used[i] = True
        return count

    def number(self, i: int, words: dict[str, int] = NUMBER_WORDS) -> int | None:
        word = self.word(i)
        if word.isdecimal() and word.isascii():
            return int(word) if len(word) <= 9 else 10**9
        return words.get(word)

    # days -----------------------------------------------------------------------------------

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=self.timezone)

    def day_name(self, day: date) -> str:
        name = f"{day.day} {MONTH_NAMES[day.month - 1][:3]}"
        return name if day.year == self.today.year else f"{name} {day.year}"

    def day_span(self, day: date, *, name: str = "", relative: bool = False) -> _Span:
        return _Span(
            self.day_start(day),
            self.day_start(day + timedelta(days=1)),
            name or self.day_name(day),
            "day",
            relative=relative,
            current=day == self.today,
        )

    def month_span(self, year: int, month: int, name: str = "", relative: bool = False) -> _Span:
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        if not name:
            name = MONTH_NAMES[month - 1]
            name = name if year == self.today.year else f"{name} {year}"
        current = (year, month) == (self.today.year, self.today.month)
        start, end = self.day_start(date(year, month, 1)), self.day_start(following)
        return _Span(start, end, name, "month", relative=relative, current=current)

    def year_span(self, year: int, name: str = "", relative: bool = False) -> _Span:
        start, end = self.day_start(date(year, 1, 1)), self.day_start(date(year + 1, 1, 1))
        current = year == self.today.year
        return _Span(start, end, name or str(year), "year", relative=relative, current=current)

    def year_at(self, i: int) -> int | None:
        match = YEAR.fullmatch(self.word(i))
        return int(match.group(1)) if match else None

    def day_of_month(self, i: int) -> int | None:
        match = ORDINAL_DAY.fullmatch(self.word(i))
        day = int(match.group(1)) if match else 0
        return day if 1 <= day <= 31 else None

    def dated_day(self, year: int | None, month: int, day: int) -> _Span | None:
        try:
            if year is not None:
                return self.day_span(date(year, month, day))
            candidate = date(self.today.year, month, day)
            if candidate > self.today:
                candidate = date(self.today.year - 1, month, day)
        except ValueError:
            return None
        return self.day_span(candidate)

    def date_expression(self, i: int) -> tuple[int, _Span] | None:
        """A day, week, month or year starting at token ``i``: (tokens used, span)."""
        word = _possessive(self.word(i))
        following = _possessive(self.word(i + 1))
        if not word:
            return None
        if word == "the" and self.day_of_month(i + 1) is not None:
            found = self.date_expression(i + 1)
            return (found[0] + 1, found[1]) if found is not None else None
        if word in ("today", "tonight"):
            return 1, _with_bare(self.day_span(self.today, name="today", relative=True))
        if word == "this" and following in ("morning", "afternoon", "evening"):
            return 2, _with_bare(self.day_span(self.today, name="today", relative=True))
        if word == "yesterday":
            yesterday = self.today - timedelta(days=1)
            return 1, _with_bare(self.day_span(yesterday, name="yesterday", relative=True))
        if word in ("this", "last", "previous") and following in ("week", "month", "year"):
            return 2, _with_bare(self.period_span(word, following))
        if word == "last" and following in WEEKDAYS:
            return 2, _with_bare(self.weekday_span(WEEKDAYS[following]))
        if word in WEEKDAYS:
            return 1, self.weekday_span(WEEKDAYS[word])
        if match := ISO_DATE.fullmatch(word):
            iso = self.iso_day(*(int(part) for part in match.groups()))
            return (1, _with_bare(iso)) if iso is not None else None
        day = self.day_of_month(i)
        if day is not None:
            j = i + 2 if self.word(i + 1) == "of" else i + 1
            month = MONTHS.get(self.word(j))
            if month is None:
                return None
            year = self.year_at(j + 1)
            span = self.dated_day(year, month, day)
            return (j - i + 1 + (year is not None), span) if span else None
        month = MONTHS.get(word)
        if month is not None:
            day = self.day_of_month(i + 1)
            if day is not None:
                year = self.year_at(i + 2)
                span = self.dated_day(year, month, day)
                return (2 + (year is not None), span) if span else None
            year = self.year_at(i + 1)
            if year is None:
                year = self.today.year if month <= self.today.month else self.today.year - 1
                return 1, self.month_span(year, month)
            return 2, self.month_span(year, month)
        year = self.year_at(i)
        if year is not None:
            return 1, self.year_span(year)
        return None

    def iso_day(self, year: int, month: int, day: int) -> _Span | None:
        return self.dated_day(year, month, day) if 1900 <= year <= 2100 else None

    def weekday_span(self, weekday: int) -> _Span:
        days_back = (self.today.weekday() - weekday) % 7 or 7
        span = self.day_span(self.today - timedelta(days=days_back))
        return replace(span, weekday=weekday)

    def period_span(self, which: str, unit: str) -> _Span:
        name = f"{'this' if which == 'this' else 'last'} {unit}"
        back = 0 if which == "this" else 1
        if unit == "week":
            monday = self.today - timedelta(days=self.today.weekday() + 7 * back)
            start, end = self.day_start(monday), self.day_start(monday + timedelta(days=7))
            return _Span(start, end, name, "week", relative=True, current=back == 0)
        if unit == "month":
            year, month = self.today.year, self.today.month - back
            if month == 0:
                year, month = year - 1, 12
            return self.month_span(year, month, name, relative=True)
        return self.year_span(self.today.year - back, name, relative=True)

    # windows --------------------------------------------------------------------------------

    def add_window(self, since: datetime | None, until: datetime | None, label: str) -> None:
        since = max(since.astimezone(UTC), EARLIEST) if since else None
        until = max(until.astimezone(UTC), EARLIEST) if until else None
        self.out.windows.append((since, until, label))

    def add_interval(self, span: _Span) -> None:
        if span.relative:
            label = span.name
        else:
            label = f"on {span.name}" if span.kind == "day" else f"in {span.name}"
        self.add_window(span.start, None if span.current and span.relative else span.end, label)

    def add_since(self, span: _Span) -> None:
        label = span.name if span.current and span.relative else f"since {span.name}"
        self.add_window(span.start, None, label)

    def rolling(self, i: int) -> int:
        j = i
        if self.word(j) in ("in", "over", "within", "during", "for"):
            j += 1
        if self.word(j) == "the":
            j += 1
        which = self.word(j)
        if which not in ("last", "past", "previous"):
            return 0
        j += 1
        amount = self.number(j, ROLLING_NUMBER_WORDS)
        if amount is not None:
            j += 2 if self.word(j + 1) == "of" and self.word(j) == "couple" else 1
            unit = TIME_UNITS.get(self.word(j))
        elif glued := GLUED_DURATION.fullmatch(self.word(j)):
            amount, unit = int(glued.group(1)), TIME_UNITS[glued.group(2)]
        else:
            amount, unit = 1, TIME_UNITS.get(self.word(j))
            if which != "past" or unit not in ("hour", "day", "week", "month", "year"):
                return 0
        if unit is None:
            return 0
        self.add_window(self.rolling_start(amount, unit), None, _rolling_label(amount, unit))
        return j + 1 - i

    def rolling_start(self, amount: int, unit: str) -> datetime:
        amount = min(amount, 10_000 * (12 if unit == "month" else 1))
        if unit in UNIT_LENGTHS:
            try:
                return self.now - UNIT_LENGTHS[unit] * amount
            except OverflowError:
                return EARLIEST
        months = amount * (12 if unit == "year" else 1)
        total = self.local_now.year * 12 + self.local_now.month - 1 - months
        year, month = divmod(total, 12)
        if year < EARLIEST.year:
            return EARLIEST
        day = min(self.local_now.day, _days_in_month(year, month + 1))
        return self.local_now.replace(year=year, month=month + 1, day=day)

    def rule_time(self, i: int) -> int:
        word = self.word(i)
        if word in ("since", "after", "from"):
            found = self.date_expression(i + 1)
            if found is None:
                return 0
            used, first = found
            j = i + 1 + used
            if word == "from" and self.word(j) in ("to", "until", "till", "through", "thru"):
                second = self.date_expression(j + 1)
                if second is not None:
                    self.add_range(first, second[1])
                    return j + 1 + second[0] - i
            self.add_since(first)
            return j - i
        if word == "between":
            found = self.date_expression(i + 1)
            if found is None or self.word(i + 1 + found[0]) != "and":
                return 0
            second = self.date_expression(i + 2 + found[0])
            if second is None:
                return 0
            self.add_range(found[1], second[1])
            return 2 + found[0] + second[0]
        if word in ("until", "till", "through", "thru", "before") or (
            word == "up" and self.word(i + 1) == "to"
        ):
            skip = 2 if word == "up" else 1
            found = self.date_expression(i + skip)
            if found is None:
                return 0
            span = found[1]
            if word == "before":
                self.add_window(None, span.start, f"before {span.name}")
            else:
                self.add_window(None, span.end, f"until {span.name}")
            return skip + found[0]
        if word == "on":
            found = self.date_expression(i + 1)
            if found is None or found[1].kind != "day":
                return 0
            self.add_interval(found[1])
            return 1 + found[0]
        if word in ("in", "during", "over", "within", "for", "the", "last", "past", "previous"):
            used = self.rolling(i)
            if used:
                return used
            if word in ("in", "during"):
                found = self.date_expression(i + 1)
                if found is None:
                    return 0
                self.add_interval(found[1])
                return 1 + found[0]
        found = self.date_expression(i)
        if found is not None and found[1].bare:
            self.add_interval(found[1])
            return found[0]
        return 0

    def add_range(self, first: _Span, second: _Span) -> None:
        if second.weekday is not None:
            # "from Monday to Wednesday": the first Wednesday on or after that Monday.
            start = first.start.date()
            day = self.day_span(start + timedelta(days=(second.weekday - start.weekday()) % 7))
            second = replace(day, weekday=second.weekday)
        if first.start > second.start:
            first, second = second, first
        self.add_window(first.start, second.end, f"from {first.name} to {second.name}")

    # filters --------------------------------------------------------------------------------

    def rule_count(self, i: int) -> int:
        word = self.word(i)
        if word == "top":
            self.out.intent_hint = self.out.intent_hint or Intent.SEARCH
            amount = self.number(i + 1)
            if amount is None:
                return 1
            self.set_limit(amount)
            return 2 + (self.word(i + 2) in COUNT_NOUNS)
        if word in ("last", "latest", "first", "newest", "limit", "show"):
            amount = self.number(i + 1)
            if amount is None:
                return 0
            self.set_limit(amount)
            if word in ("last", "latest", "newest"):
                self.out.intent = self.out.intent or Intent.LATEST
            return 2 + (self.word(i + 2) in COUNT_NOUNS)
        amount = self.number(i)
        if amount is None:
            return 0
        j = i + 1
        if self.word(j) in ("latest", "newest", "recent", "top"):
            j += 1
        elif self.word(j) == "most" and self.word(j + 1) == "recent":
            j += 2
        if self.word(j) not in COUNT_NOUNS:
            return 0
        if self.word(i + 1) == "top":
            self.out.intent_hint = self.out.intent_hint or Intent.SEARCH
        elif j > i + 1:
            self.out.intent = self.out.intent or Intent.LATEST
        self.set_limit(amount)
        return j + 1 - i

    def set_limit(self, amount: int) -> None:
        self.out.limit = min(amount, MAX_LIMIT) if amount > 0 else None

    def rule_status(self, i: int) -> int:
        word = self.word(i)
        if word in ("published", "unpublished", "drafts"):
            self.out.status = STATUS_VALUES[word]
            return 1
        if word == "draft":
            following = self.word(i + 1)
            ends = i + 1 >= len(self.tokens) or self.tokens[i].ends_clause
            joins = following in COUNT_NOUNS or following in HARD_BOUNDARY
            if (ends or joins) and self.word(i - 1) not in ("the", "a"):
                self.out.status = "draft"
                return 1
        return 0

    def name_run(
        self, i: int, *, capital_limit: int, lower_limit: int, leading: str = ""
    ) -> tuple[int, str]:
        """A person's or outlet's name starting at ``i``: (tokens used, name) or (0, "").

        ``leading`` is a first word already read (``author:Jane`` continues with ``Doe``).
        """
        words: list[str] = [leading] if leading else []
        j = i
        capitals: bool | None = None
        if leading and leading.casefold() not in ("the", "a"):
            capitals = leading[:1].isupper()
        while j < len(self.tokens) and self.is_free_word(j):
            token = self.tokens[j]
            word = token.word
            if word in HARD_BOUNDARY or ISO_DATE.fullmatch(word):
                break
            if capitals is None and word in ("the", "a") and not words:
                words.append(token.text)
                j += 1
                continue
            if capitals is None:
                if not token.text[:1].isalpha():
                    break
                if word in STOP_WORDS and not token.text[:1].isupper():
                    break
                capitals = token.text[:1].isupper()
            elif capitals:
                upper = token.text[:1].isupper() or token.text[:1].isdigit()
                next_upper = self.is_free_word(j + 1) and self.tokens[j + 1].text[:1].isupper()
                if not upper and not (word in NAME_CONNECTORS and next_upper):
                    break
            elif word in STOP_WORDS:
                break
            words.append(token.text)
            j += 1
            if token.ends_clause or len(words) >= (capital_limit if capitals else lower_limit):
                break
        while words and (
            words[-1].casefold() in NAME_CONNECTORS
            or (len(words) > 1 and self.aliases.canonical(words[-1]) is not None)
        ):
            words.pop()
            j -= 1
        if capitals is None or not words:
            return 0, ""
        return j - i, " ".join(words)

    def rule_source(self, i: int) -> int:
        """``from The English Chronicle`` (outlet) and ``by Jane Doe`` (byline).

        A name that is a topic in the alias table (``news from Ukraine``, ``sanctions by
        the EU``) is left in the topic.
        """
        word = self.word(i)
        if word not in ("from", "via", "by", "bylined"):
            return 0
        byline = word in ("by", "bylined")
        capital_limit, lower_limit = (5, 3) if byline else (6, 4)
        used, name = self.name_run(i + 1, capital_limit=capital_limit, lower_limit=lower_limit)
        bare = re.sub(r"(?i)^(the|a) ", "", name)
        if not used or self.aliases.canonical(bare) is not None:
            return 0
        if byline:
            self.out.byline = _clean_name(name) or self.out.byline
        else:
            self.out.outlet = _clean_name(name) or self.out.outlet
        return 1 + used

    def rule_exclusion(self, i: int) -> int:
        if self.tokens[i].kind == "neg":
            self.exclude(self.tokens[i].clean)
            return 1
        if self.word(i) in ("excluding", "except", "exclude"):
            j = i + 1
            if (
                j < len(self.tokens)
                and not self.used[j]
                and self.tokens[j].kind in ("word", "phrase")
            ):
                self.exclude(self.tokens[j].clean)
                return 2
        return 0

    def exclude(self, term: str) -> None:
        folded = {t.casefold() for t in self.out.excluded}
        if term and term.casefold() not in folded and len(self.out.excluded) < MAX_EXCLUDED:
            self.out.excluded.append(term)

    def rule_intent(self, i: int) -> int:
        word = self.word(i)
        for phrase, intent in INTENT_PHRASES:
            if phrase[0] != word:
                continue
            if all(self.word(i + k) == part for k, part in enumerate(phrase)):
                self.out.intent = self.out.intent or intent
                return len(phrase)
        return 0

    def apply_desks(self) -> None:
        """``from the politics desk``, ``on the world desk``, ``politics desk``."""
        for j in range(len(self.tokens)):
            if self.word(j) not in ("desk", "desks"):
                continue
            names: list[int] = []
            k = j - 1
            while k >= 0 and len(names) < 2 and self.is_free_word(k):
                if self.word(k) in STOP_WORDS:
                    break
                names.insert(0, k)
                k -= 1
            if not names:
                continue
            start = names[0]
            if self.word(start - 1) == "the":
                start -= 1
                if self.word(start - 1) in ("from", "on", "at", "in", "by", "for", "of"):
                    start -= 1
            else:
                names = names[-1:]
                start = names[0]
            self.out.desk = _clean_name(" ".join(self.tokens[n].text for n in names))
            self.consume(start, j - start + 1)

    def apply_fields(self) -> None:
        for i, token in enumerate(self.tokens):
            if token.kind != "field" or self.used[i]:
                continue
            self.used[i] = True
            value = token.text
            dated = token.key in ("since", "until", "on", "from")
            if dated and (self.apply_date_field(token.key, value) or token.key != "from"):
                continue  # from:monday is a date, from:reuters an outlet
            if token.key in ("outlet", "byline", "from"):
                name = value
                capitalised = value[:1].isupper() or value.casefold() in ("the", "a")
                if value and capitalised and not token.quoted and not token.ends_clause:
                    limit = 5 if token.key == "byline" else 6
                    used, name = self.name_run(
                        i + 1, capital_limit=limit, lower_limit=limit, leading=value
                    )
                    self.consume(i + 1, used)
                cleaned = _clean_name(name or value)
                if cleaned and token.key == "byline":
                    self.out.byline = cleaned
                elif cleaned:
                    self.out.outlet = cleaned
            elif token.key == "desk":
                self.out.desk = _clean_name(value) or self.out.desk
            elif token.key == "status":
                self.out.status = STATUS_VALUES.get(value.casefold(), self.out.status)
            elif token.key == "limit" and value.isdecimal() and value.isascii():
                self.set_limit(int(value[:9]))

    def apply_date_field(self, key: str, value: str) -> bool:
        """``since:2025-01-06``, ``until:friday``, ``date:yesterday``; False if not a date."""
        pieces = [piece for chunk in value.split() for piece, _ in _split_chunk(chunk)]
        tokens = [_Token("word", piece, clean_term(piece)) for piece in pieces]
        inner = _Parser(tokens, now=self.now, timezone=self.timezone, aliases=self.aliases)
        found = inner.date_expression(0)
        if found is None:
            return False
        span = found[1]
        if key in ("since", "from"):
            self.add_since(span)
        elif key == "until":
            self.add_window(None, span.end, f"until {span.name}")
        else:
            self.add_interval(span)
        return True

    # topic ----------------------------------------------------------------------------------

    def is_stop(self, token: _Token) -> bool:
        folded = token.clean.casefold()
        if folded not in STOP_WORDS and token.word not in STOP_WORDS:
            return not token.clean
        shouted = len(token.clean) > 1 and token.text.isupper()
        return not (shouted and (folded,) in self.index)

    def alias_match(self, run: list[_Token], j: int) -> tuple[int, str] | None:
        for size in range(min(self.longest_alias, len(run) - j), 0, -1):
            span = run[j : j + size]
            if any(not t.clean for t in span):
                continue
            key = _words_key([t.clean for t in span])
            name = self.index.get(key)
            if name is None and size == 1 and re.search(r"'s?$", key[-1]):
                name = self.index.get((*key[:-1], re.sub(r"'s?$", "", key[-1])))
            if name is None:
                continue
            if size == 1 and self.is_stop(span[0]):
                continue
            return size, name
        return None

    def alias_group(self, span: list[_Token], name: str) -> TermGroup:
        label = " ".join(t.text for t in span)
        alternatives = [" ".join(t.clean for t in span)]
        alternatives += [clean_term(n) for n in self.aliases.expand(name)]
        return TermGroup(label, _unique(alternatives))

    def run_groups(self, run: list[_Token]) -> list[TermGroup | None]:
        """Groups of one run of free words; None marks an ``or`` between two groups."""
        items: list[TermGroup | None] = []
        j = 0
        while j < len(run):
            token = run[j]
            if token.word == "or":
                items.append(None)
                j += 1
                continue
            match = self.alias_match(run, j)
            if match is not None:
                size, name = match
                items.append(self.alias_group(run[j : j + size], name))
                j += size
                continue
            if not self.is_stop(token):
                items.append(TermGroup(token.text, (token.clean,)))
            j += 1
        return items

    def topic_and_groups(self) -> tuple[str, tuple[TermGroup, ...]]:
        segments: list[str] = []
        items: list[TermGroup | None] = []
        run: list[_Token] = []

        def close_run() -> None:
            words = list(run)
            while words and (self.is_stop(words[0]) or words[0].word == "or"):
                words.pop(0)
            while words and (self.is_stop(words[-1]) or words[-1].word == "or"):
                words.pop()
            if words:
                segments.append(" ".join(t.text for t in words))
            items.extend(self.run_groups(run))
            run.clear()

        for i, token in enumerate(self.tokens):
            if self.used[i] or token.kind not in ("word", "phrase"):
                close_run()
                continue
            if token.kind == "phrase":
                close_run()
                segments.append(f'"{token.text}"')
                items.append(TermGroup(token.text, (token.clean,), phrase=True))
                continue
            run.append(token)
        close_run()
        return " ".join(segments), _merge_groups(items)

    # all together ---------------------------------------------------------------------------

    def parse(self) -> None:
        self.apply_fields()
        self.apply_desks()
        rules = (
            self.rule_exclusion,
            self.rule_time,
            self.rule_count,
            self.rule_status,
            self.rule_source,
            self.rule_intent,
        )
        for i in range(len(self.tokens)):
            if self.used[i]:
                continue
            for rule in rules:
                used = rule(i)
                if used:
                    self.consume(i, used)
                    break

    def window(self) -> tuple[datetime | None, datetime | None, str]:
        windows = self.out.windows
        if not windows:
            return None, None, ""
        starts = [w[0] for w in windows if w[0] is not None]
        ends = [w[1] for w in windows if w[1] is not None]
        since = max(starts) if starts else None
        until = min(ends) if ends else None
        if since is not None and until is not None and since > until:
            return windows[-1]
        return since, until, " ".join(w[2] for w in windows)


def _with_bare(span: _Span) -> _Span:
    return replace(span, bare=True)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (following - timedelta(days=1)).day


def _rolling_label(amount: int, unit: str) -> str:
    if amount == 1:
        return f"in the last {unit}"
    return f"in the last {amount} {unit}s"


def _unique(terms: Sequence[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    unique = []
    for term in terms:
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            unique.append(term)
    return tuple(unique)


def _merge_groups(items: Sequence[TermGroup | None]) -> tuple[TermGroup, ...]:
    groups: list[TermGroup] = []
    pending_or = False
    for item in items:
        if item is None:
            pending_or = bool(groups)
            continue
        previous = groups[-1] if groups else None
        if pending_or and previous and not previous.phrase and not item.phrase:
            groups[-1] = TermGroup(
                f"{previous.label} or {item.label}",
                _unique([*previous.alternatives, *item.alternatives]),
            )
        else:
            groups.append(item)
        pending_or = False
    unique: list[TermGroup] = []
    seen: set[tuple[bool, frozenset[str]]] = set()
    for group in groups:
        key = (group.phrase, frozenset(a.casefold() for a in group.alternatives))
        if key not in seen and len(unique) < MAX_GROUPS:
            seen.add(key)
            unique.append(group)
    return tuple(unique)


def _is_help(tokens: Sequence[_Token]) -> bool:
    if not tokens:
        return True
    if any(t.kind != "word" for t in tokens):
        return False
    words = [t.word for t in tokens]
    while words and words[0] in GREETINGS:
        words.pop(0)
    while words and words[-1] in GREETINGS:
        words.pop()
    return " ".join(words) in HELP_PHRASES


def parse_question(
    text: str, *, now: datetime, aliases: AliasTable, timezone: tzinfo = UTC
) -> Question:
    """What an editor asked, as a structured Question; never raises, whatever the text.

    Only the first ``MAX_QUESTION_CHARS`` characters are read. Day, week, month and year
    boundaries are midnights in ``timezone``; returned datetimes are in UTC. Weekdays and
    dates without a year mean the most recent one before today ("since Monday" on a Monday
    is a week ago). Text that matches no pattern is searched for as plain words.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    cleaned = _clean_text(text if isinstance(text, str) else "")
    tokens = _tokenize(cleaned)
    if _is_help(tokens):
        return Question(raw=cleaned, intent=Intent.HELP)
    parser = _Parser(tokens, now=now, timezone=timezone, aliases=aliases)
    parser.parse()
    topic, groups = parser.topic_and_groups()
    since, until, period = parser.window()
    out = parser.out
    return Question(
        raw=cleaned,
        intent=out.intent or out.intent_hint or Intent.LATEST,
        topic=topic,
        groups=groups,
        excluded=tuple(out.excluded),
        outlet=out.outlet,
        byline=out.byline,
        desk=out.desk,
        status=out.status,
        since=since,
        until=until,
        limit=out.limit,
        period=period,
    )


__all__ = ["Intent", "Question", "TermGroup", "clean_term", "is_word_character", "parse_question"]
