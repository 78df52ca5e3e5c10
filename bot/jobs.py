"""Job runners that talk to Slack: archive a shared link and reply, answer a question.

Each runner is safe to run again after a crash: finished steps are remembered with
``record_progress``, and before posting a reply a retried job looks for the reply it may
already have posted (by message metadata) instead of posting twice.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.metrics import record_link
from bot.worker import PermanentFailure
from handlers.answers import answer_question
from handlers.blocks import Message, build_article_card, build_failure
from handlers.buttons import card_actions
from handlers.conversations import PublicChannels
from handlers.home import PUBLISH_HOME, PUBLISH_HOME_JOB, publish_home
from handlers.submit import SUBMIT_STORY, StorySubmission, run_submission
from handlers.unfurls import UNFURL_LINK, UNFURL_LINK_JOB, unfurl_shared_links
from handlers.views import share_view, story_from_article
from news.errors import NewsdeskError
from storage.articles import NewShare
from storage.ingest import IngestOutcome
from storage.intake import (
    ANSWER_QUESTION,
    ANSWER_QUESTION_JOB,
    INGEST_LINK,
    INGEST_LINK_JOB,
    SlackMessage,
)
from storage.queue import ClaimedJob, record_progress
from storage.services import Services

logger = logging.getLogger(__name__)

REPLY_EVENT_TYPE = "newsdesk_reply"
LINK_OUTCOMES = {
    IngestOutcome.NEW: "new",
    IngestOutcome.UPDATED: "updated",
    IngestOutcome.UNCHANGED: "duplicate",
    IngestOutcome.KNOWN: "duplicate",
}
REACTION = "newspaper"


class SlackJobs:
    """The runners for jobs queued by Slack listeners."""

    def __init__(self, services: Services, client: WebClient) -> None:
        self._services = services
        self._client = client
        self._public_channels = PublicChannels(client)

    def runners(self) -> dict[str, Any]:
        return {
            INGEST_LINK: self.ingest_link,
            ANSWER_QUESTION: self.answer,
            PUBLISH_HOME: self.publish_home,
            UNFURL_LINK: self.unfurl_link,
            SUBMIT_STORY: self.submit_story,
        }

    # -- runners ---------------------------------------------------------------------------

    def ingest_link(self, job: ClaimedJob) -> None:
        shared = INGEST_LINK_JOB.read(job)
        message, url = shared.message, shared.url
        error = job.progress.get("error")
        if "replied" not in job.progress:
            reply, error = self._archive_and_render(job, message, url)
            self._reply_once(job, message, reply)
        if error:
            raise PermanentFailure(str(error))  # replied with the reason; kept for status
        self._react(message)

    def answer(self, job: ClaimedJob) -> None:
        asked = ANSWER_QUESTION_JOB.read(job)
        reply = answer_question(self._services, asked.question, channel_id=asked.message.channel_id)
        self._reply_once(job, asked.message, reply)

    def publish_home(self, job: ClaimedJob) -> None:
        user_id = PUBLISH_HOME_JOB.read(job).user_id
        publish_home(self._services, self._client, user_id, self._public_channels)

    def unfurl_link(self, job: ClaimedJob) -> None:
        try:
            request = UNFURL_LINK_JOB.read(job).request
            unfurl_shared_links(self._services, self._client, request)
        except NewsdeskError as error:
            raise PermanentFailure(error.reason) from error

    def submit_story(self, job: ClaimedJob) -> None:
        error = job.progress.get("error")
        if "replied" not in job.progress:
            submission = StorySubmission.from_payload(job.payload)
            error = run_submission(self._services, self._client, submission)
            self._note(job, {"replied": True, "error": error})
        if error:
            raise PermanentFailure(str(error))  # the submitter was told the reason

    # -- steps -----------------------------------------------------------------------------

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
            record_link("failed")
            self._note(job, {"error": error.reason})
            return build_failure(error.reason), error.reason
        record_link(LINK_OUTCOMES[result.outcome])
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

    def _note(self, job: ClaimedJob, progress: dict[str, Any]) -> None:
        with self._services.session_factory.begin() as session:
            record_progress(job.id, progress, session=session, worker_id=job.worker_id)

    def _reply_once(self, job: ClaimedJob, message: SlackMessage, reply: Message) -> None:
        metadata = {"event_type": REPLY_EVENT_TYPE, "event_payload": {"job_id": job.id}}
        if job.attempts > 1 and self._find_reply(job, message) is not None:
            return
        response = self._client.chat_postMessage(
            channel=message.channel_id,
            thread_ts=message.reply_thread_ts,
            text=reply.text,
            blocks=reply.blocks,
            metadata=metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        self._note(job, {"replied": response.get("ts")})

    def _find_reply(self, job: ClaimedJob, message: SlackMessage) -> str | None:
        """The ts of a reply this job already posted, found by its message metadata."""
        response = self._client.conversations_replies(
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

    def _react(self, message: SlackMessage) -> None:
        try:
            self._client.reactions_add(
                channel=message.channel_id, timestamp=message.message_ts, name=REACTION
            )
        except SlackApiError as error:
            if error.response.get("error") not in ("already_reacted", "message_not_found"):
                raise
