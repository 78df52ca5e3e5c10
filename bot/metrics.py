"""Prometheus metrics: the archive's state read from the database at scrape time, plus
per-process counters (HTTP requests, Slack API errors, jobs run, links ingested).

Queue depth, delivery outcomes, ingest counts, feed failures and worker heartbeats are read
from the database on every scrape, so every web process answers the same truth. Counters
that only a process knows are kept by ``prometheus_client``; under gunicorn each process
writes them to ``PROMETHEUS_MULTIPROC_DIR`` and a scrape sums them over all processes.
``prometheus_client`` fixes its storage when first imported, so it is imported lazily here:
``prepare_multiprocess_directory`` must run before the first metric is touched.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from storage.services import Services
from storage.status import read_metrics

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

    from prometheus_client import CollectorRegistry, Counter, Histogram
    from prometheus_client.core import Metric

logger = logging.getLogger(__name__)

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Rows in these states only ever grow; their totals are not worth a scan on every scrape.
UNROUTED = "unrouted"


@dataclass(frozen=True)
class ProcessMetrics:
    """Counters kept by one process (summed over processes in multiprocess mode)."""

    registry: CollectorRegistry
    # True when the counters live in PROMETHEUS_MULTIPROC_DIR (decided at first import).
    multiprocess: bool
    http_requests: Counter
    slack_api_errors: Counter
    jobs_finished: Counter
    job_seconds: Histogram
    links_ingested: Counter


_metrics: ProcessMetrics | None = None
_metrics_lock = threading.Lock()


def process_metrics() -> ProcessMetrics:
    """This process's counters, created on first use."""
    global _metrics
    with _metrics_lock:
        if _metrics is None:
            _metrics = _create_process_metrics()
        return _metrics


def _create_process_metrics() -> ProcessMetrics:
    from prometheus_client import CollectorRegistry, Counter, Histogram, values

    registry = CollectorRegistry(auto_describe=True)
    return ProcessMetrics(
        registry=registry,
        multiprocess=values.ValueClass is not values.MutexValue,
        http_requests=Counter(
            "newsdesk_http_requests",
            "HTTP requests answered, by route and status code.",
            ["route", "status"],
            registry=registry,
        ),
        slack_api_errors=Counter(
            "newsdesk_slack_api_errors",
            "Slack Web API calls that failed (retried attempts included), by method and error.",
            ["method", "error"],
            registry=registry,
        ),
        jobs_finished=Counter(
            "newsdesk_jobs_finished",
            "Jobs run by workers in this process, by kind and outcome (done, retry, failed).",
            ["kind", "outcome"],
            registry=registry,
        ),
        job_seconds=Histogram(
            "newsdesk_job_duration_seconds",
            "Time a worker spent running one job, by kind.",
            ["kind"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60),
            registry=registry,
        ),
        links_ingested=Counter(
            "newsdesk_links_ingested",
            "Links shared in Slack and archived, by outcome (new, updated, duplicate, failed).",
            ["outcome"],
            registry=registry,
        ),
    )


def record_http_request(route: str, status: str) -> None:
    process_metrics().http_requests.labels(route=route, status=status).inc()


def record_slack_error(method: str, error: str) -> None:
    process_metrics().slack_api_errors.labels(method=method, error=error).inc()


def record_job(kind: str, outcome: str, seconds: float) -> None:
    metrics = process_metrics()
    metrics.jobs_finished.labels(kind=kind, outcome=outcome).inc()
    metrics.job_seconds.labels(kind=kind).observe(seconds)


def record_link(outcome: str) -> None:
    process_metrics().links_ingested.labels(outcome=outcome).inc()


def count_requests(start_response: StartResponse, route: str) -> StartResponse:
    """Wrap a WSGI ``start_response`` so the answer's status is counted under ``route``."""

    def counted(status: str, headers: Any, exc_info: Any = None) -> Any:
        record_http_request(route, status.split(" ", 1)[0])
        if exc_info is None:
            return start_response(status, headers)
        return start_response(status, headers, exc_info)

    return counted


# -- Slack API errors ---------------------------------------------------------------------


def slack_method(url: str) -> str:
    """``https://slack.com/api/chat.postMessage?x=1`` → ``chat.postMessage``."""
    return urlsplit(url).path.rsplit("/", 1)[-1] or "unknown"


class SlackErrorCounter(RetryHandler):
    """Counts every failed Slack Web API attempt by method and error code; never retries.

    Put it first among a client's retry handlers: the client asks them in order after each
    answer that is not a success, and Bolt copies them to the clients it makes per request.
    """

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        code = slack_error_code(response, error)
        if code is not None:
            record_slack_error(slack_method(request.url), code)
        return False


def slack_error_code(response: HttpResponse | None, error: Exception | None) -> str | None:
    """The error a Slack answer carries: ``ratelimited``, ``channel_not_found``, ``http_503``…"""
    if response is None:
        return "connection_error" if error is not None else None
    if response.status_code == 429:
        return "ratelimited"
    if response.status_code >= 400:
        return f"http_{response.status_code}"
    body = response.body if isinstance(response.body, dict) else {}
    if body.get("ok") is False:
        return str(body.get("error") or "unknown_error")[:60]
    return None


