"""The assistant panel (Slack's Agents & AI Apps surface, ``slack_bolt.Assistant``).

A new assistant thread gets suggested prompts built from the archive ("Latest on <topic of the
day>", "What did we publish today?", "Stories by <a byline>"); a question asked in the thread is
answered there with the same search and cards as a mention, with a status while it works; links
and files posted in the thread are archived like anywhere else. Listeners only record jobs;
the Web API calls (prompts, status, answer) are made by the worker (``bot.assistant_jobs``).

The surface needs a paid Slack plan; everything else in newsdesk works without it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from slack_bolt import App, Assistant
from sqlalchemy.orm import Session

from handlers.files import capture_files, shared_files
from handlers.message_links import links_in_message
from handlers.messages import slack_message
from handlers.slack_text import strip_markup
from storage.intake import SlackMessage, accept_shared_links
from storage.queue import enqueue_job, remember_event
from storage.services import Services

ASSISTANT_THREAD = "assistant_thread"
ASSISTANT_ANSWER = "assistant_answer"
MAX_QUESTION_CHARACTERS = 1000


def accept_assistant_thread(
    *, user_id: str, channel_id: str, thread_ts: str, event_id: str | None, session: Session
) -> bool:
    if event_id is not None and not remember_event(event_id, session=session):
        return False
    payload = {"user_id": user_id, "channel_id": channel_id, "thread_ts": thread_ts}
    return enqueue_job(
        ASSISTANT_THREAD,
        payload,
        session=session,
        dedupe_key=f"{ASSISTANT_THREAD}:{channel_id}:{thread_ts}",
    )


def accept_assistant_question(
    message: SlackMessage, question: str, *, event_id: str | None, session: Session
) -> bool:
    if event_id is not None and not remember_event(event_id, session=session):
        return False
    payload = {"question": question[:MAX_QUESTION_CHARACTERS], "message": asdict(message)}
    key = f"{ASSISTANT_ANSWER}:{message.channel_id}:{message.message_ts}"
    return enqueue_job(ASSISTANT_ANSWER, payload, session=session, dedupe_key=key)


def build_assistant(services: Services) -> Assistant:
    assistant = Assistant()

    @assistant.thread_started
    def thread_started(body: dict[str, Any], event: dict[str, Any]) -> None:
        thread = event.get("assistant_thread") or {}
        channel_id = str(thread.get("channel_id") or "")
        thread_ts = str(thread.get("thread_ts") or "")
        if not channel_id or not thread_ts:
            return
        with services.session_factory.begin() as session:
            accept_assistant_thread(
                user_id=str(thread.get("user_id") or ""),
                channel_id=channel_id,
                thread_ts=thread_ts,
                event_id=body.get("event_id"),
                session=session,
            )
        services.notify_work()

    @assistant.thread_context_changed
    def context_changed(body: dict[str, Any]) -> None:
        """The person moved to another channel: the answers do not depend on it."""

    @assistant.user_message
    def user_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        if (
            not event.get("user")
            or not event.get("ts")
            or event.get("subtype")
            not in (
                None,
                "file_share",
            )
        ):
            return
        message = slack_message(event)
        event_id = body.get("event_id")
        if shared_files(event):
            capture_files(services, message, event, event_id)
            return
        links = links_in_message(event)
        question = strip_markup(str(event.get("text") or ""))
        with services.session_factory.begin() as session:
            if links:
                accept_shared_links(message, links, event_id=event_id, session=session)
            elif question:
                accept_assistant_question(message, question, event_id=event_id, session=session)
        services.notify_work()

    return assistant


def register(app: App, services: Services) -> None:
    app.use(build_assistant(services))
