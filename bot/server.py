"""The HTTP side: a small WSGI router in front of Bolt (``/slack/events``), the CMS publish
webhook (``/hooks/publish``) and ``/healthz``.

Production runs it under gunicorn (threads); the console and the tests run it under a
threaded ``wsgiref`` server on loopback.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pydantic import SecretStr
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.metrics import UNROUTED, MetricsEndpoint, count_requests
from bot.webhook import PUBLISH_PATH, PublishWebhook
from storage.database import database_answers
from storage.services import Services

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

Route = Callable[["WSGIEnvironment", "StartResponse"], Iterable[bytes]]


def json_response(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode("utf-8")
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


class NewsdeskWsgi:
    """Routes requests by path; unknown paths get 404."""

    def __init__(
        self,
        app: App,
        services: Services,
        *,
        webhook_secret: SecretStr | str | None = None,
        metrics: bool = True,
    ) -> None:
        self._slack = SlackRequestHandler(app, path="/slack/events")
        self._services = services
        self.routes: dict[str, Route] = {
            "/slack/events": self._slack,
            "/healthz": self.health,
            PUBLISH_PATH: PublishWebhook(services, secret=webhook_secret),
        }
        if metrics:
            self.routes["/metrics"] = MetricsEndpoint(services)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        route = self.routes.get(path)
        start_response = count_requests(start_response, path if route else UNROUTED)
        if route is None:
            return json_response(start_response, "404 Not Found", {"error": "not found"})
        return route(environ, start_response)

    def health(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            with self._services.session_factory() as session:
                database_answers(session)
        except Exception as error:
            logger.error("health check: database unreachable: %s", error)
            return json_response(
                start_response, "503 Service Unavailable", {"ok": False, "database": "unreachable"}
            )
        return json_response(start_response, "200 OK", {"ok": True, "database": "ok"})


class ThreadingWsgiServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class LocalServer:
    """The WSGI app on a loopback port in a background thread (console and tests)."""

    def __init__(self, wsgi: Route, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = make_server(
            host, port, wsgi, server_class=ThreadingWsgiServer, handler_class=QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
