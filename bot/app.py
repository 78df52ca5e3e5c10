"""The Bolt app factory: nothing happens at import time."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
)

import handlers
from bot.metrics import SlackErrorCounter
from bot.settings import Settings
from handlers.roles import EditorDirectory
from handlers.slack_services import SlackServices
from news.errors import NewsdeskError
from storage.services import Services

logger = logging.getLogger(__name__)


class SlackConfigurationError(NewsdeskError):
    """Missing or rejected Slack credentials."""


def build_slack_client(settings: Settings) -> WebClient:
    """A Web API client that retries rate limits, honouring Retry-After.

    It does not retry dropped connections or 5xx answers inside a call: Slack may already
    have posted the message, and a blind resend would post it twice. Those failures reach
    the job, whose retry first looks for the earlier post by its message metadata.
    """
    if settings.slack_bot_token is None:
        raise SlackConfigurationError("SLACK_BOT_TOKEN is not set (a bot token, xoxb-…)")
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url or WebClient.BASE_URL,
        retry_handlers=[
            SlackErrorCounter(),  # first: it counts every failed attempt, retries none
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def check_slack_credentials(client: WebClient) -> dict[str, str]:
    """Call ``auth.test``; a one-line reason when Slack refuses the token."""
    try:
        response = client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error", "unknown_error")
        raise SlackConfigurationError(
            f"Slack refused SLACK_BOT_TOKEN ({code}): check the bot token of your Slack app"
        ) from error
    except OSError as error:
        raise SlackConfigurationError(f"cannot reach Slack: {error}") from error
    return {"user_id": response["user_id"], "bot_id": response.get("bot_id", "")}


def create_app(
    settings: Settings,
    services: Services,
    *,
    client: WebClient | None = None,
    socket_mode: bool = False,
) -> App:
    """The Bolt app with every listener registered.

    Listeners run before the HTTP response (``process_before_response``): they only record
    work in the database, so the ack is fast and an acknowledged event is already durable.
    """
    if not socket_mode and settings.slack_signing_secret is None:
        raise SlackConfigurationError("SLACK_SIGNING_SECRET is not set (needed in HTTP mode)")
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    client = client or build_slack_client(settings)
    editors = EditorDirectory(
        editor_ids=settings.editors, usergroup_id=settings.editor_usergroup, client=client
    )
    app = App(
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        request_verification_enabled=not socket_mode,
        token_verification_enabled=False,
        logger=logging.getLogger("newsdesk.slack"),
    )
    handlers.register(app, SlackServices.extending(services, editors=editors))
    return app
