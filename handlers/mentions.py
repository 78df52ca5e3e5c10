"""``@newsdesk latest on Ukraine``: questions asked by mentioning the bot."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from handlers.messages import accept_question, slack_message
from handlers.slack_services import SlackServices
from handlers.slack_text import find_links, strip_markup


def register(app: App, services: SlackServices) -> None:
    @app.event("app_mention")
    def answer_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
        text = event.get("text", "")
        question = strip_markup(text)
        if find_links(text) and not question:
            return  # a link shared with a mention: the message listener archives it
        with services.session_factory.begin() as session:
            accept_question(
                slack_message(event),
                question or "help",
                event_id=body.get("event_id"),
                session=session,
            )
        services.notify_work()
