"""Polling threads: the loop the job workers and the alert delivery threads share.

Each thread calls ``work(worker_id)`` until it returns False (nothing to do), then sleeps
until woken (``wake``: new work was queued in this process) or ``idle_wait()`` seconds
pass. An exception is logged and the thread carries on: the database may come back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class PollingThreads:
    def __init__(
        self,
        *,
        count: int,
        name: str,
        label: str,
        work: Callable[[str], bool],
        idle_wait: Callable[[], float],
    ) -> None:
        """``count`` threads named ``label-N``, working as ``name-N`` (the worker id)."""
        self._count = count
        self._name = name
        self._label = label
        self._work = work
        self._idle_wait = idle_wait
        self._stopping = threading.Event()
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for number in range(self._count):
            thread = threading.Thread(
                target=self._loop,
                args=(f"{self._name}-{number}",),
                name=f"{self._label}-{number}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """Tell idle threads that work was queued."""
        with self._wake:
            self._wake.notify_all()

    def stop(self, timeout: float = 10.0) -> None:
        """Let each thread finish what it holds, then wait up to ``timeout`` s for each."""
        self._stopping.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _loop(self, worker_id: str) -> None:
        while not self._stopping.is_set():
            try:
                if self._work(worker_id):
                    continue
            except Exception:
                logger.exception("%s %s: could not reach the database", self._label, worker_id)
            with self._wake:
                self._wake.wait(self._idle_wait())
