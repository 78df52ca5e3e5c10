"""Load: the whole HTTP deployment (web processes + workers) under a realistic mix, end to end.

PostgreSQL shape: ``newsdesk serve --processes 4 --threads 4`` and two ``newsdesk worker``
processes (2 job threads each, at ``nice 10`` as the systemd unit runs them); N clients send,
for S seconds at an offered total rate, signed Slack events (channel messages with links to
local pages, plain messages, mentions), signed ``/news latest …`` slash commands and signed
CMS publish webhooks (headline + body, so no fetch) for stories that three subscribed
channels follow. Every request is built before the clock starts and sent from a separate
process; ack time is measured from the moment a request was due. After the clients stop the
workers drain the queue, and the run checks that no work was lost or duplicated: one card
reply in each shared link's thread, one story per webhook and one alert per story in each
subscribed channel. A table shows where the CPU went (web, workers, PostgreSQL, stand-in,
generator).

SQLite shape (``--engine sqlite``): one ``newsdesk serve --processes 1`` and one worker, at
each of ``--rates``, naming the rate where it stops holding (p99 ack > 3 s or lag growing).

    .venv/bin/python -m bench.load --seconds 60 --clients 200 --rates 100,200,300
    .venv/bin/python -m bench.load --engine sqlite --rates 50,100,200,300,400
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import shlex
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

if __package__ in (None, ""):  # run as `python bench/load.py` from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlalchemy import select

from bench.ack import fresh_database, milliseconds, percentile
from bench.cpu import postgres_cpu, process_table, tree_cpu
from handlers.alerts import ALERT_EVENT_TYPE
from news.aliases import load_alias_table
from news.webhooks import sign_payload
from standin.slack import SlackStandin, app_mention_of
from standin.webapi import ResponseTarget
from storage.database import create_database_engine
from storage.models import Article, Delivery, Job
from storage.subscriptions import subscribe
from tests.articles import harbour_page
from tests.pageserver import PageServer
from tests.processes import NewsdeskProcess, find_free_port

# Share of each request kind in the mix; publish is about one story a second at 200 req/s.
MIX = {"link": 0.25, "plain": 0.40, "mention": 0.15, "command": 0.195, "publish": 0.005}
SLOW_SECONDS = 3.0
WEBHOOK_SECRET = "load-bench-webhook-secret"
PAGES = 200
QUESTIONS = ("latest on Ukraine", "what do we have on harbour repairs?", "help")
COMMANDS = ("latest harbour", "latest Ukraine", "latest")


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int


@dataclass
class Run:
    """One run's requests and what the work they caused looked like afterwards."""

    engine: str
    rate: float
    clients: int
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    links: list[tuple[str, str]] = field(default_factory=list)
    stories: list[str] = field(default_factory=list)
    ingest_lags: list[tuple[datetime, float]] = field(default_factory=list)
    alert_lags: list[tuple[datetime, float]] = field(default_factory=list)
    jobs_by_state: Counter[str] = field(default_factory=Counter)
    drained: bool = False
    lost_replies: int = 0
    duplicate_replies: int = 0
    lost_stories: int = 0
    lost_alerts: int = 0
    duplicate_alerts: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    # The same, from the first request until the last piece of work was done: what the
    # requests cost in all, whether the workers kept up during the sending or caught up after.
    cpu_drained: dict[str, float] = field(default_factory=dict)

    def latencies(self, kind: str | None = None) -> list[float]:
        return sorted(s.seconds for s in self.samples if kind in (None, s.kind))


