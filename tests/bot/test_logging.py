"""Log lines as text or JSON, and secrets that never reach a log, even from a running app."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.app import SlackConfigurationError, build_slack_client, check_slack_credentials
from bot.local import LocalDeployment
from bot.logs import (
    REDACTED,
    JsonFormatter,
    NewsdeskHandler,
    SecretRedactor,
    configure_logging,
    redact_text,
    secret_values,
)
from bot.settings import Settings
from bot.webhook import PUBLISH_PATH
from news.webhooks import sign_payload
from tests.pageserver import PageServer

WEBHOOK_SECRET = "whsec-0123456789abcdef-webhook"
LLM_KEY = "sk-llm-key-9f8e7d6c5b4a39281706"

ARTICLE = """<html><head><title>Harbour cranes stand idle</title>
<meta property="og:site_name" content="The Harbour Gazette"></head><body><article>
<h1>Harbour cranes stand idle</h1>
<p>Dock workers at the eastern harbour walked out on Tuesday in a dispute over night shifts,
leaving cranes idle and a dozen ships waiting at anchor outside the breakwater.</p>
<p>The port authority said it hoped talks with the union would resume before the weekend,
when two large container ships are due to arrive from Rotterdam.</p>
</article></body></html>"""


def settings_for(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


# -- redaction ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("token xoxb-1234-5678-abcdefABCDEF rejected", "xoxb-1234-5678-abcdefABCDEF"),
        ("user token xoxp-1-2-3-abc", "xoxp-1-2-3-abc"),
        ("app token xapp-1-A01-123-deadbeef", "xapp-1-A01-123-deadbeef"),
        ("refresh xoxe-1-abcdef", "xoxe-1-abcdef"),
        ("Authorization: Bearer abc.def-123", "abc.def-123"),
        ("headers {'Authorization': 'Basic dXNlcjpwYXNz'}", "dXNlcjpwYXNz"),
        ('{"authorization": "Token 12345678"}', "12345678"),
        ("sent with bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJhbGciOiJIUzI1NiJ9.e30.sig"),
    ],
)
def test_token_shapes_are_redacted(text: str, leaked: str) -> None:
    redacted = redact_text(text)
    assert leaked not in redacted
    assert REDACTED in redacted


def test_literal_secrets_are_redacted_and_short_values_are_left_alone() -> None:
    text = "signing secret 8f14e45fceea167a and word 'news'"
    redacted = redact_text(text, ["8f14e45fceea167a", "news"])
    assert "8f14e45fceea167a" not in redacted
    assert "'news'" in redacted


def test_secret_values_come_from_settings_including_the_database_password() -> None:
    settings = settings_for(
        slack_bot_token=SecretStr("xoxb-1-2-secret"),
        slack_signing_secret=SecretStr("signing-secret-value"),
        webhook_secret=SecretStr(WEBHOOK_SECRET),
        llm_api_key=SecretStr(LLM_KEY),
        database_url="postgresql+psycopg://newsdesk:pg-pass-4711@db:5432/newsdesk",
    )
    values = secret_values(settings)
    for value in ("xoxb-1-2-secret", "signing-secret-value", WEBHOOK_SECRET, LLM_KEY):
        assert value in values
    assert "pg-pass-4711" in values


def make_record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("newsdesk.test", logging.ERROR, __file__, 1, message, args, None)
    for name, value in extra.items():
        setattr(record, name, value)
    return record


def test_redactor_rewrites_arguments_extras_and_tracebacks() -> None:
    redactor = SecretRedactor([WEBHOOK_SECRET])
    try:
        raise ValueError(f"signature made with {WEBHOOK_SECRET}")
    except ValueError:
        import sys

        record = make_record(
            "bad hook %s",
            WEBHOOK_SECRET,
            channel=WEBHOOK_SECRET,
            headers={"Authorization": "Bearer xoxb-1-2-three"},
            job_id=7,
        )
        record.exc_info = sys.exc_info()
    assert redactor.filter(record) is True
    assert WEBHOOK_SECRET not in record.getMessage()
    assert record.exc_text is not None
    assert WEBHOOK_SECRET not in record.exc_text
    assert "ValueError" in record.exc_text
    assert record.__dict__["channel"] == REDACTED
    assert "xoxb-1-2-three" not in record.__dict__["headers"]
    assert record.__dict__["job_id"] == 7


def test_a_broken_format_string_is_kept_not_raised() -> None:
    record = make_record("%d items", "not a number")
    assert SecretRedactor().filter(record)
    assert "items" in record.getMessage()


# -- formats --------------------------------------------------------------------------------


def test_json_lines_carry_timestamp_level_logger_message_and_extras() -> None:
    stream = io.StringIO()
    handler = configure_logging(settings_for(log_format="json"), stream=stream)
    try:
        logging.getLogger("bot.worker").warning(
            "job %s failed", 7, extra={"job_id": 7, "kind": "ingest_link", "channel": "C1"}
        )
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("bot.jobs").exception("runner crashed")
    finally:
        logging.getLogger().removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "WARNING"
    assert first["logger"] == "bot.worker"
    assert first["message"] == "job 7 failed"
    assert (first["job_id"], first["kind"], first["channel"]) == (7, "ingest_link", "C1")
    assert first["timestamp"].endswith("+00:00")
    assert second["level"] == "ERROR"
    assert "RuntimeError: boom" in second["exception"]


def test_text_lines_append_extras() -> None:
    stream = io.StringIO()
    handler = configure_logging(settings_for(), stream=stream)
    try:
        logging.getLogger("bot.worker").warning("job failed", extra={"job_id": 3})
    finally:
        logging.getLogger().removeHandler(handler)
    line = stream.getvalue().strip()
    assert " WARNING bot.worker job failed job_id=3" in line


def test_configuring_again_replaces_the_handler() -> None:
    first = configure_logging(settings_for(), stream=io.StringIO())
    second = configure_logging(settings_for(log_format="json"), stream=io.StringIO())
    try:
        ours = [h for h in logging.getLogger().handlers if isinstance(h, NewsdeskHandler)]
        assert ours == [second]
        assert isinstance(second.formatter, JsonFormatter)
    finally:
        logging.getLogger().removeHandler(first)
        logging.getLogger().removeHandler(second)


def test_a_secret_logged_by_mistake_is_redacted_on_the_way_out() -> None:
    stream = io.StringIO()
    settings = settings_for(webhook_secret=SecretStr(WEBHOOK_SECRET), log_format="json")
    handler = configure_logging(settings, stream=stream)
    try:
        logging.getLogger("somewhere").error(
            "calling with headers %s", {"Authorization": "Bearer xoxb-9-9-leak"}
        )
        logging.getLogger("elsewhere").info("secret is %s", WEBHOOK_SECRET)
    finally:
        logging.getLogger().removeHandler(handler)
    output = stream.getvalue()
    assert "xoxb-9-9-leak" not in output
    assert WEBHOOK_SECRET not in output
    assert output.count(REDACTED) >= 2


# -- a running app ------------------------------------------------------------------------


class Capture(logging.Handler):
    """Every record as the app emitted it (before any redaction), fully formatted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        extras = {k: v for k, v in record.__dict__.items() if isinstance(v, str)}
        self.lines.append(text + " " + json.dumps(extras))


