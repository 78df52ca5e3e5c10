"""Crash safety of the web side: ``kill -9`` of ``newsdesk serve`` while signed link events
arrive, restart, Slack's retries of the events that were not acknowledged, then a worker.

Every link is processed exactly once (one article, one share, one job, one reply in its
thread) and nothing is half-stored (no article without a share, no job without a payload).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from standin.slack import SlackStandin
from storage.models import Article, Job, ProcessedEvent, Share
from tests.articles import harbour_page
from tests.conftest import POSTGRES_URL
from tests.databases import postgres_schema
from tests.pageserver import PageServer
from tests.processes import NewsdeskProcess, find_free_port

pytestmark = pytest.mark.slow

LINKS = 48
SENDERS = 4
KILL_AFTER_ACKS = 12


@dataclass
class Send:
    """One link event and what became of its requests."""

    url: str
    channel: str
    ts: str
    event_id: str
    event: dict[str, Any]
    acked: bool = False
    attempts: int = 0


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_schema(POSTGRES_URL, "newsdesk_crash") as url:
        yield url


def deliver(base: str, slack: SlackStandin, send: Send, retry_num: int | None) -> bool:
    """POST the event as Slack does (a retry carries the same event_id); True when acked."""
    body, headers = slack.signed_event(
        send.event, event_id=send.event_id, retry_num=retry_num, retry_reason="http_error"
    )
    send.attempts += 1
    try:
        response = httpx.post(f"{base}/slack/events", content=body, headers=headers, timeout=3.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def count(url: str, statement: Any) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())
    finally:
        engine.dispose()


def test_serve_killed_while_links_arrive_processes_each_acked_link_once(
    postgres_url: str, tmp_path: Path
) -> None:
    with SlackStandin() as slack, PageServer() as pages:
        ana = slack.add_user("ana")
        desk = slack.add_channel("desk", members=[ana])
        sends: list[Send] = []
        for number in range(LINKS):
            url = pages.url(f"/harbour/{number}")
            pages.add(f"/harbour/{number}", harbour_page(number, url))
            # The stand-in has no app URL yet: the message is stored, the event sent below.
            sent = slack.post_message(ana, desk, f"worth a read {url}")
            sends.append(Send(url, desk, sent.ts, f"EvCrash{number:06d}", sent.event))

        port = find_free_port()
        base = f"http://127.0.0.1:{port}"
        variables = {
            "DATABASE_URL": postgres_url,
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.api_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
            "FETCH_ALLOWED_HOSTS": "127.0.0.1",
            "WORKER_THREADS": "2",
        }
        serve_args = ["serve", "--processes", "2", "--threads", "4"]
        acks = threading.Semaphore(0)
        queue = list(sends)
        lock = threading.Lock()

        def send_all() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    send = queue.pop(0)
                send.acked = deliver(base, slack, send, None)
                if send.acked:
                    acks.release()
                time.sleep(0.02)

        with NewsdeskProcess(serve_args, variables, cwd=tmp_path) as first:
            assert first.wait_for_http(f"{base}/healthz").status_code == 200
            senders = [threading.Thread(target=send_all) for _ in range(SENDERS)]
            for sender in senders:
                sender.start()
            for _ in range(KILL_AFTER_ACKS):
                assert acks.acquire(timeout=30)
            # The whole gunicorn session at once, mid-request: master and web processes.
            os.killpg(first.pid, signal.SIGKILL)
            first.process.wait(10)
            for sender in senders:
                sender.join(60)
        first_round = [s for s in sends if s.acked]
        failed = [s for s in sends if not s.acked]
        assert KILL_AFTER_ACKS <= len(first_round) < LINKS
        assert failed

        with NewsdeskProcess(serve_args, variables, cwd=tmp_path) as second:
            assert second.wait_for_http(f"{base}/healthz").status_code == 200
            # Slack retries what was not acknowledged, with the same event_id.
            for send in failed:
                send.acked = deliver(base, slack, send, 1)
            assert all(s.acked for s in sends)
            # A late retry of events that were acknowledged changes nothing.
            for send in first_round[:5]:
                assert deliver(base, slack, send, 2)
            assert second.terminate() == 0, second.output()

        # Nothing half-stored by the kill: every job has its payload, every event at most one job.
        jobs = count(postgres_url, select(func.count()).select_from(Job))
        assert jobs == LINKS
        assert count(postgres_url, select(func.count()).select_from(ProcessedEvent)) >= LINKS
        assert count(postgres_url, select(func.count(func.distinct(Job.dedupe_key)))) == LINKS

        with NewsdeskProcess(["worker"], variables, cwd=tmp_path) as worker:
            done = select(func.count()).select_from(Job).where(Job.state == "done")
            slack.wait_for(lambda: count(postgres_url, done) == LINKS, timeout=120)
            assert worker.terminate() == 0, worker.output()

        engine = sa.create_engine(postgres_url)
        try:
            with sa.orm.Session(engine) as session:
                payloads = list(session.scalars(select(Job.payload)))
                assert all(p.get("url") and p.get("message") for p in payloads)
                assert sorted(p["url"] for p in payloads) == sorted(s.url for s in sends)
                articles = list(session.scalars(select(Article)))
                assert sorted(a.canonical_url or "" for a in articles) == sorted(
                    s.url for s in sends
                )
                shares = list(session.scalars(select(Share)))
                assert sorted(share.message_ts or "" for share in shares) == sorted(
                    s.ts for s in sends
                )
                without_share = (
                    select(func.count()).select_from(Article).where(~Article.shares.any())
                )
                assert session.scalar(without_share) == 0
        finally:
            engine.dispose()

        for send in sends:
            replies = [m for m in slack.replies(send.channel, send.ts) if m["ts"] != send.ts]
            assert len(replies) == 1, (send.url, replies)
            assert "Harbour report" in json.dumps(replies[0]["blocks"])
        assert len(slack.calls("chat.postMessage")) == LINKS
