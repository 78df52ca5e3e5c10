"""The CMS publish webhook over real HTTP on loopback, on both engines."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.server import LocalServer, NewsdeskWsgi
from bot.settings import Settings
from bot.webhook import PUBLISH_PATH
from bot.wiring import build_services
from bot.worker import JobSource, Worker
from news.webhooks import MAX_PAYLOAD_BYTES, parse_publish_event, sign_payload
from storage.articles import NewShare, count_articles, find_article_by_url
from storage.cms import CMS_EVENT_JOB, cms_job_runners, event_draft, story_overrides
from storage.models import Article, Delivery, Job, WebhookEvent
from storage.queue import ClaimedJob, MalformedPayload
from storage.services import Services
from storage.subscriptions import subscribe
from tests.pageserver import PageServer

SECRET = "cms-shared-secret"
STORY_URL = "https://news.example.com/world/grain-crossing"
BODY = (
    "<p>Ukraine and Poland agreed on Monday to reopen the Dorohusk rail crossing to grain "
    "freight from next month, ending a dispute that had left thousands of wagons idle.</p>"
    "<p>Officials in Kyiv said the talks would continue next week, with ministers from both "
    "countries expected in Warsaw to settle the remaining questions about inspections.</p>"
)
PAGE = """<!doctype html><html lang="en"><head><title>Port strike ends</title>
<meta property="og:site_name" content="The Harbour Gazette">
<meta property="article:published_time" content="2025-01-06T09:30:00Z">
</head><body><article><h1>Port strike ends after nine days</h1>
<p>Dock workers in Gdansk voted on Sunday to end a nine-day strike that had stranded dozens of
container ships in the Baltic, after the port authority agreed to a new pay scale.</p>
<p>The union said the agreement covers overtime and night shifts, and ships began unloading within
hours of the vote, according to the harbour master's office.</p>
</article></body></html>"""


@dataclass
class Hook:
    url: str
    services: Services
    pages: PageServer

    def post(
        self,
        payload: dict[str, Any] | bytes,
        *,
        secret: str = SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        signed = sign_payload(
            secret=secret, body=body, timestamp=int(time.time()) if timestamp is None else timestamp
        )
        sent_headers = {"Content-Type": "application/json", **signed, **(headers or {})}
        return httpx.post(self.url + PUBLISH_PATH, content=body, headers=sent_headers, timeout=10)

    def count(self, model: Any) -> int:
        with self.services.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def deliveries(self) -> list[tuple[str, str, list[str]]]:
        """(channel, kind, thread lines) of every delivery row, oldest first."""
        with self.services.session_factory() as session:
            rows = session.scalars(select(Delivery).order_by(Delivery.id))
            return [(d.channel_id, d.kind, list(d.payload.get("lines", []))) for d in rows]

    def article(self, story_id: int) -> Article:
        with self.services.session_factory() as session:
            article = session.get(Article, story_id)
            assert article is not None
            session.expunge(article)
            return article

    def mark_alerts_sent(self) -> None:
        """Stand in for the delivery worker: every alert went out as a Slack message."""
        with self.services.session_factory.begin() as session:
            for number, delivery in enumerate(
                session.scalars(select(Delivery).where(Delivery.kind == "alert")), start=1
            ):
                delivery.state = "sent"
                delivery.message_ts = f"1700000000.{number:06d}"


def make_settings(database_url: str, webhook_secret: str | None) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        webhook_secret=webhook_secret,
        slack_bot_token="xoxb-test",
        slack_signing_secret="slack-signing-secret",
        fetch_allowed_hosts=["127.0.0.1"],
        fetch_total_timeout=3,
        feed_poll_seconds=0,
    )


@contextmanager
def start_hook(settings: Settings, pages: PageServer) -> Iterator[Hook]:
    services = build_services(settings)
    with services.session_factory.begin() as session:
        subscribe("CALL", "all", "all", created_by="U1", aliases=services.aliases, session=session)
        subscribe(
            "CUKR", "topic", "Ukraine", created_by="U1", aliases=services.aliases, session=session
        )
        subscribe(
            "CSPORT", "desk", "Sport", created_by="U1", aliases=services.aliases, session=session
        )
    app = create_app(settings, services)
    server = LocalServer(
        NewsdeskWsgi(app, services, webhook_secret=settings.webhook_secret)
    ).start()
    workers = Worker(
        [JobSource(services.session_factory, cms_job_runners(services), threads=1)],
        bell=services.work_bell,
    )
    workers.start()
    try:
        yield Hook(server.url, services, pages)
    finally:
        workers.stop()
        server.stop()


@pytest.fixture
def hook(database_url: str, pages: PageServer) -> Iterator[Hook]:
    with start_hook(make_settings(database_url, SECRET), pages) as started:
        yield started


def published(**fields: Any) -> dict[str, Any]:
    return {
        "event": "published",
        "url": STORY_URL,
        "headline": "Grain crossing to reopen",
        "body": BODY,
        "byline": "Ana Lima",
        "desk": "World",
        "topics": ["Ukraine", "Poland"],
        "published_at": "2025-01-06T09:30:00Z",
        **fields,
    }


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_signed_published_event_stores_a_public_story_and_queues_its_alerts(hook: Hook) -> None:
    reply = hook.post(published())
    assert reply.status_code == 202
    answer = reply.json()
    assert answer["ok"] is True
    assert answer["status"] == "done"
    story = hook.article(answer["story_id"])
    assert (story.headline, story.section, story.byline, story.status, story.is_public) == (
        "Grain crossing to reopen",
        "World",
        "Ana Lima",
        "published",
        True,
    )
    assert "<p>" not in story.body
    assert "Dorohusk" in story.body
    assert story.published_at is not None
    assert story.published_at.isoformat().startswith("2025-01-06T09:30")
    # Everything-channel and the Ukraine topic get an alert; the Sport desk does not.
    assert sorted(hook.deliveries()) == [("CALL", "alert", []), ("CUKR", "alert", [])]


@pytest.mark.parametrize(
    ("case", "secret", "age", "tamper"),
    [
        ("wrong secret", "not-the-secret", 0, False),
        ("stale timestamp", SECRET, 310, False),
        ("timestamp from the future", SECRET, -310, False),
        ("body changed after signing", SECRET, 0, True),
    ],
)
def test_bad_signatures_are_refused_and_nothing_is_stored(
    hook: Hook, case: str, secret: str, age: int, tamper: bool
) -> None:
    body = json.dumps(published()).encode()
    headers = sign_payload(secret=secret, body=body, timestamp=int(time.time()) - age)
    sent = body.replace(b"Grain", b"Grail") if tamper else body
    reply = httpx.post(hook.url + PUBLISH_PATH, content=sent, headers=headers, timeout=10)
    assert reply.status_code == 401, case
    assert reply.json() == {"ok": False, "error": "bad signature"}
    assert (hook.count(Article), hook.count(WebhookEvent), hook.count(Delivery)) == (0, 0, 0)


def test_unsigned_request_is_refused(hook: Hook) -> None:
    reply = httpx.post(hook.url + PUBLISH_PATH, json=published(), timeout=10)
    assert reply.status_code == 401
    assert reply.json() == {"ok": False, "error": "bad signature"}
    assert hook.count(Article) == 0


def test_invalid_payloads_get_field_errors_and_nothing_is_stored(hook: Hook) -> None:
    broken = hook.post(b'{"event": "published", "url": ')
    assert broken.status_code == 422
    assert broken.json()["ok"] is False
    assert "not valid JSON" in broken.json()["errors"]["payload"]

    wrong = hook.post(
        {"event": "deleted", "url": "ftp://example.com/x", "published_at": "yesterday"}
    )
    assert wrong.status_code == 422
    errors = wrong.json()["errors"]
    assert set(errors) == {"event", "url", "published_at"}
    assert "http" in errors["url"]

    no_note = hook.post({"event": "corrected", "url": STORY_URL})
    assert no_note.status_code == 422
    assert "correction" in no_note.json()["errors"]

    empty_body = hook.post(published(body="<p> </p><script>x()</script>"))
    assert empty_body.status_code == 422
    assert "body" in empty_body.json()["errors"]
    assert (hook.count(Article), hook.count(WebhookEvent), hook.count(Job)) == (0, 0, 0)


def test_the_same_event_twice_changes_nothing(hook: Hook) -> None:
    first = hook.post(published())
    again = hook.post(published())
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["story_id"] == first.json()["story_id"]
    assert again.json()["duplicate"] is True
    # A CMS that names its events: a resent event is recognised by its id alone.
    named = hook.post(published(event_id="cms-42", headline="Grain crossing to reopen soon"))
    renamed = hook.post(published(event_id="cms-42", headline="Something else entirely"))
    assert renamed.json()["duplicate"] is True
    assert named.json()["story_id"] == first.json()["story_id"]
    assert hook.count(Article) == 1
    assert hook.count(WebhookEvent) == 2
    assert sorted(hook.deliveries()) == [("CALL", "alert", []), ("CUKR", "alert", [])]
    assert hook.article(first.json()["story_id"]).headline == "Grain crossing to reopen soon"


def test_updates_corrections_and_unpublishing_go_to_the_alert_threads(hook: Hook) -> None:
    story_id = hook.post(published()).json()["story_id"]
    hook.mark_alerts_sent()

    updated = hook.post(
        published(event="updated", headline="Grain crossing reopens early", event_id="u1")
    )
    assert updated.status_code == 202
    assert updated.json()["story_id"] == story_id
    updates = [d for d in hook.deliveries() if d[1] == "update"]
    assert sorted(channel for channel, _, _ in updates) == ["CALL", "CUKR"]
    assert updates[0][2] == [
        "Headline changed: Grain crossing to reopen → Grain crossing reopens early"
    ]

    corrected = hook.post(
        {
            "event": "corrected",
            "url": STORY_URL,
            "correction": "An earlier version misnamed the crossing.",
        }
    )
    assert corrected.status_code == 202
    lines = [line for _, kind, ls in hook.deliveries() if kind == "update" for line in ls]
    assert lines.count("Correction appended: An earlier version misnamed the crossing.") == 2

    gone = hook.post({"event": "unpublished", "url": STORY_URL})
    assert gone.status_code == 202
    assert gone.json()["story_id"] == story_id
    assert hook.article(story_id).status == "draft"
    kinds = sorted((channel, kind) for channel, kind, _ in hook.deliveries())
    assert ("CALL", "unpublished") in kinds
    assert ("CUKR", "unpublished") in kinds
    assert [kind for _, kind, _ in hook.deliveries()].count("alert") == 2


def test_an_update_whose_effect_was_lost_is_still_announced_on_redelivery(hook: Hook) -> None:
    """The story was stored but the process died before the thread update was queued."""
    story_id = hook.post(published()).json()["story_id"]
    hook.mark_alerts_sent()
    change = published(event="updated", body=BODY + "<p>Trains will run from 1 March.</p>")
    event = parse_publish_event(json.dumps(change).encode())
    hook.services.ingest.store(
        event_draft(event), NewShare(source="webhook"), overrides=story_overrides(event)
    )
    assert hook.post(change).status_code == 202
    updates = [d for d in hook.deliveries() if d[1] == "update"]
    assert len(updates) == 2
    assert all(lines == ["Story updated: body"] for _, _, lines in updates)
    assert hook.article(story_id).version == 2


def test_an_event_without_body_is_fetched_by_a_worker_then_published(hook: Hook) -> None:
    hook.pages.add("/port", PAGE, content_type="text/html")
    url = hook.pages.url("/port")
    reply = hook.post({"event": "published", "url": url, "desk": "Sport"})
    assert reply.status_code == 202
    assert reply.json()["status"] == "queued"
    assert reply.json()["story_id"] is None
    assert wait_for(lambda: hook.count(Delivery) == 2)
    with hook.services.session_factory() as session:
        article = find_article_by_url(url, session=session)
        assert article is not None
        assert (article.headline, article.section, article.status, article.is_public) == (
            "Port strike ends after nine days",
            "Sport",
            "published",
            True,
        )
        [event] = session.scalars(select(WebhookEvent))
        assert (event.state, event.article_id) == ("done", article.id)
    assert sorted(hook.deliveries()) == [("CALL", "alert", []), ("CSPORT", "alert", [])]
    # Delivered again: already done, the same story, nothing fetched again.
    again = hook.post({"event": "published", "url": url, "desk": "Sport"})
    assert again.json() == {
        "ok": True,
        "story_id": article.id,
        "status": "done",
        "event_key": again.json()["event_key"],
        "duplicate": True,
    }
    assert len(hook.pages.requests_to("/port")) == 1


def test_a_page_that_cannot_be_fetched_fails_the_event_with_its_reason(hook: Hook) -> None:
    url = hook.pages.url("/missing")
    assert hook.post({"event": "published", "url": url}).status_code == 202

    def failed() -> bool:
        with hook.services.session_factory() as session:
            states = (session.scalar(select(WebhookEvent.state)), session.scalar(select(Job.state)))
            return states == ("failed", "failed")

    assert wait_for(failed)
    with hook.services.session_factory() as session:
        event = session.scalars(select(WebhookEvent)).one()
        assert event.error is not None
        assert "404" in event.error
        assert session.scalar(select(Job.state)) == "failed"
    assert (hook.count(Article), hook.count(Delivery)) == (0, 0)


def test_unpublished_arriving_before_the_page_was_fetched_wins(
    database_url: str, pages: PageServer
) -> None:
    settings = make_settings(database_url, SECRET)
    services = build_services(settings)
    app = create_app(settings, services)
    server = LocalServer(NewsdeskWsgi(app, services, webhook_secret=SECRET)).start()
    with services.session_factory.begin() as session:
        subscribe("CALL", "all", "all", created_by="U1", aliases=services.aliases, session=session)
    try:
        client = Hook(server.url, services, pages)
        pages.add("/port", PAGE, content_type="text/html")
        url = pages.url("/port")
        assert client.post({"event": "published", "url": url}).json()["status"] == "queued"
        assert client.post({"event": "unpublished", "url": url}).status_code == 202
        # The worker runs only now, after the story was pulled.
        workers = JobSource(services.session_factory, cms_job_runners(services), threads=1)
        workers.start()
        try:
            assert workers.wait_until_idle(10)
        finally:
            workers.stop()
        with services.session_factory() as session:
            article = find_article_by_url(url, session=session)
            assert article is not None
            assert article.status == "draft"
        assert client.count(Delivery) == 0
    finally:
        server.stop()


def test_without_a_secret_the_webhook_is_off(database_url: str, pages: PageServer) -> None:
    with start_hook(make_settings(database_url, None), pages) as hook:
        reply = hook.post(published())
        assert reply.status_code == 503
        assert reply.json()["ok"] is False
        assert "WEBHOOK_SECRET" in reply.json()["error"]
        assert hook.count(Article) == 0
        with hook.services.session_factory() as session:
            assert count_articles(session=session) == 0


def test_oversized_bodies_and_other_methods_are_refused(hook: Hook) -> None:
    huge = b'{"event": "published", "body": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    assert hook.post(huge).status_code == 413
    assert httpx.get(hook.url + PUBLISH_PATH, timeout=10).status_code == 405
    assert hook.count(Article) == 0


def send_raw(url: str, head: bytes, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST with hand-made framing (http clients always add a Content-Length or valid chunks)."""
    address = httpx.URL(url)
    with socket.create_connection((address.host, address.port or 80), timeout=10) as connection:
        connection.sendall(
            f"POST {PUBLISH_PATH} HTTP/1.1\r\nHost: {address.host}\r\n".encode() + head + body
        )
        with contextlib.suppress(OSError):  # the server may have answered and closed already
            connection.shutdown(socket.SHUT_WR)  # all sent: a body cut short ends here
        answer = b""
        while not _complete(answer) and (chunk := connection.recv(65536)):
            answer += chunk
    head, _, rest = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(rest)


