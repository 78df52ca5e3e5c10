"""Replies a job posts in a message's thread, exactly once.

Runners are safe to run again after a crash: finished steps are remembered with
``record_progress``, and before posting a reply a retried job looks for the reply it may
already have posted (by message metadata) instead of posting twice.

A share (a link or a file posted in a conversation) is answered the same way whatever was
shared: ``ThreadReplies.answer_share`` archives it, replies with its card or the reason, and
reacts to the message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.block_kit import Message
from handlers.blocks import build_article_card, build_failure
from handlers.buttons import card_actions
from handlers.views import share_view, story_from_article
from news.errors import NewsdeskError
from storage.articles import NewShare
from storage.ingest import IngestOutcome, IngestResult
from storage.queue import ClaimedJob, PermanentFailure, record_progress
from storage.services import Services

REPLY_EVENT_TYPE = "newsdesk_reply"
REACTION = "newspaper"
LINK_OUTCOMES = {
    IngestOutcome.NEW: "new",
    IngestOutcome.UPDATED: "updated",
    IngestOutcome.UNCHANGED: "duplicate",
    IngestOutcome.KNOWN: "duplicate",
}
PRIVATE_CHANNEL_TYPES = {"group", "im", "mpim"}


class ThreadMessage(Protocol):
    """Where a reply goes: the message's channel, in its thread."""

    @property
    def channel_id(self) -> str: ...

    @property
    def reply_thread_ts(self) -> str: ...


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

    def share(self) -> NewShare:
        """The share this message records for what it holds: who, where, private or not."""
        return NewShare(
            source="slack",
            user_id=self.user_id,
            channel_id=self.channel_id,
            is_private=self.is_private,
            message_ts=self.message_ts,
        )


def slack_message(event: dict[str, Any]) -> SlackMessage:
    return SlackMessage(
        channel_id=event["channel"],
        message_ts=event["ts"],
        user_id=event.get("user"),
        is_private=event.get("channel_type") in PRIVATE_CHANNEL_TYPES,
        thread_ts=event.get("thread_ts"),
    )


def share_card(result: IngestResult, *, now: datetime) -> Message:
    """The card answering a share: the story, and who shared it first when it was known."""
    already = result.outcome is not IngestOutcome.NEW and result.first_share is not None
    return build_article_card(
        story_from_article(result.article),
        now=now,
        first_share=share_view(result.first_share) if already else None,
        already_archived=already,
        actions=card_actions(result.article),
    )


class ThreadReplies:
    """Posts a job's reply once, and remembers its steps, for the runners of a surface."""

    def __init__(self, services: Services, client: WebClient) -> None:
        self.services = services
        self.client = client

    def note(self, job: ClaimedJob, progress: dict[str, Any]) -> None:
        """Remember finished steps of ``job`` (a retry after a crash skips them)."""
        with self.services.session_factory.begin() as session:
            record_progress(job.id, progress, session=session, worker_id=job.worker_id)

    def answer_share(
        self,
        job: ClaimedJob,
        message: SlackMessage,
        archive: Callable[[], IngestResult],
        *,
        count: Callable[[str], None],
        failure_action: str = "Couldn't archive that link",
    ) -> None:
        """Archive a share with ``archive`` and answer in its thread, once: the card, or the
        reason it could not be archived (then the job fails for good, the reason kept for
        status); a share that was archived gets the reaction. ``count`` is told the outcome
        (new, updated, duplicate, failed)."""
        error = job.progress.get("error")
        if "replied" not in job.progress:
            try:
                result = archive()
            except NewsdeskError as failure:
                count("failed")
                error = failure.reason
                self.note(job, {"error": error})
                reply = build_failure(failure.reason, action=failure_action)
            else:
                count(LINK_OUTCOMES[result.outcome])
                now = self.services.clock().astimezone(self.services.timezone)
                reply = share_card(result, now=now)
            self.reply_once(job, message, reply)
        if error:
            raise PermanentFailure(str(error))  # replied with the reason; kept for status
        self.react(message)

    def reply_once(self, job: ClaimedJob, message: ThreadMessage, reply: Message) -> None:
        metadata = {"event_type": REPLY_EVENT_TYPE, "event_payload": {"job_id": job.id}}
        if job.attempts > 1 and self.find_reply(job, message) is not None:
            return
        response = self.client.chat_postMessage(
            channel=message.channel_id,
            thread_ts=message.reply_thread_ts,
            text=reply.text,
            blocks=reply.blocks,
            metadata=metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        self.note(job, {"replied": response.get("ts")})

    def find_reply(self, job: ClaimedJob, message: ThreadMessage) -> str | None:
        """The ts of a reply this job already posted, found by its message metadata."""
        response = self.client.conversations_replies(
            channel=message.channel_id,
            ts=message.reply_thread_ts,
            include_all_metadata=True,
            limit=200,
        )
        replies: list[dict[str, Any]] = response.get("messages", [])
        for reply in replies:
            metadata = reply.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == REPLY_EVENT_TYPE and payload.get("job_id") == job.id:
                return str(reply.get("ts"))
        return None

    def react(self, message: SlackMessage) -> None:
        """The :newspaper: reaction on a message whose share was archived."""
        try:
            self.client.reactions_add(
                channel=message.channel_id, timestamp=message.message_ts, name=REACTION
            )
        except SlackApiError as error:
            if error.response.get("error") not in ("already_reacted", "message_not_found"):
                raise
