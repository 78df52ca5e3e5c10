"""Messages in channels the bot is in and in DMs: shared links are queued for archiving,
DMs without links are questions."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from handlers.files import capture_files, shared_files
from handlers.message_links import edited_message, links_added_by_edit, links_in_message
from handlers.slack_text import strip_markup
from storage.intake import SlackMessage, accept_question, accept_shared_links
from storage.services import Services

# Plain messages, file shares with a comment and thread replies sent to the channel carry
# links a person typed; edits, deletions, joins and bot posts do not.
HANDLED_SUBTYPES = {None, "file_share", "thread_broadcast", "me_message", "message_changed"}
PRIVATE_CHANNEL_TYPES = {"group", "im", "mpim"}


def slack_message(event: dict[str, Any]) -> SlackMessage:
    return SlackMessage(
        channel_id=event["channel"],
        message_ts=event["ts"],
        user_id=event.get("user"),
        is_private=event.get("channel_type") in PRIVATE_CHANNEL_TYPES,
        thread_ts=event.get("thread_ts"),
    )


def register(app: App, services: Services) -> None:
    @app.event("message")
    def capture_links(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("subtype") not in HANDLED_SUBTYPES or event.get("bot_id"):
            return
        if event.get("subtype") == "message_changed":
            capture_edit(body, event)
            return
        if not event.get("user") or not event.get("ts"):
            return
        if shared_files(event):
            capture_files(services, slack_message(event), event, body.get("event_id"))
            return
        text = event.get("text", "")
        links = links_in_message(event)
        is_dm = event.get("channel_type") == "im"
        question = strip_markup(text)
        if not links and not (is_dm and question):
            return
        with services.session_factory.begin() as session:
            if links:
                accept_shared_links(
                    slack_message(event), links, event_id=body.get("event_id"), session=session
                )
            else:
                accept_question(
                    slack_message(event), question, event_id=body.get("event_id"), session=session
                )
        services.notify_work()

    def capture_edit(body: dict[str, Any], event: dict[str, Any]) -> None:
        edited = edited_message(event)
        links = links_added_by_edit(event) if edited is not None else []
        if edited is None or not links or not edited.get("ts"):
            return
        with services.session_factory.begin() as session:
            accept_shared_links(
                slack_message(edited), links, event_id=body.get("event_id"), session=session
            )
        services.notify_work()
