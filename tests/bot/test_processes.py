"""The bot as real OS processes: ``newsdesk serve`` and ``newsdesk worker`` against the local
Slack stand-in, start-up errors, and crash safety of link ingestion (``kill -9`` mid-fetch)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy import func, select

import handlers
from bot.app import build_slack_client, create_app
from bot.server import LocalServer, NewsdeskWsgi
from bot.settings import Settings
from bot.wiring import build_services
from bot.worker import JobSource
from standin.slack import SlackStandin
from storage.articles import count_articles
from storage.models import Job, Share
from storage.services import Services
from tests.articles import article_page
from tests.conftest import POSTGRES_URL
from tests.pageserver import PageServer
from tests.processes import NewsdeskProcess, find_free_port, run_newsdesk

pytestmark = pytest.mark.slow

# A short lease so a job whose worker was killed is taken again within seconds; the fetch
# deadline stays below it, as the settings demand.
LEASE_SECONDS = 3
FETCH_DEADLINE = 2.5
PAGE_STALL = 1.0


def slack_variables(slack: SlackStandin, database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "LOG_LEVEL": "WARNING",
    }


def read_jobs(database_url: str) -> list[Job]:
    engine = sa.create_engine(database_url)
    try:
        with sa.orm.Session(engine) as session:
            return list(session.scalars(select(Job).order_by(Job.id)))
    finally:
        engine.dispose()


def bot_replies(slack: SlackStandin, channel: str, ts: str) -> list[dict[str, Any]]:
    return [m for m in slack.replies(channel, ts) if m.get("ts") != ts]


def add_article(pages: PageServer, path: str, *, stall: float = 0.0) -> str:
    url = pages.url(path)
    body = article_page("Grain crossing to reopen", url)
    if stall:
        pages.add_stream(path, lambda: pages.trickle([body], delay=stall))
    else:
        pages.add(path, body)
    return url


# ---- newsdesk serve --------------------------------------------------------------------------


def test_serve_acks_signed_events_refuses_forged_ones_and_stops_on_sigterm(
    database_url: str, slack: SlackStandin, tmp_path: Path
) -> None:
    port = find_free_port()
    variables = {**slack_variables(slack, database_url), "HOST": "127.0.0.1", "PORT": str(port)}
    base = f"http://127.0.0.1:{port}"
    with NewsdeskProcess(
        ["serve", "--processes", "2", "--threads", "4"], variables, cwd=tmp_path
    ) as server:
        health = server.wait_for_http(f"{base}/healthz")
        assert health.status_code == 200
        assert health.json() == {"ok": True, "database": "ok"}

        slack.app_url = f"{base}/slack/events"
        ana = slack.add_user("ana")
        world = slack.add_channel("world", members=[ana])
        sent = slack.post_message(ana, world, "worth a read https://news.example/grain")
        assert sent.status == 200
        [job] = read_jobs(database_url)
        assert (job.kind, job.state, job.payload["url"]) == (
            "ingest_link",
            "pending",
            "https://news.example/grain",
        )
        assert job.payload["message"]["channel_id"] == world

        event = {**sent.deliveries[0].payload["event"], "text": "<https://news.example/other>"}
        event["ts"] = event["event_ts"] = "1700000000.000200"
        body = json.dumps(
            {"type": "event_callback", "event_id": "EvForged01", "event": event}
        ).encode()
        stale = slack.sign_request(body, timestamp=int(time.time()) - 600)
        wrong = {**slack.sign_request(body), "X-Slack-Signature": "v0=" + "0" * 64}
        for headers in (stale, wrong, {}):
            refused = httpx.post(
                f"{base}/slack/events",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
            )
            assert refused.status_code == 401
        assert len(read_jobs(database_url)) == 1

        assert server.terminate() == 0


# ---- start-up errors -------------------------------------------------------------------------


@pytest.fixture
def migrated_sqlite(tmp_path: Path) -> str:
    from storage.database import upgrade_database

    url = f"sqlite:///{tmp_path / 'archive.db'}"
    upgrade_database(url)
    return url


@pytest.fixture
def empty_postgres_schema() -> Iterator[str]:
    """A schema with no tables on the test server (an archive nobody migrated)."""
    schema = f"newsdesk_empty_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    yield f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def assert_one_line_failure(result: Any, *phrases: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("newsdesk: ")
    for phrase in phrases:
        assert phrase in lines[0]


@pytest.mark.parametrize("command", ["serve", "worker", "run"])
def test_missing_bot_token_is_one_line_and_exit_code(
    command: str, slack: SlackStandin, migrated_sqlite: str, tmp_path: Path
) -> None:
    variables = slack_variables(slack, migrated_sqlite)
    del variables["SLACK_BOT_TOKEN"]
    variables["SLACK_APP_TOKEN"] = "xapp-1-standin"
    result = run_newsdesk([command], variables, cwd=tmp_path)
    assert_one_line_failure(result, "SLACK_BOT_TOKEN is not set")


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_refused_bot_token_is_one_line_naming_slacks_reason(
    command: str, slack: SlackStandin, migrated_sqlite: str, tmp_path: Path
) -> None:
    variables = {**slack_variables(slack, migrated_sqlite), "SLACK_BOT_TOKEN": "xoxb-revoked"}
    result = run_newsdesk([command], variables, cwd=tmp_path)
    assert_one_line_failure(result, "SLACK_BOT_TOKEN", "invalid_auth")
    assert [call.method for call in slack.calls()] == ["auth.test"]


def test_run_without_app_token_is_one_line(
    slack: SlackStandin, migrated_sqlite: str, tmp_path: Path
) -> None:
    result = run_newsdesk(["run"], slack_variables(slack, migrated_sqlite), cwd=tmp_path)
    assert_one_line_failure(result, "SLACK_APP_TOKEN is not set")


def test_serve_without_signing_secret_is_one_line(
    slack: SlackStandin, migrated_sqlite: str, tmp_path: Path
) -> None:
    variables = slack_variables(slack, migrated_sqlite)
    del variables["SLACK_SIGNING_SECRET"]
    result = run_newsdesk(["serve"], variables, cwd=tmp_path)
    assert_one_line_failure(result, "SLACK_SIGNING_SECRET is not set")


@pytest.mark.parametrize(("command", "engine"), [("serve", "sqlite"), ("worker", "postgresql")])
def test_unmigrated_database_asks_for_db_upgrade(
    engine: str, command: str, slack: SlackStandin, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path / 'never-migrated.db'}"
    else:
        url = request.getfixturevalue("empty_postgres_schema")
    result = run_newsdesk([command], slack_variables(slack, url), cwd=tmp_path)
    assert_one_line_failure(result, "no newsdesk schema yet", "run `newsdesk db upgrade`")
    assert slack.calls() == []


def test_unreachable_database_is_one_line(slack: SlackStandin, tmp_path: Path) -> None:
    closed = find_free_port()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed}/newsdesk"
    result = run_newsdesk(["worker"], slack_variables(slack, url), cwd=tmp_path)
    assert_one_line_failure(result, "cannot open the database", "Connection refused")


# ---- crash safety ----------------------------------------------------------------------------


@pytest.fixture
def app_settings(database_url: str, slack: SlackStandin) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        slack_bot_token=SecretStr(slack.bot_token),
        slack_signing_secret=SecretStr(slack.signing_secret),
        slack_api_url=slack.api_url,
        fetch_allowed_hosts=["127.0.0.1"],
        fetch_total_timeout=FETCH_DEADLINE,
        job_lease_seconds=LEASE_SECONDS,
    )


@pytest.fixture
def services(app_settings: Settings, slack: SlackStandin) -> Iterator[Services]:
    """The real app on loopback, without workers: shared links are only recorded."""
    services = build_services(app_settings)
    app = create_app(app_settings, services, client=build_slack_client(app_settings))
    server = LocalServer(NewsdeskWsgi(app, services)).start()
    slack.app_url = f"{server.url}/slack/events"
    yield services
    server.stop()


def count_shares(services: Services) -> int:
    with services.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(Share)) or 0)


def count_stored_articles(services: Services) -> int:
    with services.session_factory() as session:
        return count_articles(session=session)


def test_worker_killed_mid_fetch_link_is_processed_exactly_once(
    database_url: str,
    slack: SlackStandin,
    pages: PageServer,
    services: Services,
    tmp_path: Path,
) -> None:
    url = add_article(pages, "/grain", stall=PAGE_STALL)
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana])
    sent = slack.post_message(ana, world, f"worth a read {url}")
    assert sent.status == 200
    variables = {
        **slack_variables(slack, database_url),
        "FETCH_ALLOWED_HOSTS": "127.0.0.1",
        "FETCH_TOTAL_TIMEOUT": str(FETCH_DEADLINE),
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "WORKER_THREADS": "1",
    }

    with NewsdeskProcess(["worker"], variables, cwd=tmp_path) as first:
        # The worker has claimed the job and is waiting for the page's body.
        slack.wait_for(lambda: pages.requests_to("/grain"), timeout=30)
        [job] = read_jobs(database_url)
        assert job.state == "running"
        assert job.attempts == 1
        assert first.kill() != 0
    assert bot_replies(slack, world, sent.ts) == []
    assert count_stored_articles(services) == 0

    with NewsdeskProcess(["worker"], variables, cwd=tmp_path) as second:
        slack.wait_for(lambda: read_jobs(database_url)[0].state == "done", timeout=30)
        assert second.terminate() == 0, second.output()

    [job] = read_jobs(database_url)
    assert job.attempts == 2
    assert len(pages.requests_to("/grain")) == 2
    [reply] = bot_replies(slack, world, sent.ts)
    assert "Grain crossing to reopen" in json.dumps(reply["blocks"])
    assert slack.reactions(world, sent.ts) == {"newspaper": [slack.bot_user_id]}
    assert len(slack.calls("chat.postMessage")) == 1
    assert count_stored_articles(services) == 1
    assert count_shares(services) == 1


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so the worker records nothing."""


