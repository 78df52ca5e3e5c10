"""The whole bot on one machine without Slack: the local stand-in, the real Bolt app over
signed HTTP on loopback, and in-process workers. ``newsdesk console`` and the end-to-end
tests both run on this, so they exercise the same code path as production."""

from __future__ import annotations

import secrets
from types import TracebackType

from pydantic import SecretStr

from bot.app import build_slack_client, create_app
from bot.feed_poller import FeedPoller
from bot.runtime import start_workers
from bot.server import LocalServer, NewsdeskWsgi
from bot.settings import Settings
from bot.wiring import build_fetcher, build_services
from bot.worker import Worker
from standin.slack import SlackStandin
from storage.feed_polls import PollSummary
from storage.services import Services


class LocalDeployment:
    """Start with ``with LocalDeployment(settings) as local:``; people talk via ``local.slack``."""

    def __init__(self, settings: Settings) -> None:
        signing_secret = secrets.token_hex(16)
        bot_token = "xoxb-local-" + secrets.token_hex(8)
        self.slack = SlackStandin(
            signing_secret=signing_secret,
            bot_token=bot_token,
            unfurl_domains=settings.unfurl_domains,
        )
        self._settings = settings
        self._signing_secret = signing_secret
        self._bot_token = bot_token
        self._server: LocalServer | None = None
        self._workers: Worker | None = None
        self._poller: FeedPoller | None = None
        self.services: Services | None = None
        self.settings = settings

    def start(self) -> LocalDeployment:
        self.slack.start()
        self.settings = self._settings.model_copy(
            update={
                "slack_api_url": self.slack.api_url,
                "slack_bot_token": SecretStr(self._bot_token),
                "slack_signing_secret": SecretStr(self._signing_secret),
            }
        )
        services = build_services(self.settings)
        client = build_slack_client(self.settings)
        app = create_app(self.settings, services, client=client)
        self._server = LocalServer(
            NewsdeskWsgi(app, services, webhook_secret=self.settings.webhook_secret)
        ).start()
        self.slack.app_url = f"{self._server.url}/slack/events"
        self._poller = FeedPoller(
            services, build_fetcher(self.settings), interval=self.settings.feed_poll_seconds
        )
        polling = self.settings.feed_poll_seconds > 0
        self._workers = start_workers(
            self.settings, services, client, feeds=self._poller if polling else None
        )
        self.services = services
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return self._server.url

    @property
    def workers(self) -> Worker:
        assert self._workers is not None, "not started"
        return self._workers

    def wait_until_idle(self, timeout: float = 15.0) -> bool:
        """Wait until every queued job has run and every due alert went out."""
        return self.workers.wait_until_idle(timeout)

    def poll_feeds_once(self) -> PollSummary:
        """Poll the feeds due now, in this thread (tests and the console)."""
        assert self._poller is not None, "not started"
        return self._poller.poll_due_feeds_once()

    def stop(self) -> None:
        if self._workers is not None:
            self._workers.stop()
        if self._server is not None:
            self._server.stop()
        self.slack.stop()

    def __enter__(self) -> LocalDeployment:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
