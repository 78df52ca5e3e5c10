"""``/metrics``: the archive's state read from the database, and per-process counters."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError

from bot.app import build_slack_client
from bot.local import LocalDeployment
from bot.metrics import prepare_multiprocess_directory, render_metrics
from bot.settings import Settings
from bot.wiring import build_services
from storage.articles import NewShare
from storage.database import upgrade_database
from storage.feeds import add_feed
from storage.models import Delivery, Feed, Job
from storage.queue import enqueue_job, record_heartbeat
from storage.services import Services
from tests.pageserver import PageServer

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)

ARTICLE = """<html><head><title>Harbour cranes stand idle</title>
<meta property="og:site_name" content="The Harbour Gazette"></head><body><article>
<h1>Harbour cranes stand idle</h1>
<p>Dock workers at the eastern harbour walked out on Tuesday in a dispute over night shifts,
leaving cranes idle and a dozen ships waiting at anchor outside the breakwater.</p>
<p>The port authority said it hoped talks with the union would resume before the weekend,
when two large container ships are due to arrive from Rotterdam.</p>
</article></body></html>"""

COPY = """Published: 06 January 2025
The Harbour Gazette

Ukraine and Poland agree to reopen the Dorohusk rail crossing to grain freight from next month, ending a dispute that had left thousands of wagons idle at the border.