class Traffic:
    """Workspace, pages, subscribed channels; signed requests as Slack and a CMS send them."""

    def __init__(self, slack: SlackStandin, pages: PageServer) -> None:
        self.slack = slack
        self.users = [slack.add_user(f"reporter{n}") for n in range(20)]
        self.channels = [slack.add_channel(f"desk{n}", members=self.users) for n in range(5)]
        self.alert_channels = [
            slack.add_channel(f"alerts{n}", members=self.users[:2]) for n in range(3)
        ]
        self.urls = []
        for number in range(PAGES):
            url = pages.url(f"/harbour/{number}")
            pages.add(f"/harbour/{number}", harbour_page(number, url))
            self.urls.append(url)
        self.counter = 0
        self.links: list[tuple[str, str]] = []
        self.stories: list[str] = []

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    def request(self, kind: str, rng: random.Random) -> Request:
        """One signed request of ``kind``, as Slack or the CMS would send it."""
        number = self.next_number()
        user = rng.choice(self.users)
        channel = rng.choice(self.channels)
        if kind == "publish":
            url = f"https://cms.example/stories/{number}-{uuid.uuid4().hex[:6]}"
            story = {
                "event": "published",
                "url": url,
                "headline": f"Harbour authority names new director ({number})",
                "body": "The port authority named a new director on Monday. " * 8,
                "desk": "business",
                "event_id": f"cms-{number}",
            }
            body = json.dumps(story).encode()
            headers = sign_payload(secret=WEBHOOK_SECRET, body=body, timestamp=int(time.time()))
            return Request(
                kind, "/hooks/publish", body, {**headers, "Content-Type": "application/json"}
            )
        if kind == "command":
            fields = {
                "token": self.slack.verification_token,
                "team_id": self.slack.team_id,
                "channel_id": channel,
                "channel_name": "desk",
                "user_id": user,
                "user_name": "reporter",
                "command": "/news",
                "text": rng.choice(COMMANDS),
                "api_app_id": self.slack.app_id,
                "response_url": self.slack.api.new_response_url(ResponseTarget(user, channel)),
                "trigger_id": self.slack.workspace.new_trigger(user),
            }
            body = urlencode(fields).encode()
            headers = {**self.slack.sign_request(body)}
            return Request(kind, "/slack/events", body, {**headers, "Content-Type": FORM})
        bot = self.slack.bot_user_id
        if kind == "link":
            text = f"worth a read {rng.choice(self.urls)}"
        elif kind == "mention":
            text = f"<@{bot}> {rng.choice(QUESTIONS)}"
        else:
            text = rng.choice(("on my way", "who is on the night desk?", "thanks, filed"))
        # The stand-in has no app URL: the message is stored in Slack, the event sent here.
        sent = self.slack.post_message(user, channel, text)
        event = app_mention_of(sent.event) if kind == "mention" else sent.event
        body, headers = self.slack.signed_event(event, event_id=f"EvLoad{number:010d}")
        return Request(kind, "/slack/events", body, headers)

    def record(self, request: Request) -> None:
        """Remember acknowledged work, to check afterwards that it was done exactly once."""
        if request.kind == "link":
            event = json.loads(request.body)["event"]
            self.links.append((event["channel"], event["ts"]))
        elif request.kind == "publish":
            self.stories.append(json.loads(request.body)["url"])


FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Request:
    kind: str
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Planned:
    """A request and when it is due, in seconds after the clients start."""

    client: int
    due: float
    request: Request


def plan(
    traffic: Traffic,
    *,
    clients: int,
    rate: float,
    seconds: float,
    mix: dict[str, float] = MIX,
) -> list[Planned]:
    """Every client sends a request each ``clients / rate`` seconds, its first at a random offset.

    Requests are built (and their messages stored in the stand-in) before the clock starts, so
    the sending process does nothing but send; signatures stay well inside Slack's 5 minutes.
    """
    interval = clients / rate
    planned = []
    for client in range(clients):
        rng = random.Random(client)
        due = rng.random() * interval
        while due < seconds:
            kind = rng.choices(list(mix), weights=list(mix.values()))[0]
            planned.append(Planned(client, due, traffic.request(kind, rng)))
            due += interval
    return planned


@dataclass(frozen=True)
class Outcome:
    """What one planned request got: latency from its due time, HTTP status or error name."""

    index: int
    seconds: float
    status: int
    error: str | None


class Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: the generator must be cheap.

    (An ``httpx.AsyncClient`` spent about 3 ms of CPU a request here, as much as the server.)
    A connection the server closed while idle is reopened and the request sent again once.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, request: Request, timeout: float) -> int:
        for attempt in (1, 2):
            reused = self.streams is not None
            if self.streams is None:
                self.streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self.streams
            head = [f"POST {request.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            head += [f"{name}: {value}" for name, value in request.headers.items()]
            head.append(f"Content-Length: {len(request.body)}")
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + request.body)
            try:
                await writer.drain()
                status_line = await asyncio.wait_for(reader.readline(), timeout)
            except ConnectionError:
                status_line = b""
            if not status_line:
                await self.close()
                if reused and attempt == 1:
                    continue
                raise ConnectionError("server closed the connection")
            status, keep = int(status_line.split()[1]), True
            length, chunked = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding":
                    chunked = "chunked" in value
                elif name == "connection":
                    keep = value != "close"
            if chunked:
                while size := int((await reader.readline()).split(b";")[0], 16):
                    await reader.readexactly(size + 2)
                await reader.readline()
            else:
                await reader.readexactly(length)
            if not keep:
                await self.close()
            return status
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.streams is not None:
            writer = self.streams[1]
            self.streams = None
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def send_all(port: int, planned: list[Planned], clients: int) -> tuple[list[Outcome], float]:
    """Send ``planned`` on time from one asyncio loop; returns outcomes and this process's CPU.

    Runs in its own process, so the load generator never competes for the interpreter with
    the Slack stand-in and page server that the workers call. Each client has one keep-alive
    connection and sends its requests in order, each at its due time or as soon as the
    previous answer arrives.
    """

    async def client(start: float, mine: list[tuple[int, Planned]]) -> list[Outcome]:
        connection = Connection("127.0.0.1", port)
        outcomes = []
        for index, item in mine:
            due = start + item.due
            pause = due - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
            try:
                status = await connection.post(item.request, timeout=30.0)
                outcome = Outcome(index, time.perf_counter() - due, status, None)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
                await connection.close()
                outcome = Outcome(index, time.perf_counter() - due, 0, type(error).__name__)
            outcomes.append(outcome)
        await connection.close()
        return outcomes

    async def everyone() -> list[Outcome]:
        by_client: dict[int, list[tuple[int, Planned]]] = {n: [] for n in range(clients)}
        for index, item in enumerate(planned):
            by_client[item.client].append((index, item))
        start = time.perf_counter() + 1.0
        results = await asyncio.gather(*(client(start, mine) for mine in by_client.values()))
        return [outcome for outcomes in results for outcome in outcomes]

    cpu = time.process_time()
    outcomes = asyncio.run(everyone())
    return outcomes, time.process_time() - cpu


def cpu_by_role(processes: list[NewsdeskProcess]) -> dict[str, float]:
    """CPU seconds so far of the web server, the workers, PostgreSQL and this process."""
    table = process_table()
    return {
        "web": tree_cpu(processes[0].pid, table),
        "workers": sum(tree_cpu(p.pid, table) for p in processes[1:]),
        "postgresql": postgres_cpu(table),
        "stand-in and pages": time.process_time(),
    }


def prepare(url: str, traffic: Traffic) -> None:
    """The alert channels follow everything, with a budget that sends every alert."""
    from storage.subscriptions import set_alert_budget

    engine = create_database_engine(url)
    aliases = load_alias_table()
    with sa.orm.Session(engine) as session, session.begin():
        for channel in traffic.alert_channels:
            subscribe(channel, "all", "all", created_by=None, aliases=aliases, session=session)
            set_alert_budget(channel, 1000, session=session)
    engine.dispose()


def wait_for_drain(url: str, deadline: float) -> bool:
    """Until no job or delivery is pending or running (False when ``deadline`` passes)."""
    engine = create_database_engine(url)
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                jobs = connection.execute(
                    select(sa.func.count())
                    .select_from(Job)
                    .where(Job.state.in_(("pending", "running")))
                ).scalar_one()
                deliveries = connection.execute(
                    select(sa.func.count())
                    .select_from(Delivery)
                    .where(Delivery.state.in_(("pending", "sending")))
                ).scalar_one()
            if jobs == 0 and deliveries == 0:
                return True
            time.sleep(0.5)
        return False
    finally:
        engine.dispose()


def collect(url: str, run: Run, traffic: Traffic) -> None:
    """Lags from the database; lost and duplicated work from the stand-in."""
    engine = create_database_engine(url)
    with sa.orm.Session(engine) as session:
        for job in session.scalars(select(Job)):
            run.jobs_by_state[job.state] += 1
            if job.kind == "ingest_link" and job.finished_at is not None:
                lag = (job.finished_at - job.created_at).total_seconds()
                run.ingest_lags.append((job.created_at, lag))
        for delivery in session.scalars(select(Delivery).where(Delivery.sent_at.is_not(None))):
            assert delivery.sent_at is not None
            lag = (delivery.sent_at - delivery.created_at).total_seconds()
            run.alert_lags.append((delivery.created_at, lag))
        stored = {a.canonical_url or a.original_url: a.id for a in session.scalars(select(Article))}
    engine.dispose()
    slack = traffic.slack
    run.links, run.stories = list(traffic.links), list(traffic.stories)
    for channel, ts in run.links:
        replies = [m for m in slack.replies(channel, ts) if m.get("ts") != ts]
        run.lost_replies += len(replies) == 0
        run.duplicate_replies += max(0, len(replies) - 1)
    story_ids = {stored.get(story) for story in run.stories}
    run.lost_stories = sum(1 for story in run.stories if story not in stored)
    for channel in traffic.alert_channels:
        alerts: Counter[Any] = Counter()
        for message in slack.messages(channel):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == ALERT_EVENT_TYPE:
                alerts[metadata.get("event_payload", {}).get("article_id")] += 1
        run.lost_alerts += sum(1 for story in story_ids if story and alerts[story] == 0)
        run.duplicate_alerts += sum(max(0, n - 1) for n in alerts.values())


