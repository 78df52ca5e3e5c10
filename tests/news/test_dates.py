from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from news.dates import describe_relative, format_day

NOW = datetime(2025, 1, 10, 15, 30, tzinfo=UTC)  # a Friday
KYIV = timezone(timedelta(hours=2))
NEW_YORK = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=-30), "just now"),
        (timedelta(minutes=1), "1 min ago"),
        (timedelta(minutes=5, seconds=40), "5 min ago"),
        (timedelta(minutes=59, seconds=59), "59 min ago"),
        (timedelta(hours=1), "1 h ago"),
        (timedelta(hours=3, minutes=59), "3 h ago"),
        (timedelta(hours=15, minutes=30), "15 h ago"),
        (timedelta(hours=15, minutes=31), "yesterday"),
        (timedelta(hours=39), "yesterday"),
        (timedelta(days=2), "Wed"),
        (timedelta(days=4), "Mon"),
        (timedelta(days=6), "Sat"),
        (timedelta(days=7), "3 Jan"),
        (timedelta(days=9), "1 Jan"),
        (timedelta(days=40), "1 Dec 2024"),
        (timedelta(days=364), "12 Jan 2024"),
        (timedelta(days=800), "2 Nov 2022"),
    ],
)
def test_describe_relative(age: timedelta, expected: str) -> None:
    assert describe_relative(NOW - age, now=NOW) == expected


def test_describe_relative_calls_a_late_evening_story_hours_old_just_after_midnight() -> None:
    now = datetime(2025, 1, 10, 1, 0, tzinfo=UTC)
    assert describe_relative(datetime(2025, 1, 9, 22, 0, tzinfo=UTC), now=now) == "3 h ago"
    assert describe_relative(datetime(2025, 1, 9, 18, 0, tzinfo=UTC), now=now) == "yesterday"


def test_describe_relative_counts_calendar_days_in_the_timezone_of_now() -> None:
    when = datetime(2025, 1, 9, 23, 0, tzinfo=UTC)  # 10 Jan 01:00 in Kyiv
    assert describe_relative(when, now=datetime(2025, 1, 10, 23, 30, tzinfo=KYIV)) == "22 h ago"
    assert describe_relative(when, now=datetime(2025, 1, 11, 9, 0, tzinfo=KYIV)) == "yesterday"
    # 9 Jan 18:00 in New York, two calendar days before 11 Jan there
    now_new_york = datetime(2025, 1, 11, 9, 0, tzinfo=NEW_YORK)
    assert describe_relative(when, now=now_new_york) == "Thu"


def test_describe_relative_gives_a_day_for_times_in_the_future() -> None:
    assert describe_relative(NOW + timedelta(minutes=5), now=NOW) == "10 Jan"
    assert describe_relative(NOW + timedelta(days=400), now=NOW) == "14 Feb 2026"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2025, 1, 6, 8, 0, tzinfo=UTC), "6 Jan"),
        (datetime(2025, 12, 31, 8, 0, tzinfo=UTC), "31 Dec"),
        (datetime(2024, 12, 31, 8, 0, tzinfo=UTC), "31 Dec 2024"),
        (datetime(2026, 1, 1, 8, 0, tzinfo=UTC), "1 Jan 2026"),
    ],
)
def test_format_day(when: datetime, expected: str) -> None:
    assert format_day(when, now=NOW) == expected


def test_format_day_uses_the_timezone_of_now() -> None:
    when = datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
    assert format_day(when, now=datetime(2025, 1, 1, 9, 0, tzinfo=KYIV)) == "1 Jan"
    assert format_day(when, now=datetime(2025, 1, 1, 9, 0, tzinfo=UTC)) == "31 Dec 2024"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        describe_relative(datetime(2025, 1, 1), now=NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        format_day(NOW, now=datetime(2025, 1, 1))


def test_plausible_publication_time_drops_absurd_dates() -> None:
    from datetime import UTC, datetime

    from news.dates import plausible_publication_time

    now = datetime(2025, 1, 8, tzinfo=UTC)
    fine = datetime(2025, 1, 6, tzinfo=UTC)
    assert plausible_publication_time(fine, now=now) == fine
    assert plausible_publication_time(datetime(9999, 12, 31, tzinfo=UTC), now=now) is None
    assert plausible_publication_time(datetime(1, 1, 1, tzinfo=UTC), now=now) is None
    assert plausible_publication_time(datetime(2025, 1, 11, tzinfo=UTC), now=now) is None
    assert plausible_publication_time(None, now=now) is None