The agreement follows weeks of talks between the two transport ministries.
"""

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(exposition: str) -> Samples:
    """Every sample as {(name, sorted labels): value}."""
    samples: Samples = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def settings_for(database_url: str, **values: Any) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        fetch_allowed_hosts=["127.0.0.1"],
        fetch_total_timeout=3,
        **values,
    )


@pytest.fixture
def services(database_url: str) -> Services:
    services = build_services(settings_for(database_url))
    services.clock = lambda: NOW
    return services


def scrape(services: Services) -> Samples:
    body, content_type = render_metrics(services)
    assert content_type.startswith("text/plain")
    return parse(body.decode("utf-8"))


def test_queue_deliveries_feeds_and_heartbeats_are_read_from_the_database(
    services: Services,
) -> None:
    result = services.ingest.ingest_copy(COPY, NewShare(source="cli"))
    with services.session_factory.begin() as session:
        enqueue_job("ingest_link", {}, session=session, run_after=NOW - timedelta(seconds=90))
        enqueue_job("ingest_link", {}, session=session, run_after=NOW + timedelta(hours=1))
        enqueue_job("answer_question", {}, session=session, run_after=NOW)
        session.add(Job(kind="ingest_link", payload={}, state="dead", run_after=NOW))
        session.add(Job(kind="ingest_link", payload={}, state="done", run_after=NOW))
        for channel, state in (("C1", "pending"), ("C2", "dead"), ("C3", "sent")):
            session.add(
                Delivery(
                    article_id=result.article.id,
                    channel_id=channel,
                    kind="alert",
                    state=state,
                    article_version=1,
                    next_attempt_at=NOW - timedelta(seconds=30),
                    sent_at=NOW - timedelta(minutes=5) if state == "sent" else None,
                )
            )
        feed, _ = add_feed("https://example.org/feed.xml", added_by="U1", session=session)
        add_feed("https://example.org/other.xml", added_by="U1", session=session)
        feed.consecutive_failures = 3
        record_heartbeat("host-1-0", session=session)
    samples = scrape(services)
    assert value(samples, "newsdesk_database_up") == 1
    assert value(samples, "newsdesk_jobs", kind="ingest_link", state="pending") == 2
    assert value(samples, "newsdesk_jobs", kind="answer_question", state="pending") == 1
    assert value(samples, "newsdesk_jobs", kind="ingest_link", state="dead") == 1
    assert ("newsdesk_jobs", (("kind", "ingest_link"), ("state", "done"))) not in samples
    assert value(samples, "newsdesk_job_queue_lag_seconds") == 90
    assert value(samples, "newsdesk_deliveries", state="pending") == 1
    assert value(samples, "newsdesk_deliveries", state="dead") == 1
    assert value(samples, "newsdesk_deliveries_sent_last_hour") == 1
    assert value(samples, "newsdesk_delivery_lag_seconds") == 30
    assert value(samples, "newsdesk_articles") == 1
    assert value(samples, "newsdesk_feeds") == 2
    assert value(samples, "newsdesk_feeds_failing") == 1
    # The heartbeat was written now (real clock), the scrape reads at NOW: it is in the past
    # only if the clocks agree, so compare against the real time instead.
    assert ("newsdesk_worker_heartbeat_age_seconds", ()) in samples


def test_ingest_counts_and_worker_liveness_follow_the_clock(services: Services) -> None:
    services.clock = lambda: datetime.now(UTC)
    services.ingest.ingest_copy(COPY, NewShare(source="cli"))
    with services.session_factory.begin() as session:
        record_heartbeat("host-1-0", session=session)
    samples = scrape(services)
    assert value(samples, "newsdesk_articles_ingested_last_hour") == 1
    assert value(samples, "newsdesk_workers_alive") == 1
    assert value(samples, "newsdesk_worker_heartbeat_age_seconds") < 60
    services.clock = lambda: datetime.now(UTC) + timedelta(hours=2)
    later = scrape(services)
    assert value(later, "newsdesk_articles_ingested_last_hour") == 0
    assert value(later, "newsdesk_articles") == 1
    assert value(later, "newsdesk_workers_alive") == 0
    assert value(later, "newsdesk_worker_heartbeat_age_seconds") >= 7200 - 5


def test_an_unreachable_database_is_reported_not_raised(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/archive.db"
    upgrade_database(url)
    services = build_services(settings_for(url))
    with services.session_factory.begin() as session:
        session.add(Feed(url="https://example.org/feed.xml"))
    (tmp_path / "archive.db").unlink()
    (tmp_path / "archive.db").mkdir()  # the file is gone; a directory stands in its way
    services.session_factory.kw["bind"].dispose()
    samples = scrape(services)
    assert value(samples, "newsdesk_database_up") == 0
    assert ("newsdesk_articles", ()) not in samples


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/archive.db"
    upgrade_database(url)
    with LocalDeployment(settings_for(url)) as deployment:
        assert httpx.get(f"{deployment.url}/healthz").status_code == 200
        (tmp_path / "archive.db").unlink()
        (tmp_path / "archive.db").mkdir()  # the file is gone; a directory stands in its way
        assert deployment.services is not None
        deployment.services.session_factory.kw["bind"].dispose()
        response = httpx.get(f"{deployment.url}/healthz")
        assert response.status_code == 503
        assert response.json() == {"ok": False, "database": "unreachable"}
        (tmp_path / "archive.db").rmdir()  # let the deployment stop cleanly


@pytest.fixture
def local(database_url: str) -> Iterator[LocalDeployment]:
    with LocalDeployment(settings_for(database_url)) as deployment:
        yield deployment


def test_metrics_endpoint_of_a_running_app(local: LocalDeployment) -> None:
    before = parse(httpx.get(f"{local.url}/metrics").text)
    with PageServer() as pages:
        pages.add("/cranes", ARTICLE)
        slack = local.slack
        ana = slack.add_user("ana")
        world = slack.add_channel("world", members=[ana, slack.bot_user_id])
        slack.post_message(ana, world, f"read this {pages.url('/cranes')}")
        slack.post_message(ana, world, f"and this {pages.url('/missing')}")
        assert local.wait_until_idle()
    assert httpx.get(f"{local.url}/no-such-page").status_code == 404
    response = httpx.get(f"{local.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = parse(response.text)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert value(after, "newsdesk_articles") == 1
    assert value(after, "newsdesk_jobs", kind="ingest_link", state="failed") == 1
    assert grew("newsdesk_http_requests_total", route="/slack/events", status="200") >= 2
    assert grew("newsdesk_http_requests_total", route="unrouted", status="404") == 1
    assert grew("newsdesk_http_requests_total", route="/metrics", status="200") >= 1
    assert grew("newsdesk_jobs_finished_total", kind="ingest_link", outcome="done") == 1
    assert grew("newsdesk_jobs_finished_total", kind="ingest_link", outcome="failed") == 1
    assert grew("newsdesk_job_duration_seconds_count", kind="ingest_link") == 2
    assert grew("newsdesk_links_ingested_total", outcome="new") == 1
    assert grew("newsdesk_links_ingested_total", outcome="failed") == 1


def test_slack_api_errors_are_counted_by_method_and_code(local: LocalDeployment) -> None:
    client = build_slack_client(local.settings)
    before = parse(httpx.get(f"{local.url}/metrics").text)
    with pytest.raises(SlackApiError):
        client.conversations_info(channel="C0NOSUCHCHANNEL")
    local.slack.inject_fault("reactions.get", kind="rate_limited", times=1, retry_after=0)
    local.slack.inject_fault("auth.test", kind="server_error", times=1, status=503)
    with pytest.raises(SlackApiError):
        client.auth_test()  # a 5xx is not resent: Slack may have acted on it
    with pytest.raises(SlackApiError):
        client.reactions_get(channel="C0NOSUCHCHANNEL", timestamp="1.0")
    after = parse(httpx.get(f"{local.url}/metrics").text)

    def grew(method: str, error: str) -> float:
        name = "newsdesk_slack_api_errors_total"
        return value(after, name, method=method, error=error) - value(
            before, name, method=method, error=error
        )

    assert grew("conversations.info", "channel_not_found") == 1
    assert grew("auth.test", "http_503") == 1
    assert grew("reactions.get", "ratelimited") == 1


def test_metrics_route_can_be_turned_off(database_url: str) -> None:
    from bot.app import create_app
    from bot.server import LocalServer, NewsdeskWsgi

    with LocalDeployment(settings_for(database_url)) as local:
        assert local.services is not None
        app = create_app(local.settings, local.services)
        server = LocalServer(NewsdeskWsgi(app, local.services, metrics=False)).start()
        try:
            assert httpx.get(f"{server.url}/metrics").status_code == 404
            assert httpx.get(f"{server.url}/healthz").status_code == 200
        finally:
            server.stop()


def test_multiprocess_directory_is_made_or_emptied(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    made = prepare_multiprocess_directory(environ)
    assert environ["PROMETHEUS_MULTIPROC_DIR"] == str(made)
    assert made.is_dir()
    assert not any(made.iterdir())
    made.rmdir()
    configured = tmp_path / "metrics"
    configured.mkdir()
    (configured / "counter_123.db").write_bytes(b"old")
    (configured / "keep.txt").write_text("not ours")
    assert prepare_multiprocess_directory({"PROMETHEUS_MULTIPROC_DIR": str(configured)}) == (
        configured
    )
    assert sorted(p.name for p in configured.iterdir()) == ["keep.txt"]


PROCESSES_SCRIPT = """
import os, sys
from bot.metrics import prepare_multiprocess_directory, record_http_request, render_metrics
prepare_multiprocess_directory()
from bot.settings import Settings
from bot.wiring import build_services

