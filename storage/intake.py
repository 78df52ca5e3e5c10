"""What Slack listeners record inside the request: shared links and questions, as durable jobs.

Each function runs in the listener's transaction together with the event-id check, so a
retried or duplicated delivery records nothing twice and an acknowledged event is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from news.errors import NewsdeskError
from news.urls import normalize_url
from storage.queue import JobKind, remember_event

INGEST_LINK = "ingest_link"
ANSWER_QUESTION = "answer_question"


@dataclass(frozen=True)
class SlackMessage:
    """Where a message was posted and by whom; replies go to its thread."""

    channel_id: str
    message_ts: str
    user_id: str | None
    is_private: bool
    thread_ts: str | None = None

    @property
    def reply_thread_ts(self) -> str:
        return self.thread_ts or self.message_ts


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


def accept_shared_links(
    message: SlackMessage, links: list[str], *, event_id: str | None, session: Session
) -> list[str]:
    """Queue one ingest job per new link; returns the links accepted (skips repeats)."""
    if event_id is not None and not remember_event(event_id, session=session):
        return []
    accepted = []
    for link in links:
        try:
            key = normalize_url(link)
        except NewsdeskError:
            key = link  # the worker reports the reason in the thread
        dedupe_key = f"{INGEST_LINK}:{message.channel_id}:{message.message_ts}:{key}"
        if INGEST_LINK_JOB.enqueue(
            SharedLink(link, message), session=session, dedupe_key=dedupe_key
        ):
            accepted.append(link)
    return accepted


def accept_question(
    message: SlackMessage, question: str, *, event_id: str | None, session: Session
) -> bool:
    """Queue an answer to a question asked in a mention or a DM."""
    if event_id is not None and not remember_event(event_id, session=session):
        return False
    dedupe_key = f"{ANSWER_QUESTION}:{message.channel_id}:{message.message_ts}"
    return ANSWER_QUESTION_JOB.enqueue(
        Question(question[:1000], message), session=session, dedupe_key=dedupe_key
    )
