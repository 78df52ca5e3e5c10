"""The stand-in's HTTP side facing the app: ``/api/<method>`` and ``/response/<id>``.

Requests are decoded the way Slack accepts them (form-encoded, multipart or JSON bodies,
query strings; the token in ``Authorization: Bearer`` or a ``token`` field), every call is
recorded, and faults (rate limits, server errors, slow or dropped responses) can be injected.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from standin.workspace import (
    Arguments,
    SlackMethodError,
    Workspace,
    assign_ids,
    bool_argument,
    text_argument,
)

logger = logging.getLogger(__name__)

FaultKind = Literal["rate_limited", "server_error", "timeout", "slow"]
RESPONSE_URL_USES = 5
JSON_ARGUMENTS = ("blocks", "attachments", "metadata", "view", "unfurls")


@dataclass(frozen=True)
class RecordedCall:
    """One Web API call the app made, with what the stand-in answered."""

    method: str
    arguments: dict[str, Any]
    response: dict[str, Any] | None
    status: int
    fault: str | None = None


@dataclass
class Fault:
    """An injected failure; ``triggered`` counts the calls it hit."""

    method: str | None
    kind: FaultKind
    times: int | None
    rate: float | None
    retry_after: int
    delay: float
    status: int
    triggered: int = 0

    def matches(self, method: str) -> bool:
        return self.method is None or self.method == method

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.triggered >= self.times


@dataclass
class ResponseTarget:
    """Where posts to one ``response_url`` land."""

    user: str
    channel: str
    message_ts: str | None = None
    is_ephemeral: bool = False
    thread_ts: str | None = None
    uses: int = 0


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def decode_body(content_type: str, body: bytes) -> Arguments:
    """Arguments from a JSON, form-encoded or multipart body."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}
    if kind == "application/json":
        value = json.loads(body.decode("utf-8"))
        if not isinstance(value, dict):
            raise ValueError("JSON body must be an object")
        return value
    if kind == "multipart/form-data":
        header = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
        arguments: Arguments = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                arguments[name] = payload.decode("utf-8", "replace")
        return arguments
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def recorded_arguments(arguments: Arguments) -> dict[str, Any]:
    """Arguments as tests want to read them: no token, JSON strings decoded."""
    shown = {k: v for k, v in arguments.items() if k != "token"}
    for name in JSON_ARGUMENTS:
        value = shown.get(name)
        if isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                shown[name] = json.loads(value)
    return shown


