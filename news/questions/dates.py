"""The grammar of dates and time windows: ``since Monday``, ``last week``, ``in March 2024``.

Day, week, month and year boundaries are midnights in the asker's time zone. Weekdays and
dates without a year mean the most recent one before today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from news.questions.model import EARLIEST, _Builder
from news.questions.tokens import _Cursor, _Token
from news.questions.vocabulary import NUMBER_WORDS, _word_list

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


class _DateGrammar(_Cursor):
    """Rules that read dates and time windows from the tokens into ``out.windows``."""

    def __init__(self, tokens: list[_Token], *, now: datetime, timezone: tzinfo) -> None:
        self.tokens = tokens
        self.used = [False] * len(tokens)
        self.now = now
        self.timezone = timezone
        self.local_now = now.astimezone(timezone)
        self.today = self.local_now.date()
        self.out = _Builder()

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
