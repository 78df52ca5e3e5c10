"""Fixtures shared by the tests that run the whole local deployment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.local import LocalDeployment
from bot.settings import Settings
from tests.pageserver import PageServer


@pytest.fixture
def local(database_url: str, pages: PageServer) -> Iterator[LocalDeployment]:
    """The real app, workers and Slack stand-in on the test's database; pages served locally."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg, unused-ignore]
        database_url=database_url,
        fetch_allowed_hosts=["127.0.0.1"],
        fetch_total_timeout=3,
        worker_threads=2,
    )
    with LocalDeployment(settings) as deployment:
        yield deployment
