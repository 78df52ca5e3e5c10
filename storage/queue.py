"""Jobs: durable work recorded inside the request, claimed and run by workers.

Jobs are one table of the work engine (``storage.work``): claimed under a lease, completed,
or failed with backoff until dead. If a worker dies, the lease runs out and another worker
takes the job again; runners must therefore be idempotent, and ``record_progress`` lets
them remember finished steps across attempts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage import work
from storage.database import insert_ignoring_conflicts
from storage.models import Job, ProcessedEvent, WorkerHeartbeat, utc_now
from storage.states import JobState

DEFAULT_LEASE = timedelta(minutes=2)
DEFAULT_MAX_ATTEMPTS = 5
RETRY_FIRST = timedelta(seconds=2)
RETRY_LIMIT = timedelta(minutes=5)
JOBS = work.WorkTable(
    model=Job,
    due=Job.run_after,
    states=JobState,
    pending=JobState.PENDING,
    claimed=JobState.RUNNING,
    done=JobState.DONE,
    dead=JobState.DEAD,
    failed=JobState.FAILED,
    finished_at=Job.finished_at,
)


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    progress: dict[str, Any]
    worker_id: str


class PermanentFailure(Exception):
    """A job that can never succeed: recorded as failed, not retried."""


class MalformedPayload(PermanentFailure):
    """A job whose payload does not fit its kind's type: it can never run, so it fails at
    once, with one line naming the fields that do not fit."""


def without_lone_surrogates(value: Any) -> Any:
    """``value`` with each unpaired UTF-16 surrogate in its strings replaced by U+FFFD.

    Slack's JSON can carry one ("\\ud800"); Python keeps it in a ``str``, but it is not
    text: no UTF-8 encoder (the database's, pydantic's JSON reader) accepts it.
    """
    if isinstance(value, str):
        if value.isascii():
            return value
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {key: without_lone_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    return value


JobRunner = Callable[[ClaimedJob], None]
Payload = TypeVar("Payload")


@dataclass(frozen=True)
class JobKind(Generic[Payload]):
    """A kind of job and the type of its payload (a dataclass), stored as JSON.

    ``enqueue`` records a job of this kind; a runner reads its payload back with ``read``,
    which checks the stored JSON strictly (no coercion: ``"no"`` is not a bool, ``"3"`` not
    a number). A payload that does not fit the type (a row written by other code) raises
    ``MalformedPayload``: the job fails at once with the fields named, never runs on a guess.
    Fields with defaults keep rows written before they were added readable.
    """

    name: str
    payload: type[Payload]

    @cached_property
    def _adapter(self) -> TypeAdapter[Payload]:
        return TypeAdapter(self.payload)

    def to_json(self, payload: Payload) -> dict[str, Any]:
        data: dict[str, Any] = without_lone_surrogates(
            self._adapter.dump_python(payload, mode="json")
        )
        return data

    def read(self, job: ClaimedJob) -> Payload:
        try:
            text = json.dumps(without_lone_surrogates(job.payload))
            return self._adapter.validate_json(text, strict=True)
        except ValidationError as error:
            raise MalformedPayload(
                f"job {job.id} ({self.name}): the payload does not fit "
                f"{self.payload.__name__}: {describe_validation_error(error)}"
            ) from None

    def enqueue(
        self,
        payload: Payload,
        *,
        session: Session,
        dedupe_key: str | None = None,
        run_after: datetime | None = None,
    ) -> bool:
        """Record a job of this kind; False when one with the same ``dedupe_key`` exists."""
        return enqueue_job(
            self.name,
            self.to_json(payload),
            session=session,
            dedupe_key=dedupe_key[:500] if dedupe_key is not None else None,
            run_after=run_after,
        )


def describe_validation_error(error: ValidationError, *, shown: int = 3) -> str:
    """The fields that did not fit and why, on one line (no input values: a payload may
    hold what people wrote)."""
    problems = error.errors(include_url=False, include_input=False)
    parts = [
        f"{'.'.join(str(part) for part in problem['loc']) or 'payload'}: {problem['msg']}"
        for problem in problems[:shown]
    ]
    if len(problems) > shown:
        parts.append(f"and {len(problems) - shown} more")
    return " ".join("; ".join(parts).split())


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
            "state": JobState.PENDING,
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
    where = [] if kinds is None else [Job.kind.in_(kinds)]
    rows = work.claim(
        JOBS, session=session, worker_id=worker_id, now=now, hold=lease, limit=limit, where=where
    )
    return [
        ClaimedJob(
            id=job.id,
            kind=job.kind,
            payload=dict(job.payload),
            attempts=job.attempts,
            progress=dict(job.result or {}),
            worker_id=worker_id,
        )
        for job in rows
    ]


def record_progress(
    job_id: int, progress: dict[str, Any], *, session: Session, worker_id: str
) -> None:
    """Remember finished steps of a job, so a retry after a crash skips them."""
    job = session.get(Job, job_id)
    if job is not None and job.locked_by == worker_id:
        job.result = {**(job.result or {}), **progress}


def complete_job(job_id: int, *, session: Session, worker_id: str) -> bool:
    """Mark a job done; False if the worker lost its lease and someone else has it now."""
    return work.complete_held(JOBS, job_id, session=session, worker_id=worker_id, now=utc_now())


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
    return work.fail(
        JOBS,
        job_id,
        error,
        session=session,
        worker_id=worker_id,
        retry_in=retry_in,
        max_attempts=max_attempts,
    )


def retry_delay(attempts: int) -> timedelta:
    """A job's backoff after its ``attempts``-th failure: 2 s, 4 s, 8 s … at most 5 minutes."""
    return work.backoff(attempts, first=RETRY_FIRST, limit=RETRY_LIMIT)


def retry_dead_jobs(*, session: Session, kind: str | None = None) -> int:
    """Put dead jobs back in the queue (after the cause was fixed)."""
    where = [] if kind is None else [Job.kind == kind]
    return work.retry_dead(JOBS, session=session, where=where)


def count_jobs_by_state(*, session: Session) -> dict[str, int]:
    return work.count_by_state(JOBS, session=session)


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
