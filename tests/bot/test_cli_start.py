"""The CLI starts cheaply: its top level and every command's ``--help`` import none of the
heavy modules (checked in a fresh interpreter; the CPU figure is in bench/cli_start.py)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.bot.test_cli import command_names

HEAVY = (
    "sqlalchemy",
    "alembic",
    "trafilatura",
    "lxml",
    "slack_bolt",
    "slack_sdk",
    "httpx",
    "httpcore",
    "feedparser",
    "pydantic",  # typer 0.29 imports it to coerce every parameter: pyproject keeps typer < 0.29
    "pydantic_settings",
    "gunicorn",
    "prometheus_client",
    "numpy",
    "rich",
    "storage",
    "handlers",
)

PROBE = """
import contextlib, io, json, sys
from bot.cli import app
loaded = {}
for line in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            app([*line, "--help"], standalone_mode=False)
        except SystemExit:
            pass
    loaded[" ".join(line) or "(top)"] = sorted(
        {name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2]))
    )
print(json.dumps(loaded))
"""


def test_the_cli_and_every_help_import_no_heavy_module() -> None:
    lines = [[], ["db"], ["config"], ["deliveries"]] + [name.split() for name in command_names()]

    probe = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(lines), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    loaded = json.loads(probe.stdout)
    assert set(loaded) >= {"(top)", "ingest", "db upgrade", "serve"}
    assert {line: modules for line, modules in loaded.items() if modules} == {}


def test_a_command_still_imports_what_it_needs_when_it_runs() -> None:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom bot.cli import load_settings\nload_settings()\n"
            "print('pydantic_settings' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert probe.stdout.strip() == "True"
