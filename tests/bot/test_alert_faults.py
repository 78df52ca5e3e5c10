"""Delivery guarantees under faults: worker processes posting to the local Slack stand-in
while it answers 429s, 5xx and drops connections, and while a worker is killed with
SIGKILL and restarted. Every expected alert must arrive exactly once (counted by message
metadata in the stand-in), none may be lost, and no channel may get two top-level posts
less than a second apart.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select

from handlers.alerts import ALERT_EVENT_TYPE
from news.aliases import AliasTable, load_alias_table
from standin.slack import SlackStandin
from standin.workspace import ts_to_micros
from storage.database import SessionFactory, create_database_engine, create_session_factory
from storage.models import Article, Delivery
from storage.publishing import publish_article
from storage.subscriptions import subscribe

ROOT = Path(__file__).resolve().parents[2]
# The scenario of the issue: 1,000 publish events over 50 channels, 30% of Slack calls
# failing (10% each of 429, 5xx and dropped connections), a worker killed twice.
# NEWSDESK_FAULT_STORIES scales the number of stories down for a quick local run.
STORIES = int(os.environ.get("NEWSDESK_FAULT_STORIES", "1000"))
# SQLite holds the full scenario too (about 90 s on 2 cores); the suite runs it smaller, and
# stories for the concurrent-worker runs, to keep the slow tests to about three minutes.
SQLITE_STORIES = min(STORIES, 300)
CONCURRENT_STORIES = min(STORIES, 200)
CHANNELS = 50
FAULT_RATE_EACH = 0.1
KILLS = 2
KILL_EVERY = 6.0
# Each story follows two beats; channel n follows beat n, so each story reaches 2 channels.
BEATS = [f"Beat {n:02d}" for n in range(CHANNELS)]
WORKER_SETTINGS = {
    "ALERTS_PER_HOUR": "1000",  # the scenario is about delivery, not budgets
    "DELIVERY_THREADS": "4",
    "DELIVERY_MAX_ATTEMPTS": "60",
    "DELIVERY_LEASE_SECONDS": "6",
    "DELIVERY_CALL_TIMEOUT": "2",
    "DELIVERY_RETRY_MAX_SECONDS": "2",
    "LOG_LEVEL": "WARNING",
}
PACING_MICROS = 1_000_000


def story_beats(number: int) -> list[str]:
    # 6n + 1 is odd, so never 0 mod 50: the two beats always differ.
    return [BEATS[number % CHANNELS], BEATS[(7 * number + 1) % CHANNELS]]


@dataclass
class Scenario:
    session_factory: SessionFactory
    aliases: AliasTable
    slack: SlackStandin
    channels: list[str]
    expected: set[tuple[int, str]]
    article_ids: list[int]


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    with SlackStandin(seed=20250106) as standin:
        yield standin


def prepare(database_url: str, slack: SlackStandin, stories: int) -> Scenario:
    """50 channels following a beat each, and ``stories`` public drafts on two beats each."""
    engine = create_database_engine(database_url)
    session_factory = create_session_factory(engine)
    aliases = load_alias_table([])
    channels = [slack.add_channel(f"desk-{n:02d}") for n in range(CHANNELS)]
    by_beat = dict(zip(BEATS, channels, strict=True))
    with session_factory.begin() as session:
        for beat, channel_id in by_beat.items():
            subscribe(channel_id, "topic", beat, created_by=None, aliases=aliases, session=session)
        articles = []
        for number in range(stories):
            text = f"Story {number} on the wire. Officials said more details would follow."
            article = Article(
                canonical_url=f"https://news.example.com/story-{number}",
                headline=f"Story {number} on the wire",
                body=text,
                summary=text,
                outlet="The Harbour Gazette",
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                topics=story_beats(number),
                is_public=True,
                status="draft",
            )
            session.add(article)
            articles.append((number, article))
        session.flush()
        expected = {
            (article.id, by_beat[beat])
            for number, article in articles
            for beat in story_beats(number)
        }
        article_ids = [article.id for _, article in articles]
    return Scenario(session_factory, aliases, slack, channels, expected, article_ids)


def inject_faults(slack: SlackStandin) -> None:
    """30% of all calls fail, a third each: 429, 500, and work done but the answer dropped.

    Faults are tried in turn, so later ones get a higher rate of what is left.
    """
    slack.inject_fault(None, kind="rate_limited", rate=FAULT_RATE_EACH, retry_after=1)
    slack.inject_fault(None, kind="server_error", rate=FAULT_RATE_EACH / (1 - FAULT_RATE_EACH))
    slack.inject_fault(
        None, kind="timeout", rate=FAULT_RATE_EACH / (1 - 2 * FAULT_RATE_EACH), delay=0.2
    )


def start_worker(database_url: str, slack: SlackStandin, workdir: Path) -> subprocess.Popen[bytes]:
    """A delivery worker process, configured from the environment like production."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DELIVERY_", "SLACK_"))},
        **WORKER_SETTINGS,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_API_URL": slack.api_url,
        "PYTHONPATH": str(ROOT),
    }
    log = (workdir / f"worker-{time.monotonic_ns()}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bot.alerts"], cwd=workdir, env=env, stdout=log, stderr=log
    )


