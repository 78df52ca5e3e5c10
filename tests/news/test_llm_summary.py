from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from news.llm_summary import LlmSummarizer
from news.summaries import ExtractiveSummarizer

STORY = (
    "The city council approved a new budget for schools on Monday. "
    "Council members debated the school budget for hours. "
    "The budget adds money for teachers and school buildings."
)
FALLBACK = ExtractiveSummarizer().summarize(STORY)
SECRET = "sk-test-secret-key"


@dataclass
class FakeEndpoint:
    """What the fake chat completions server answers, and what it was sent."""

    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)

    def answer_with(self, content: str) -> None:
        self.body = json.dumps(
            {"choices": [{"message": {"role": "assistant", "content": content}}]}
        ).encode()


@pytest.fixture
def endpoint() -> Iterator[tuple[FakeEndpoint, str]]:
    fake = FakeEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            fake.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "json": json.loads(self.rfile.read(length)),
                }
            )
            if fake.delay:
                time.sleep(fake.delay)
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(fake.body)))
            self.end_headers()
            self.wfile.write(fake.body)

        def log_message(self, format: str, *args: object) -> None:
            return

    class QuietServer(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            return  # a client that timed out and hung up is expected here

    server = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def make_summarizer(
    base_url: str, *, timeout: float = 5.0, api_key: str | None = SECRET
) -> LlmSummarizer:
    return LlmSummarizer(
        base_url=base_url,
        model="test-model",
        api_key=api_key,
        timeout=timeout,
        fallback=ExtractiveSummarizer(),
    )


def test_success_returns_the_model_answer_and_sends_the_key(
    endpoint: tuple[FakeEndpoint, str],
) -> None:
    fake, base_url = endpoint
    fake.answer_with("  The council approved a school budget.\nIt adds money for teachers.  ")
    summary = make_summarizer(base_url).summarize(STORY, headline="Council approves budget")
    assert summary == "The council approved a school budget. It adds money for teachers."
    [request] = fake.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {SECRET}"
    assert request["json"]["model"] == "test-model"
    user_message = request["json"]["messages"][-1]["content"]
    assert "Council approves budget" in user_message
    assert "school budget" in user_message


def test_no_auth_header_without_a_key(endpoint: tuple[FakeEndpoint, str]) -> None:
    fake, base_url = endpoint
    fake.answer_with("A summary.")
    assert make_summarizer(base_url, api_key=None).summarize(STORY) == "A summary."
    assert "Authorization" not in fake.requests[0]["headers"]


def test_uses_a_given_client(endpoint: tuple[FakeEndpoint, str]) -> None:
    fake, base_url = endpoint
    fake.answer_with("Via the shared client.")
    with httpx.Client() as client:
        summarizer = LlmSummarizer(base_url, "m", None, 5.0, ExtractiveSummarizer(), client=client)
        assert summarizer.summarize(STORY) == "Via the shared client."


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (500, b'{"error": "boom"}', "HTTP 500"),
        (200, b"<html>not json</html>", "not JSON"),
        (200, b'{"choices": []}', "no choices"),
        (200, json.dumps({"choices": [{"message": {"content": "   "}}]}).encode(), "empty answer"),
        (
            200,
            json.dumps({"choices": [{"message": {"content": "x " * 400}}]}).encode(),
            "exceeds 600",
        ),
    ],
)
def test_falls_back_and_logs_the_reason(
    endpoint: tuple[FakeEndpoint, str],
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: bytes,
    reason: str,
) -> None:
    fake, base_url = endpoint
    fake.status, fake.body = status, body
    with caplog.at_level(logging.WARNING, logger="news.llm_summary"):
        assert make_summarizer(base_url).summarize(STORY) == FALLBACK
    assert reason in caplog.text
    assert SECRET not in caplog.text


def test_timeout_falls_back(
    endpoint: tuple[FakeEndpoint, str], caplog: pytest.LogCaptureFixture
) -> None:
    fake, base_url = endpoint
    fake.answer_with("Too late.")
    fake.delay = 0.5
    with caplog.at_level(logging.WARNING, logger="news.llm_summary"):
        assert make_summarizer(base_url, timeout=0.1).summarize(STORY) == FALLBACK
    assert "no answer within 0.1 s" in caplog.text
    assert SECRET not in caplog.text


def test_connection_refused_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with caplog.at_level(logging.WARNING, logger="news.llm_summary"):
        assert make_summarizer(f"http://127.0.0.1:{port}").summarize(STORY) == FALLBACK
    assert "ConnectError" in caplog.text


def test_empty_story_does_not_call_the_model(endpoint: tuple[FakeEndpoint, str]) -> None:
    fake, base_url = endpoint
    assert make_summarizer(base_url).summarize("  ") == ""
    assert fake.requests == []


def test_repr_hides_the_key(endpoint: tuple[FakeEndpoint, str]) -> None:
    _, base_url = endpoint
    assert SECRET not in repr(make_summarizer(base_url))
