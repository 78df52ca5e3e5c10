"""Fetching: only web ports, port 0 refused, and a specific one-line reason for each kind of
broken HTTP answer (lying, negative or huge Content-Length, oversized headers)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from bot.settings import Settings
from bot.wiring import build_fetcher
from news.errors import BlockedAddress, ConnectionFailed, TooLarge, UnsupportedUrl
from news.fetching import SafeFetcher
from tests.pageserver import PageServer, page_server

__all__ = ["page_server"]

PUBLIC = "93.184.216.34"


def public_resolver(host: str, port: int) -> list[str]:
    return [PUBLIC]


@pytest.mark.parametrize("port", [22, 25, 5432, 6379, 8080])
def test_other_ports_on_public_hosts_are_refused_before_any_connection(port: int) -> None:
    with (
        SafeFetcher(resolver=public_resolver) as fetcher,
        pytest.raises(BlockedAddress, match=f"^blocked: port {port} is not fetched"),
    ):
        fetcher.fetch(f"http://news.example.com:{port}/story")


@pytest.mark.parametrize("url", ["http://news.example.com:0/", "https://[2001:4860::1]:0/x"])
def test_port_0_is_refused_rather_than_read_as_the_default(url: str) -> None:
    with SafeFetcher(resolver=public_resolver) as fetcher, pytest.raises(UnsupportedUrl):
        fetcher.fetch(url)


def test_fetch_allowed_ports_adds_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FETCH_ALLOWED_PORTS", "8080, 8443")
    settings = Settings(_env_file=None)
    assert settings.fetch_allowed_ports == [8080, 8443]

    with build_fetcher(settings) as fetcher:
        # Past the port check, to the address check (a documentation address; no connection).
        with pytest.raises(BlockedAddress, match="documentation"):
            fetcher.fetch("http://203.0.113.7:8080/")
        with pytest.raises(BlockedAddress, match=r"port 8081 is not fetched \(only 80, 443, 8080"):
            fetcher.fetch("http://203.0.113.7:8081/")


def test_allow_listed_hosts_keep_any_port(page_server: PageServer) -> None:
    page_server.add("/story", "<html><body><p>fine</p></body></html>")

    with SafeFetcher(allowed_hosts={"127.0.0.1"}) as fetcher:
        assert fetcher.fetch(page_server.url("/story")).status == 200


class RawServer:
    """Answers one connection with raw bytes, whatever HTTP says."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            connection.recv(65536)
            # The client may stop reading: that is the point of some answers.
            with contextlib.suppress(OSError):
                connection.sendall(self.answer)
        self.listener.close()


@pytest.fixture
def fetcher() -> Iterator[SafeFetcher]:
    with SafeFetcher(allowed_hosts={"127.0.0.1"}) as safe_fetcher:
        yield safe_fetcher


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"


@pytest.mark.parametrize(
    ("answer", "error", "reason"),
    [
        (
            HEAD + b"Content-Length: 1000\r\n\r\n<html>short",
            ConnectionFailed,
            "127.0.0.1 sent 11 bytes of the 1000 its Content-Length announced",
        ),
        (
            HEAD + b"Content-Length: -5\r\n\r\n<html>",
            ConnectionFailed,
            "127.0.0.1 sent an invalid Content-Length header",
        ),
        (
            HEAD + b"Content-Length: 99999999999999999999999999\r\n\r\n<html>",
            ConnectionFailed,
            "127.0.0.1 sent an invalid Content-Length header",
        ),
        (
            HEAD + b"Content-Length: 900000000000\r\n\r\n<html>",
            TooLarge,
            "page larger than 5 MB",
        ),
        (
            HEAD + b"Content-Length: 5\r\nContent-Length: 7\r\n\r\n<html>",
            ConnectionFailed,
            "127.0.0.1 sent conflicting Content-Length headers",
        ),
        (
            HEAD + b"X-Padding: " + b"a" * 10_000_000 + b"\r\n\r\n<html>",
            ConnectionFailed,
            "127.0.0.1 sent headers larger than 102.4 KB",
        ),
        (
            HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
            ConnectionFailed,
            "127.0.0.1 sent a broken chunked body",
        ),
        (
            b"SSH-2.0-OpenSSH_9.6\r\n",
            ConnectionFailed,
            "127.0.0.1 closed the connection without an HTTP answer",
        ),
    ],
    ids=[
        "lying-length",
        "negative-length",
        "unreadable-length",
        "huge-length",
        "two-lengths",
        "10-MB-header",
        "broken-chunks",
        "not-http",
    ],
)
def test_broken_answers_get_a_specific_reason(
    fetcher: SafeFetcher, answer: bytes, error: type[Exception], reason: str
) -> None:
    server = RawServer(answer)

    with pytest.raises(error) as refused:
        fetcher.fetch(f"http://127.0.0.1:{server.port}/story")

    assert str(refused.value) == reason
