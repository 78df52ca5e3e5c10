"""``POST /hooks/publish``: the CMS publish webhook's HTTP endpoint (``storage.cms`` receives
the events and runs the queued ones).

Answers: 202 ``{"ok": true, "story_id": N, "status": "done"|"queued", "event_key": …}``;
400 for a body that breaks its own framing (a broken chunked encoding); 401 for a missing,
stale or wrong signature; 413 for a body over the size limit; 422 with ``errors``
(field → message) for a body that is not a valid event; 503 when no
``WEBHOOK_SECRET`` is configured (unsigned requests are never accepted). Nothing is stored
unless the signature checks out. An event without ``body`` is queued: its page is fetched
by a worker, and ``story_id`` is null unless the URL is already in the archive.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from news.errors import NewsdeskError
from news.webhooks import (
    MAX_PAYLOAD_BYTES,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    InvalidSignature,
    InvalidWebhook,
    event_idempotency_key,
    parse_publish_event,
    verify_signature,
)
from storage.cms import CmsEvents
from storage.services import Services

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

PUBLISH_PATH = "/hooks/publish"
SIGNATURE_WINDOW_SECONDS = 300
NOT_CONFIGURED = "the publish webhook is off: set WEBHOOK_SECRET to accept signed CMS events"


def _environ_header(name: str) -> str:
    return "HTTP_" + name.upper().replace("-", "_")


class PublishWebhook:
    """The WSGI route for CMS publish events."""

    def __init__(self, services: Services, *, secret: SecretStr | str | None) -> None:
        self._services = services
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        self._secret = value or None
        self._events = CmsEvents(services)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD", "GET") != "POST":
            return _reply(
                start_response,
                "405 Method Not Allowed",
                {"ok": False, "error": "send events with POST"},
            )
        if self._secret is None:
            return _reply(
                start_response, "503 Service Unavailable", {"ok": False, "error": NOT_CONFIGURED}
            )
        try:
            body = _read_body(environ)
        except BrokenBody as error:
            return _reply(start_response, "400 Bad Request", {"ok": False, "error": error.reason})
        if body is None:
            return _reply(
                start_response,
                "413 Content Too Large",
                {"ok": False, "error": f"the payload is larger than {MAX_PAYLOAD_BYTES:,} bytes"},
            )
        try:
            verify_signature(
                secret=self._secret,
                timestamp=environ.get(_environ_header(TIMESTAMP_HEADER)),
                signature=environ.get(_environ_header(SIGNATURE_HEADER)),
                body=body,
                now=self._services.clock().timestamp(),
                tolerance=SIGNATURE_WINDOW_SECONDS,
            )
        except InvalidSignature as error:
            logger.warning("publish webhook refused: %s", error.reason)
            return _reply(
                start_response, "401 Unauthorized", {"ok": False, "error": "bad signature"}
            )
        try:
            event = parse_publish_event(body, now=self._services.clock())
            outcome = self._events.receive(event, event_idempotency_key(event, body))
        except InvalidWebhook as error:
            errors = error.field_errors or {"payload": error.reason}
            return _reply(
                start_response,
                "422 Unprocessable Content",
                {"ok": False, "error": error.reason, "errors": errors},
            )
        except NewsdeskError as error:
            return _reply(
                start_response, "422 Unprocessable Content", {"ok": False, "error": error.reason}
            )
        reply: dict[str, Any] = {
            "ok": True,
            "story_id": outcome.story_id,
            "status": outcome.state,
            "event_key": outcome.key,
        }
        if outcome.duplicate:
            reply["duplicate"] = True
        return _reply(start_response, "202 Accepted", reply)


def _reply(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode("utf-8")
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


class BrokenBody(Exception):
    """The request body does not follow its own framing (a broken chunked encoding)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_MAX_CHUNK_LINE = 1024
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,8}")
_MAX_TRAILER_LINES = 32


def _read_body(environ: WSGIEnvironment) -> bytes | None:
    """The request body, or None when it is larger than the webhook accepts.

    A Content-Length is trusted up to the limit. A chunked body is read as the server
    decoded it (gunicorn sets ``wsgi.input_terminated``), or decoded here under servers
    that pass the raw stream (wsgiref); either way at most the limit is held. Raises
    BrokenBody for a chunked encoding that breaks its own rules.
    """
    stream = environ["wsgi.input"]
    length_header = (environ.get("CONTENT_LENGTH") or "").strip()
    chunked = "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower()
    if length_header and not chunked:
        if not length_header.isdigit():
            raise BrokenBody("the Content-Length header is not a number")
        length = int(length_header)
        if length > MAX_PAYLOAD_BYTES:
            return None
        return bytes(stream.read(length)) if length else b""
    if environ.get("wsgi.input_terminated"):
        body = bytes(stream.read(MAX_PAYLOAD_BYTES + 1))
        return None if len(body) > MAX_PAYLOAD_BYTES else body
    if chunked:
        return _read_chunked(stream, MAX_PAYLOAD_BYTES)
    return b""


def _read_chunked(stream: Any, limit: int) -> bytes | None:
    """Decode a chunked body from the raw stream; None as soon as it exceeds ``limit``."""
    body = bytearray()
    while True:
        line = bytes(stream.readline(_MAX_CHUNK_LINE + 1))
        if not line.endswith(b"\n"):
            raise BrokenBody("the chunked body is broken: a chunk size line is missing")
        size_text = line.split(b";", 1)[0].strip()
        if _CHUNK_SIZE.fullmatch(size_text) is None:
            raise BrokenBody("the chunked body is broken: a chunk size is not a number")
        size = int(size_text, 16)
        if size == 0:
            for _ in range(_MAX_TRAILER_LINES):
                if bytes(stream.readline(_MAX_CHUNK_LINE + 1)).strip() == b"":
                    return bytes(body)
            raise BrokenBody("the chunked body is broken: too many trailer lines")
        if len(body) + size > limit:
            return None
        data = bytes(stream.read(size))
        if len(data) < size:
            raise BrokenBody("the chunked body is broken: it ended inside a chunk")
        body += data
        if bytes(stream.readline(3)).strip() != b"":
            raise BrokenBody("the chunked body is broken: a chunk is longer than its size")
