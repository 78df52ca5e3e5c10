"""Workers: threads that claim durable jobs and run them (link ingestion, answers, alerts).

Any number of worker threads and processes may run against one database: claims never
overlap (see ``storage.queue``). A job whose worker dies is taken again when its lease runs
out; runners are idempotent and remember finished steps with ``record_progress``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta

from bot.metrics import record_job
from bot.threads import PollingThreads
from storage.database import SessionFactory
from storage.queue import (
    ClaimedJob,
    claim_jobs,
    complete_job,
    count_jobs_by_state,
    fail_job,
    record_heartbeat,
)

logger = logging.getLogger(__name__)

JobRunner = Callable[[ClaimedJob], None]
HEARTBEAT_EVERY = 10.0


class PermanentFailure(Exception):
    """A job that can never succeed: recorded as failed, not retried."""


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 2 s, 4 s, 8 s … capped at 5 minutes."""
    return timedelta(seconds=min(300, 2**attempts))


class WorkerPool:
    """``threads`` worker threads in this process, each claiming one job at a time."""

    def __init__(
        self,
        session_factory: SessionFactory,
        runners: Mapping[str, JobRunner],
        *,
        threads: int = 2,
        poll_interval: float = 0.25,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 5,
        name: str | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._runners = dict(runners)
        self._threads_wanted = threads
        self._poll_interval = poll_interval
        self._lease = lease
        self._max_attempts = max_attempts
        self._name = name or f"{socket.gethostname()}-{os.getpid()}"
        self._threads = PollingThreads(
            count=threads,
            name=self._name,
            label="worker",
            work=self._work,
            idle_wait=lambda: self._poll_interval,
        )
        self._last_beat: dict[str, float] = {}
        self._busy = 0
        self._busy_lock = threading.Lock()

    def start(self) -> None:
        self._threads.start()

    def wake(self) -> None:
        """Tell idle threads that new work was queued."""
        self._threads.wake()

    def stop(self, timeout: float = 10.0) -> None:
        self._threads.stop(timeout)

    def run_once(self, worker_id: str) -> bool:
        """Claim and run one job; False when there was nothing to do."""
        with self._session_factory.begin() as session:
            jobs = claim_jobs(
                session=session,
                worker_id=worker_id,
                kinds=tuple(self._runners),
                lease=self._lease,
            )
        if not jobs:
            return False
        self._run(jobs[0], worker_id)
        return True

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Block until no job is pending or running (for tests and the console)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._session_factory() as session:
                counts = count_jobs_by_state(session=session)
            with self._busy_lock:
                busy = self._busy
            if not counts.get("pending") and not counts.get("running") and not busy:
                return True
            time.sleep(0.02)
        return False

    def _run(self, job: ClaimedJob, worker_id: str) -> None:
        runner = self._runners[job.kind]
        with self._busy_lock:
            self._busy += 1
        started = time.monotonic()
        outcome = "done"
        fields = {"job_id": job.id, "kind": job.kind}
        try:
            runner(job)
        except PermanentFailure as error:
            outcome = "failed"
            logger.warning("job %s (%s) failed: %s", job.id, job.kind, error, extra=fields)
            with self._session_factory.begin() as session:
                fail_job(job.id, str(error), session=session, worker_id=worker_id, retry_in=None)
        except Exception as error:
            outcome = "retry"
            logger.exception(
                "job %s (%s) attempt %s failed", job.id, job.kind, job.attempts, extra=fields
            )
            reason = f"{type(error).__name__}: {error}"
            with self._session_factory.begin() as session:
                outcome = fail_job(
                    job.id,
                    reason,
                    session=session,
                    worker_id=worker_id,
                    retry_in=retry_delay(job.attempts),
                    max_attempts=self._max_attempts,
                )
        else:
            with self._session_factory.begin() as session:
                complete_job(job.id, session=session, worker_id=worker_id)
        finally:
            record_job(
                job.kind, "retry" if outcome == "pending" else outcome, time.monotonic() - started
            )
            with self._busy_lock:
                self._busy -= 1

    def _work(self, worker_id: str) -> bool:
        """One round of a thread: a heartbeat when one is due, then one job if any."""
        if time.monotonic() - self._last_beat.get(worker_id, 0.0) > HEARTBEAT_EVERY:
            with self._session_factory.begin() as session:
                record_heartbeat(worker_id, session=session)
            self._last_beat[worker_id] = time.monotonic()
        return self.run_once(worker_id)
