"""The message shortcut "Save to newsdesk": archives the links, files or pasted copy of any
message; the person who used it is answered with an ephemeral message (or a DM).

The listener acks at once and records a ``save_message`` job with what the message holds;
the worker archives it and answers (``bot.file_jobs``).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers.files import shared_files
from handlers.message_links import links_in_message
from handlers.submit import is_private_conversation
from news.extraction import MIN_BODY_CHARS, MIN_BODY_WORDS
from storage.file_intake import file_record
from storage.queue import enqueue_job
from storage.services import Services

SAVE_SHORTCUT = "save_to_newsdesk"
SAVE_MESSAGE = "save_message"
MAX_SAVED_COPY = 40_000


def is_story_length(text: str) -> bool:
    return len(text.split()) >= MIN_BODY_WORDS and len(text.strip()) >= MIN_BODY_CHARS


def saved_message_payload(body: dict[str, Any]) -> dict[str, Any]:
    """What the job needs from a ``message_action`` payload."""
    message = body.get("message") or {}
    channel = body.get("channel") or {}
    channel_id = str(channel.get("id") or "")
    links = links_in_message(message)
    files = [file_record(item) for item in shared_files(message)]
    text = str(message.get("text") or "")
    return {
        "user_id": str((body.get("user") or {}).get("id") or ""),
        "channel_id": channel_id,
        "is_private": is_private_conversation(channel_id, str(channel.get("name") or "")),
        "message_ts": str(body.get("message_ts") or message.get("ts") or ""),
        "action_ts": str(body.get("action_ts") or body.get("trigger_id") or ""),
        "author_id": message.get("user"),
        "links": links,
        "files": files,
        # Copy is read only when the message holds neither links nor files, and only when
        # it is long enough to be a story (the same floor as an extracted article body).
        "copy": text[:MAX_SAVED_COPY] if not links and not files and is_story_length(text) else "",
    }


def accept_saved_message(payload: dict[str, Any], *, session: Session) -> bool:
    # One job per use of the shortcut: using it again on the same message answers again.
    key = f"{SAVE_MESSAGE}:{payload['channel_id']}:{payload['message_ts']}:{payload['action_ts']}"
    return enqueue_job(SAVE_MESSAGE, payload, session=session, dedupe_key=key[:500])


def register(app: App, services: Services) -> None:
    @app.shortcut(SAVE_SHORTCUT)
    def save_message(ack: Ack, body: dict[str, Any]) -> None:
        payload = saved_message_payload(body)
        with services.session_factory.begin() as session:
            accept_saved_message(payload, session=session)
        ack()
        services.notify_work()
