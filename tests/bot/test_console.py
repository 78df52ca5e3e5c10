"""The console drives the real app through the stand-in, as a person at a terminal would."""

from __future__ import annotations

from collections.abc import Iterator

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
            ":fill 6 nonsense",
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
