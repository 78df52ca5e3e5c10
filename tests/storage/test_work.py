"""The work engine's pieces that every kind of work shares (``storage.work``)."""

from __future__ import annotations

from datetime import timedelta

from bot.alerts import retry_delay as delivery_retry_delay
from storage.feeds import MAX_BACKOFF, backoff_delay
from storage.queue import retry_delay as job_retry_delay
from storage.work import backoff


def test_backoff_doubles_up_to_the_cap() -> None:
    first, limit = timedelta(seconds=1), timedelta(seconds=10)
    assert [backoff(n, first=first, limit=limit).total_seconds() for n in range(1, 7)] == [
        1,
        2,
        4,
        8,
        10,
        10,
    ]


def test_delivery_backoff_doubles_up_to_the_cap() -> None:
    assert [delivery_retry_delay(n, limit=10).total_seconds() for n in range(1, 7)] == [
        1,
        2,
        4,
        8,
        10,
        10,
    ]


def test_job_backoff_is_two_to_the_attempts_capped_at_five_minutes() -> None:
    assert [job_retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 9, 20)] == [
        2,
        4,
        8,
        256,
        300,
        300,
    ]


def test_feed_backoff_never_below_the_interval_nor_above_the_cap() -> None:
    assert backoff_delay(900, 1) == timedelta(seconds=900)
    assert backoff_delay(900, 3) == timedelta(seconds=3600)
    assert backoff_delay(900, 60) == MAX_BACKOFF