@pytest.fixture
def captured() -> Iterator[Capture]:
    capture = Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    yield capture
    root.removeHandler(capture)
    root.setLevel(level)


def test_running_the_app_never_logs_tokens_or_secrets(database_url: str, captured: Capture) -> None:
    settings = settings_for(
        database_url=database_url,
        fetch_allowed_hosts=["127.0.0.1"],
        fetch_total_timeout=3,
        webhook_secret=SecretStr(WEBHOOK_SECRET),
        llm_api_key=SecretStr(LLM_KEY),
    )
    with PageServer() as pages, LocalDeployment(settings) as local:
        pages.add("/cranes", ARTICLE)
        slack = local.slack
        ana = slack.add_user("ana")
        world = slack.add_channel("world", members=[ana, slack.bot_user_id])
        slack.post_message(ana, world, f"read this {pages.url('/cranes')}")
        slack.post_message(ana, world, f"and this {pages.url('/missing')}")
        assert local.wait_until_idle()
        # A request with a forged signature is refused.
        forged = httpx.post(
            f"{local.url}/slack/events",
            content=b'{"type":"event_callback"}',
            headers={"X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": "1"},
        )
        assert forged.status_code == 401
        # CMS webhooks with a wrong and with a stale signature are refused.
        body = b'{"event": "published", "url": "https://example.org/cranes"}'
        wrong_signature = sign_payload(
            secret="not-the-secret", body=body, timestamp=int(time.time())
        )
        stale = sign_payload(secret=WEBHOOK_SECRET, body=body, timestamp=int(time.time()) - 3600)
        for headers in (wrong_signature, stale):
            refused_hook = httpx.post(f"{local.url}{PUBLISH_PATH}", content=body, headers=headers)
            assert refused_hook.status_code == 401
        # A refused token at start-up names the problem, not the token.
        wrong = local.settings.model_copy(
            update={"slack_bot_token": SecretStr("xoxb-0000-wrong-token-value")}
        )
        with pytest.raises(SlackConfigurationError) as refused:
            check_slack_credentials(build_slack_client(wrong))
        assert "invalid_auth" in refused.value.reason
        assert "xoxb-0000-wrong-token-value" not in refused.value.reason
        bot_token = local.settings.slack_bot_token
        signing_secret = local.settings.slack_signing_secret
        assert bot_token is not None
        assert signing_secret is not None
        secrets = [
            bot_token.get_secret_value(),
            signing_secret.get_secret_value(),
            WEBHOOK_SECRET,
            LLM_KEY,
            "xoxb-0000-wrong-token-value",
        ]
    logged = "\n".join(captured.lines)
    assert " failed: " in logged  # the failing fetch was logged
    for secret in secrets:
        assert secret not in logged
