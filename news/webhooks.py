"""The CMS publish webhook: request signatures and the event payload.

A CMS signs each request like Slack does: ``X-Newsdesk-Signature: v0=<hex>`` where the hex is
the HMAC-SHA256, keyed with the shared secret, of ``v0:{timestamp}:`` followed by the raw
body, and ``X-Newsdesk-Request-Timestamp`` carries the Unix time of sending.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

import pydantic
from pydantic import ConfigDict, Field, StringConstraints, ValidationInfo

from news.errors import NewsdeskError

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "InvalidSignature",
    "InvalidWebhook",
    "PublishEvent",
    "compute_signature",
    "event_idempotency_key",
    "parse_publish_event",
    "sign_payload",
    "verify_signature",
]

SIGNATURE_HEADER: Final = "X-Newsdesk-Signature"
TIMESTAMP_HEADER: Final = "X-Newsdesk-Request-Timestamp"
SIGNATURE_VERSION: Final = "v0"
MAX_PAYLOAD_BYTES: Final = 2_000_000
MAX_URL_CHARS: Final = 2048
EARLIEST_DATE: Final = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE: Final = timedelta(days=2)

_TIMESTAMP: Final = re.compile(r"[0-9]{1,12}")
_UNSAFE_URL_CHARACTERS: Final = re.compile(r"[\x00-\x20\x7f\\]")
_VALUE_ERROR_PREFIX: Final = "Value error, "


class InvalidSignature(NewsdeskError):
    """A webhook request whose signature headers are missing, stale or wrong."""


class InvalidWebhook(NewsdeskError):
    """A webhook payload that cannot be read; ``field_errors`` maps field paths to messages."""

    def __init__(self, reason: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.field_errors: dict[str, str] = dict(field_errors or {})


def compute_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The ``v0=<hex>`` signature of ``body`` sent at ``timestamp``."""
    if not secret:
        raise ValueError("the webhook secret is empty")
    message = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def sign_payload(*, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers a CMS sends with ``body``: timestamp and signature."""
    stamp = str(int(timestamp))
    return {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: compute_signature(secret=secret, timestamp=stamp, body=body),
    }


def verify_signature(
    *,
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    tolerance: int = 300,
) -> None:
    """Check a request's signature headers against its raw body; raise InvalidSignature if off.

    The timestamp must be within ``tolerance`` seconds of ``now`` (either way), so a captured
    request cannot be replayed later.
    """
    if not timestamp or not signature:
        raise InvalidSignature("missing signature headers")
    stamp = timestamp.strip()
    if not _TIMESTAMP.fullmatch(stamp):
        raise InvalidSignature("invalid timestamp")
    if abs(now - int(stamp)) > tolerance:
        raise InvalidSignature("stale timestamp")
    expected = compute_signature(secret=secret, timestamp=stamp, body=body)
    given = signature.strip().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode("ascii"), given):
        raise InvalidSignature("bad signature")


def _check_url(value: str) -> str:
    if _UNSAFE_URL_CHARACTERS.search(value):
        raise ValueError("must be a URL without spaces or control characters")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for an invalid port
    except ValueError:
        raise ValueError("must be a valid http(s) URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must be an http or https URL")
    if not host:
        raise ValueError("must be an http(s) URL with a host")
    return value


Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_URL_CHARS),
    pydantic.AfterValidator(_check_url),
]
Topic = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


def _optional_text(max_length: int) -> Any:
    return Field(default=None, max_length=max_length)


class PublishEvent(pydantic.BaseModel):
    """A CMS publish event.

    Fields the model does not know are ignored (``extra="ignore"``): CMSs add their own, and
    refusing them would break alerts whenever a CMS is upgraded. Text fields are stripped and
    empty ones read as None; topics are de-duplicated; a naive ``published_at`` is UTC.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    event: Literal["published", "updated", "corrected", "unpublished"]
    url: Url
    headline: str | None = _optional_text(500)
    body: str | None = _optional_text(1_000_000)
    byline: str | None = _optional_text(500)
    desk: str | None = _optional_text(100)
    topics: list[Topic] = Field(default_factory=list, max_length=20)
    published_at: datetime | None = None
    correction: str | None = _optional_text(10_000)
    event_id: str | None = _optional_text(200)

    @pydantic.field_validator(
        "headline", "body", "byline", "desk", "correction", "event_id", mode="after"
    )
    @classmethod
    def _empty_as_none(cls, value: str | None) -> str | None:
        return value or None

    @pydantic.field_validator("topics", mode="after")
    @classmethod
    def _unique_topics(cls, values: list[str]) -> list[str]:
        topics: list[str] = []
        seen: set[str] = set()
        for topic in values:
            if topic and topic.casefold() not in seen:
                seen.add(topic.casefold())
                topics.append(topic)
        return topics

    @pydantic.field_validator("published_at", mode="wrap")
    @classmethod
    def _sensible_date(
        cls, value: object, handler: pydantic.ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> datetime | None:
        try:
            parsed: datetime | None = handler(value)
        except pydantic.ValidationError:
            raise ValueError(
                "must be an ISO 8601 date and time such as 2024-01-31T09:30:00Z, or a Unix time"
            ) from None
        if parsed is None:
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=UTC)
        context = info.context if isinstance(info.context, dict) else {}
        now = context.get("now")
        if not isinstance(now, datetime):
            now = datetime.now(UTC)
        if parsed < EARLIEST_DATE:
            raise ValueError("is before 1990; send the story's real publication time")
        if parsed > now + FUTURE_TOLERANCE:
            raise ValueError("is more than 2 days in the future")
        return parsed.astimezone(UTC)


def parse_publish_event(body: bytes, *, now: datetime | None = None) -> PublishEvent:
    """Read a webhook body as a PublishEvent; ``now`` bounds ``published_at`` (default: now).

    Raises InvalidWebhook with a one-line reason, and ``field_errors`` when fields are wrong.
    """
    if len(body) > MAX_PAYLOAD_BYTES:
        raise InvalidWebhook(f"the payload is larger than {MAX_PAYLOAD_BYTES:,} bytes")
    if not body.strip():
        raise InvalidWebhook("the payload is empty")
    if b"\x00" in body:
        raise InvalidWebhook("the payload contains NUL bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidWebhook("the payload is not valid UTF-8") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidWebhook(
            f"the payload is not valid JSON ({error.msg} at line {error.lineno}, "
            f"column {error.colno})"
        ) from None
    except (ValueError, RecursionError):
        raise InvalidWebhook(
            "the payload is not valid JSON (nested or numbers too large)"
        ) from None
    if not isinstance(document, dict):
        raise InvalidWebhook(f"the payload must be a JSON object, not {_json_kind(document)}")
    if _contains_nul(document):
        raise InvalidWebhook("the payload contains NUL characters")
    try:
        return PublishEvent.model_validate(
            document, context={"now": now if now is not None else datetime.now(UTC)}
        )
    except pydantic.ValidationError as error:
        field_errors = _field_errors(error)
        summary = "; ".join(f"{name}: {message}" for name, message in field_errors.items())
        raise InvalidWebhook(f"invalid publish event: {summary}", field_errors) from None


def event_idempotency_key(event: PublishEvent, body: bytes) -> str:
    """The CMS's ``event_id`` when it sends one, else the SHA-256 hex of the raw body."""
    if event.event_id:
        return event.event_id
    return hashlib.sha256(body).hexdigest()


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _contains_nul(document: object) -> bool:
    """True when any key or string anywhere in the JSON document holds U+0000."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def _field_errors(error: pydantic.ValidationError) -> dict[str, str]:
    """Field path (``topics.3``) → first message for it, in the order pydantic reports them."""
    errors: dict[str, str] = {}
    for detail in error.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in detail["loc"]) or "payload"
        message = str(detail["msg"]).removeprefix(_VALUE_ERROR_PREFIX)
        errors.setdefault(name, message)
    return errors
