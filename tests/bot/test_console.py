"""The console drives the real app through the stand-in, as a person at a terminal would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console import run_console
from bot.local import LocalDeployment
from bot.settings import Settings
from tests.articles import add_article
from tests.pageserver import PageServer


@pytest.fixture
def local(tmp_path: object, pages: PageServer) -> Iterator[LocalDeployment]:
    from storage.database import upgrade_database

    url = f"sqlite:///{tmp_path}/console.db"
    upgrade_database(url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg, unused-ignore]
        database_url=url,
        fetch_allowed_hosts=["127.0.0.1"],
    )
    with LocalDeployment(settings) as deployment:
        yield deployment


def test_console_shares_a_link_and_asks(local: LocalDeployment, pages: PageServer) -> None:
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    printed: list[str] = []
    run_console(
        local,
        [url, "@newsdesk latest on Ukraine", "/dm", "help", "/quit", "never read"],
        user_name="ana",
        echo=printed.append,
    )
    output = "\n".join(printed)
    assert "you are @ana in #newsroom" in output
    card, answer, help_reply = output.split("newsdesk (in thread)")[1:4]
    assert "Grain crossing to reopen" in card
    assert "Grain crossing to reopen" in answer
    assert "latest on Ukraine" in help_reply
    assert "never read" not in output


def test_console_reports_unknown_buttons(local: LocalDeployment) -> None:
    printed: list[str] = []
    run_console(local, [":click 3"], echo=printed.append)
    assert "nothing to click" in printed[-1]


def test_console_fills_and_submits_a_form(local: LocalDeployment) -> None:
    printed: list[str] = []
    copy = (
        "Ukraine and Poland reopen the border crossing for grain trucks after weeks of "
        "protests by farmers on both sides, officials in Kyiv and Warsaw said on Tuesday."
    )
    run_console(
        local,
        [
            "/news submit",
            ":submit",
            ":fill 2 " + copy,
            ":fill 7 nonsense",
            ":submit",
            "/news latest Poland",
        ],
        echo=printed.append,
    )
    output = "\n".join(printed)
    assert "Submit a story" in output
    assert "! " in output  # submitting the empty form shows the field error
    assert "pick one of" in output
    assert "(form sent)" in output
    assert "Archived #1" in output
    assert output.count("Ukraine and Poland reopen") >= 2


def test_console_invites_the_bot_like_slack(local: LocalDeployment, pages: PageServer) -> None:
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    printed: list[str] = []
    run_console(
        local,
        ["/join #world", url, "still there?", "/invite @newsdesk", url, "/leave", "/invite"],
        user_name="ana",
        echo=printed.append,
    )
    output = "\n".join(printed)
    before, after = output.split("newsdesk joined #world")
    # Nothing reached the bot before it was invited, and the console said why, once.
    assert before.count("newsdesk is not in #world") == 1
    assert "Grain crossing to reopen" not in before
    assert "Grain crossing to reopen" in after
    assert "you left #world; you are in #newsroom" in after
    assert "only @newsdesk can be invited" in printed[-1]
    assert "Bolt" not in output
    assert "not a valid command" not in output


def test_console_refuses_commands_slack_would_not_know(local: LocalDeployment) -> None:
    printed: list[str] = []
    run_console(local, ["/frobnicate now"], echo=printed.append)
    assert printed[-1] == "! /frobnicate is not a valid command (try /help)"


def test_console_uploads_files(local: LocalDeployment, tmp_path: Path) -> None:
    from tests.documents import make_docx, make_pdf, wire_copy_paragraphs

    wire = tmp_path / "grain.docx"
    wire.write_bytes(make_docx(wire_copy_paragraphs()))
    report = tmp_path / "energy.pdf"
    report.write_bytes(
        make_pdf(
            [
                "Published: 14 March 2025",
                "Ukraine's energy ministry said on Friday that repairs to the grid would take until the summer.",
                "Engineers have restored supply to most of Kharkiv, the ministry said.",
            ]
        )
    )
    printed: list[str] = []
    run_console(
        local,
        [
            f"/upload {wire}",
            f"/upload {report}",
            "@newsdesk latest on Ukraine",
            f"/upload {tmp_path}/missing.pdf",
        ],
        user_name="ana",
        echo=printed.append,
    )
    output = "\n".join(printed)
    assert "(you shared grain.docx)" in output
    assert "(you shared energy.pdf)" in output
    answer = output.split("latest on Ukraine")[-1] if "latest on Ukraine" in output else output
    assert "Dorohusk" in answer
    assert "grid" in answer
    assert printed[-1] == f"! {tmp_path}/missing.pdf is not a file"


def test_console_attaches_a_file_to_the_submit_form(local: LocalDeployment, tmp_path: Path) -> None:
    from tests.documents import make_docx, wire_copy_paragraphs

    wire = tmp_path / "grain.docx"
    wire.write_bytes(make_docx(wire_copy_paragraphs()))
    printed: list[str] = []
    run_console(
        local, ["/news submit", f":fill 3 {wire}", ":submit"], user_name="ana", echo=printed.append
    )
    output = "\n".join(printed)
    assert "(field 3: grain.docx attached)" in output
    assert "(form sent)" in output
    assert "Archived #1 “Ukraine and Poland agree to reopen" in output
