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
        self._stopping = threading.Event()
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Lock()

    def start(self) -> None:
        for number in range(self._threads_wanted):
            worker_id = f"{self._name}-{number}"
            thread = threading.Thread(
                target=self._loop, args=(worker_id,), name=f"worker-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """Tell idle threads that new work was queued."""
        with self._wake:
            self._wake.notify_all()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

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

    def _loop(self, worker_id: str) -> None:
        last_beat = 0.0
        while not self._stopping.is_set():
            try:
                if time.monotonic() - last_beat > HEARTBEAT_EVERY:
                    with self._session_factory.begin() as session:
                        record_heartbeat(worker_id, session=session)
                    last_beat = time.monotonic()
                if self.run_once(worker_id):
                    continue
            except Exception:
                logger.exception("worker %s: could not reach the job queue", worker_id)
            with self._wake:
                self._wake.wait(self._poll_interval)
