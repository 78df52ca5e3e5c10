"""Ack latency of ``newsdesk serve``: time to HTTP 200 for signed Slack events under 50 clients.

Starts the real ``newsdesk serve`` (gunicorn) for each database and processes×threads setting,
against the local Slack stand-in's Web API, and sends a realistic mix of signed events:
channel messages with a link (a job each), messages without links (ignored), app mentions
(a question job) and DMs (a question job), interleaved with bare ``/healthz`` requests.
No workers run: jobs accumulate, and the table shows how many were queued.

Latency is measured from the moment a request was due, so a client that falls behind
counts its waiting too. ``--rate 0`` sends as fast as the clients can (saturation).

    .venv/bin/python -m bench.ack --seconds 20 --configs 2x4,2x8,3x4 --rate 100,0
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.cpu import tree_cpu
from standin.slack import SlackStandin
from storage.database import create_database_engine, upgrade_database
from storage.queue import count_jobs_by_state
from tests.databases import postgres_schema

POSTGRES_URL = os.environ.get(
    "NEWSDESK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# Share of each request kind in the mix.
MIX = {"link": 0.35, "plain": 0.30, "mention": 0.15, "dm": 0.10, "healthz": 0.10}
EVENT_KINDS = ("link", "plain", "mention", "dm")
SLOW_SECONDS = 3.0
QUESTIONS = ("latest on Ukraine", "what do we have on Russia sanctions this week?", "help")


@dataclass
class Sample:
    kind: str
    seconds: float
    status: int


@dataclass
class RunResult:
    database: str
    processes: int
    threads: int
    rate: float
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    jobs: dict[str, int] = field(default_factory=dict)
    server_cpu_seconds: float = 0.0
    load_average: float = 0.0

    def latencies(self, kinds: tuple[str, ...]) -> list[float]:
        return sorted(s.seconds for s in self.samples if s.kind in kinds)


class Workspace:
    """Users and channels in the stand-in, and signed event bodies like Slack's."""

    def __init__(self, slack: SlackStandin, seed: int) -> None:
        self.slack = slack
        self.rng = random.Random(seed)
        self.users = [slack.add_user(f"reporter{n}") for n in range(20)]
        self.channels = [slack.add_channel(f"desk{n}", members=self.users) for n in range(5)]
        self.dms = [slack.open_dm(user) for user in self.users]
        self.lock = threading.Lock()
        self.counter = 0

    def next_number(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def event_body(self, kind: str, rng: random.Random) -> bytes:
        number = self.next_number()
        user = rng.choice(self.users)
        ts = f"{int(time.time())}.{number:06d}"
        bot = self.slack.bot_user_id
        event: dict[str, Any] = {"user": user, "ts": ts, "event_ts": ts, "team": "T0"}
        if kind == "link":
            url = f"https://news.example/{number}/story-{uuid.uuid4().hex[:8]}"
            text = f"worth a read <{url}>"
            event.update(type="message", channel=rng.choice(self.channels), text=text)
            event["channel_type"] = "channel"
        elif kind == "plain":
            text = rng.choice(("on my way", "who is on the night desk?", "thanks, filed"))
            event.update(type="message", channel=rng.choice(self.channels), text=text)
            event["channel_type"] = "channel"
        elif kind == "mention":
            text = f"<@{bot}> {rng.choice(QUESTIONS)}"
            event.update(type="app_mention", channel=rng.choice(self.channels), text=text)
        else:
            text = rng.choice(QUESTIONS)
            event.update(type="message", channel=rng.choice(self.dms), text=text)
            event["channel_type"] = "im"
        envelope = self.slack.event_envelope(event, event_id=f"EvBench{number:010d}")
        return json.dumps(envelope).encode()


def choose_kind(rng: random.Random) -> str:
    return rng.choices(list(MIX), weights=list(MIX.values()))[0]


def run_client(
    number: int,
    base_url: str,
    workspace: Workspace,
    result: RunResult,
    schedule: Schedule,
) -> None:
    """One client: a request every ``interval`` seconds (0: back to back) until the end.

    Requests due before ``schedule.measure_from`` warm up connections and are not kept.
    """
    rng = random.Random(number)
    samples: list[Sample] = []
    errors: Counter[str] = Counter()
    interval = schedule.interval
    with httpx.Client(base_url=base_url, timeout=30.0, verify=schedule.tls) as client:
        schedule.built.wait()
        schedule.ready.wait()
        due = schedule.start + (rng.random() * interval if interval else 0.0)
        while True:
            now = time.perf_counter()
            if interval:
                if due > now:
                    time.sleep(due - now)
            else:
                due = now
            if due >= schedule.end:
                break
            kind = choose_kind(rng)
            try:
                if kind == "healthz":
                    response = client.get("/healthz")
                else:
                    body = workspace.event_body(kind, rng)
                    headers = {**workspace.slack.sign_request(body)}
                    headers["Content-Type"] = "application/json"
                    response = client.post("/slack/events", content=body, headers=headers)
                if due >= schedule.measure_from:
                    samples.append(Sample(kind, time.perf_counter() - due, response.status_code))
            except httpx.HTTPError as error:
                if due >= schedule.measure_from:
                    errors[type(error).__name__] += 1
            due += interval
    with schedule.lock:
        result.samples.extend(samples)
        result.errors.update(errors)


@dataclass
class Schedule:
    """When the clients start, when measuring starts, when they stop; set once all are ready."""

    interval: float
    built: threading.Barrier
    tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)
    ready: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    start: float = 0.0
    measure_from: float = 0.0
    end: float = 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def fresh_database(engine_name: str, directory: Path) -> Iterator[str]:
    """A migrated, empty archive: a new SQLite file, or a new PostgreSQL schema."""
    if engine_name == "sqlite":
        url = f"sqlite:///{directory / f'ack-{uuid.uuid4().hex[:6]}.db'}"
        upgrade_database(url)
        yield url
        return
    with postgres_schema(POSTGRES_URL, "bench_ack") as url:
        yield url


