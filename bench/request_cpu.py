"""CPU per request, by kind: this tree beside a baseline tree, in CPU time (not wall time).

Each tree runs in a subprocess of its own (``PYTHONPATH=<tree>``) that builds the real
WSGI app (``bot.runtime.build_wsgi``: Bolt, signature checks, the listeners, the CMS
webhook) and the real worker (``bot.runtime.start_workers``, its threads stopped; jobs run
one at a time with ``run_once`` in the measuring thread) on a fresh SQLite file or
PostgreSQL schema that the tree migrates itself. The Slack stand-in and the page server run
in this (the parent) process, so their CPU is not counted. The archive is seeded as
``bench.load``'s is: ``--stories`` pages shared as links and archived by the worker (their
publication date long past) and ``--published`` stories published through the webhook
(dated now). Each round then sends ``--requests`` signed requests of each kind and runs the
jobs they queue:

- ``command``: ``/news latest …`` (``bench.load``'s command texts), answered in the ack;
- ``mention``: an app mention (``bench.load``'s questions): the ack, then the answer job;
- ``link (re-share)``: a link to an archived page: the ack, then the ingest job (a known
  page: no fetch);
- ``link (new page)``: a link to a page not archived yet: the ack, then the ingest job
  (fetch, extraction, card metadata, summary, topics, store, reply card);
- ``plain``: a channel message without a link (the ack only);
- ``publish``: a signed CMS publish webhook (one for every five requests of the others).

CPU is ``time.process_time()`` of the subprocess around each batch, and for PostgreSQL
the CPU of the server backends serving the subprocess's connections
(``/proc/PID/schedstat``); the statement count per request is given beside it. The first
round warms up and is not counted; the table gives the median of the others. The machine
is shared, so compare trees run in turn (``--repeat``) rather than runs far apart.
``--profile KIND`` writes a cProfile (CPU clock) of that kind's counted batches,
``--log-sql FILE`` every statement.

    .venv/bin/python -m bench.request_cpu --baseline /work/wt/cpu-base --rounds 4 --repeat 2
    .venv/bin/python -m bench.request_cpu --engines sqlite --kinds command,mention
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a script: bench/ itself must not shadow any module
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "NEWSDESK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
COMMANDS = ("latest harbour", "latest Ukraine", "latest")  # as bench.load sends them
QUESTIONS = ("latest on Ukraine", "what do we have on harbour repairs?", "help")
PLAIN = ("on my way", "who is on the night desk?", "thanks, filed")
KINDS = ("command", "mention", "link (re-share)", "link (new page)", "plain", "publish")
FORM = "application/x-www-form-urlencoded"
WEBHOOK_SECRET = "request-cpu-webhook-secret"


# -- the measuring subprocess (imports only the tree under test) ----------------------------


def _backend_cpu(pids: set[int]) -> float:
    """CPU seconds of the given PostgreSQL backends (their schedstat run time)."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