@pytest.mark.parametrize("crash_after", ["chat_postMessage", "reactions_add"])
def test_retry_after_crash_between_slack_call_and_bookkeeping_replies_once(
    crash_after: str,
    app_settings: Settings,
    slack: SlackStandin,
    pages: PageServer,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = add_article(pages, "/grain")
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana])
    sent = slack.post_message(ana, world, url)
    assert sent.status == 200

    crashing_client = build_slack_client(app_settings)
    real_call = getattr(crashing_client, crash_after)

    def call_then_crash(**arguments: Any) -> Any:
        real_call(**arguments)
        raise SimulatedCrash(crash_after)

    monkeypatch.setattr(crashing_client, crash_after, call_then_crash)
    # A zero lease: the crashed claim is free to take again at once, as after a real lease ran out.
    crashing = JobSource(
        services.session_factory,
        handlers.job_runners(services, crashing_client),
        lease=timedelta(0),
    )
    with pytest.raises(SimulatedCrash):
        crashing.run_once("crashed-worker")
    [job] = read_jobs(app_settings.database_url)
    assert (job.state, job.finished_at) == ("running", None)
    assert len(bot_replies(slack, world, sent.ts)) == 1

    fresh = JobSource(
        services.session_factory,
        handlers.job_runners(services, build_slack_client(app_settings)),
    )
    assert fresh.run_once("fresh-worker")
    [job] = read_jobs(app_settings.database_url)
    assert (job.state, job.attempts) == ("done", 2)

    assert len(bot_replies(slack, world, sent.ts)) == 1
    assert len(slack.calls("chat.postMessage")) == 1
    assert slack.reactions(world, sent.ts) == {"newspaper": [slack.bot_user_id]}
    assert count_stored_articles(services) == 1
    assert count_shares(services) == 1
    lookups = slack.calls("conversations.replies")
    if crash_after == "chat_postMessage":
        # The reply's ts was never recorded: the retry found the reply by its metadata.
        [lookup] = lookups
        assert lookup.arguments.get("include_all_metadata") in (True, "true", "1", 1)
    else:
        # The reply was recorded as progress; the retry only reacted again.
        assert lookups == []
