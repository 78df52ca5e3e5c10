"""The one worker loop: threads that claim durable work and run it, for every kind of work.

A ``Worker`` runs a list of ``WorkSource``s, each on its own threads. A source claims one
round of its work (``run_once``: jobs, alert deliveries, feed polls) through the work engine
in ``storage.work``; when it had nothing to do, its thread sleeps until work is queued in
this process (the services' ``WorkBell`` rings) or the source's ``idle_wait()`` passes.
An exception is logged and the thread carries on: the database may come back.

Any number of worker threads and processes may run against one database: claims never
overlap. Work whose worker dies is taken again when its lease runs out; runners are
idempotent and remember finished steps with ``record_progress``.

Jobs are the general kind: ``JobSource`` runs each claimed job with the runner registered
for its kind. Adding a kind of job is one runner and one entry in the runner mapping
``bot.runtime.start_workers`` builds (see docs/architecture.md).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta

from bot.metrics import record_job
from storage.database import SessionFactory
from storage.queue import (
    ClaimedJob,
    JobRunner,
    PermanentFailure,
    claim_jobs,
    complete_job,
    count_jobs_by_state,
    fail_job,
    record_heartbeat,
    retry_delay,
)
from storage.services import WorkBell
from storage.states import JobState

logger = logging.getLogger(__name__)

HEARTBEAT_EVERY = 10.0


def process_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def wait_for_shutdown() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


class WorkSource:
    """One kind of work, as the worker loop runs it.

    ``label`` names the threads (``label-N``), ``name`` the worker ids (``name-N``) that
    claims are recorded under, ``threads`` how many threads run it.
    """

    label = "worker"
    name = "worker"
    threads = 1
    poll_interval = 0.25

    def run_once(self, worker_id: str) -> bool:
        """Claim and run one round of work; False when there was nothing to do."""
        raise NotImplementedError

    def idle_wait(self) -> float:
        """Seconds to sleep after a round with nothing to do (a wake-up cuts it short)."""
        return self.poll_interval

    def is_idle(self) -> bool:
        """Nothing of this kind waiting or running (for tests and the console)."""
        return True

    def stopped(self) -> None:
        """Called once the source's threads have finished."""

    # -- a source on its own, on threads of its own ----------------------------------------

    _own: Worker | None = None

    def start(self) -> None:
        self._own = Worker([self])
        self._own.start()

    def wake(self) -> None:
        if self._own is not None:
            self._own.wake()

    def stop(self, timeout: float = 10.0) -> None:
        if self._own is not None:
            self._own.stop(timeout)
            self._own = None
        else:
            self.stopped()

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        return Worker([self]).wait_until_idle(timeout)


class Worker:
    """The threads of one process that run every registered kind of work."""

    def __init__(self, sources: Sequence[WorkSource], *, bell: WorkBell | None = None) -> None:
        self.sources = tuple(sources)
        self._bell = bell or WorkBell()
        self._stopping = threading.Event()
        self._threads: list[tuple[WorkSource, threading.Thread]] = []

    def source(self, kind: type[WorkSource]) -> WorkSource | None:
        """The running source of this class, if any."""
        return next((s for s in self.sources if isinstance(s, kind)), None)

    def start(self) -> None:
        self._stopping.clear()
        for source in self.sources:
            for number in range(source.threads):
                thread = threading.Thread(
                    target=self._loop,
                    args=(source, f"{source.name}-{number}"),
                    name=f"{source.label}-{number}",
                    daemon=True,
                )
                thread.start()
                self._threads.append((source, thread))

    def wake(self) -> None:
        """Tell idle threads that work was queued."""
        self._bell.ring()

    def stop(self, timeout: float = 10.0) -> None:
        """Let each thread finish what it holds, then wait up to ``timeout`` s for each."""
        self._stopping.set()
        self.wake()
        for _, thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        for source in self.sources:
            source.stopped()

    def is_idle(self) -> bool:
        return all(source.is_idle() for source in self.sources)

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Block until no source has work waiting or running. Checked twice in a row:
        one kind's work may queue another's (a publish queues alerts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_idle() and self.is_idle():
                return True
            time.sleep(0.02)
        return False

    def _loop(self, source: WorkSource, worker_id: str) -> None:
        while not self._stopping.is_set():
            try:
                if source.run_once(worker_id):
                    continue
            except Exception:
                logger.exception("%s %s: could not reach the database", source.label, worker_id)
            if self._stopping.is_set():
                return
            self._bell.wait(source.idle_wait())


class JobSource(WorkSource):
    """Jobs: each thread claims one job at a time and runs the runner of its kind."""

    label = "worker"

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
        self.threads = threads
        self.poll_interval = poll_interval
        self._lease = lease
        self._max_attempts = max_attempts
        self.name = name or process_name()
        self._last_beat: dict[str, float] = {}
        self._busy = 0
        self._busy_lock = threading.Lock()

    def run_once(self, worker_id: str) -> bool:
        """A heartbeat when one is due, then claim and run one job; False when there was
        nothing to do."""
        if time.monotonic() - self._last_beat.get(worker_id, 0.0) > HEARTBEAT_EVERY:
            with self._session_factory.begin() as session:
                record_heartbeat(worker_id, session=session)
            self._last_beat[worker_id] = time.monotonic()
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

    def is_idle(self) -> bool:
        with self._session_factory() as session:
            counts = count_jobs_by_state(session=session)
        with self._busy_lock:
            busy = self._busy
        return not counts.get(JobState.PENDING) and not counts.get(JobState.RUNNING) and not busy

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
                job.kind,
                "retry" if outcome == JobState.PENDING else str(outcome),
                time.monotonic() - started,
            )
            with self._busy_lock:
                self._busy -= 1