def publish_everything(scenario: Scenario) -> None:
    """One publish event per story, each in its own transaction, as triggers do."""
    for article_id in scenario.article_ids:
        with scenario.session_factory.begin() as session:
            publish_article(article_id, session=session, aliases=scenario.aliases)


def outbox_done(scenario: Scenario) -> bool:
    with scenario.session_factory() as session:
        sent = session.scalar(select(func.count()).where(Delivery.state == "sent"))
        other = session.scalar(select(func.count()).where(Delivery.state != "sent"))
    return sent == len(scenario.expected) and other == 0


def run_workers(
    scenario: Scenario,
    database_url: str,
    workdir: Path,
    *,
    processes: int,
    kills: int,
    timeout: float = 300.0,
) -> list[int]:
    """Publish while ``processes`` workers deliver; SIGKILL and restart one ``kills`` times.

    Returns the exit codes of the killed workers.
    """
    workers = [start_worker(database_url, scenario.slack, workdir) for _ in range(processes)]
    publisher = threading.Thread(target=publish_everything, args=(scenario,))
    publisher.start()
    killed: list[int] = []
    deadline = time.monotonic() + timeout
    try:
        for _ in range(kills):
            time.sleep(KILL_EVERY)
            victim = workers.pop(0)
            victim.kill()
            killed.append(victim.wait())
            workers.append(start_worker(database_url, scenario.slack, workdir))
        publisher.join(max(0.0, deadline - time.monotonic()))
        while not outbox_done(scenario):
            assert time.monotonic() < deadline, "alerts still undelivered; see worker logs"
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    return killed


def check_exactly_once_and_paced(scenario: Scenario) -> None:
    slack = scenario.slack
    with scenario.session_factory() as session:
        rows = list(session.execute(select(Delivery.id, Delivery.article_id, Delivery.channel_id)))
    assert {(article_id, channel_id) for _, article_id, channel_id in rows} == scenario.expected
    keys_wanted = {str(delivery_id) for delivery_id, _, _ in rows}
    posted: Counter[str] = Counter()
    delivered: set[tuple[int, str]] = set()
    for channel_id in scenario.channels:
        messages = slack.messages(channel_id)
        stamps = sorted(ts_to_micros(m["ts"]) for m in messages)
        gaps = [later - earlier for earlier, later in pairwise(stamps)]
        assert min(gaps, default=PACING_MICROS) >= PACING_MICROS, f"{channel_id} posted too fast"
        for message in messages:
            metadata = message.get("metadata") or {}
            assert metadata.get("event_type") == ALERT_EVENT_TYPE
            payload = metadata["event_payload"]
            posted[str(payload["key"])] += 1
            delivered.add((int(payload["article_id"]), channel_id))
    duplicates = {key: count for key, count in posted.items() if count > 1}
    assert duplicates == {}
    assert set(posted) == keys_wanted
    assert delivered == scenario.expected


@pytest.mark.slow
def test_every_alert_once_under_faults_and_killed_workers(
    database_url: str, slack: SlackStandin, tmp_path: Path
) -> None:
    stories = SQLITE_STORIES if database_url.startswith("sqlite") else STORIES
    scenario = prepare(database_url, slack, stories)
    inject_faults(slack)

    killed = run_workers(scenario, database_url, tmp_path, processes=2, kills=KILLS)

    assert killed == [-9] * KILLS
    check_exactly_once_and_paced(scenario)
    faults = [call.fault for call in slack.calls()]
    assert {"rate_limited", "server_error", "timeout"} <= set(faults)
    failed_share = sum(1 for fault in faults if fault) / len(faults)
    assert 0.2 < failed_share < 0.4
    # Lost answers were recovered by looking the post up, not by posting again.
    assert slack.calls("conversations.history")


@pytest.mark.slow
@pytest.mark.parametrize("processes", [2, 4])
def test_concurrent_workers_on_postgresql_never_duplicate(
    processes: int, slack: SlackStandin, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from tests.conftest import _truncate_all

    database_url: str = request.getfixturevalue("postgres_schema_url")
    engine = create_database_engine(database_url)
    _truncate_all(engine)
    engine.dispose()
    scenario = prepare(database_url, slack, CONCURRENT_STORIES)
    inject_faults(slack)

    run_workers(scenario, database_url, tmp_path, processes=processes, kills=0)

    check_exactly_once_and_paced(scenario)
