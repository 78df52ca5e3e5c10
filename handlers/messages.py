"""Messages in channels the bot is in and in DMs: shared links are queued for archiving,
DMs without links are questions.

The surface in one place: the listener, what it records inside the request (the intake:
``ingest_link`` and ``answer_question`` jobs, in the listener's transaction together with
the event-id check, so a retried or duplicated delivery records nothing twice and an
acknowledged event is never lost), and the runners that archive the link or answer the
question and reply in the thread, once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from handlers.answers import answer_question
from handlers.block_kit import Message
from handlers.blocks import build_article_card, build_failure
from handlers.buttons import card_actions
from handlers.replies import ThreadReplies
from handlers.slack_services import SlackServices
from handlers.slack_text import find_links, strip_markup
from handlers.views import share_view, story_from_article
from news.errors import NewsdeskError
from news.urls import normalize_url
from storage.articles import NewShare
from storage.ingest import IngestOutcome
from storage.queue import ClaimedJob, JobKind, PermanentFailure, remember_event
from storage.services import Services

INGEST_LINK = "ingest_link"
ANSWER_QUESTION = "answer_question"
REACTION = "newspaper"
LINK_OUTCOMES = {
    IngestOutcome.NEW: "new",
    IngestOutcome.UPDATED: "updated",
    IngestOutcome.UNCHANGED: "duplicate",
    IngestOutcome.KNOWN: "duplicate",
}

# Plain messages, file shares with a comment and thread replies sent to the channel carry
# links a person typed; edits, deletions, joins and bot posts do not.
HANDLED_SUBTYPES = {None, "file_share", "thread_broadcast", "me_message"}
PRIVATE_CHANNEL_TYPES = {"group", "im", "mpim"}


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


def slack_message(event: dict[str, Any]) -> SlackMessage:
    return SlackMessage(
        channel_id=event["channel"],
        message_ts=event["ts"],
        user_id=event.get("user"),
        is_private=event.get("channel_type") in PRIVATE_CHANNEL_TYPES,
        thread_ts=event.get("thread_ts"),
    )


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
        message, url = shared.message, shared.url
        error = job.progress.get("error")
        if "replied" not in job.progress:
            reply, error = self._archive_and_render(job, message, url)
            self._replies.reply_once(job, message, reply)
        if error:
            raise PermanentFailure(str(error))  # replied with the reason; kept for status
        self._react(message)

    def answer(self, job: ClaimedJob) -> None:
        asked = ANSWER_QUESTION_JOB.read(job)
        reply = answer_question(self._services, asked.question, channel_id=asked.message.channel_id)
        self._replies.reply_once(job, asked.message, reply)

    def _archive_and_render(
        self, job: ClaimedJob, message: SlackMessage, url: str
    ) -> tuple[Message, str | None]:
        share = NewShare(
            source="slack",
            user_id=message.user_id,
            channel_id=message.channel_id,
            is_private=message.is_private,
            message_ts=message.message_ts,
        )
        try:
            result = self._services.ingest.ingest_url(url, share)
        except NewsdeskError as error:
            self._count_link("failed")
            self._replies.note(job, {"error": error.reason})
            return build_failure(error.reason), error.reason
        self._count_link(LINK_OUTCOMES[result.outcome])
        now = self._services.clock()
        already = result.outcome is not IngestOutcome.NEW and result.first_share is not None
        card = build_article_card(
            story_from_article(result.article),
            now=now,
            first_share=share_view(result.first_share) if already else None,
            already_archived=already,
            actions=card_actions(result.article),
        )
        return card, None

    def _react(self, message: SlackMessage) -> None:
        try:
            self._client.reactions_add(
                channel=message.channel_id, timestamp=message.message_ts, name=REACTION
            )
        except SlackApiError as error:
            if error.response.get("error") not in ("already_reacted", "message_not_found"):
                raise


# -- the listener ---------------------------------------------------------------------------


def register(app: App, services: SlackServices) -> None:
    @app.event("message")
    def capture_links(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("subtype") not in HANDLED_SUBTYPES or event.get("bot_id"):
            return
        if not event.get("user") or not event.get("ts"):
            return
        text = event.get("text", "")
        links = find_links(text)
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