children = []
for number in range(3):
    pid = os.fork()
    if pid == 0:
        for _ in range(number + 1):
            record_http_request("/slack/events", "200")
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
services = build_services(Settings(_env_file=None, database_url=sys.argv[1]))
sys.stdout.write(render_metrics(services)[0].decode())
"""


def test_counters_are_summed_over_gunicorn_style_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/archive.db"
    upgrade_database(url)
    environ = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    environ["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "counters")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(PROCESSES_SCRIPT), url],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    samples = parse(done.stdout)
    assert value(samples, "newsdesk_http_requests_total", route="/slack/events", status="200") == 6
    assert value(samples, "newsdesk_database_up") == 1


CLEANUP_SCRIPT = """
import os, sys
from bot.metrics import prepare_multiprocess_directory
directory = prepare_multiprocess_directory()
pid = os.fork()
if pid == 0:
    sys.exit(0)  # a child that exits normally runs the parent's exit hooks too
os.waitpid(pid, 0)
print(directory, directory.is_dir())
"""


def test_a_directory_made_for_the_counters_goes_when_its_server_ends() -> None:
    environ = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CLEANUP_SCRIPT)],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    directory, existed_after_child = done.stdout.split()
    assert existed_after_child == "True"
    assert not Path(directory).exists()


def test_a_worker_serves_its_metrics_on_its_own_port(services: Services) -> None:
    from bot.metrics import record_job, start_metrics_server
    from tests.processes import find_free_port

    port = find_free_port()
    stop = start_metrics_server(services, "127.0.0.1", port)
    try:
        record_job("ingest_link", "done", 0.2)
        samples = parse(httpx.get(f"http://127.0.0.1:{port}/metrics").text)
    finally:
        stop()
    assert value(samples, "newsdesk_database_up") == 1
    assert value(samples, "newsdesk_jobs_finished_total", kind="ingest_link", outcome="done") >= 1
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics")
