"""Replies a job posts in a message's thread, exactly once.

Runners are safe to run again after a crash: finished steps are remembered with
``record_progress``, and before posting a reply a retried job looks for the reply it may
already have posted (by message metadata) instead of posting twice.
"""

from __future__ import annotations

from typing import Any, Protocol

from slack_sdk import WebClient

from handlers.block_kit import Message
from storage.queue import ClaimedJob, record_progress
from storage.services import Services

REPLY_EVENT_TYPE = "newsdesk_reply"


class ThreadMessage(Protocol):
    """Where a reply goes: the message's channel, in its thread."""

    @property
    def channel_id(self) -> str: ...

    @property
    def reply_thread_ts(self) -> str: ...


class ThreadReplies:
    """Posts a job's reply once, and remembers its steps, for the runners of a surface."""

    def __init__(self, services: Services, client: WebClient) -> None:
        self.services = services
        self.client = client

    def note(self, job: ClaimedJob, progress: dict[str, Any]) -> None:
        """Remember finished steps of ``job`` (a retry after a crash skips them)."""
        with self.services.session_factory.begin() as session:
            record_progress(job.id, progress, session=session, worker_id=job.worker_id)

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