def _complete(answer: bytes) -> bool:
    """True once the answer holds its headers and the body its Content-Length announces."""
    head, found, rest = answer.partition(b"\r\n\r\n")
    lengths = re.findall(rb"(?im)^content-length:\s*(\d+)", head)
    return bool(found and lengths and len(rest) >= int(lengths[0]))


def signed_head(body: bytes) -> bytes:
    signed = sign_payload(secret=SECRET, body=body, timestamp=int(time.time()))
    lines = [f"{name}: {value}" for name, value in signed.items()]
    return ("\r\n".join(["Content-Type: application/json", *lines]) + "\r\n").encode()


def chunks(body: bytes, size: int) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def test_a_signed_chunked_event_is_read_and_stored(hook: Hook) -> None:
    body = json.dumps(published()).encode()

    status, reply = send_raw(
        hook.url, signed_head(body) + b"Transfer-Encoding: chunked\r\n\r\n", chunks(body, 100)
    )

    assert (status, reply["ok"], reply["status"]) == (202, True, "done")
    assert hook.count(Article) == 1


@pytest.mark.parametrize(
    ("framing", "status", "error"),
    [
        (
            b"zz\r\nabc\r\n0\r\n\r\n",
            400,
            "the chunked body is broken: a chunk size is not a number",
        ),
        (
            b"-5\r\nabc\r\n0\r\n\r\n",
            400,
            "the chunked body is broken: a chunk size is not a number",
        ),
        (
            b"3\r\nabcdef\r\n0\r\n\r\n",
            400,
            "the chunked body is broken: a chunk is longer than its size",
        ),
        (b"10\r\nabc", 400, "the chunked body is broken: it ended inside a chunk"),
        (
            # Whole chunks up to the limit, then the header of the one that crosses it: the
            # server answers before reading its data (so none is left unread to reset the line).
            b"".join(
                b"ffff\r\n" + b"x" * 0xFFFF + b"\r\n" for _ in range(MAX_PAYLOAD_BYTES // 0xFFFF)
            )
            + b"ffff\r\n",
            413,
            f"the payload is larger than {MAX_PAYLOAD_BYTES:,} bytes",
        ),
        (
            b"%x\r\n" % (MAX_PAYLOAD_BYTES + 1),
            413,
            f"the payload is larger than {MAX_PAYLOAD_BYTES:,} bytes",
        ),
    ],
    ids=["not-hex", "negative", "overlong-chunk", "cut-short", "too-large", "one-huge-chunk"],
)
def test_broken_or_oversized_chunked_bodies_are_refused_and_store_nothing(
    hook: Hook, framing: bytes, status: int, error: str
) -> None:
    head = signed_head(b"{}") + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"

    answered, reply = send_raw(hook.url, head, framing)

    assert (answered, reply["error"]) == (status, error)
    assert hook.count(WebhookEvent) == 0


def test_a_queued_event_whose_payload_does_not_fit_fails_at_once(hook: Hook) -> None:
    run = cms_job_runners(hook.services)[CMS_EVENT_JOB]
    job = ClaimedJob(
        id=1, kind=CMS_EVENT_JOB, payload={"key": 7}, attempts=0, progress={}, worker_id="w"
    )
    with pytest.raises(MalformedPayload, match="key"):
        run(job)
