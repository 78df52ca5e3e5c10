"""What a delivery's failure means for its retry, and when a daily briefing is due."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from handlers.alerts import briefing_title, briefing_window, classify_failure


def slack_error(status: int, body: dict[str, Any], headers: dict[str, str]) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data=body,
        headers=headers,
        status_code=status,
    )
    return SlackApiError("failed", response)


def test_failures_are_classified_for_retry() -> None:
    limited = classify_failure(
        slack_error(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}),
        attempts=3,
        retry_max=300,
    )
    assert limited.retry_in == timedelta(seconds=7)
    assert not limited.count_attempt
    assert limited.pause_channel == 7
    server = classify_failure(
        slack_error(503, {"ok": False, "error": "service_unavailable"}, {}),
        attempts=3,
        retry_max=300,
    )
    assert server.retry_in == timedelta(seconds=4)
    assert server.count_attempt
    refused = classify_failure(
        slack_error(200, {"ok": False, "error": "is_archived"}, {}), attempts=1, retry_max=300
    )
    assert refused.retry_in is None
    assert refused.reason == "Slack refused the message: is_archived"
    lost = classify_failure(ConnectionResetError("reset"), attempts=2, retry_max=300)
    assert lost.retry_in == timedelta(seconds=2)
    assert "no answer from Slack" in lost.reason


def test_briefing_is_due_from_its_time_for_an_hour() -> None:
    zone = ZoneInfo("Europe/Berlin")
    at = datetime(2025, 1, 6, 7, 10, tzinfo=zone)
    window = briefing_window("07:00", now=at, timezone=zone)
    assert window == (
        datetime(2025, 1, 5, 7, 0, tzinfo=zone),
        datetime(2025, 1, 6, 7, 0, tzinfo=zone),
    )
    assert briefing_window("07:00", now=at - timedelta(minutes=11), timezone=zone) is None
    assert briefing_window("07:00", now=at + timedelta(hours=1), timezone=zone) is None
    assert briefing_title(12, morning=True) == (
        "Morning briefing: 12 stories since yesterday, by topic"
    )
