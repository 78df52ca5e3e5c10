"""Real ``newsdesk`` processes for tests and benchmarks: start, wait for a port, stop, kill.

Output goes to files, not pipes, so a chatty long-running process never blocks on a full
pipe. Each process leads a session of its own, so stopping it also reaches the gunicorn
children of ``newsdesk serve``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

# Variables a child process needs from the parent; everything newsdesk reads is passed explicitly.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV")


def newsdesk_command() -> list[str]:
    """The installed ``newsdesk`` script next to this interpreter, else the CLI via ``-c``."""
    script = Path(sys.executable).with_name("newsdesk")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from bot.cli import main; main()"]


def find_free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_environment(variables: Mapping[str, str]) -> dict[str, str]:
    """A clean environment: the basics of this one plus ``variables`` (no stray settings)."""
    base = {name: os.environ[name] for name in INHERITED if name in os.environ}
    return {**base, **variables}


def run_newsdesk(
    args: Sequence[str], variables: Mapping[str, str], *, cwd: Path, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run ``newsdesk ARGS`` to completion and capture its output."""
    return subprocess.run(
        [*newsdesk_command(), *args],
        env=process_environment(variables),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class NewsdeskProcess:
    """A long-running ``newsdesk ARGS`` (``serve``, ``worker``) in its own session."""

    def __init__(
        self, args: Sequence[str], variables: Mapping[str, str], *, cwd: Path, nice: int = 0
    ) -> None:
        # ``nice``: run at lower CPU priority, as a worker unit with ``Nice=`` does.
        self.args = [*(["nice", "-n", str(nice)] if nice else []), *newsdesk_command(), *args]
        self.env = process_environment(variables)
        self.cwd = cwd
        self._output = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self._process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def process(self) -> subprocess.Popen[str]:
        if self._process is None:
            raise RuntimeError("process not started")
        return self._process

    def start(self) -> NewsdeskProcess:
        self._process = subprocess.Popen(
            self.args,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        return self

    def output(self) -> str:
        """Everything the process wrote so far (stdout and stderr)."""
        self._output.flush()
        self._output.seek(0)
        return self._output.read()

    def poll(self) -> int | None:
        return self.process.poll()

    def wait_for_http(self, url: str, timeout: float = 30.0) -> httpx.Response:
        """Poll ``url`` until it answers; fails early with the output if the process exits."""
        deadline = time.monotonic() + timeout
        while True:
            code = self.poll()
            if code is not None:
                raise RuntimeError(f"{self.args} exited with {code}:\n{self.output()}")
            try:
                return httpx.get(url, timeout=2.0)
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} did not answer:\n{self.output()}") from None
                time.sleep(0.05)

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait for the exit code (the process must stop by itself in time)."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> int:
        """SIGKILL the process (no clean-up of any kind) and reap it."""
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait(10)

    def kill_group(self) -> int:
        """SIGKILL the process and every child it started (gunicorn's workers), as a crash of
        the machine's service would, and reap it."""
        os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait(10)

    def stop(self) -> None:
        """Make sure the process and its children are gone (after a failed test too)."""
        if self._process is None:
            return
        if self._process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.terminate(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)  # children left behind, if any
        self._process.wait(10)
        self._output.close()

    def __enter__(self) -> NewsdeskProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
