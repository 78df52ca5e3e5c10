"""``newsdesk ingest FILE``: regular files only, size checked before reading, read bounded;
each refusal is one line on stderr and nothing is stored."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot.cli import app
from news.errors import UnreadableFile
from news.user_files import read_user_file
from storage.database import SessionFactory
from storage.models import Article
from tests.pageserver import PageServer

RUNNER = CliRunner()


@pytest.fixture
def archive(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def sparse_file(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space (and no time to write)."""
    with path.open("wb") as file:
        file.truncate(size)
    return path


def stored_articles(session_factory: SessionFactory) -> int:
    with session_factory() as session:
        assert isinstance(session, Session)
        return int(session.scalar(select(func.count()).select_from(Article)) or 0)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (
            lambda tmp: Path("/dev/zero"),
            "cannot read /dev/zero: a character device, not a regular file",
        ),
        (
            lambda tmp: sparse_file(tmp / "big.html", 110_000_000),
            "110 MB, larger than the 5 MB allowed",
        ),
        (
            lambda tmp: sparse_file(tmp / "big.txt", 200_000_000),
            "200 MB, larger than the 4 MB allowed",
        ),
        (lambda tmp: tmp, "a directory, not a regular file"),
        (lambda tmp: tmp / "missing.txt", "No such file or directory"),
    ],
    ids=["dev-zero", "110MB-html", "200MB-txt", "directory", "missing"],
)
def test_unreadable_files_are_one_line_and_store_nothing(
    archive: str,
    session_factory: SessionFactory,
    tmp_path: Path,
    make: object,
    reason: str,
) -> None:
    assert callable(make)
    path = make(tmp_path)

    result = RUNNER.invoke(app, ["ingest", str(path)])

    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"failed    {path}: cannot read {path}: ")
    assert line.endswith(reason) or reason in line
    assert "0 new, 0 updated, 0 duplicates, 1 failed" in result.stdout
    assert stored_articles(session_factory) == 0


def test_a_named_pipe_without_a_writer_does_not_block(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)

    with pytest.raises(UnreadableFile, match="a named pipe, not a regular file"):
        read_user_file(pipe, 1_000)


def test_a_file_at_the_limit_is_read_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "copy.txt"
    path.write_bytes(b"x" * 1_000)

    assert read_user_file(path, 1_000) == b"x" * 1_000
    with pytest.raises(UnreadableFile, match="1 KB, larger than the 999 bytes allowed"):
        read_user_file(path, 999)


def test_a_page_of_100000_links_shared_as_a_link_is_stored(
    archive: str,
    session_factory: SessionFactory,
    pages: PageServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FETCH_ALLOWED_HOSTS", "127.0.0.1")
    links = "".join(f'<a href="/l/{i}">link {i}</a> ' for i in range(100_000))
    page = (
        "<html><head><title>Harbour strike goes on</title></head><body><article>"
        "<h1>Harbour strike goes on</h1>"
        + "".join(
            f"<p>The harbour authority said on Tuesday that strike number {n} would continue into"
            " the weekend, leaving cranes idle and a dozen ships at anchor outside the breakwater."
            "</p>"
            for n in range(6)
        )
        + f"</article><div>{links}</div></body></html>"
    )
    pages.add("/strike", page.encode(), content_type="text/html")

    result = RUNNER.invoke(app, ["ingest", pages.url("/strike")])

    assert result.exit_code == 0, result.output
    assert "1 new, 0 updated, 0 duplicates, 0 failed" in result.stdout
    assert stored_articles(session_factory) == 1
