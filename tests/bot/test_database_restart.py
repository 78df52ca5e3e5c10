"""The database goes away in the middle of a burst of link shares, events and publishes.

A PostgreSQL server of the test's own (never the machine's) is stopped with a fast shutdown
while ``newsdesk serve`` (2 processes) and ``newsdesk worker`` keep running, then started
again. What must hold:

- nothing is acknowledged that was not recorded: a request answered 200/202 during the burst
  is done in the end, though only the unacknowledged ones are sent again (as Slack retries
  what it did not see acknowledged, and a CMS resends a failed webhook);
- ``/healthz`` answers 503 while the database is away, 200 once it is back;
- the same web and worker processes carry on by themselves: none is restarted;
- afterwards every link has one reply, every story is stored once and every subscribed
  channel has one alert per story.

The figures (requests refused during the outage, time to recover) are printed; they are in
docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from handlers.alerts import ALERT_EVENT_TYPE
from news.aliases import load_alias_table
from news.webhooks import sign_payload
from standin.slack import SlackStandin
from storage.database import create_database_engine
from storage.models import Article, Delivery, Job
from storage.subscriptions import set_alert_budget, subscribe
from tests.articles import article_page
from tests.pageserver import PageServer
from tests.private_postgres import PrivatePostgres, find_postgres_bin
from tests.processes import NewsdeskProcess, find_free_port, run_newsdesk

pytestmark = pytest.mark.slow

LINKS = 18
PUBLISHES = 9
ALERT_CHANNELS = 2
WEBHOOK_SECRET = "restart-webhook-secret"
OUTAGE_SECONDS = 3.0


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_directory = find_postgres_bin()
    if bin_directory is None:
        # CI installs PostgreSQL, so there the missing programs are a failure, not a skip.
        reason = "PostgreSQL's server programs (initdb, pg_ctl) are not installed"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with PrivatePostgres(bin_directory) as server:
        yield server


@dataclass
class Sent:
    """One request as Slack or the CMS sends it, and every status it was answered with."""

    kind: str
    path: str
    body: bytes
    headers: dict[str, str]
    key: str
    statuses: list[int] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return any(status in (200, 202) for status in self.statuses)


def post(base: str, request: Sent, retry: int | None = None) -> int:
    headers = dict(request.headers)
    if retry is not None and request.kind == "link":
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_error"
    try:
        response = httpx.post(
            base + request.path, content=request.body, headers=headers, timeout=10
        )
    except httpx.TransportError:
        return 0
    return response.status_code


def build_burst(slack: SlackStandin, pages: PageServer) -> list[Sent]:
    """Link messages and publish webhooks, interleaved."""
    ana = slack.add_user("ana")
    desk = slack.add_channel("desk", members=[ana])
    links = []
    for number in range(LINKS):
        path = f"/harbour/{number}"
        url = pages.url(path)
        pages.add(path, article_page(f"Harbour berth {number} reopens", url))
        event = slack.post_message(ana, desk, f"worth a read {url}").event
        body, headers = slack.signed_event(
            event, event_id="EvRestart" + event["ts"].replace(".", "")
        )
        links.append(Sent("link", "/slack/events", body, dict(headers), event["ts"]))
    publishes = []
    for number in range(PUBLISHES):
        url = f"https://cms.example/stories/{number}"
        story = {
            "event": "published",
            "url": url,
            "headline": f"Port authority names director number {number}",
            "body": "The port authority named a new director on Monday after a long search. " * 6,
            "desk": "business",
            "event_id": f"cms-restart-{number}",
        }
        body = json.dumps(story).encode()
        headers = sign_payload(secret=WEBHOOK_SECRET, body=body, timestamp=int(time.time()))
        headers = {**headers, "Content-Type": "application/json"}
        publishes.append(Sent("publish", "/hooks/publish", body, headers, url))
    burst: list[Sent] = []
    for number, link in enumerate(links):
        burst.append(link)
        if number % 2 == 1 and publishes:
            burst.append(publishes.pop(0))
    return burst + publishes


def subscribe_alert_channels(url: str, slack: SlackStandin) -> list[str]:
    channels = [slack.add_channel(f"alerts{n}") for n in range(ALERT_CHANNELS)]
    engine = create_database_engine(url)
    aliases = load_alias_table()
    with sa.orm.Session(engine) as session, session.begin():
        for channel in channels:
            subscribe(channel, "all", "all", created_by=None, aliases=aliases, session=session)
            set_alert_budget(channel, 1000, session=session)
    engine.dispose()
    return channels


def drained(engine: sa.Engine) -> bool:
    try:
        with engine.connect() as connection:
            jobs = connection.execute(
                select(func.count()).select_from(Job).where(Job.state != "done")
            ).scalar_one()
            deliveries = connection.execute(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.state.in_(("pending", "sending")))
            ).scalar_one()
    except sa.exc.OperationalError:
        return False
    return jobs == 0 and deliveries == 0


def health(base: str) -> int:
    try:
        return httpx.get(base + "/healthz", timeout=5).status_code
    except httpx.TransportError:
        return 0


def test_database_restart_mid_burst_loses_nothing_and_repeats_nothing(
    private_postgres: PrivatePostgres, slack: SlackStandin, pages: PageServer, tmp_path: Path
) -> None:
    url = private_postgres.url
    port = find_free_port()
    base = f"http://127.0.0.1:{port}"
    variables = {
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "FETCH_ALLOWED_HOSTS": "127.0.0.1",
        "FETCH_TOTAL_TIMEOUT": "5",
        "JOB_LEASE_SECONDS": "10",
        "DELIVERY_LEASE_SECONDS": "15",
        "DELIVERY_CALL_TIMEOUT": "5",
        "FEED_POLL_SECONDS": "0",
        "WORKER_THREADS": "2",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    upgraded = run_newsdesk(["db", "upgrade"], variables, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    alert_channels = subscribe_alert_channels(url, slack)
    burst = build_burst(slack, pages)
    engine = create_database_engine(url)
    web = NewsdeskProcess(["serve", "--processes", "2", "--threads", "2"], variables, cwd=tmp_path)
    worker = NewsdeskProcess(["worker"], variables, cwd=tmp_path)
    outage: dict[str, float] = {}
    health_during_outage: list[int] = []
    try:
        web.start()
        worker.start()
        web.wait_for_http(base + "/healthz", timeout=60)
        pids = (web.pid, worker.pid)

        def cut_the_database() -> None:
            time.sleep(0.8)
            outage["down"] = time.monotonic()
            private_postgres.stop()
            deadline = time.monotonic() + OUTAGE_SECONDS
            while time.monotonic() < deadline:
                health_during_outage.append(health(base))
                time.sleep(0.3)
            private_postgres.start()
            outage["up"] = time.monotonic()
            while health(base) != 200 and time.monotonic() < outage["up"] + 60:
                time.sleep(0.05)
            outage["healthy"] = time.monotonic()

        cutter = threading.Thread(target=cut_the_database)
        cutter.start()
        during: Counter[int] = Counter()
        for request in burst:
            request.statuses.append(post(base, request))
            if "down" in outage and "up" not in outage:
                during[request.statuses[-1]] += 1
            time.sleep(0.12)
        cutter.join(60)
        assert "up" in outage

        # Back: /healthz says so, and the same processes answer again by themselves.
        assert health(base) == 200, web.output()
        healthy_again = outage["healthy"] - outage["up"]
        refused = [request for request in burst if not request.acknowledged]
        # Slack and the CMS send again only what was not acknowledged.
        for retry in range(1, 4):
            for request in refused:
                if not request.acknowledged:
                    request.statuses.append(post(base, request, retry=retry))
        assert all(request.acknowledged for request in burst), [r.statuses for r in burst]

        deadline = time.monotonic() + 120
        while not drained(engine):
            assert time.monotonic() < deadline, worker.output()
            time.sleep(0.3)
        recovered = time.monotonic() - outage["up"]
        assert (web.pid, worker.pid) == pids
        assert web.poll() is None
        assert worker.poll() is None
        assert worker.terminate() == 0, worker.output()
        assert web.terminate() == 0, web.output()
    finally:
        web.stop()
        worker.stop()

    assert 503 in health_during_outage, health_during_outage
    assert refused, "no request reached the web processes while the database was away"

    desk = slack.channel_id("desk")
    for request in burst:
        if request.kind == "link":
            replies = [m for m in slack.replies(desk, request.key) if m.get("ts") != request.key]
            assert len(replies) == 1, (request.key, request.statuses, replies)
    with sa.orm.Session(engine) as session:
        stored = Counter(article.original_url for article in session.scalars(select(Article)))
        jobs = Counter(job.state for job in session.scalars(select(Job)))
    engine.dispose()
    published = [request.key for request in burst if request.kind == "publish"]
    assert all(stored[story] == 1 for story in published), stored
    assert sum(stored.values()) == LINKS + PUBLISHES
    assert set(jobs) == {"done"}
    with sa.orm.Session(create_database_engine(url)) as session:
        story_ids = {
            article.id
            for article in session.scalars(
                select(Article).where(Article.original_url.in_(published))
            )
        }
    for channel in alert_channels:
        alerts: Counter[Any] = Counter()
        for message in slack.messages(channel):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == ALERT_EVENT_TYPE:
                alerts[metadata.get("event_payload", {}).get("article_id")] += 1
        assert {story: alerts[story] for story in story_ids} == dict.fromkeys(story_ids, 1)
        assert sum(alerts.values()) == PUBLISHES

    print(
        f"\ndatabase away {outage['up'] - outage['down']:.1f} s; {len(burst)} requests, "
        f"{len(refused)} refused (answers while it was away: {dict(during)}), none acknowledged "
        f"and lost; /healthz 503 during the outage, 200 again {healthy_again:.1f} s after "
        f"the restart; queue drained {recovered:.1f} s after it; same processes throughout"
    )
