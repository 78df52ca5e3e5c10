"""A local Socket Mode endpoint speaking Slack's protocol, for tests of ``newsdesk run``.

``apps.connections.open`` (called with the app-level token) is answered beside the stand-in's
Web API and hands out a ``ws://127.0.0.1`` URL; the websocket server greets each connection
with ``hello``, sends ``events_api`` envelopes, records the client's acks, and can ask the
client to reconnect with a ``disconnect`` message, as Slack does before it rotates hosts.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from standin.slack import SlackStandin

CONNECTIONS_OPEN = "/api/apps.connections.open"


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    connection: int


@dataclass
class SocketModeServer:
    slack: SlackStandin
    app_token: str = "xapp-1-A0TEST-1-" + uuid.uuid4().hex
    opens: int = 0
    refused_opens: int = 0
    connections: list[ServerConnection] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._changed = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> SocketModeServer:
        self._server = serve(self._serve_connection, "127.0.0.1", 0, compression=None)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="socket-mode", daemon=True
        )
        self._thread.start()
        self.slack.api.raw_routes[CONNECTIONS_OPEN] = self._connections_open
        return self

    def stop(self) -> None:
        self.slack.api.raw_routes.pop(CONNECTIONS_OPEN, None)
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def __enter__(self) -> SocketModeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.socket.getsockname()[1])

    # -- the Web API side -------------------------------------------------------------------

    def _connections_open(self, request: BaseHTTPRequestHandler, path: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        if length:
            request.rfile.read(length)
        token = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if token != self.app_token:
            with self._changed:
                self.refused_opens += 1
            body: dict[str, Any] = {"ok": False, "error": "invalid_auth"}
        else:
            with self._changed:
                self.opens += 1
                self._changed.notify_all()
            ticket = uuid.uuid4()
            body = {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}"}
        data = json.dumps(body).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    # -- the websocket side -----------------------------------------------------------------

    def _serve_connection(self, connection: ServerConnection) -> None:
        with self._changed:
            self.connections.append(connection)
            number = len(self.connections)
            self._changed.notify_all()
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {
                        "host": f"applink-{number}",
                        "build_number": 118,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.slack.app_id},
                }
            )
        )
        try:
            for raw in connection:
                message = json.loads(raw)
                with self._changed:
                    self.received.append(message)
                    if "envelope_id" in message:
                        self.acks.append(
                            Ack(message["envelope_id"], message.get("payload"), number)
                        )
                    self._changed.notify_all()
        except ConnectionClosed:
            pass

    def live(self) -> ServerConnection:
        """The newest connection (the one Slack would send to)."""
        with self._changed:
            return self.connections[-1]

    def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Send ``event`` in an ``events_api`` envelope; returns the envelope id."""
        envelope_id = str(uuid.uuid4())
        payload = self.slack.event_envelope(event, event_id=event_id)
        self.live().send(
            json.dumps(
                {
                    "envelope_id": envelope_id,
                    "payload": payload,
                    "type": "events_api",
                    "accepts_response_payload": False,
                    "retry_attempt": retry_attempt,
                    "retry_reason": retry_reason,
                }
            )
        )
        return envelope_id

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to move to a new connection, as Slack does."""
        self.live().send(
            json.dumps(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-1"}}
            )
        )

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the Socket Mode client did not get there in time")
                self._changed.wait(min(left, 0.2))

    def acked(self, envelope_id: str) -> list[Ack]:
        with self._changed:
            return [ack for ack in self.acks if ack.envelope_id == envelope_id]