@contextmanager
def newsdesk_serve(
    url: str, slack: SlackStandin, processes: int, threads: int, directory: Path
) -> Iterator[tuple[str, int]]:
    port = free_port()
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    script = Path(sys.executable).with_name("newsdesk")
    command = [str(script), "serve", "--processes", str(processes), "--threads", str(threads)]
    log = open(directory / f"serve-{port}.log", "w+", encoding="utf-8")  # noqa: SIM115
    server = subprocess.Popen(
        command,
        env=environment,
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"newsdesk serve exited:\n{log.read()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("newsdesk serve did not start")
            time.sleep(0.1)
        yield base, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
        log.close()


def measure(
    engine_name: str,
    processes: int,
    threads: int,
    rate: float,
    *,
    seconds: float,
    clients: int,
    warmup: float,
    directory: Path,
) -> RunResult:
    result = RunResult(engine_name, processes, threads, rate, seconds)
    with (
        fresh_database(engine_name, directory) as url,
        SlackStandin() as slack,
        newsdesk_serve(url, slack, processes, threads, directory) as (base, server_pid),
    ):
        workspace = Workspace(slack, seed=processes * 100 + threads)
        schedule = Schedule(
            interval=clients / rate if rate else 0.0, built=threading.Barrier(clients + 1)
        )
        workers = [
            threading.Thread(target=run_client, args=(n, base, workspace, result, schedule))
            for n in range(clients)
        ]
        for worker in workers:
            worker.start()
        schedule.built.wait()
        schedule.start = time.perf_counter()
        schedule.measure_from = schedule.start + warmup
        schedule.end = schedule.measure_from + seconds
        schedule.ready.set()
        time.sleep(max(0.0, schedule.measure_from - time.perf_counter()))
        cpu_before = tree_cpu(server_pid)
        for worker in workers:
            worker.join()
        result.server_cpu_seconds = tree_cpu(server_pid) - cpu_before
        result.load_average = os.getloadavg()[0]
        engine = create_database_engine(url)
        with engine.connect() as connection, sa.orm.Session(bind=connection) as session:
            result.jobs = count_jobs_by_state(session=session)
        engine.dispose()
    return result


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(fraction * len(values)) - 1))
    return values[index]


