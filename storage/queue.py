"""The durable work queue: jobs recorded inside the request, claimed and run by workers.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers on any
number of machines never take the same job; on SQLite, ``BEGIN IMMEDIATE`` (see
``storage.database``) serialises claims. A claimed job carries a lease: if its worker dies,
the lease runs out and another worker takes the job again. Handlers must therefore be
idempotent; ``record_progress`` lets them remember finished steps across attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.database import insert_ignoring_conflicts
from storage.models import Job, ProcessedEvent, WorkerHeartbeat, utc_now

DEFAULT_LEASE = timedelta(minutes=2)
DEFAULT_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    progress: dict[str, Any]
    worker_id: str


def enqueue_job(
    kind: str,
    payload: dict[str, Any],
    *,
    session: Session,
    dedupe_key: str | None = None,
    run_after: datetime | None = None,
) -> bool:
    """Record work to do; False when a job with the same ``dedupe_key`` already exists."""
    now = utc_now()
    return insert_ignoring_conflicts(
        session,
        Job,
        {
            "kind": kind,
            "payload": payload,
            "dedupe_key": dedupe_key,
            "state": "pending",
            "attempts": 0,
            "run_after": run_after or now,
            "created_at": now,
        },
    )


def remember_event(event_id: str, *, session: Session) -> bool:
    """Record a delivered event id; False when it was seen before (a retry or duplicate)."""
    return insert_ignoring_conflicts(
        session, ProcessedEvent, {"event_id": event_id, "received_at": utc_now()}
    )


def forget_events_before(cutoff: datetime, *, session: Session) -> int:
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]


def claim_jobs(
    *,
    session: Session,
    worker_id: str,
    kinds: tuple[str, ...] | None = None,
    limit: int = 1,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
) -> list[ClaimedJob]:
    """Take up to ``limit`` runnable jobs: due pending ones, or running ones whose lease ran out."""
    now = now or utc_now()
    runnable = or_(
        and_(Job.state == "pending", Job.run_after <= now),
        and_(Job.state == "running", Job.locked_until < now),
    )
    statement = select(Job).where(runnable).order_by(Job.run_after, Job.id).limit(limit)
    if kinds is not None:
        statement = statement.where(Job.kind.in_(kinds))
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    claimed = []
    for job in session.scalars(statement):
        job.state = "running"
        job.locked_by = worker_id
        job.locked_until = now + lease
        job.attempts += 1
        claimed.append(
            ClaimedJob(
                id=job.id,
                kind=job.kind,
                payload=dict(job.payload),
                attempts=job.attempts,
                progress=dict(job.result or {}),
                worker_id=worker_id,
            )
        )
    session.flush()
    return claimed


def _owned(job_id: int, worker_id: str) -> Any:
    return and_(Job.id == job_id, Job.locked_by == worker_id, Job.state == "running")


def record_progress(
    job_id: int, progress: dict[str, Any], *, session: Session, worker_id: str
) -> None:
    """Remember finished steps of a job, so a retry after a crash skips them."""
    job = session.get(Job, job_id)
    if job is not None and job.locked_by == worker_id:
        job.result = {**(job.result or {}), **progress}


def complete_job(job_id: int, *, session: Session, worker_id: str) -> bool:
    """Mark a job done; False if the worker lost its lease and someone else has it now."""
    result = session.execute(
        update(Job)
        .where(_owned(job_id, worker_id))
        .values(state="done", finished_at=utc_now(), locked_until=None, last_error=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fail_job(
    job_id: int,
    error: str,
    *,
    session: Session,
    worker_id: str,
    retry_in: timedelta | None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> str:
    """Record a failure: retried after ``retry_in``, or failed/dead. Returns the new state."""
    job = session.get(Job, job_id)
    if job is None or job.locked_by != worker_id or job.state != "running":
        return "lost"
    job.last_error = error[:2000]
    job.locked_until = None
    if retry_in is not None and job.attempts < max_attempts:
        job.state = "pending"
        job.run_after = utc_now() + retry_in
    else:
        job.state = "dead" if retry_in is not None else "failed"
        job.finished_at = utc_now()
    return job.state


def retry_dead_jobs(*, session: Session, kind: str | None = None) -> int:
    """Put dead jobs back in the queue (after the cause was fixed)."""
    statement = update(Job).where(Job.state == "dead")
    if kind is not None:
        statement = statement.where(Job.kind == kind)
    result = session.execute(
        statement.values(state="pending", attempts=0, run_after=utc_now(), finished_at=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def count_jobs_by_state(*, session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state))
    return {state: int(count) for state, count in rows}


def recent_job_errors(*, session: Session, limit: int = 5) -> list[tuple[str, str, datetime]]:
    """The latest failures: (kind, error, when)."""
    statement = (
        select(Job.kind, Job.last_error, func.coalesce(Job.finished_at, Job.run_after))
        .where(Job.last_error.is_not(None))
        .order_by(func.coalesce(Job.finished_at, Job.run_after).desc())
        .limit(limit)
    )
    return [(kind, error or "", when) for kind, error, when in session.execute(statement)]


def record_heartbeat(worker_id: str, *, session: Session) -> None:
    now = utc_now()
    heartbeat = session.get(WorkerHeartbeat, worker_id)
    if heartbeat is None:
        session.add(WorkerHeartbeat(worker_id=worker_id, beat_at=now, started_at=now))
    else:
        heartbeat.beat_at = now


def latest_heartbeat(*, session: Session) -> datetime | None:
    return session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