def measure(
    engine_name: str,
    rate: float,
    *,
    clients: int,
    seconds: float,
    drain: float,
    directory: Path,
    mix: dict[str, float] = MIX,
) -> Run:
    run = Run(engine_name, rate, clients, seconds)
    web_processes, workers = (4, 2) if engine_name == "postgresql" else (1, 1)
    with (
        fresh_database(engine_name, directory) as url,
        SlackStandin() as slack,
        PageServer() as pages,
    ):
        traffic = Traffic(slack, pages)
        prepare(url, traffic)
        port = find_free_port()
        base = f"http://127.0.0.1:{port}"
        variables = {
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.api_url,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "FETCH_ALLOWED_HOSTS": "127.0.0.1",
            "WORKER_THREADS": "2",
            "ALERTS_PER_HOUR": "1000",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
        }
        serve_args = ["serve", "--processes", str(web_processes), "--threads", "4"]
        processes = [NewsdeskProcess(serve_args, variables, cwd=directory).start()]
        try:
            processes[0].wait_for_http(f"{base}/healthz", timeout=60)
            for _ in range(workers):
                processes.append(
                    NewsdeskProcess(["worker"], variables, cwd=directory, nice=10).start()
                )
            planned = plan(traffic, clients=clients, rate=rate, seconds=seconds, mix=mix)
            before = cpu_by_role(processes)
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                outcomes, run.cpu["load generator"] = pool.submit(
                    send_all, port, planned, clients
                ).result()
            after = cpu_by_role(processes)
            for role, used in after.items():
                run.cpu[role] = used - before.get(role, 0.0)
            for outcome in outcomes:
                request = planned[outcome.index].request
                if outcome.error is not None:
                    run.errors[f"{request.kind}: {outcome.error}"] += 1
                    continue
                run.samples.append(Sample(request.kind, outcome.seconds, outcome.status))
                if outcome.status in (200, 202):
                    traffic.record(request)
            run.drained = wait_for_drain(url, time.monotonic() + drain)
            drained = cpu_by_role(processes)
            for role, used in drained.items():
                run.cpu_drained[role] = used - before.get(role, 0.0)
            run.cpu_drained["load generator"] = run.cpu["load generator"]
            collect(url, run, traffic)
        finally:
            for process in reversed(processes):
                process.stop()
    return run


def lag_growth(lags: list[tuple[datetime, float]]) -> float:
    """p50 lag of the second half of the work minus that of the first half (seconds)."""
    if len(lags) < 4:
        return 0.0
    ordered = [lag for _, lag in sorted(lags)]
    half = len(ordered) // 2
    return percentile(sorted(ordered[half:]), 0.5) - percentile(sorted(ordered[:half]), 0.5)


def holds(run: Run) -> bool:
    acks = run.latencies()
    return (
        run.drained
        and percentile(acks, 0.99) <= SLOW_SECONDS
        and lag_growth(run.ingest_lags) < 1.0
        and not sum(run.errors.values())
    )


