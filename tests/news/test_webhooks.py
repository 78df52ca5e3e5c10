"""The CMS publish webhook: signatures and payload validation."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from news.webhooks import (
    MAX_PAYLOAD_BYTES,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    InvalidSignature,
    InvalidWebhook,
    PublishEvent,
    event_idempotency_key,
    parse_publish_event,
    sign_payload,
    verify_signature,
)

SECRET = "cms-signing-secret"
SENT_AT = 1_700_000_000
NOW = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # SENT_AT
BODY = b'{"event": "published", "url": "https://daily.example/news/budget"}'


def payload(**fields: Any) -> bytes:
    document: dict[str, Any] = {"event": "published", "url": "https://daily.example/news/budget"}
    document.update(fields)
    return json.dumps({key: value for key, value in document.items() if value is not ...}).encode()


# Signatures.


def test_signature_headers_follow_the_slack_scheme() -> None:
    headers = sign_payload(secret=SECRET, body=BODY, timestamp=SENT_AT)

    expected = hmac.new(
        SECRET.encode(), f"v0:{SENT_AT}:".encode() + BODY, hashlib.sha256
    ).hexdigest()
    assert headers == {TIMESTAMP_HEADER: str(SENT_AT), SIGNATURE_HEADER: f"v0={expected}"}
    assert TIMESTAMP_HEADER == "X-Newsdesk-Request-Timestamp"
    assert SIGNATURE_HEADER == "X-Newsdesk-Signature"


@pytest.mark.parametrize("delay", [0, 299, -299, 300])
def test_accepts_a_valid_signature_within_the_tolerance(delay: int) -> None:
    headers = sign_payload(secret=SECRET, body=BODY, timestamp=SENT_AT)

    verify_signature(
        secret=SECRET,
        timestamp=headers[TIMESTAMP_HEADER],
        signature=headers[SIGNATURE_HEADER],
        body=BODY,
        now=SENT_AT + delay,
    )


def signed(**changes: Any) -> dict[str, Any]:
    headers = sign_payload(secret=SECRET, body=BODY, timestamp=SENT_AT)
    arguments: dict[str, Any] = {
        "secret": SECRET,
        "timestamp": headers[TIMESTAMP_HEADER],
        "signature": headers[SIGNATURE_HEADER],
        "body": BODY,
        "now": float(SENT_AT),
    }
    arguments.update(changes)
    return arguments


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"signature": None}, "missing signature headers"),
        ({"timestamp": None}, "missing signature headers"),
        ({"signature": ""}, "missing signature headers"),
        ({"timestamp": ""}, "missing signature headers"),
        ({"now": SENT_AT + 301.0}, "stale timestamp"),
        ({"now": SENT_AT - 301.0}, "stale timestamp"),
        ({"now": SENT_AT + 60.0, "tolerance": 30}, "stale timestamp"),
        ({"timestamp": "17e8"}, "invalid timestamp"),
        ({"timestamp": "١٧٠٠٠٠٠٠٠٠"}, "invalid timestamp"),
        ({"body": BODY.replace(b"budget", b"budgeT")}, "bad signature"),
        ({"body": BODY + b" "}, "bad signature"),
        ({"secret": "another-secret"}, "bad signature"),
        ({"signature": "v0=" + "0" * 64}, "bad signature"),
        ({"signature": "v1=" + "0" * 64}, "bad signature"),
        ({"signature": "v0=ünïcode"}, "bad signature"),
        ({"timestamp": str(SENT_AT + 1)}, "bad signature"),
    ],
)
def test_refuses_a_bad_signature(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidSignature) as raised:
        verify_signature(**signed(**changes))

    assert raised.value.reason == reason


def test_an_empty_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="secret is empty"):
        sign_payload(secret="", body=BODY, timestamp=SENT_AT)


# Payloads.


def test_reads_a_full_publish_event() -> None:
    body = payload(
        event="corrected",
        headline="  Council approves budget  ",
        body="The council voted 7–2.",
        byline="Jane Doe",
        desk="Metro",
        topics=["Budget", "budget", " Politics ", ""],
        published_at="2023-11-14T09:30:00+01:00",
        correction="An earlier version gave the wrong vote count.",
        event_id="cms-8812",
        cms_revision=17,
    )

    event = parse_publish_event(body, now=NOW)

    assert event == PublishEvent(
        event="corrected",
        url="https://daily.example/news/budget",
        headline="Council approves budget",
        body="The council voted 7–2.",
        byline="Jane Doe",
        desk="Metro",
        topics=["Budget", "Politics"],
        published_at=datetime(2023, 11, 14, 8, 30, tzinfo=UTC),
        correction="An earlier version gave the wrong vote count.",
        event_id="cms-8812",
    )
    assert event.published_at is not None
    assert event.published_at.tzinfo is UTC


def test_minimal_event_and_naive_dates_in_utc() -> None:
    event = parse_publish_event(payload(published_at="2023-11-14T09:30:00", headline=""), now=NOW)

    assert event.published_at == datetime(2023, 11, 14, 9, 30, tzinfo=UTC)
    assert event.headline is None
    assert event.topics == []
    assert event.body is None


@pytest.mark.parametrize(
    ("body", "field_errors"),
    [
        (payload(url=...), {"url": "Field required"}),
        (payload(event=...), {"event": "Field required"}),
        (
            payload(event="deleted"),
            {"event": "Input should be 'published', 'updated', 'corrected' or 'unpublished'"},
        ),
        (payload(url="ftp://daily.example/a"), {"url": "must be an http or https URL"}),
        (payload(url="javascript:alert(1)"), {"url": "must be an http or https URL"}),
        (payload(url="https://"), {"url": "must be an http(s) URL with a host"}),
        (
            payload(url="https://daily.example/a b"),
            {"url": "must be a URL without spaces or control characters"},
        ),
        (payload(url="https://daily.example:99999/"), {"url": "must be a valid http(s) URL"}),
        (
            payload(url="https://daily.example/" + "a" * 2048),
            {"url": "String should have at most 2048 characters"},
        ),
        (payload(url=42), {"url": "Input should be a valid string"}),
        (
            payload(published_at="1989-12-31T23:59:59Z"),
            {"published_at": "is before 1990; send the story's real publication time"},
        ),
        (
            payload(published_at="2023-11-17T00:00:00Z"),
            {"published_at": "is more than 2 days in the future"},
        ),
        (
            payload(published_at="9999-12-31T23:59:59-05:00"),
            {"published_at": "is more than 2 days in the future"},
        ),
        (
            payload(published_at="yesterday"),
            {
                "published_at": "must be an ISO 8601 date and time such as "
                "2024-01-31T09:30:00Z, or a Unix time"
            },
        ),
        (
            payload(topics=[f"topic {number}" for number in range(21)]),
            {"topics": "List should have at most 20 items after validation, not 21"},
        ),
        (
            payload(topics=["ok", "x" * 101]),
            {"topics.1": "String should have at most 100 characters"},
        ),
        (payload(topics="politics"), {"topics": "Input should be a valid list"}),
        (payload(headline="h" * 501), {"headline": "String should have at most 500 characters"}),
        (
            payload(body="b" * 1_000_001),
            {"body": "String should have at most 1000000 characters"},
        ),
        (
            payload(event="nope", url="ftp://x.example/"),
            {
                "event": "Input should be 'published', 'updated', 'corrected' or 'unpublished'",
                "url": "must be an http or https URL",
            },
        ),
    ],
)
def test_reports_field_errors(body: bytes, field_errors: dict[str, str]) -> None:
    with pytest.raises(InvalidWebhook) as raised:
        parse_publish_event(body, now=NOW)

    assert raised.value.field_errors == field_errors
    assert raised.value.reason.startswith("invalid publish event: ")
    assert "\n" not in raised.value.reason
    for name in field_errors:
        assert f"{name}: " in raised.value.reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the payload is empty"),
        (b"  \n", "the payload is empty"),
        (b"{not json", "the payload is not valid JSON (Expecting property name enclosed in"),
        (b"[1, 2]", "the payload must be a JSON object, not a list"),
        (b'"published"', "the payload must be a JSON object, not a string"),
        (b"null", "the payload must be a JSON object, not null"),
        (b"3", "the payload must be a JSON object, not a number"),
        (BODY[:-1] + b', "x": "\x00"}', "the payload contains NUL bytes"),
        (payload(headline="nul \u0000 inside"), "the payload contains NUL characters"),
        (payload(extra={"deep": ["\u0000"]}), "the payload contains NUL characters"),
        (b'{"headline": "caf\xe9"}', "the payload is not valid UTF-8"),
        (b"[" * 100_000, "the payload is not valid JSON"),
        (b'{"n": ' + b"9" * 5000 + b"}", "the payload is not valid JSON"),
        (b" " * (MAX_PAYLOAD_BYTES + 1), "the payload is larger than 2,000,000 bytes"),
    ],
)
def test_refuses_unreadable_payloads_with_one_reason(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidWebhook) as raised:
        parse_publish_event(body, now=NOW)

    assert raised.value.reason.startswith(reason)
    assert raised.value.field_errors == {}


def test_idempotency_key_prefers_the_cms_event_id() -> None:
    body = payload(event_id="cms-8812")
    event = parse_publish_event(body, now=NOW)

    assert event_idempotency_key(event, body) == "cms-8812"


def test_idempotency_key_hashes_the_raw_body_without_an_event_id() -> None:
    first = payload(headline="One")
    second = payload(headline="Two")

    key = event_idempotency_key(parse_publish_event(first, now=NOW), first)

    assert key == hashlib.sha256(first).hexdigest()
    assert key != event_idempotency_key(parse_publish_event(second, now=NOW), second)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_values = st.one_of(
    json_values,
    st.sampled_from(["published", "updated", "corrected", "unpublished"]),
    st.sampled_from(["https://daily.example/a", "http://x", "ftp://x", "https://"]),
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda value: value.isoformat()),
)
documents = st.dictionaries(
    st.sampled_from([*PublishEvent.model_fields, "other"]), field_values, max_size=8
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), documents.map(lambda doc: json.dumps(doc).encode())))
def test_parse_publish_event_raises_only_invalid_webhook(body: bytes) -> None:
    try:
        event = parse_publish_event(body, now=NOW)
    except InvalidWebhook as error:
        problem = error.reason
    else:
        problem = ""
        assert event.url.startswith(("http://", "https://"))
    assert "\n" not in problem


def test_published_at_as_unix_time() -> None:
    event = parse_publish_event(payload(published_at=SENT_AT - 3600), now=NOW)

    assert event.published_at == datetime(2023, 11, 14, 21, 13, 20, tzinfo=UTC)
