"""Long-running processes: Socket Mode (`run`), HTTP (`serve`) and workers (`worker`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

import handlers
from bot import logs
from bot.alerts import DeliveryOptions, DeliveryWorker, build_delivery_client
from bot.app import SlackConfigurationError, build_slack_client, check_slack_credentials, create_app
from bot.feed_poller import FeedPoller, build_feed_poller
from bot.metrics import prepare_multiprocess_directory, record_link, start_metrics_server
from bot.server import NewsdeskWsgi
from bot.settings import Settings
from bot.wiring import build_services, file_limits
from bot.worker import JobSource, Worker, WorkSource, wait_for_shutdown
from storage.cms import cms_job_runners
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


def start_workers(
    settings: Settings,
    services: Services,
    client: WebClient,
    *,
    feeds: FeedPoller | None = None,
) -> Worker:
    """This process's worker threads for every kind of work: jobs (each kind with its
    runner), alert deliveries and, when given, feed polls. Queued work wakes them at once
    (the services' work bell)."""
    delivery_client = build_delivery_client(settings)
    jobs = JobSource(
        services.session_factory,
        {
            **handlers.job_runners(
                services,
                client,
                alert_client=delivery_client,
                count_link=record_link,
                file_limits=file_limits(settings),
            ),
            **cms_job_runners(services),
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
    sources: list[WorkSource] = [jobs, deliveries]
    if feeds is not None:
        sources.append(feeds)
    worker = Worker(sources, bell=services.work_bell)
    worker.start()
    return worker


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
    workers = start_workers(settings, services, client, feeds=build_feed_poller(settings, services))
    handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
    handler.connect()
    logger.info("connected to Slack in Socket Mode; press Ctrl-C to stop")
    stop_metrics = start_metrics(settings, services)
    try:
        wait_for_shutdown()
    finally:
        stop_metrics()
        handler.close()
        workers.stop()


def run_workers(settings: Settings) -> None:
    """A worker process for HTTP deployments: claims jobs and deliveries until stopped."""
    services = build_services(settings)
    workers = start_workers(
        settings,
        services,
        connected_client(settings),
        feeds=build_feed_poller(settings, services),
    )
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
        workers.stop()


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