def seconds_cell(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "–"
    return f"{percentile(ordered, 0.5):.2f} / {percentile(ordered, 0.99):.2f} / {ordered[-1]:.2f}"


def summary_table(runs: list[Run]) -> list[str]:
    lines = [
        "| engine | clients | offered/s | requests | done/s | ack p50 ms | ack p99 ms "
        "| > 3 s | not 2xx | errors | ingest lag p50/p99/max s | growth s "
        "| alert lag p50/p99/max s | drained | holds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        acks = r.latencies()
        slow = sum(1 for s in r.samples if s.seconds > SLOW_SECONDS)
        not_ok = sum(1 for s in r.samples if s.status not in (200, 202))
        lines.append(
            f"| {r.engine} | {r.clients} | {r.rate:g} | {len(r.samples)} "
            f"| {len(r.samples) / r.seconds:.0f} | {milliseconds(percentile(acks, 0.5))} "
            f"| {milliseconds(percentile(acks, 0.99))} | {slow} | {not_ok} "
            f"| {sum(r.errors.values())} | {seconds_cell([lag for _, lag in r.ingest_lags])} "
            f"| {lag_growth(r.ingest_lags):+.2f} "
            f"| {seconds_cell([lag for _, lag in r.alert_lags])} "
            f"| {'yes' if r.drained else 'no'} | {'yes' if holds(r) else 'no'} |"
        )
    return lines


def kinds_table(runs: list[Run]) -> list[str]:
    header = " | ".join(f"{kind} n, p50 / p99 ms" for kind in MIX)
    lines = [f"| engine | offered/s | {header} |", "|---|---|" + "---|" * len(MIX)]
    for r in runs:
        cells = []
        for kind in MIX:
            values = r.latencies(kind)
            cells.append(
                f"{len(values)}, {milliseconds(percentile(values, 0.5))} / "
                f"{milliseconds(percentile(values, 0.99))}"
            )
        lines.append(f"| {r.engine} | {r.rate:g} | {' | '.join(cells)} |")
    return lines


def work_table(runs: list[Run]) -> list[str]:
    lines = [
        "| engine | offered/s | links acked | replies lost | replies duplicated "
        "| webhooks acked | stories lost | alerts lost | alerts duplicated | jobs by state |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        states = ", ".join(f"{k} {v}" for k, v in sorted(r.jobs_by_state.items()))
        lines.append(
            f"| {r.engine} | {r.rate:g} | {len(r.links)} | {r.lost_replies} "
            f"| {r.duplicate_replies} | {len(r.stories)} | {r.lost_stories} | {r.lost_alerts} "
            f"| {r.duplicate_alerts} | {states} |"
        )
    return lines


ROLES = ("web", "workers", "postgresql", "stand-in and pages", "load generator")


def cpu_table(runs: list[Run], *, drained: bool = False) -> list[str]:
    """Where the CPU went while the clients were sending (or, ``drained``, until the work
    they caused was done): seconds, and ms per request.

    The last column of the sending table is all that CPU divided by the run's nominal
    length: the cores the offered load asks for. Above the machine's core count the clients
    fall behind and the sending lasts longer than ``--seconds``. The drained table's last
    column is all its CPU per request: what a request costs in all, whether the workers kept
    up while the clients sent or caught up after.
    """
    header = " | ".join(f"{role} s (ms/request)" for role in ROLES)
    last = "CPU ms per request" if drained else "CPU s per run second"
    lines = [
        f"| engine | offered/s | {header} | {last} |",
        "|---|---|" + "---|" * (len(ROLES) + 1),
    ]
    for r in runs:
        requests = max(1, len(r.samples))
        cpu = r.cpu_drained if drained else r.cpu
        cells = [
            f"{cpu.get(role, 0.0):.1f} ({1000 * cpu.get(role, 0.0) / requests:.2f})"
            for role in ROLES
        ]
        total = 1000 * sum(cpu.values()) / requests if drained else sum(cpu.values()) / r.seconds
        lines.append(f"| {r.engine} | {r.rate:g} | {' | '.join(cells)} | {total:.2f} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rates", default="200", help="offered requests/s, comma-separated")
    parser.add_argument("--drain", type=float, default=300.0, help="at most this long after")
    parser.add_argument("--out", type=Path, help="append the tables as Markdown here")
    args = parser.parse_args(argv)

    runs = []
    with tempfile.TemporaryDirectory(prefix="newsdesk-load-") as temporary:
        for rate in (float(value) for value in args.rates.split(",")):
            run = measure(
                args.engine,
                rate,
                clients=args.clients,
                seconds=args.seconds,
                drain=args.drain,
                directory=Path(temporary),
            )
            runs.append(run)
            print(summary_table([run])[-1], flush=True)
            if run.errors:
                print(f"  errors: {dict(run.errors)}", flush=True)
    broken = [r.rate for r in runs if not holds(r)]
    verdict = (
        f"Stops holding at {min(broken):g} requests/s."
        if broken
        else "Holds at every offered rate."
    )
    tables = [
        *summary_table(runs),
        "",
        "Ack time per kind:",
        "",
        *kinds_table(runs),
        "",
        "Work done exactly once:",
        "",
        *work_table(runs),
        "",
        f"CPU while the clients were sending ({os.cpu_count()} cores):",
        "",
        *cpu_table(runs),
        "",
        "CPU from the first request until the work was drained:",
        "",
        *cpu_table(runs, drained=True),
        "",
        verdict,
    ]
    print()
    print("\n".join(tables))
    if args.out:
        command = shlex.join([".venv/bin/python", "-m", "bench.load", *(argv or sys.argv[1:])])
        with args.out.open("a", encoding="utf-8") as out:
            out.write(f"\n    {command}\n\n" + "\n".join(tables) + "\n")


if __name__ == "__main__":
    main()
