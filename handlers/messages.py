"""Messages in channels the bot is in and in DMs: shared links and files are queued for
archiving, DMs without links are questions.

The surface in one place: the listener, what it records inside the request (the intake:
``ingest_link``, ``ingest_file`` and ``answer_question`` jobs, in the listener's transaction
together with the event-id check, so a retried or duplicated delivery records nothing twice
and an acknowledged event is never lost), and the runners that archive the link or answer the
question and reply in the thread, once. Links are found in the text and in rich-text blocks
(``handlers/message_links.py``); an edit shares only the links it adds; a redirector's link
(a Slack or mail-safety wrapper) is deduplicated by the link it wraps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.answers import answer_question
from handlers.files import accept_shared_files
from handlers.message_links import edited_message, links_added_by_edit, links_in_message
from handlers.replies import SlackMessage, ThreadReplies, slack_message
from handlers.slack_files import shared_files
from handlers.slack_services import SlackServices
from handlers.slack_text import strip_markup
from news.errors import NewsdeskError
from news.redirects import unwrap_redirect
from news.urls import normalize_url
from storage.queue import ClaimedJob, JobKind, remember_event
from storage.services import Services

INGEST_LINK = "ingest_link"
ANSWER_QUESTION = "answer_question"
MAX_QUESTION_CHARACTERS = 1000

# Plain messages, file shares with a comment and thread replies sent to the channel carry
# links a person typed; edits carry the links they add; deletions, joins and bot posts none.
HANDLED_SUBTYPES = {None, "file_share", "thread_broadcast", "me_message", "message_changed"}


@dataclass(frozen=True)
class SharedLink:
    """An ``ingest_link`` job: archive ``url`` and answer in the message's thread."""

    url: str
    message: SlackMessage


@dataclass(frozen=True)
class Question:
    """An ``answer_question`` job: answer ``question`` in the message's thread."""

    question: str
    message: SlackMessage


INGEST_LINK_JOB = JobKind(INGEST_LINK, SharedLink)
ANSWER_QUESTION_JOB = JobKind(ANSWER_QUESTION, Question)


# -- intake: recorded inside the request ---------------------------------------------------


def accept_shared_links(
    message: SlackMessage, links: list[str], *, event_id: str | None, session: Session
) -> list[str]:
    """Queue one ingest job per new link; returns the links accepted (skips repeats)."""
    if event_id is not None and not remember_event(event_id, session=session):
        return []
    accepted = []
    for link in links:
        try:
            key = normalize_url(unwrap_redirect(link))
        except NewsdeskError:
            key = link  # the worker reports the reason in the thread
        dedupe_key = f"{INGEST_LINK}:{message.channel_id}:{message.message_ts}:{key}"
        if INGEST_LINK_JOB.enqueue(
            SharedLink(link, message), session=session, dedupe_key=dedupe_key
        ):
            accepted.append(link)
    return accepted


def accept_question(
    message: SlackMessage,
    question: str,
    *,
    event_id: str | None,
    session: Session,
    kind: JobKind[Question] = ANSWER_QUESTION_JOB,
) -> bool:
    """Queue an answer to a question asked in a mention or a DM (``kind``: or in the
    assistant panel's thread)."""
    if event_id is not None and not remember_event(event_id, session=session):
        return False
    dedupe_key = f"{kind.name}:{message.channel_id}:{message.message_ts}"
    return kind.enqueue(
        Question(question[:MAX_QUESTION_CHARACTERS], message),
        session=session,
        dedupe_key=dedupe_key,
    )


def capture_files(
    services: Services, message: SlackMessage, event: Mapping[str, Any], event_id: str | None
) -> None:
    """Record the files and the comment's links of one message, once per event."""
    files = shared_files(event)
    links = links_in_message(event)
    with services.session_factory.begin() as session:
        if event_id is not None and not remember_event(event_id, session=session):
            return
        if links:
            accept_shared_links(message, links, event_id=None, session=session)
        accept_shared_files(message, files, session=session)
    services.notify_work()


# -- runners: after the ack, in a worker ---------------------------------------------------


class MessageRunners:
    """Archive a shared link and reply with its card; answer a question."""

    def __init__(
        self,
        services: Services,
        client: WebClient,
        *,
        count_link: Callable[[str], None] = lambda outcome: None,
    ) -> None:
        self._services = services
        self._client = client
        self._replies = ThreadReplies(services, client)
        self._count_link = count_link

    def runners(self) -> dict[str, Callable[[ClaimedJob], None]]:
        return {INGEST_LINK: self.ingest_link, ANSWER_QUESTION: self.answer}

    def ingest_link(self, job: ClaimedJob) -> None:
        shared = INGEST_LINK_JOB.read(job)
        message = shared.message
        self._replies.answer_share(
            job,
            message,
            lambda: self._services.ingest.ingest_url(shared.url, message.share()),
            count=self._count_link,
        )

    def answer(self, job: ClaimedJob) -> None:
        asked = ANSWER_QUESTION_JOB.read(job)
        reply = answer_question(self._services, asked.question, channel_id=asked.message.channel_id)
        self._replies.reply_once(job, asked.message, reply)


# -- the listener ---------------------------------------------------------------------------


def register(app: App, services: SlackServices) -> None:
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
