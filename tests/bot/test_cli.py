"""The ``newsdesk`` command line, run as a user would, and its documentation in the README."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from bot.cli import app
from tests.pageserver import PageServer

ROOT = Path(__file__).resolve().parents[2]
RUNNER = CliRunner()

WIRE = """Published: 06 January 2025
Europe Desk
The Harbour Gazette

Ukraine and Poland agree to reopen the Dorohusk rail crossing to grain freight from next month, ending a dispute that had left thousands of wagons idle at the border.

The agreement follows weeks of talks between the two transport ministries and pressure from farmers on both sides.
"""

PAGE = """<html><head><title>Harbour cranes stand idle</title>
<meta property="og:site_name" content="The Harbour Gazette"></head><body><article>
<h1>Harbour cranes stand idle</h1>
<p>Dock workers at the eastern harbour walked out on Tuesday in a dispute over night shifts,
leaving cranes idle and a dozen ships waiting at anchor outside the breakwater.</p>
<p>The port authority said it hoped talks with the union would resume before the weekend,
when two large container ships are due to arrive from Rotterdam.</p>
</article></body></html>"""


def command_names() -> set[str]:
    """Every command line a user can type: ``ingest``, ``db upgrade``, …"""
    click_app = typer.main.get_command(app)
    names: set[str] = set()
    for name, command in click_app.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        if sub:
            names.update(f"{name} {child}" for child in sub)
        else:
            names.add(name)
    return names


@pytest.mark.parametrize("name", sorted(command_names()))
def test_every_command_is_documented_in_readme(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"`newsdesk {re.escape(name)}\b", readme), f"newsdesk {name} not in README"


@pytest.fixture
def archive(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("FETCH_ALLOWED_HOSTS", "127.0.0.1")
    return database_url


def test_ingest_files_and_links_then_ask_and_show(
    archive: str, tmp_path: Path, pages: PageServer
) -> None:
    copy = tmp_path / "grain.txt"
    copy.write_text(WIRE, encoding="utf-8")
    saved = tmp_path / "cranes.html"
    saved.write_text(PAGE, encoding="utf-8")
    pages.add("/cranes", PAGE.encode(), content_type="text/html")
    pages.add("/report.pdf", b"%PDF-1.4", content_type="application/pdf")
    result = RUNNER.invoke(
        app,
        [
            "ingest",
            str(copy),
            str(saved),
            pages.url("/cranes"),
            pages.url("/report.pdf"),
            str(copy),
        ],
    )
    assert result.exit_code == 1, result.output  # one item failed
    # The saved page has no link of its own: it is a story apart from the served one.
    assert "3 new, 0 updated, 1 duplicates, 1 failed" in result.output
    assert "not an article: application/pdf" in result.output

    answer = RUNNER.invoke(app, ["ask", "latest on Kyiv"])
    assert answer.exit_code == 0, answer.output
    assert "Ukraine and Poland" in answer.output

    as_json = RUNNER.invoke(app, ["ask", "--json", "harbour cranes"])
    data = json.loads(as_json.output)
    assert data["results"][0]["headline"] == "Harbour cranes stand idle"

    empty = RUNNER.invoke(app, ["ask", "latest on volcanoes"])
    assert "Nothing on volcanoes" in empty.output

    shown = RUNNER.invoke(app, ["show", "1"])
    assert shown.exit_code == 0
    assert "The Harbour Gazette" in shown.output
    missing = RUNNER.invoke(app, ["show", "999"])
    assert missing.exit_code == 1
    assert "no story 999" in missing.output


def test_unmigrated_database_is_refused_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/fresh.db")
    result = RUNNER.invoke(app, ["ask", "latest on Ukraine"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"newsdesk: the database sqlite:///{tmp_path}/fresh.db has no newsdesk schema yet: "
        "run `newsdesk db upgrade`"
    ]
    upgraded = RUNNER.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0
    assert RUNNER.invoke(app, ["ask", "latest on Ukraine"]).exit_code == 0


def test_config_check_masks_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-top-secret")
    monkeypatch.setenv("EDITORS", "U1,U2")
    result = RUNNER.invoke(app, ["config", "check"])
    assert result.exit_code == 0
    assert "xoxb-top-secret" not in result.output
    assert re.search(r"SLACK_BOT_TOKEN\s+\*{8}", result.output)
    assert re.search(r"EDITORS\s+U1, U2", result.output)


def test_invalid_setting_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FETCH_MAX_BYTES", "lots")
    result = RUNNER.invoke(app, ["config", "check"])
    assert result.exit_code == 2
    assert result.output.startswith("newsdesk: invalid configuration: FETCH_MAX_BYTES")
    assert len(result.output.strip().splitlines()) == 1