def milliseconds(value: float) -> str:
    return f"{value * 1000:.1f}"


def summary_table(results: list[RunResult]) -> list[str]:
    lines = [
        "| database | processes×threads | offered rate | requests | done/s | events p50 ms "
        "| events p99 ms | events max ms | /healthz p50 ms | /healthz p99 ms | > 3 s "
        "| not 200 | errors | jobs queued | server CPU ms/request | load average |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        events = r.latencies(EVENT_KINDS)
        health = r.latencies(("healthz",))
        slow = sum(1 for s in r.samples if s.seconds > SLOW_SECONDS)
        not_ok = sum(1 for s in r.samples if s.status != 200)
        offered = f"{r.rate:g}/s" if r.rate else "max"
        lines.append(
            f"| {r.database} | {r.processes}×{r.threads} | {offered} | {len(r.samples)} "
            f"| {len(r.samples) / r.seconds:.0f} | {milliseconds(percentile(events, 0.5))} "
            f"| {milliseconds(percentile(events, 0.99))} "
            f"| {milliseconds(events[-1] if events else 0)} "
            f"| {milliseconds(percentile(health, 0.5))} | {milliseconds(percentile(health, 0.99))} "
            f"| {slow} | {not_ok} | {sum(r.errors.values())} | {r.jobs.get('pending', 0)} "
            f"| {r.server_cpu_seconds * 1000 / max(1, len(r.samples)):.2f} "
            f"| {r.load_average:.1f} |"
        )
    return lines


def kinds_table(results: list[RunResult]) -> list[str]:
    kinds = (*EVENT_KINDS, "healthz")
    header = " | ".join(f"{kind} p50 / p99" for kind in kinds)
    lines = [
        f"| database | processes×threads | offered rate | {header} |",
        "|---|---|---|" + "---|" * len(kinds),
    ]
    for r in results:
        by_kind: dict[str, list[float]] = defaultdict(list)
        for sample in r.samples:
            by_kind[sample.kind].append(sample.seconds)
        cells = []
        for kind in kinds:
            values = sorted(by_kind[kind])
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            cells.append(f"{milliseconds(p50)} / {milliseconds(p99)}")
        offered = f"{r.rate:g}/s" if r.rate else "max"
        lines.append(
            f"| {r.database} | {r.processes}×{r.threads} | {offered} | {' | '.join(cells)} |"
        )
    return lines


def parse_configs(text: str) -> list[tuple[int, int]]:
    configs = []
    for item in text.split(","):
        processes, threads = item.lower().split("x")
        configs.append((int(processes), int(threads)))
    return configs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--configs", default="2x4,2x8,4x4", help="processes×threads, e.g. 2x4")
    parser.add_argument(
        "--rate",
        default="100,0",
        help="offered requests/s, comma-separated; 0 = as fast as possible",
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--out", type=Path, help="write the tables as Markdown here")
    args = parser.parse_args(argv)

    results = []
    with tempfile.TemporaryDirectory(prefix="newsdesk-ack-") as temporary:
        for engine_name in args.databases.split(","):
            for processes, threads in parse_configs(args.configs):
                for rate in (float(r) for r in args.rate.split(",")):
                    result = measure(
                        engine_name,
                        processes,
                        threads,
                        rate,
                        seconds=args.seconds,
                        clients=args.clients,
                        warmup=args.warmup,
                        directory=Path(temporary),
                    )
                    results.append(result)
                    print(summary_table([result])[-1], flush=True)
    tables = [
        *summary_table(results),
        "",
        "Per kind (ms):",
        "",
        *kinds_table(results),
    ]
    print()
    print("\n".join(tables))
    if args.out:
        command = shlex.join([".venv/bin/python", "-m", "bench.ack", *(argv or sys.argv[1:])])
        args.out.write_text(
            f"# Ack latency of `newsdesk serve`\n\n`{command}`\n\n" + "\n".join(tables) + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
