"""A PostgreSQL server of a test's own: its own data directory, port and socket directory.

For tests that stop and restart the database under running processes, which must never
happen to the machine's shared server. ``initdb`` refuses to run as root, so under root the
server runs as the ``postgres`` system user (with ``runuser``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tests.processes import find_free_port

BIN_DIRECTORIES = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"))


def find_postgres_bin() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, if PostgreSQL's server is installed."""
    configured = os.environ.get("NEWSDESK_POSTGRES_BIN")
    for directory in [Path(configured)] if configured else BIN_DIRECTORIES:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


class PrivatePostgres:
    """``initdb`` + ``pg_ctl`` on a free port; ``stop()``/``start()`` for an outage."""

    def __init__(self, bin_directory: Path) -> None:
        self.bin = bin_directory
        self.port = find_free_port()
        # Not under pytest's tmp_path: that is private to root, and the server may run as
        # the postgres user.
        self.root = Path(tempfile.mkdtemp(prefix="newsdesk-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "server.log"
        self._as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
        if completed.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{program} failed: {completed.stderr}{completed.stdout}\n{log}")

    def create(self) -> PrivatePostgres:
        self.sockets.mkdir(parents=True)
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as in a failover or a restart."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.data.exists() and self.is_running():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except RuntimeError:
                time.sleep(1)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        self.create()
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.destroy()
