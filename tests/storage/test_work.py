"""The work engine's pieces that every kind of work shares (``storage.work``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from handlers.alerts import retry_delay as delivery_retry_delay
from storage.database import SessionFactory
from storage.feeds import MAX_BACKOFF, backoff_delay
from storage.publishing import DeliveryPayload, FollowUp, add_thread_lines, start_followup
from storage.queue import JobKind, MalformedPayload, PermanentFailure, claim_jobs, enqueue_job
from storage.queue import retry_delay as job_retry_delay
from storage.states import DeliveryKind, DeliveryState
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


def test_a_thread_row_in_flight_keeps_new_lines_for_its_next_round() -> None:
    sending = DeliveryPayload(lines=("Story updated: body",))
    change = add_thread_lines(
        sending,
        ["Story updated: body", "Correction appended: date"],
        state=DeliveryState.SENDING,
        kind=DeliveryKind.UPDATE,
        restore_alert=False,
    )
    assert change is not None
    assert not change.new_round
    assert change.payload.lines == ("Story updated: body",)
    assert change.payload.followup == FollowUp(("Correction appended: date",))
    after = start_followup(change.payload)
    assert after is not None
    assert after.lines == ("Correction appended: date",)
    assert after.announced == ("Story updated: body",)
    assert (after.round, after.followup) == (1, None)
    assert start_followup(after) is None


def test_a_sent_thread_row_says_only_what_is_new_and_nothing_twice() -> None:
    sent = DeliveryPayload(lines=("Story updated: body",), round=0)
    again = add_thread_lines(
        sent,
        ["Story updated: body"],
        state=DeliveryState.SENT,
        kind=DeliveryKind.UPDATE,
        restore_alert=False,
    )
    assert again is None
    change = add_thread_lines(
        sent,
        ["Story updated: body", "Headline changed: a → b"],
        state=DeliveryState.SENT,
        kind=DeliveryKind.UPDATE,
        restore_alert=False,
    )
    assert change is not None
    assert change.new_round
    assert change.payload.lines == ("Headline changed: a → b",)
    assert change.payload.announced == ("Story updated: body",)
    assert change.payload.round == 1


def test_a_dead_thread_row_keeps_its_unsent_lines() -> None:
    dead = DeliveryPayload(lines=("Story updated: body",))
    change = add_thread_lines(
        dead,
        ["Correction appended: x"],
        state=DeliveryState.DEAD,
        kind=DeliveryKind.UPDATE,
        restore_alert=False,
    )
    assert change is not None
    assert change.payload.lines == ("Story updated: body", "Correction appended: x")
    assert change.payload.announced == ()


def test_delivery_payloads_read_rows_written_as_plain_json() -> None:
    stored = {
        "lines": ["a"],
        "announced": ["b"],
        "round": 2,
        "followup": {"lines": ["c"], "restore_alert": True, "pending": True},
    }
    payload = DeliveryPayload.from_json(stored)
    assert payload == DeliveryPayload(
        lines=("a",), announced=("b",), round=2, followup=FollowUp(("c",), True)
    )
    assert DeliveryPayload.from_json(payload.to_json()) == payload
    assert DeliveryPayload.from_json({"reasons": ["Topic: Port"]}).reasons == ("Topic: Port",)


@dataclass(frozen=True)
class Where:
    channel_id: str
    message_ts: str


@dataclass(frozen=True)
class SharedLink:
    url: str
    message: Where


INGEST_LINK = "ingest_link"
INGEST_LINK_JOB = JobKind(INGEST_LINK, SharedLink)


def test_job_payloads_are_typed_both_ways(session_factory: SessionFactory) -> None:
    message = Where("C1", "1.000001")
    with session_factory.begin() as session:
        assert INGEST_LINK_JOB.enqueue(
            SharedLink("https://news.example/a", message), session=session, dedupe_key="k"
        )
        assert not INGEST_LINK_JOB.enqueue(
            SharedLink("https://news.example/a", message), session=session, dedupe_key="k"
        )
        enqueue_job(INGEST_LINK, {"url": 3}, session=session)
    with session_factory.begin() as session:
        first, broken = claim_jobs(session=session, worker_id="w", limit=2)
    assert INGEST_LINK_JOB.read(first) == SharedLink("https://news.example/a", message)
    with pytest.raises(MalformedPayload) as raised:
        INGEST_LINK_JOB.read(broken)
    reason = str(raised.value)
    assert reason.startswith(f"job {broken.id} (ingest_link): the payload does not fit SharedLink:")
    assert "url: Input should be a valid string" in reason
    assert "message: Field required" in reason
    assert "\n" not in reason
    assert isinstance(raised.value, PermanentFailure)  # failed at once, never retried


@dataclass(frozen=True)
class Briefed:
    channel_id: str
    end: datetime
    morning: bool
    topics: tuple[str, ...] = ()  # added later: rows without it stay readable


BRIEFED_JOB = JobKind("briefed", Briefed)


def test_job_payloads_are_read_strictly_and_older_rows_stay_readable(
    session_factory: SessionFactory,
) -> None:
    end = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    typed = Briefed("C1", end, morning=True, topics=("grain", "rail"))
    with session_factory.begin() as session:
        BRIEFED_JOB.enqueue(typed, session=session)
        enqueue_job(
            "briefed",
            {"channel_id": "C1", "end": end.isoformat(), "morning": False},
            session=session,
        )
        enqueue_job(
            "briefed",
            {"channel_id": "C1", "end": end.isoformat(), "morning": "no"},
            session=session,
        )
        enqueue_job(
            "briefed", {"channel_id": 7, "end": end.isoformat(), "morning": True}, session=session
        )
    with session_factory.begin() as session:
        written, older, word, number = claim_jobs(session=session, worker_id="w", limit=4)
    assert BRIEFED_JOB.read(written) == typed
    assert BRIEFED_JOB.read(older) == Briefed("C1", end, morning=False)
    with pytest.raises(MalformedPayload, match="morning: Input should be a valid boolean"):
        BRIEFED_JOB.read(word)
    with pytest.raises(MalformedPayload, match="channel_id: Input should be a valid string"):
        BRIEFED_JOB.read(number)
