"""Dates as people read them in a newsroom: "5 min ago", "yesterday", "3 Jan"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_CLOCK_SKEW = timedelta(minutes=1)
_HOURS_BEFORE_YESTERDAY = timedelta(hours=6)


def describe_relative(when: datetime, *, now: datetime) -> str:
    """How long ago ``when`` was, seen from ``now`` (both timezone-aware).

    "just now" under a minute (and for times up to a minute in the future), "5 min ago"
    under an hour, "3 h ago" on the same calendar day or within six hours, "yesterday",
    the weekday ("Mon") within the last week, and the day beyond that, as ``format_day``
    gives it: "3 Jan" this year, "3 Jan 2024" in another (so never an ambiguous "12 Jan"
    for a story a year old). Calendar days are those of ``now``'s timezone; future
    times beyond a minute are given as a day too.
    """
    _require_aware(when, "when")
    _require_aware(now, "now")
    local = when.astimezone(now.tzinfo)
    age = now - when
    if -_CLOCK_SKEW <= age < _CLOCK_SKEW:
        return "just now"
    if age < timedelta(0):
        return format_day(when, now=now)
    if age < timedelta(hours=1):
        return f"{int(age.total_seconds() // 60)} min ago"
    days_back = (now.date() - local.date()).days
    if days_back == 0 or (days_back == 1 and age < _HOURS_BEFORE_YESTERDAY):
        return f"{int(age.total_seconds() // 3600)} h ago"
    if days_back == 1:
        return "yesterday"
    if days_back < 7:
        return _WEEKDAYS[local.weekday()]
    return format_day(when, now=now)


def format_day(when: datetime, *, now: datetime) -> str:
    """The day of ``when`` in ``now``'s timezone: "6 Jan", or "6 Jan 2024" in another year."""
    _require_aware(when, "when")
    _require_aware(now, "now")
    local = when.astimezone(now.tzinfo)
    day = f"{local.day} {_MONTHS[local.month - 1]}"
    if local.year != now.year:
        return f"{day} {local.year}"
    return day


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")


EARLIEST_PUBLICATION = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=2)


def plausible_publication_time(when: datetime | None, *, now: datetime) -> datetime | None:
    """``when`` if a story could really have been published then, else None.

    Nothing before 1990 (before newsrooms had websites) and nothing more than two days
    ahead: a story dated 9999 would otherwise stay first in every "latest" answer.
    """
    if when is None or not EARLIEST_PUBLICATION <= when <= now + LATEST_AHEAD:
        return None
    return when
