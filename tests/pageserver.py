"""A threaded HTTP(S) server on 127.0.0.1 for tests: serves registered routes, records requests.

Use it as a context manager or through the ``page_server`` fixture (re-export it from a
conftest with ``from tests.pageserver import page_server``)::

    server.add("/story", "<html>…</html>")
    server.add("/feed.xml", feed_bytes, content_type="application/rss+xml")
    server.add_redirect("/old", "/story")
    server.add_handler("/hook", lambda request: Reply(status=204))
    server.add_stream("/slow", lambda: server.trickle([b"a", b"b"], delay=0.5))
    fetch(server.url("/story")); assert server.requests_to("/story")

A route answers every method. Bytes bodies get a Content-Length; iterable bodies are sent with
chunked encoding, or as they are when the reply sets Content-Length or ``Connection: close``.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

__all__ = ["PageServer", "RecordedRequest", "Reply", "page_server"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it; header names are lower case.

    ``server_name`` is the TLS server name (SNI) the client sent, on an HTTPS server.
    """

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes
    server_name: str | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)


@dataclass(frozen=True)
class Reply:
    """What a route answers. ``headers`` may repeat names when given as pairs."""

    status: int = 200
    headers: Mapping[str, str] | Sequence[tuple[str, str]] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""


Handler = Callable[[RecordedRequest], Reply]

_SERVER_NAME_ATTRIBUTE = "pageserver_server_name"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    block_on_close = False
    page_server: PageServer


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 10

    def setup(self) -> None:
        context = self.server.page_server.ssl_context
        if context is not None:
            self.request = context.wrap_socket(self.request, server_side=True)
        super().setup()

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ssl.SSLError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        page_server = self.server.page_server
        request = RecordedRequest(
            method=self.command,
            target=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self._read_body(),
            server_name=getattr(self.connection, _SERVER_NAME_ATTRIBUTE, None),
        )
        page_server.record(request)
        reply = page_server.reply_for(request)
        self._send_reply(reply)

    def _send_reply(self, reply: Reply) -> None:
        pairs = list(reply.headers.items() if isinstance(reply.headers, Mapping) else reply.headers)
        names = {name.lower() for name, _ in pairs}
        body = reply.body
        self.send_response(reply.status)
        for name, value in pairs:
            self.send_header(name, value)
        is_head = self.command == "HEAD"
        if isinstance(body, bytes | bytearray):
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not is_head:
                self.wfile.write(body)
            return
        chunked = "content-length" not in names and "connection" not in names
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if "connection" in names:
            self.close_connection = True
        self.end_headers()
        self.wfile.flush()
        if is_head:
            return
        try:
            for chunk in body:
                if not chunk:
                    continue
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    self.wfile.write(chunk)
                self.wfile.flush()
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except OSError:
            self.close_connection = True
        finally:
            close = getattr(body, "close", None)
            if callable(close):
                close()

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()


class PageServer:
    """Serves registered routes on 127.0.0.1 at a free port, over TLS if given a context."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        self.stopping = threading.Event()
        self._routes: dict[str, Handler] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.page_server = self
        self._thread: threading.Thread | None = None
        if ssl_context is not None:
            ssl_context.sni_callback = self._remember_server_name

    def _remember_server_name(
        self, connection: ssl.SSLObject | ssl.SSLSocket, name: str | None, context: Any
    ) -> None:
        setattr(connection, _SERVER_NAME_ATTRIBUTE, name)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    def start(self) -> PageServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> PageServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def add_handler(self, path: str, handler: Handler) -> None:
        """Answer requests for ``path`` (query ignored) with whatever ``handler`` returns."""
        with self._lock:
            self._routes[path] = handler

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str | None = "text/html; charset=utf-8",
        headers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    ) -> None:
        """Serve a fixed body; ``str`` is sent as UTF-8; ``content_type=None`` sends none."""
        payload = body.encode("utf-8") if isinstance(body, str) else body
        pairs = _header_pairs(headers)
        if content_type is not None and "content-type" not in {n.lower() for n, _ in pairs}:
            pairs.insert(0, ("Content-Type", content_type))
        reply = Reply(status=status, headers=pairs, body=payload)
        self.add_handler(path, lambda request: reply)

    def add_stream(
        self,
        path: str,
        make_chunks: Callable[[], Iterable[bytes]],
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
    ) -> None:
        """Stream a fresh ``make_chunks()`` per request, chunked unless headers say otherwise."""
        pairs = [("Content-Type", content_type), *_header_pairs(headers)]
        self.add_handler(
            path, lambda request: Reply(status=status, headers=pairs, body=make_chunks())
        )

    def add_redirect(self, path: str, location: str, *, status: int = 302) -> None:
        """Redirect ``path`` to ``location`` (relative or absolute)."""
        self.add(path, b"", status=status, content_type=None, headers=[("Location", location)])

    def reply_for(self, request: RecordedRequest) -> Reply:
        with self._lock:
            handler = self._routes.get(request.path)
        if handler is None:
            return Reply(404, {"Content-Type": "text/plain"}, b"not found")
        return handler(request)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The requests received for ``path`` (query ignored)."""
        return [request for request in self.requests if request.path == path]

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if the server is stopping (streams should end)."""
        return self.stopping.wait(seconds)

    def trickle(self, chunks: Iterable[bytes], delay: float) -> Iterator[bytes]:
        """Yield ``chunks`` with ``delay`` seconds before each one."""
        for chunk in chunks:
            if self.wait(delay):
                return
            yield chunk

    def endless(self, chunk: bytes = b"x" * 1024, delay: float = 0.0) -> Iterator[bytes]:
        """Yield ``chunk`` forever (until the client leaves or the server stops)."""
        while not self.stopping.is_set():
            if delay and self.wait(delay):
                return
            yield chunk

    def stall(self, before: Iterable[bytes] = ()) -> Iterator[bytes]:
        """Yield ``before``, then send nothing more until the server stops."""
        yield from before
        self.stopping.wait()


def _header_pairs(headers: Mapping[str, str] | Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(headers.items() if isinstance(headers, Mapping) else headers)


def find_closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    """A started PageServer on plain HTTP, stopped after the test."""
    with PageServer() as server:
        yield server