def _environ(body: bytes, content_type: str, secret: str, path: str) -> dict[str, Any]:
    import hashlib as _hashlib
    import hmac
    import io

    timestamp = str(int(time.time()))
    if path == "/slack/events":
        base = f"v0:{timestamp}:".encode() + body
        signature = "v0=" + hmac.new(secret.encode(), base, _hashlib.sha256).hexdigest()
        headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}
    else:  # the CMS webhook, signed by the tree's own function
        from news.webhooks import sign_payload

        headers = sign_payload(secret=WEBHOOK_SECRET, body=body, timestamp=int(timestamp))
    return {
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def child(plan_path: Path) -> None:
    plan = json.loads(plan_path.read_text())
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    backends: set[int] = set()

    @event.listens_for(Pool, "connect")
    def remember_backend(connection: Any, record: Any) -> None:
        if plan["engine"] == "postgresql":
            cursor = connection.cursor()
            cursor.execute("SELECT pg_backend_pid()")
            backends.add(int(cursor.fetchone()[0]))
            cursor.close()

    from sqlalchemy.engine import Engine

    statements = [0]
    logged: list[str] = []

    @event.listens_for(Engine, "before_cursor_execute")
    def count_statement(connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        statements[0] += 1
        if plan.get("log_sql"):
            logged.append(" ".join(statement.split()))

    from bot import runtime
    from bot.settings import Settings
    from storage.database import upgrade_database

    upgrade_database(plan["url"])
    settings = Settings()
    runtime.configure_logging(settings)
    wsgi: Any = runtime.build_wsgi(settings)  # either tree's app: typed loosely
    worker_services = runtime.build_services(settings)
    workers = runtime.start_workers(settings, worker_services, runtime.connected_client(settings))
    workers.stop()  # no threads: jobs run below, one at a time, in this thread
    jobs: Any = getattr(workers, "jobs", None)  # the baseline's pool, or the job source
    if jobs is None:
        from bot.worker import JobSource

        jobs = workers.source(JobSource)
    secret = plan["secret"]
    answers: dict[str, str] = {}

    def send(request: dict[str, Any]) -> None:
        body = request["body"].encode()
        environ = _environ(
            body, request["content_type"], secret, request.get("path", "/slack/events")
        )
        status: list[str] = []
        chunks = wsgi(environ, lambda s, h, exc=None: status.append(s))
        payload = b"".join(chunks)
        if not status or status[0][:3] not in ("200", "202"):
            raise RuntimeError(f"{request['kind']}: {status} {payload[:300]!r}")
        if request["kind"] == "command":
            answers.setdefault(request["text"], payload.decode())

    def drain() -> int:
        done = 0
        while jobs.run_once("bench-0"):
            done += 1
        return done

    for request in plan["seed"]:
        send(request)
    drain()
    import gc

    collecting = [0.0, 0.0]  # CPU seconds in the garbage collector; when the current one began

    def time_collections(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting[1] = time.process_time()
        else:
            collecting[0] += time.process_time() - collecting[1]

    gc.callbacks.append(time_collections)
    if plan.get("freeze"):
        gc.freeze()  # what is built by now lives as long as the process: never scanned again
    results: dict[str, list[dict[str, float]]] = {kind: [] for kind in plan["kinds"]}
    profiles: list[Any] = []
    sampler: Any = None
    if plan.get("profile") and plan.get("sampling"):
        import importlib

        # An optional tool, not a dependency: pip install pyinstrument.
        sampler = importlib.import_module("pyinstrument").Profiler(
            interval=0.0002, async_mode="disabled"
        )
    for round_requests in plan["rounds"]:
        for kind in plan["kinds"]:
            batch = [r for r in round_requests if r["kind"] == kind]
            profiler = None
            if plan.get("profile") == kind and round_requests is not plan["rounds"][0]:
                import cProfile

                profiler = cProfile.Profile(time.process_time)
                if sampler is not None:
                    sampler.start()
                else:
                    profiler.enable()
            cpu, db, sent = time.process_time(), _backend_cpu(backends), statements[0]
            collected = collecting[0]
            for request in batch:
                if plan.get("log_sql"):
                    logged.append(f"-- {kind}: {request.get('text', '')}")
                send(request)
            web_cpu, web_db = time.process_time() - cpu, _backend_cpu(backends) - db
            web_statements = statements[0] - sent
            cpu, db, sent = time.process_time(), _backend_cpu(backends), statements[0]
            done = drain()
            work_cpu, work_db = time.process_time() - cpu, _backend_cpu(backends) - db
            work_statements = statements[0] - sent
            collected = collecting[0] - collected
            if profiler is not None:
                if sampler is not None:
                    sampler.stop()
                else:
                    profiler.disable()
                    profiles.append(profiler)
            if kind in ("mention", "link (re-share)", "link (new page)") and done != len(batch):
                raise RuntimeError(f"{kind}: {done} jobs run for {len(batch)} requests")
            n = len(batch)
            results[kind].append(
                {
                    "web": 1000 * web_cpu / n,
                    "worker": 1000 * work_cpu / n,
                    "db_web": 1000 * web_db / n,
                    "db_worker": 1000 * work_db / n,
                    "sql_web": web_statements / n,
                    "sql_worker": work_statements / n,
                    "gc": 1000 * collected / n,
                }
            )
    if plan.get("log_sql"):
        Path(plan["log_sql"]).write_text("\n".join(logged))
    if sampler is not None:
        Path(plan["profile_out"]).write_text(sampler.output_text(show_all=False, timeline=False))
    if profiles:
        import pstats

        stats = pstats.Stats(profiles[0])
        for more in profiles[1:]:
            stats.add(more)
        stats.dump_stats(plan["profile_out"])
    Path(plan["out"]).write_text(json.dumps({"results": results, "answers": answers}))


# -- the parent: stand-in, pages, requests, and the table -----------------------------------


def _plan(
    slack: Any,
    pages: Any,
    *,
    stories: int,
    published: int,
    rounds: int,
    requests: int,
    seed_offset: int,
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    from urllib.parse import urlencode

    from standin.slack import app_mention_of
    from standin.webapi import ResponseTarget
    from tests.articles import harbour_page

    users = [slack.add_user(f"reporter{n}-{seed_offset}") for n in range(5)]
    channels = [slack.add_channel(f"desk{n}-{seed_offset}", members=users) for n in range(3)]
    counter = [0]
    urls: list[str] = []

    def page(number: int) -> str:
        path = f"/harbour/{seed_offset}/{number}"
        url = pages.url(path)
        pages.add(path, harbour_page(number, url))
        return url

    def event(kind: str, text: str, n: int) -> dict[str, Any]:
        counter[0] += 1
        user, channel = users[n % len(users)], channels[n % len(channels)]
        sent = slack.post_message(user, channel, text)
        message = app_mention_of(sent.event) if kind == "mention" else sent.event
        body, _ = slack.signed_event(message, event_id=f"EvCpu{seed_offset}x{counter[0]:08d}")
        return {"kind": kind, "body": body.decode(), "content_type": "application/json"}

    def command(text: str, n: int) -> dict[str, Any]:
        user, channel = users[n % len(users)], channels[n % len(channels)]
        fields = {
            "token": slack.verification_token,
            "team_id": slack.team_id,
            "channel_id": channel,
            "channel_name": "desk",
            "user_id": user,
            "user_name": "reporter",
            "command": "/news",
            "text": text,
            "api_app_id": slack.app_id,
            "response_url": slack.api.new_response_url(ResponseTarget(user, channel)),
            "trigger_id": slack.workspace.new_trigger(user),
        }
        return {"kind": "command", "body": urlencode(fields), "content_type": FORM, "text": text}

    def publish() -> dict[str, Any]:
        counter[0] += 1
        number = counter[0]
        story = {
            "event": "published",
            "url": f"https://cms.example/stories/{seed_offset}-{number}",
            "headline": f"Harbour authority names new director ({number})",
            "body": "The port authority named a new director on Monday. " * 8,
            "desk": "business",
            "event_id": f"cms-{seed_offset}-{number}",
        }
        return {
            "kind": "publish",
            "path": "/hooks/publish",
            "body": json.dumps(story),
            "content_type": "application/json",
        }

    seed = []
    for number in range(stories):
        urls.append(page(number))
        seed.append(event("link (new page)", f"worth a read {urls[-1]}", number))
    # As in bench.load, where about one request in 200 publishes a story: recent stories
    # beside the shared pages (whose publication date is long past).
    seed.extend(publish() for _ in range(published))
    planned = []
    fresh = stories
    for _ in range(rounds + 1):  # the first round warms up
        batch = []
        for n in range(requests):
            batch.append(command(COMMANDS[n % len(COMMANDS)], n))
            batch.append(event("mention", f"<@{slack.bot_user_id}> {QUESTIONS[n % 3]}", n))
            batch.append(event("link (re-share)", f"have a look {urls[(n * 7) % len(urls)]}", n))
            batch.append(event("link (new page)", f"new one {page(fresh)}", n))
            fresh += 1
            batch.append(event("plain", PLAIN[n % len(PLAIN)], n))
            if n % 5 == 0:
                batch.append(publish())
        planned.append(batch)
    return seed, planned


def _empty_database(engine: str, directory: Path) -> tuple[str, Any]:
    """A URL for an empty database (the subprocess migrates it with its own code)."""
    if engine == "sqlite":
        return f"sqlite:///{directory / f'cpu-{uuid.uuid4().hex[:6]}.db'}", None
    import sqlalchemy as sa

    schema = f"bench_cpu_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", drop


def measure_tree(
    tree: Path,
    engine: str,
    *,
    stories: int,
    published: int,
    rounds: int,
    requests: int,
    directory: Path,
    profile: str | None = None,
    profile_out: Path | None = None,
    kinds: tuple[str, ...] = KINDS,
    log_sql: Path | None = None,
    freeze: bool = False,
    sampling: bool = False,
) -> dict[str, Any]:
    from standin.slack import SlackStandin
    from tests.pageserver import PageServer

    url, drop = _empty_database(engine, directory)
    try:
        with SlackStandin() as slack, PageServer() as pages:
            seed, rounds_planned = _plan(
                slack,
                pages,
                stories=stories,
                published=published,
                rounds=rounds,
                requests=requests,
                seed_offset=0,
            )
            out = directory / f"out-{uuid.uuid4().hex[:6]}.json"
            plan = directory / f"plan-{uuid.uuid4().hex[:6]}.json"
            plan.write_text(
                json.dumps(
                    {
                        "engine": engine,
                        "url": url,
                        "secret": slack.signing_secret,
                        "seed": seed,
                        "rounds": rounds_planned,
                        "out": str(out),
                        "profile": profile,
                        "kinds": list(kinds),
                        "freeze": freeze,
                        "sampling": sampling,
                        "log_sql": f"{log_sql}.{engine}.{tree.name}" if log_sql else None,
                        "profile_out": f"{profile_out}.{engine}.{tree.name}",
                    }
                )
            )
            environment = {
                **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
                "PYTHONPATH": str(tree),
                "DATABASE_URL": url,
                "SLACK_BOT_TOKEN": slack.bot_token,
                "SLACK_SIGNING_SECRET": slack.signing_secret,
                "SLACK_API_URL": slack.api_url,
                "FETCH_ALLOWED_HOSTS": "127.0.0.1",
                "WORKER_THREADS": "1",
                "LOG_LEVEL": "WARNING",
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
            }
            script = Path(__file__).resolve()
            subprocess.run(
                [sys.executable, str(script), "--child", str(plan)],
                env=environment,
                cwd=directory,
                check=True,
            )
            return dict(json.loads(out.read_text()))
    finally:
        if drop is not None:
            drop()


# bench.load's mix; a shared link is a new page about once in 14 there (200 pages, ~3,000
# links a minute at 200 requests/s), otherwise a re-share.
LOAD_MIX = {"link": 0.25, "plain": 0.40, "mention": 0.15, "command": 0.195, "publish": 0.005}
NEW_PAGE_SHARE = 0.07


def load_mix_cost(rows_by_kind: dict[str, list[dict[str, float]]]) -> float | None:
    """CPU ms of all roles (web, worker, database) per request in ``bench.load``'s mix."""

    def cost(kind: str) -> float:
        rows = rows_by_kind[kind]
        return sum(_median(rows, f) for f in ("web", "worker", "db_web", "db_worker"))

    if not all(rows_by_kind.get(kind) for kind in KINDS):
        return None
    link = (1 - NEW_PAGE_SHARE) * cost("link (re-share)") + NEW_PAGE_SHARE * cost("link (new page)")
    return sum(share * (link if kind == "link" else cost(kind)) for kind, share in LOAD_MIX.items())


def _median(rows: list[dict[str, float]], field: str) -> float:
    return statistics.median(row[field] for row in rows[1:]) if len(rows) > 1 else 0.0


def table(
    measured: dict[tuple[str, str], dict[str, Any]], engines: list[str], kinds: list[str]
) -> list[str]:
    trees = list(dict.fromkeys(tree for tree, _ in measured))
    lines = [
        "| engine | kind | "
        + " | ".join(f"{t}: web / worker / db ms (SQL web / worker; gc ms)" for t in trees)
        + " |",
        "|---|---|" + "---|" * len(trees),
    ]
    for engine in engines:
        for kind in kinds:
            cells = []
            for tree in trees:
                rows = measured[(tree, engine)]["results"][kind]
                web, work = _median(rows, "web"), _median(rows, "worker")
                db = _median(rows, "db_web") + _median(rows, "db_worker")
                sql = f"{_median(rows, 'sql_web'):.1f} / {_median(rows, 'sql_worker'):.1f}"
                collected = _median(rows, "gc")
                cells.append(f"{web:.2f} / {work:.2f} / {db:.2f} ({sql}; {collected:.2f})")
            lines.append(f"| {engine} | {kind} | " + " | ".join(cells) + " |")
        mixed = [load_mix_cost(measured[(tree, engine)]["results"]) for tree in trees]
        if all(m is not None for m in mixed):
            cells = [f"{m:.2f} (all roles)" for m in mixed if m is not None]
            lines.append(f"| {engine} | bench.load mix | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", type=Path, help="another tree to measure beside this one")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--stories", type=int, default=200, help="shared pages archived first")
    parser.add_argument("--published", type=int, default=50, help="CMS stories published first")
    parser.add_argument("--rounds", type=int, default=5, help="counted rounds (one more warms up)")
    parser.add_argument("--requests", type=int, default=30, help="requests of each kind a round")
    parser.add_argument("--answers", type=Path, help="write each tree's command answers here")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run the trees in turn this many times, pooled"
    )
    parser.add_argument("--kinds", default=",".join(KINDS), help="kinds to measure")
    parser.add_argument(
        "--sampling", action="store_true", help="--profile with pyinstrument (text) instead"
    )
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() once seeded (as after a fork)"
    )
    parser.add_argument("--log-sql", type=Path, help="write every statement here (.ENGINE.TREE)")
    parser.add_argument("--profile", choices=KINDS, help="cProfile this kind's counted batches")
    parser.add_argument(
        "--profile-out",
        type=Path,
        default=Path("request-cpu.prof"),
        help="pstats file prefix (.ENGINE.TREE is added)",
    )
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.child)
        return
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    trees = {"this tree": ROOT}
    if args.baseline is not None:
        trees["baseline"] = args.baseline.resolve()
    measured: dict[tuple[str, str], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="request-cpu-") as scratch:
        for engine in engines:
            for name, tree in [*trees.items()] * args.repeat:
                result = measure_tree(
                    tree,
                    engine,
                    stories=args.stories,
                    published=args.published,
                    rounds=args.rounds,
                    requests=args.requests,
                    directory=Path(scratch),
                    profile=args.profile,
                    profile_out=args.profile_out.resolve(),
                    kinds=tuple(kinds),
                    log_sql=args.log_sql,
                    freeze=args.gc_freeze,
                    sampling=args.sampling,
                )
                earlier = measured.setdefault((name, engine), result)
                if earlier is not result:  # pool the counted rounds of every repeat
                    for kind, rows in result["results"].items():
                        earlier["results"][kind].extend(rows[1:])
    print(
        f"CPU ms per request, median of {args.rounds * args.repeat} rounds"
        f" of {args.requests} requests per kind"
        f" on {args.stories} shared pages and {args.published} published stories;"
        " db = PostgreSQL backends (web + worker part)"
    )
    for name, tree in trees.items():
        print(f"- {name}: {tree}")
    print()
    print("\n".join(table(measured, engines, kinds)))
    if args.answers is not None:
        digest = {
            f"{name} {engine}": {
                # The page server's port differs between runs; the answer is the rest.
                text: hashlib.sha256(re.sub(r"127\.0\.0\.1:\d+", "", body).encode()).hexdigest()[
                    :12
                ]
                for text, body in result["answers"].items()
            }
            for (name, engine), result in measured.items()
        }
        args.answers.write_text(
            json.dumps(
                {
                    "digests": digest,
                    "answers": {f"{k[0]} {k[1]}": v["answers"] for k, v in measured.items()},
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
