"""``newsdesk ingest`` reads Word, PDF, RTF and OpenDocument files, and refuses bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.documents import make_docx, make_docx_bomb, make_pdf, wire_copy_paragraphs

RUNNER = CliRunner()
REPORT = [
    "Published: 14 March 2025",
    "Ukraine's energy ministry said on Friday that repairs to the grid would take until the summer, after a winter of strikes on power stations.",
    "Engineers have restored supply to most of Kharkiv, the ministry said, but rolling cuts will continue in the east.",
]


@pytest.fixture
def archive(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def test_docx_and_pdf_are_archived_and_answer_questions(archive: str, tmp_path: Path) -> None:
    wire = tmp_path / "grain.docx"
    wire.write_bytes(make_docx(wire_copy_paragraphs()))
    report = tmp_path / "energy.pdf"
    report.write_bytes(make_pdf(REPORT))
    result = RUNNER.invoke(app, ["ingest", str(wire), str(report), str(wire)])
    assert result.exit_code == 0, result.output
    assert "2 new, 0 updated, 1 duplicates, 0 failed" in result.output

    answer = RUNNER.invoke(app, ["ask", "latest on Ukraine"])
    assert "Ukraine and Poland agree to reopen Dorohusk rail crossing" in answer.output
    assert "repairs to grid would take until summer" in answer.output


def test_bad_files_fail_with_a_reason_and_store_nothing(archive: str, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(make_docx_bomb())
    fake = tmp_path / "report.pdf"
    fake.write_bytes(b"<!doctype html><html><body>Sign in</body></html>")
    result = RUNNER.invoke(app, ["ingest", str(bomb), str(fake)])
    assert result.exit_code == 1
    assert "0 new, 0 updated, 0 duplicates, 2 failed" in result.output
    assert "bomb.docx looks like a zip bomb" in result.output
    assert "report.pdf is not a real PDF file" in result.output
    nothing = RUNNER.invoke(app, ["ask", "latest on Ukraine"])
    assert "Nothing on Ukraine" in nothing.output