# -- the archive's state, read at scrape time ---------------------------------------------


class DatabaseCollector:
    """Gauges computed from the database on each scrape (same answer from every process)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def describe(self) -> list[Metric]:
        return []  # nothing to check at registration; names are fixed below

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        up = GaugeMetricFamily(
            "newsdesk_database_up", "1 when the database answered this scrape, else 0."
        )
        try:
            families = list(self._read(self._services.clock()))
        except Exception as error:
            logger.error("metrics: cannot read the database: %s", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self, now: datetime) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        with self._services.session_factory() as session:
            report = read_metrics(session=session, now=now)
        jobs = GaugeMetricFamily(
            "newsdesk_jobs",
            "Jobs not finished successfully, by kind and state (pending, running, failed, dead).",
            labels=["kind", "state"],
        )
        for (kind, state), count in report.unfinished_jobs.items():
            jobs.add_metric([kind, state], count)
        yield jobs
        yield _gauge(
            "newsdesk_job_queue_lag_seconds",
            "How long the oldest due pending job has waited (0 when none waits).",
            _age(report.oldest_due_job, now),
        )
        deliveries = GaugeMetricFamily(
            "newsdesk_deliveries",
            "Alert deliveries not yet sent, by state (pending, sending, dead, digested, "
            "cancelled).",
            labels=["state"],
        )
        for state, count in report.unsent_deliveries.items():
            deliveries.add_metric([state], count)
        yield deliveries
        yield _gauge(
            "newsdesk_deliveries_sent_last_hour",
            "Alerts and thread updates posted in the last hour.",
            report.sent_last_hour,
        )
        yield _gauge(
            "newsdesk_delivery_lag_seconds",
            "How long the oldest due pending delivery has waited (0 when none waits).",
            _age(report.oldest_due_delivery, now),
        )
        yield _gauge("newsdesk_articles", "Stories in the archive.", report.articles)
        yield _gauge(
            "newsdesk_articles_ingested_last_hour",
            "Stories first archived in the last hour.",
            report.articles_last_hour,
        )
        yield _gauge("newsdesk_feeds", "Feeds polled.", report.feeds)
        yield _gauge(
            "newsdesk_feeds_failing", "Feeds whose latest poll failed.", report.failing_feeds
        )
        yield _gauge(
            "newsdesk_workers_alive",
            "Worker threads that reported in within the last minute.",
            report.workers_alive,
        )
        if report.last_heartbeat is not None:
            yield _gauge(
                "newsdesk_worker_heartbeat_age_seconds",
                "Seconds since any worker last reported in.",
                _age(report.last_heartbeat, now),
            )


def _gauge(name: str, documentation: str, value: float) -> Metric:
    from prometheus_client.core import GaugeMetricFamily

    return GaugeMetricFamily(name, documentation, value=value)


def _age(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


# -- exposition ---------------------------------------------------------------------------


def build_registry(services: Services) -> CollectorRegistry:
    """A registry with this deployment's process counters and the database gauges."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry(auto_describe=True)
    metrics = process_metrics()
    if metrics.multiprocess:
        MultiProcessCollector(registry)
    else:
        for collector in (
            metrics.http_requests,
            metrics.slack_api_errors,
            metrics.jobs_finished,
            metrics.job_seconds,
            metrics.links_ingested,
        ):
            registry.register(collector)
    registry.register(DatabaseCollector(services))
    return registry


def render_metrics(services: Services) -> tuple[bytes, str]:
    """The Prometheus text exposition and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(build_registry(services)), CONTENT_TYPE_LATEST


class MetricsEndpoint:
    """The ``/metrics`` WSGI route."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body, content_type = render_metrics(self._services)
        start_response(
            "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        )
        return [body]


def prepare_multiprocess_directory(environ: MutableMapping[str, str] = os.environ) -> Path:
    """Before gunicorn forks: an empty directory in ``PROMETHEUS_MULTIPROC_DIR`` for the
    processes' counter files (a new temporary one unless the variable names one)."""
    configured = environ.get(MULTIPROCESS_VARIABLE)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        directory = Path(tempfile.mkdtemp(prefix="newsdesk-metrics-"))
        environ[MULTIPROCESS_VARIABLE] = str(directory)
        atexit.register(remove_directory_of, os.getpid(), directory)
    return directory


def remove_directory_of(owner: int, directory: Path) -> None:
    """At exit of the process that made ``directory``; forked children leave it alone."""
    if os.getpid() == owner:
        shutil.rmtree(directory, ignore_errors=True)


def start_metrics_server(services: Services, host: str, port: int) -> Callable[[], None]:
    """Serve ``/metrics`` on ``host:port`` from a background thread (processes without an
    HTTP server: ``newsdesk worker`` and ``newsdesk run``). Returns a function that stops it."""
    from prometheus_client import start_http_server

    server, thread = start_http_server(port, addr=host, registry=build_registry(services))
    logger.info("metrics on http://%s:%s/metrics", host, server.server_address[1])

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop
