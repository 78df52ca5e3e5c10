"""Logging for the long-running processes: plain text or JSON lines, secrets redacted.

``configure_logging`` installs one handler on the root logger. Its ``SecretRedactor`` filter
rewrites every record before it is written: Slack tokens (``xox…-``, ``xapp-…``), bearer
and ``Authorization`` values, and the literal values of the secrets in Settings (signing
secret, webhook secret, LLM key, tokens, the database password) become ``[redacted]``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.settings import Settings

REDACTED = "[redacted]"
# Shorter values would blank out ordinary words; real secrets are far longer.
MIN_SECRET_LENGTH = 6

TOKEN_PATTERNS = (
    re.compile(r"xox[abeoprs]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"""(?i)(authorization['"]?\s*[:=]\s*['"]?)[^'"\r\n,}]+"""),
)

# Attributes every LogRecord has; anything else was passed with ``extra=``.
STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with tokens, authorization values and the given secret values redacted."""
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH and secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in TOKEN_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def secret_values(settings: Settings) -> list[str]:
    """The values in Settings that must never be written anywhere."""
    values = [
        secret.get_secret_value()
        for secret in (
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_signing_secret,
            settings.webhook_secret,
            settings.llm_api_key,
        )
        if secret is not None and secret.get_secret_value()
    ]
    try:
        password = make_url(settings.database_url).password
    except ArgumentError:
        password = None
    if password:
        values.append(str(password))
    # Longest first, so a secret containing another is replaced whole.
    return sorted(set(values), key=len, reverse=True)


class SecretRedactor(logging.Filter):
    """Rewrites a record's message, arguments, extras, traceback and stack with secrets
    redacted; the record keeps its level and logger, and is never dropped."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, as text
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact_text(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, self.secrets)
        for name, value in list(record.__dict__.items()):
            if name in STANDARD_ATTRIBUTES or isinstance(value, int | float | bool | None):
                continue
            # Anything else (strings, dicts of headers, …) is written as redacted text.
            setattr(record, name, redact_text(str(value), self.secrets))
        return True


def record_extras(record: logging.LogRecord) -> dict[str, Any]:
    """What was passed with ``extra=`` (job_id, kind, channel, …)."""
    return {
        name: value
        for name, value in record.__dict__.items()
        if name not in STANDARD_ATTRIBUTES and not name.startswith("_")
    }


class TextFormatter(logging.Formatter):
    """``2025-01-06 09:30:00,123 INFO bot.worker message key=value …``"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging API)
        line = super().formatMessage(record)
        extras = record_extras(record)
        if extras:
            line += " " + " ".join(f"{name}={value}" for name, value in extras.items())
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record_extras(record).items():
            entry.setdefault(name, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


class NewsdeskHandler(logging.StreamHandler[IO[str]]):
    """The handler ``configure_logging`` installs (recognised when configuring again)."""


def configure_logging(settings: Settings, *, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) as text or JSON lines, secrets redacted."""
    handler = NewsdeskHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(SecretRedactor(secret_values(settings)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, NewsdeskHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # The schema check at start-up would log alembic's context lines on every start.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    return handler


def gunicorn_logger_class() -> type:
    """A gunicorn logger whose error log goes through the root handler (same format and
    redaction as the app's own records); gunicorn's access log stays off."""
    from gunicorn.glogging import Logger

    class RootLogger(Logger):
        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                for handler in list(log.handlers):
                    log.removeHandler(handler)
                log.propagate = True

    return RootLogger
