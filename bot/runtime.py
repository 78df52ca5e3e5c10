"""Long-running processes: Socket Mode (`run`), HTTP (`serve`) and job workers (`worker`)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot import logs
from bot.alerts import BriefingRunner, DeliveryOptions, DeliveryWorker, build_delivery_client
from bot.app import SlackConfigurationError, build_slack_client, check_slack_credentials, create_app
from bot.assistant_jobs import AssistantJobs
from bot.feed_poller import start_feed_poller
from bot.file_jobs import file_job_runners
from bot.jobs import SlackJobs
from bot.metrics import prepare_multiprocess_directory, start_metrics_server
from bot.server import NewsdeskWsgi
from bot.settings import Settings
from bot.webhook import cms_job_runners
from bot.wiring import build_services
from bot.worker import WorkerPool
from storage.services import Services

logger = logging.getLogger(__name__)


def configure_logging(settings: Settings) -> None:
    """Text or JSON log lines on stderr with secrets redacted (see ``bot.logs``)."""
    logs.configure_logging(settings)


def start_metrics(settings: Settings, services: Services) -> Callable[[], None]:
    """``/metrics`` on METRICS_PORT for a process without an HTTP server; returns a stopper."""
    if settings.metrics_port is None:
        return lambda: None
    return start_metrics_server(services, settings.host, settings.metrics_port)


class RunningWorkers:
    """The job workers and the alert delivery threads of one process, started and stopped
    together."""

    def __init__(self, jobs: WorkerPool, deliveries: DeliveryWorker) -> None:
        self.jobs = jobs
        self.deliveries = deliveries

    def wake(self) -> None:
        self.jobs.wake()
        self.deliveries.wake()

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Block until no job and no delivery is waiting or running (tests, console)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = max(0.0, deadline - time.monotonic())
            if (
                self.jobs.wait_until_idle(left)
                and self.deliveries.wait_until_idle(max(0.0, deadline - time.monotonic()))
                and self.jobs.wait_until_idle(0.05)
                and self.deliveries.is_idle()
            ):
                return True
        return False

    def stop(self) -> None:
        self.jobs.stop()
        self.deliveries.stop()


def start_workers(settings: Settings, services: Services, client: WebClient) -> RunningWorkers:
    """In-process job and delivery threads; queued work wakes them at once."""
    delivery_client = build_delivery_client(settings)
    pool = WorkerPool(
        services.session_factory,
        {
            **SlackJobs(services, client).runners(),
            **file_job_runners(settings, services, client),
            **AssistantJobs(services, client).runners(),
            **cms_job_runners(services),
            **BriefingRunner(
                services.session_factory, delivery_client, clock=lambda: services.clock()
            ).runners(),
        },
        threads=settings.worker_threads,
        lease=settings.job_lease,
    )
    deliveries = DeliveryWorker(
        services.session_factory,
        delivery_client,
        options=DeliveryOptions.from_settings(settings),
        clock=lambda: services.clock(),
        timezone=services.timezone,
    )
    workers = RunningWorkers(pool, deliveries)
    services.notify_work = workers.wake
    pool.start()
    deliveries.start()
    return workers


def wait_for_shutdown() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def connected_client(settings: Settings) -> WebClient:
    client = build_slack_client(settings)
    check_slack_credentials(client)
    return client


def run_socket_mode(settings: Settings) -> None:
    """One process does everything: Socket Mode listener plus worker threads."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    if settings.slack_app_token is None:
        raise SlackConfigurationError("SLACK_APP_TOKEN is not set (an app-level token, xapp-…)")
    services = build_services(settings)
    client = connected_client(settings)
    app = create_app(settings, services, client=client, socket_mode=True)
    pool = start_workers(settings, services, client)
    poller = start_feed_poller(settings, services)
    handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
    handler.connect()
    logger.info("connected to Slack in Socket Mode; press Ctrl-C to stop")
    stop_metrics = start_metrics(settings, services)
    try:
        wait_for_shutdown()
    finally:
        stop_metrics()
        handler.close()
        pool.stop()
        if poller is not None:
            poller.stop()


def run_workers(settings: Settings) -> None:
    """A worker process for HTTP deployments: claims jobs and deliveries until stopped."""
    services = build_services(settings)
    pool = start_workers(settings, services, connected_client(settings))
    poller = start_feed_poller(settings, services)
    logger.info(
        "worker running %s job threads and %s delivery threads",
        settings.worker_threads,
        settings.delivery_threads,
    )
    stop_metrics = start_metrics(settings, services)
    try:
        wait_for_shutdown()
    finally:
        stop_metrics()
        pool.stop()
        if poller is not None:
            poller.stop()


def build_wsgi(settings: Settings) -> NewsdeskWsgi:
    services = build_services(settings)
    app = create_app(settings, services)
    return NewsdeskWsgi(
        app, services, webhook_secret=settings.webhook_secret, metrics=settings.metrics_enabled
    )


def serve_http(settings: Settings, *, processes: int, threads: int) -> None:
    """HTTP mode under gunicorn: each process builds its own app and database pool."""
    from gunicorn.app.base import BaseApplication

    if settings.metrics_enabled:
        # Before the first metric exists: gunicorn's processes share one counter directory.
        prepare_multiprocess_directory()
    # Fail in the parent with a clear reason rather than in every gunicorn child.
    build_services(settings)
    connected_client(settings)
    create_app(settings, build_services(settings))

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{settings.host}:{settings.port}",
                "workers": processes,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 30,
                "graceful_timeout": 10,
                "accesslog": None,
                # No gunicornc control socket: its default path is shared by every server.
                "control_socket_disable": True,
                # gunicorn's own lines go through the app's handler: same format, redacted.
                "logger_class": logs.gunicorn_logger_class(),
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> NewsdeskWsgi:
            return build_wsgi(settings)

    Gunicorn().run()
