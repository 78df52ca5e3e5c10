"""Publish-alert delivery: time from publish to the last of 50 channels' alerts, and
outbox throughput, with 1, 2 and 4 delivery threads against the local Slack stand-in with
realistic latency (50 ms a call by default).

Latency: 50 channels follow everything; one story is published every ``--gap`` seconds
(more than the one-second pacing, so each publish starts on idle channels) and timed from
its commit to the moment the 50th channel's alert is in the stand-in. Throughput: alerts
for ``--stories`` stories over ``--wide-channels`` channels are queued at once and drained.

    .venv/bin/python -m bench.alerts
    .venv/bin/python -m bench.alerts --postgres postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

import sqlalchemy as sa

if __package__ in (None, ""):  # run as `python bench/<name>.py` from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.alerts import DeliveryOptions, DeliveryWorker
from news.aliases import load_alias_table
from standin.slack import SlackStandin
from storage.database import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    upgrade_database,
)
from storage.models import Article, Delivery
from storage.publishing import publish_article
from storage.subscriptions import subscribe
from tests.databases import postgres_schema


@dataclass(frozen=True)
class Row:
    engine: str
    threads: int
    p50: float
    p95: float
    worst: float
    throughput: float


@contextmanager
def sqlite_archive() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_database(url)
        yield url


def add_story(session_factory: SessionFactory, number: int) -> int:
    text = f"Bench story {number}: officials said more details would follow later today."
    with session_factory.begin() as session:
        article = Article(
            canonical_url=f"https://news.example.com/bench-{uuid.uuid4().hex}",
            headline=f"Bench story {number}",
            body=text,
            summary=text,
            outlet="The Harbour Gazette",
            content_hash=hashlib.sha256(f"{number}-{uuid.uuid4()}".encode()).hexdigest(),
            topics=["Bench"],
            is_public=True,
            status="draft",
        )
        session.add(article)
        session.flush()
        return article.id


def follow_everything(session_factory: SessionFactory, channels: list[str]) -> None:
    aliases = load_alias_table([])
    with session_factory.begin() as session:
        for channel_id in channels:
            subscribe(channel_id, "all", "all", created_by=None, aliases=aliases, session=session)


def publish(session_factory: SessionFactory, article_id: int) -> None:
    with session_factory.begin() as session:
        publish_article(article_id, session=session, aliases=load_alias_table([]))


def sent_count(session_factory: SessionFactory, article_ids: list[int] | None = None) -> int:
    statement = select(func.count()).where(Delivery.state == "sent")
    if article_ids is not None:
        statement = statement.where(Delivery.article_id.in_(article_ids))
    with session_factory() as session:
        return int(session.scalar(statement) or 0)


def start_worker(
    session_factory: SessionFactory, slack: SlackStandin, threads: int
) -> DeliveryWorker:
    client = WebClient(token=slack.bot_token, base_url=slack.api_url, timeout=10, retry_handlers=[])
    worker = DeliveryWorker(
        session_factory,
        client,
        options=DeliveryOptions(threads=threads, lease=timedelta(seconds=30), alerts_per_hour=None),
    )
    worker.start()
    return worker


def wait_for(wanted: int, counter: Callable[[], int], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if counter() >= wanted:
            return
        time.sleep(0.005)
    raise TimeoutError("deliveries did not finish in time")


def measure(url: str, engine: str, threads: int, args: argparse.Namespace) -> Row:
    database = create_database_engine(url)
    session_factory = create_session_factory(database)
    with database.begin() as connection:
        for table in ("deliveries", "subscriptions", "shares", "article_versions", "articles"):
            connection.execute(sa.text(f"DELETE FROM {table}"))
    with SlackStandin() as slack:
        slack.set_latency(args.latency)
        channels = [slack.add_channel(f"desk-{n:03d}") for n in range(args.channels)]
        follow_everything(session_factory, channels)
        worker = start_worker(session_factory, slack, threads)
        try:
            latencies = []
            for number in range(args.publishes):
                article_id = add_story(session_factory, number)
                started = time.perf_counter()
                publish(session_factory, article_id)
                worker.wake()
                wait_for(len(channels), partial(sent_count, session_factory, [article_id]))
                latencies.append(time.perf_counter() - started)
                time.sleep(args.gap)
            wide = [slack.add_channel(f"wide-{n:04d}") for n in range(args.wide_channels)]
            follow_everything(session_factory, wide)
            before = sent_count(session_factory)
            ids = [add_story(session_factory, 10_000 + n) for n in range(args.stories)]
            started = time.perf_counter()
            for article_id in ids:
                publish(session_factory, article_id)
            worker.wake()
            expected = before + len(ids) * (len(channels) + len(wide))
            wait_for(expected, lambda: sent_count(session_factory), timeout=600)
            throughput = (expected - before) / (time.perf_counter() - started)
        finally:
            worker.stop()
    database.dispose()
    latencies.sort()
    return Row(
        engine=engine,
        threads=threads,
        p50=statistics.median(latencies),
        p95=latencies[max(0, round(0.95 * len(latencies)) - 1)],
        worst=latencies[-1],
        throughput=throughput,
    )


def format_table(rows: list[Row], args: argparse.Namespace) -> str:
    lines = [
        f"Publish → last of {args.channels} channels' alerts ({args.publishes} publishes, "
        f"stand-in latency {args.latency * 1000:.0f} ms a call); throughput: "
        f"{args.stories} stories × {args.channels + args.wide_channels} channels.",
        "",
        "| engine | delivery threads | p50 (s) | p95 (s) | worst (s) | throughput (deliveries/s) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.engine} | {row.threads} | {row.p50:.2f} | {row.p95:.2f} | "
            f"{row.worst:.2f} | {row.throughput:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--publishes", type=int, default=20)
    parser.add_argument("--gap", type=float, default=1.1, help="seconds between publishes")
    parser.add_argument("--latency", type=float, default=0.05, help="stand-in seconds a call")
    parser.add_argument("--stories", type=int, default=4, help="stories for throughput")
    parser.add_argument("--wide-channels", type=int, default=250)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--postgres", help="also run on this PostgreSQL server (a schema)")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    with sqlite_archive() as url:
        for threads in args.threads:
            rows.append(measure(url, "sqlite", threads, args))
            print(format_table(rows[-1:], args).splitlines()[-1], flush=True)
    if args.postgres:
        with postgres_schema(args.postgres, "bench_alerts") as url:
            for threads in args.threads:
                rows.append(measure(url, "postgresql", threads, args))
                print(format_table(rows[-1:], args).splitlines()[-1], flush=True)
    print()
    print(format_table(rows, args))


if __name__ == "__main__":
    main()
