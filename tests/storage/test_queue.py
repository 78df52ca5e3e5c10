"""The durable queue on both engines: dedupe, claims, leases, retries, concurrent workers."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.database import SessionFactory
from storage.models import utc_now
from storage.queue import (
    claim_jobs,
    complete_job,
    count_jobs_by_state,
    enqueue_job,
    fail_job,
    recent_job_errors,
    record_progress,
    remember_event,
    retry_dead_jobs,
    without_lone_surrogates,
)


def test_enqueue_dedupes_on_key(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        assert enqueue_job("ingest_link", {"url": "a"}, session=session, dedupe_key="C1:1.0:a")
        assert not enqueue_job("ingest_link", {"url": "a"}, session=session, dedupe_key="C1:1.0:a")
        assert enqueue_job("ingest_link", {"url": "b"}, session=session, dedupe_key="C1:1.0:b")
    with session_factory() as session:
        assert count_jobs_by_state(session=session) == {"pending": 2}


def test_remember_event_only_once(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        assert remember_event("Ev1", session=session)
    with session_factory.begin() as session:
        assert not remember_event("Ev1", session=session)
        assert remember_event("Ev2", session=session)


def test_claim_complete_cycle(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        enqueue_job("ingest_link", {"url": "a"}, session=session)
    with session_factory.begin() as session:
        [job] = claim_jobs(session=session, worker_id="w1")
        assert job.payload == {"url": "a"}
        assert job.attempts == 1
    with session_factory.begin() as session:
        assert claim_jobs(session=session, worker_id="w2") == []
        record_progress(job.id, {"article_id": 7}, session=session, worker_id="w1")
        assert complete_job(job.id, session=session, worker_id="w1")
    with session_factory() as session:
        assert count_jobs_by_state(session=session) == {"done": 1}


def test_expired_lease_is_claimed_again_with_progress(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        enqueue_job("ingest_link", {"url": "a"}, session=session)
    with session_factory.begin() as session:
        [job] = claim_jobs(session=session, worker_id="dead-worker", lease=timedelta(seconds=-1))
        record_progress(job.id, {"step": "ingested"}, session=session, worker_id="dead-worker")
    with session_factory.begin() as session:
        [again] = claim_jobs(session=session, worker_id="w2")
    assert again.id == job.id
    assert again.attempts == 2
    assert again.progress == {"step": "ingested"}
    with session_factory.begin() as session:
        # The dead worker lost its lease: its late completion is refused.
        assert not complete_job(job.id, session=session, worker_id="dead-worker")
        assert complete_job(job.id, session=session, worker_id="w2")


def test_late_completion_waits_for_a_claim_in_flight_and_is_refused(
    session_factory: SessionFactory,
) -> None:
    """A worker whose lease ran out completes while another worker's claim of the job is
    not committed yet: the completion waits for it, then finds the job is no longer its."""
    with session_factory.begin() as session:
        enqueue_job("ingest_link", {"url": "a"}, session=session)
    with session_factory.begin() as session:
        [job] = claim_jobs(session=session, worker_id="slow", lease=timedelta(seconds=-1))
    claiming = session_factory()
    claiming.begin()
    [again] = claim_jobs(session=claiming, worker_id="next")
    assert again.id == job.id
    outcome: list[bool] = []

    def complete_late() -> None:
        with session_factory.begin() as session:
            outcome.append(complete_job(job.id, session=session, worker_id="slow"))

    late = threading.Thread(target=complete_late)
    late.start()
    late.join(timeout=0.5)
    assert outcome == []  # waiting for the claim's transaction
    claiming.commit()
    claiming.close()
    late.join(timeout=30)
    assert outcome == [False]
    with session_factory() as session:
        assert count_jobs_by_state(session=session) == {"running": 1}
    with session_factory.begin() as session:
        assert complete_job(job.id, session=session, worker_id="next")
    with session_factory() as session:
        assert count_jobs_by_state(session=session) == {"done": 1}


def test_completing_a_job_is_one_statement(engine: Engine, session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        enqueue_job("ingest_link", {"url": "a"}, session=session)
    with session_factory.begin() as session:
        [job] = claim_jobs(session=session, worker_id="w")
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with session_factory.begin() as session:
            assert complete_job(job.id, session=session, worker_id="w")
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    # Besides SQLite's BEGIN IMMEDIATE: the job is not read before it is updated.
    kinds = [s.split()[0] for s in statements if not s.startswith("BEGIN")]
    assert kinds == ["UPDATE"], statements


def test_failures_retry_then_die_and_can_be_retried(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        enqueue_job("deliver", {}, session=session)
    for attempt in range(1, 4):
        with session_factory.begin() as session:
            [job] = claim_jobs(session=session, worker_id="w", now=utc_now() + timedelta(hours=1))
            assert job.attempts == attempt
            state = fail_job(
                job.id,
                f"boom {attempt}",
                session=session,
                worker_id="w",
                retry_in=timedelta(seconds=1),
                max_attempts=3,
            )
        assert state == ("dead" if attempt == 3 else "pending")
    with session_factory.begin() as session:
        assert recent_job_errors(session=session)[0][1] == "boom 3"
        assert retry_dead_jobs(session=session) == 1
        assert count_jobs_by_state(session=session) == {"pending": 1}


def test_permanent_failure_is_not_retried(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        enqueue_job("ingest_link", {}, session=session)
    with session_factory.begin() as session:
        [job] = claim_jobs(session=session, worker_id="w")
        state = fail_job(job.id, "blocked", session=session, worker_id="w", retry_in=None)
    assert state == "failed"


def test_concurrent_workers_never_share_a_job(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        for number in range(60):
            enqueue_job("ingest_link", {"n": number}, session=session)
    taken: list[int] = []
    lock = threading.Lock()

    def work(worker_id: str) -> None:
        while True:
            with session_factory.begin() as session:
                jobs = claim_jobs(session=session, worker_id=worker_id, limit=3)
                for job in jobs:
                    complete_job(job.id, session=session, worker_id=worker_id)
            if not jobs:
                return
            with lock:
                taken.extend(job.payload["n"] for job in jobs)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == list(range(60))


def test_payload_strings_with_a_lone_surrogate_are_stored_and_read_as_text() -> None:
    assert without_lone_surrogates({"q": ["latest \ud800 on", 3], "n": None}) == {
        "q": ["latest \ufffd on", 3],
        "n": None,
    }
    assert without_lone_surrogates("Киев 😀") == "Киев 😀"
