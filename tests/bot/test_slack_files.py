"""The Slack file downloader: token only to Slack's file host, streamed within the limits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from slack_sdk import WebClient

from handlers.slack_files import SharedFile, SlackFileDownloader, describe_unreadable_kind
from news.errors import NewsdeskError
from news.fetching import FetchLimits
from tests.pageserver import PageServer

TOKEN = "xoxb-test-token"
LIMITS = FetchLimits(max_bytes=100_000, total_timeout=1.0, read_timeout=1.0)


def downloader(pages: PageServer, limits: FetchLimits = LIMITS) -> SlackFileDownloader:
    host = urlsplit(pages.base_url).netloc
    return SlackFileDownloader(WebClient(token=TOKEN), limits, extra_hosts=[host])


def shared(url: str | None, *, size: int | None = None, name: str = "copy.txt") -> SharedFile:
    return SharedFile("F1", name, size, "text/plain", "text", url)


def test_download_sends_the_bot_token_and_reads_the_body(pages: PageServer) -> None:
    pages.add("/files-pri/T1-F1/download/copy.txt", b"Some copy", content_type="text/plain")
    data = downloader(pages).download(shared(pages.url("/files-pri/T1-F1/download/copy.txt")))
    assert data == b"Some copy"
    [request] = pages.requests_to("/files-pri/T1-F1/download/copy.txt")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept-encoding"] == "identity"


def test_token_is_never_sent_to_another_host(pages: PageServer) -> None:
    other = SlackFileDownloader(WebClient(token=TOKEN), LIMITS)  # the page server not allowed
    with pytest.raises(NewsdeskError, match="not stored on Slack's file host"):
        other.download(shared(pages.url("/x")))
    with pytest.raises(NewsdeskError, match="not https"):
        other.download(shared("http://files.slack.com/files-pri/T1-F1/download/a.txt"))
    assert pages.requests == []


def test_a_redirect_to_sign_in_is_a_refusal_not_followed(pages: PageServer) -> None:
    pages.add_redirect("/files-pri/T1-F1/download/copy.txt", "/signin")
    with pytest.raises(NewsdeskError, match="needs the files:read scope"):
        downloader(pages).download(shared(pages.url("/files-pri/T1-F1/download/copy.txt")))
    assert pages.requests_to("/signin") == []


def test_declared_and_streamed_sizes_are_capped(pages: PageServer) -> None:
    with pytest.raises(NewsdeskError, match="larger than 100 kB"):
        downloader(pages).download(shared(pages.url("/never"), size=200_000))
    assert pages.requests == []

    def endless() -> Iterator[bytes]:
        while True:
            yield b"x" * 10_000

    pages.add_stream("/big", endless, content_type="text/plain")
    with pytest.raises(NewsdeskError, match="larger than 100 kB"):
        downloader(pages).download(shared(pages.url("/big")))


def test_a_slow_download_stops_at_the_total_time(pages: PageServer) -> None:
    def slow() -> Iterator[bytes]:
        for _ in range(50):
            time.sleep(0.1)
            yield b"x" * 10

    pages.add_stream("/slow", slow, content_type="text/plain")
    with pytest.raises(NewsdeskError, match=r"took longer than 1 s|timed out"):
        downloader(pages).download(shared(pages.url("/slow")))


def test_kinds_never_read_are_refused_before_downloading() -> None:
    assert describe_unreadable_kind(shared(None, name="grain.docx")) is None
    image = SharedFile("F2", "photo.jpg", 10, "image/jpeg", "jpg", None)
    assert describe_unreadable_kind(image) == (
        "photo.jpg is an image file: newsdesk reads text, not images"
    )
    sheet = SharedFile("F3", "budget.xlsx", 10, "application/vnd.ms-excel", "xlsx", None)
    reason = describe_unreadable_kind(sheet)
    assert reason is not None
    assert reason.startswith("budget.xlsx is not a kind newsdesk reads")
    # A post or snippet without a suffix is read by its Slack filetype.
    snippet = SharedFile("F4", "Untitled", 10, "text/plain", "text", None)
    assert snippet.reading_name == "Untitled.txt"
    assert describe_unreadable_kind(snippet) is None