class SlackApi:
    """Serves the Web API and response URLs over a workspace."""

    def __init__(self, workspace: Workspace, *, seed: int = 0) -> None:
        self.workspace = workspace
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._faults: list[Fault] = []
        self._latency: dict[str | None, float] = {}
        self._random = random.Random(seed)
        self.response_targets: dict[str, ResponseTarget] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Methods and GET routes served beside the workspace's (files.info, file downloads).
        self.extra_methods: dict[str, Callable[[Arguments], Any]] = {}
        self.raw_routes: dict[str, Callable[[BaseHTTPRequestHandler, str], None]] = {}

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                api.handle(self)

            def do_GET(self) -> None:
                api.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                logger.debug("stand-in: " + format, *args)

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="slack-standin", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Slack stand-in is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ---- recording, faults, latency ----------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def set_latency(self, seconds: float, method: str | None = None) -> None:
        with self._lock:
            self._latency[method] = seconds

    def _pick_fault(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method) or fault.exhausted:
                    continue
                if fault.rate is not None and self._random.random() >= fault.rate:
                    continue
                fault.triggered += 1
                return fault
        return None

    def _latency_for(self, method: str) -> float:
        with self._lock:
            return self._latency.get(method, self._latency.get(None, 0.0))

    # ---- HTTP --------------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        url = urlsplit(request.path)
        path = url.path
        try:
            arguments: Arguments = dict(parse_qsl(url.query, keep_blank_values=True))
            arguments.update(decode_body(request.headers.get("Content-Type", ""), body))
        except (ValueError, UnicodeDecodeError):
            self._send(request, Answer(400, {"ok": False, "error": "invalid_form_data"}))
            return
        for prefix, route in self.raw_routes.items():
            if path.startswith(prefix):
                route(request, path)
                return
        if path.startswith("/api/"):
            answer = self.call(path.removeprefix("/api/"), arguments, request.headers)
        elif path.startswith("/response/"):
            answer = self.respond(path.removeprefix("/response/"), arguments)
        else:
            answer = Answer(404, {"ok": False, "error": "not_found"})
        self._send(request, answer)

    def _send(self, request: BaseHTTPRequestHandler, answer: Answer) -> None:
        if answer.drop:
            request.close_connection = True
            return
        data = json.dumps(answer.body).encode("utf-8")
        request.send_response(answer.status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def call(self, method: str, arguments: Arguments, headers: Any) -> Answer:
        """Answer one Web API call (and record it)."""
        delay = self._latency_for(method)
        if delay > 0:
            time.sleep(delay)
        fault = self._pick_fault(method)
        answer = self._call_with_fault(method, arguments, headers, fault)
        call = RecordedCall(
            method=method,
            arguments=recorded_arguments(arguments),
            response=answer.body,
            status=answer.status,
            fault=fault.kind if fault else None,
        )
        with self._lock:
            self._calls.append(call)
        return answer

    def _call_with_fault(
        self, method: str, arguments: Arguments, headers: Any, fault: Fault | None
    ) -> Answer:
        if fault is not None and fault.kind == "rate_limited":
            return Answer(
                429,
                {"ok": False, "error": "ratelimited"},
                {"Retry-After": str(fault.retry_after)},
            )
        if fault is not None and fault.kind == "server_error":
            return Answer(fault.status, {"ok": False, "error": "fatal_error"})
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        answer = self._execute(method, arguments, headers)
        if fault is not None and fault.kind == "timeout":
            # The work is done, but the answer never arrives: the caller cannot tell.
            time.sleep(fault.delay)
            return Answer(answer.status, answer.body, drop=True)
        return answer

    def _execute(self, method: str, arguments: Arguments, headers: Any) -> Answer:
        handler = self.extra_methods.get(method) or self.workspace.method(method)
        if handler is None:
            return Answer(200, {"ok": False, "error": "unknown_method", "req_method": method})
        authorization = headers.get("Authorization") or ""
        token = authorization.removeprefix("Bearer ").strip() or text_argument(arguments, "token")
        if not token:
            return Answer(200, {"ok": False, "error": "not_authed"})
        if token != self.workspace.bot_token:
            return Answer(200, {"ok": False, "error": "invalid_auth"})
        try:
            with self.workspace.lock:
                return Answer(200, handler(arguments))
        except SlackMethodError as error:
            return Answer(error.status, error.body())

    # ---- response URLs -----------------------------------------------------------------

    def new_response_url(self, target: ResponseTarget) -> str:
        response_id = uuid.uuid4().hex
        with self._lock:
            self.response_targets[response_id] = target
        return f"{self.base_url}/response/{response_id}"

    def respond(self, response_id: str, arguments: Arguments) -> Answer:
        """A post to a ``response_url``: a new, replaced or deleted message, as Slack does."""
        if "payload" in arguments and isinstance(arguments["payload"], str):
            arguments = json.loads(arguments["payload"])
        with self._lock:
            target = self.response_targets.get(response_id)
            if target is None:
                return Answer(404, {"ok": False, "error": "expired_url"})
            if target.uses >= RESPONSE_URL_USES:
                return Answer(404, {"ok": False, "error": "used_url"})
            target.uses += 1
        workspace = self.workspace
        try:
            with workspace.lock:
                self._apply_response(target, arguments)
        except SlackMethodError as error:
            return Answer(400, error.body())
        return Answer(200, {"ok": True})

    def _apply_response(self, target: ResponseTarget, arguments: Arguments) -> None:
        workspace = self.workspace
        original = target.message_ts
        if bool_argument(arguments, "delete_original"):
            if original is None:
                raise SlackMethodError("no_original_message")
            self._delete_original(target)
            return
        text, blocks, _ = workspace.message_content(arguments)
        if bool_argument(arguments, "replace_original") and original is not None:
            if target.is_ephemeral:
                for message in workspace.ephemerals.get(target.user, []):
                    if message["ts"] == original:
                        message["text"] = text or ""
                        message["blocks"] = assign_ids(blocks or [])
                return
            stored = workspace.stored(target.channel, original)
            stored.body["text"] = text or ""
            stored.body["blocks"] = assign_ids(blocks or [])
            return
        thread_ts = text_argument(arguments, "thread_ts") or target.thread_ts
        if arguments.get("response_type") == "in_channel":
            channel = workspace.channel(target.channel)
            workspace.store_message(
                channel, workspace.bot_message(text, blocks, None), thread_ts=thread_ts
            )
        else:
            workspace.add_ephemeral(target.user, target.channel, text, blocks, thread_ts=thread_ts)

    def _delete_original(self, target: ResponseTarget) -> None:
        workspace = self.workspace
        if target.is_ephemeral:
            messages = workspace.ephemerals.get(target.user, [])
            messages[:] = [m for m in messages if m["ts"] != target.message_ts]
            return
        if target.message_ts is not None:
            workspace.remove_message(workspace.stored(target.channel, target.message_ts))
