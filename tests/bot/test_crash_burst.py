"""``kill -9`` of the web server and the worker in the middle of a burst of shared links.

Slack resends every event it did not see acknowledged; here every event is sent again after
the restart (acknowledged ones too, as a Slack retry after a lost ack would be). Afterwards
each link has exactly one card reply, one share and one stored story, every job is done,
and no story is half-written (every article has its text, summary and search entry).
"""

from __future__ import annotations

import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from standin.slack import SlackStandin
from storage.models import Article, Job, Share
from tests.articles import article_page
from tests.pageserver import PageServer
from tests.processes import NewsdeskProcess, find_free_port

pytestmark = pytest.mark.slow

LINKS = 24
LEASE_SECONDS = 3
FETCH_DEADLINE = 2.5


def link_messages(slack: SlackStandin, pages: PageServer) -> list[dict[str, Any]]:
    """One message with a link per story, stored in Slack; the ``message`` events."""
    ana = slack.add_user("ana")
    desk = slack.add_channel("desk", members=[ana])
    events = []
    for number in range(LINKS):
        path = f"/story/{number}"
        url = pages.url(path)
        body = article_page(f"Harbour berth {number} reopens", url)
        # Slow pages: the worker is in the middle of fetching when it is killed.
        pages.add_stream(path, functools.partial(pages.trickle, [body], 0.3))
        events.append(slack.post_message(ana, desk, f"worth a read {url}").event)
    return events


def send(base: str, slack: SlackStandin, event: dict[str, Any], retry: int | None = None) -> int:
    """Post one event as Slack does (its id fixed by its ts); 0 when the server died first."""
    body, headers = slack.signed_event(
        event,
        event_id="EvCrash" + event["ts"].replace(".", ""),
        retry_num=retry,
        retry_reason="http_error",
    )
    try:
        response = httpx.post(f"{base}/slack/events", content=body, headers=headers, timeout=10)
    except httpx.TransportError:
        return 0
    return response.status_code


def table_count(engine: sa.Engine, statement: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def test_killed_web_and_worker_mid_burst_every_link_processed_once(
    database_url: str, slack: SlackStandin, pages: PageServer, tmp_path: Path
) -> None:
    events = link_messages(slack, pages)
    port = find_free_port()
    base = f"http://127.0.0.1:{port}"
    variables = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "FETCH_ALLOWED_HOSTS": "127.0.0.1",
        "FETCH_TOTAL_TIMEOUT": str(FETCH_DEADLINE),
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "WORKER_THREADS": "2",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    serve = ["serve", "--processes", "2", "--threads", "2"]
    engine = sa.create_engine(database_url)
    try:
        web = NewsdeskProcess(serve, variables, cwd=tmp_path).start()
        worker = NewsdeskProcess(["worker"], variables, cwd=tmp_path).start()
        try:
            web.wait_for_http(f"{base}/healthz", timeout=60)
            # Half the burst is sent while the processes are killed: some acks never arrive.
            statuses: dict[int, int] = {}
            first = threading.Event()

            def share(number: int) -> None:
                statuses[number] = send(base, slack, events[number])
                first.set()

            with ThreadPoolExecutor(8) as pool:
                for number in range(LINKS // 2):
                    pool.submit(share, number)
                assert first.wait(30)
                slack.wait_for(lambda: pages.requests_to("/story/0") or len(statuses) > 4, 30)
                worker.kill()
                web.kill_group()
        finally:
            web.stop()
            worker.stop()
        # The crash interrupted work: links recorded but not yet answered.
        unfinished = table_count(
            engine, select(func.count()).select_from(Job).where(Job.state != "done")
        )
        assert unfinished > 0

        web = NewsdeskProcess(serve, variables, cwd=tmp_path).start()
        worker = NewsdeskProcess(["worker"], variables, cwd=tmp_path).start()
        try:
            web.wait_for_http(f"{base}/healthz", timeout=60)
            for number in range(LINKS // 2, LINKS):
                assert send(base, slack, events[number]) == 200
            for number in range(LINKS):  # Slack's retries: unacknowledged and acknowledged
                assert send(base, slack, events[number], retry=1) == 200

            def finished() -> bool:
                pending = select(func.count()).select_from(Job).where(Job.state != "done")
                return table_count(engine, select(func.count()).select_from(Job)) >= LINKS and (
                    table_count(engine, pending) == 0
                )

            slack.wait_for(finished, timeout=120)
            assert worker.terminate() == 0, worker.output()
            assert web.terminate() == 0, web.output()
        finally:
            web.stop()
            worker.stop()

        desk = slack.channel_id("desk")
        for ts in (event["ts"] for event in events):
            replies = [m for m in slack.replies(desk, ts) if m.get("ts") != ts]
            assert len(replies) == 1, (ts, replies)
        with sa.orm.Session(engine) as session:
            articles = list(session.scalars(select(Article)))
            shares = list(session.scalars(select(Share)))
            jobs = list(session.scalars(select(Job)))
        assert len(articles) == LINKS
        assert all(a.headline and a.body and a.summary and a.content_hash for a in articles)
        assert sorted((s.channel_id, s.message_ts) for s in shares) == sorted(
            (desk, event["ts"]) for event in events
        )
        assert {job.state for job in jobs} == {"done"}
        assert len(jobs) == LINKS
        if engine.dialect.name == "sqlite":
            indexed = table_count(engine, sa.text("SELECT count(*) FROM articles_fts"))
        else:
            indexed = table_count(
                engine,
                select(func.count())
                .select_from(Article)
                .where(sa.text("search_vector IS NOT NULL")),
            )
        assert indexed == LINKS
    finally:
        engine.dispose()
