"""CLI start cost: CPU seconds of a fresh interpreter running a ``newsdesk`` command line.

Each line runs ``--runs`` times in a new process; the table shows the median CPU (user +
system) of the child, beside ``python -c pass`` (the interpreter alone) and beside importing
every module the commands end up using (what an eagerly importing CLI pays on every start).

    python bench/cli_start.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

EAGER = (
    "import bot.runtime, bot.wiring, bot.settings, storage.search, storage.publishing, "
    "storage.ingest, news.questions, news.extraction, trafilatura"
)

# What the ``newsdesk`` console script runs.
NEWSDESK = [sys.executable, "-c", "from bot.cli import main; main()"]
LINES: tuple[tuple[str, list[str]], ...] = (
    ("python -c pass (baseline)", [sys.executable, "-c", "pass"]),
    ("newsdesk --help", [*NEWSDESK, "--help"]),
    ("newsdesk ingest --help", [*NEWSDESK, "ingest", "--help"]),
    ("newsdesk deliveries --help", [*NEWSDESK, "deliveries", "--help"]),
    ("newsdesk config check (whole command)", [*NEWSDESK, "config", "check"]),
    ("eager imports of every command's modules", [sys.executable, "-c", EAGER]),
)


def child_cpu(command: list[str], environment: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=environment, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    arguments = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    environment = {**os.environ, "PYTHONPATH": str(root)}
    with tempfile.TemporaryDirectory() as empty:  # no .env from the checkout
        os.chdir(empty)
        print(f"{'command line':44} {'median CPU s':>12} {'min':>7} {'max':>7}")
        for label, command in LINES:
            child_cpu(command, environment)  # warm the file cache
            figures = [child_cpu(command, environment) for _ in range(arguments.runs)]
            print(
                f"{label:44} {statistics.median(figures):12.3f} "
                f"{min(figures):7.3f} {max(figures):7.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
