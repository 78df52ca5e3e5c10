"""The runner for files shared in Slack: look the file up, download it within the limits, read
it into a story, store it with its share, and answer in the thread with the card or the reason.

Downloading and reading happen outside any transaction; the story and its share are stored in
one (``IngestService.store``), so a file that cannot be read stores nothing. The reply is
posted once even when the job runs again after a crash (``SlackJobs._reply_once``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.jobs import LINK_OUTCOMES, SlackJobs
from bot.metrics import record_link
from bot.settings import Settings
from bot.slack_files import SharedFile, SlackFileDownloader, describe_unreadable_kind
from bot.worker import PermanentFailure
from handlers.blocks import Message, build_article_card, build_failure
from handlers.buttons import card_actions
from handlers.shortcuts import SAVE_MESSAGE
from handlers.submit import (
    SUBMIT_FILE,
    StorySubmission,
    describe_failure,
    describe_outcome,
    publish_submission,
    tell_submitter,
)
from handlers.views import share_view, story_from_article
from news.articles import ArticleDraft
from news.documents import DocumentLimits, read_document
from news.errors import NewsdeskError
from news.extraction import MIN_BODY_WORDS
from news.fetching import FetchLimits
from storage.articles import NewShare
from storage.file_intake import INGEST_FILE
from storage.ingest import IngestOutcome, IngestResult, StoryOverrides
from storage.intake import SlackMessage, message_from_payload
from storage.queue import ClaimedJob
from storage.services import Services

logger = logging.getLogger(__name__)

FILE_FAILURE = "Couldn't archive that file"
MAX_SAVED_CARDS = 5
EPHEMERAL_UNREACHABLE = {
    "channel_not_found",
    "not_in_channel",
    "user_not_in_channel",
    "is_archived",
    "restricted_action",
}


class SlackFileJobs(SlackJobs):
    """``ingest_file``: one shared file, read into a story."""

    def __init__(
        self,
        services: Services,
        client: WebClient,
        downloader: SlackFileDownloader,
        limits: DocumentLimits,
    ) -> None:
        super().__init__(services, client)
        self._downloader = downloader
        self._limits = limits

    def runners(self) -> dict[str, Any]:
        return {
            INGEST_FILE: self.ingest_file,
            SAVE_MESSAGE: self.save_message,
            SUBMIT_FILE: self.submit_file,
        }

    def submit_file(self, job: ClaimedJob) -> None:
        """A file attached to the ``/news submit`` form: read, stored with the form's fields."""
        error = job.progress.get("error")
        if "replied" not in job.progress:
            submission = StorySubmission.from_payload(job.payload)
            error = self._run_file_submission(submission)
            self._note(job, {"replied": True, "error": error})
        if error:
            raise PermanentFailure(str(error))  # the submitter was told the reason

    def _run_file_submission(self, submission: StorySubmission) -> str | None:
        share = NewShare(
            source="slack",
            user_id=submission.user_id,
            channel_id=submission.channel_id,
            is_private=submission.is_private,
        )
        overrides = StoryOverrides(
            headline=submission.headline,
            section=submission.desk,
            topics=tuple(submission.topics),
        )
        error: str | None = None
        try:
            draft = self._read_file(SharedFile.from_json(submission.file or {}))
            result = self._services.ingest.store(draft, share, overrides=overrides)
            published = (
                publish_submission(self._services, result.article.id)
                if submission.publish
                else None
            )
            reply = describe_outcome(self._services, result, published)
            if published is not None:
                self._services.notify_work()
        except NewsdeskError as failure:
            error = failure.reason
            reply = describe_failure(failure.reason)
        tell_submitter(self._client, submission, reply)
        return error

    def save_message(self, job: ClaimedJob) -> None:
        """ "Save to newsdesk" on a message: archive what it holds, answer the person."""
        if "replied" in job.progress:
            return
        payload = job.payload
        user_id = str(payload["user_id"])
        channel_id = str(payload["channel_id"])
        share = NewShare(
            source="slack",
            user_id=user_id,
            channel_id=channel_id,
            is_private=bool(payload["is_private"]),
            message_ts=str(payload.get("message_ts") or "") or None,
        )
        results: list[IngestResult] = []
        failures: list[str] = []

        def attempt(label: str, step: Callable[[], IngestResult]) -> None:
            try:
                results.append(step())
            except NewsdeskError as error:
                failures.append(f"{label}: {error.reason}")

        ingest = self._services.ingest
        for link in payload.get("links") or []:
            attempt(str(link), functools.partial(ingest.ingest_url, str(link), share))
        for record in payload.get("files") or []:
            shared = SharedFile.from_json(record)
            attempt(shared.name, functools.partial(self._read_and_store, shared, share))
        copy = str(payload.get("copy") or "").strip()
        if copy:
            attempt("the message", lambda: self._services.ingest.ingest_copy(copy, share))
        if not results and not failures:
            failures.append(
                "the message has no link, file or story text to save (pasted copy needs "
                f"at least {MIN_BODY_WORDS} words)"
            )
        reply = saved_reply(self._services, results, failures)
        tell_person(self._client, user_id, channel_id, reply)
        self._note(job, {"replied": True, "failures": failures})

    def ingest_file(self, job: ClaimedJob) -> None:
        message = message_from_payload(job.payload)
        error = job.progress.get("error")
        if "replied" not in job.progress:
            reply, error = self._read_and_render(job, message)
            self._reply_once(job, message, reply)
        if error:
            raise PermanentFailure(str(error))  # replied with the reason; kept for status
        self._react(message)

    def _read_and_render(
        self, job: ClaimedJob, message: SlackMessage
    ) -> tuple[Message, str | None]:
        record = job.payload.get("file")
        assert isinstance(record, dict)
        share = NewShare(
            source="slack",
            user_id=message.user_id,
            channel_id=message.channel_id,
            is_private=message.is_private,
            message_ts=message.message_ts,
        )
        try:
            result = self._read_and_store(SharedFile.from_json(record), share)
        except NewsdeskError as error:
            record_link("failed")
            self._note(job, {"error": error.reason})
            return build_failure(error.reason, action=FILE_FAILURE), error.reason
        record_link(LINK_OUTCOMES[result.outcome])
        already = result.outcome is not IngestOutcome.NEW and result.first_share is not None
        card = build_article_card(
            story_from_article(result.article),
            now=self._services.clock(),
            first_share=share_view(result.first_share) if already else None,
            already_archived=already,
            actions=card_actions(result.article),
        )
        return card, None

    def _read_and_store(self, shared: SharedFile, share: NewShare) -> IngestResult:
        return self._services.ingest.store(self._read_file(shared), share)

    def _read_file(self, shared: SharedFile) -> ArticleDraft:
        # A kind we never read is refused from the event's record, without a download.
        reason = describe_unreadable_kind(shared) if shared.name != "the file" else None
        if reason is not None:
            raise _Refused(reason)
        found = self._downloader.look_up(shared.id)
        reason = describe_unreadable_kind(found)
        if reason is not None:
            raise _Refused(reason)
        data = self._downloader.download(found)
        return read_document(data, filename=found.reading_name, limits=self._limits)


def saved_reply(services: Services, results: list[IngestResult], failures: list[str]) -> Message:
    """The answer to "Save to newsdesk": a card per story saved, a line per failure."""
    blocks: list[dict[str, Any]] = []
    for result in results[:MAX_SAVED_CARDS]:
        card = build_article_card(
            story_from_article(result.article),
            now=services.clock(),
            already_archived=result.already_archived,
        )
        blocks.extend(card.blocks)
    for reason in failures[:MAX_SAVED_CARDS]:
        blocks.extend(build_failure(reason, action="Couldn't save").blocks)
    saved = len(results)
    if saved and not failures:
        text = f"Saved {saved} {'story' if saved == 1 else 'stories'} to newsdesk"
    elif saved:
        text = f"Saved {saved} to newsdesk; {len(failures)} could not be saved"
    else:
        text = f"Couldn't save: {failures[0]}"
    return Message(text=text[:3000], blocks=blocks[:50])


def tell_person(client: WebClient, user_id: str, channel_id: str, reply: Message) -> None:
    """Ephemeral where the shortcut was used; a DM when the bot cannot post there."""
    if channel_id:
        try:
            client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=reply.text, blocks=reply.blocks
            )
            return
        except SlackApiError as error:
            if error.response.get("error") not in EPHEMERAL_UNREACHABLE:
                raise
    client.chat_postMessage(
        channel=user_id, text=reply.text, blocks=reply.blocks, unfurl_links=False
    )


class _Refused(NewsdeskError):
    """A file of a kind newsdesk does not read."""


def file_job_runners(settings: Settings, services: Services, client: WebClient) -> dict[str, Any]:
    """The ``ingest_file`` runner, with the fetch limits of the settings."""
    limits = FetchLimits(
        max_bytes=settings.fetch_max_bytes,
        connect_timeout=settings.fetch_connect_timeout,
        read_timeout=settings.fetch_read_timeout,
        total_timeout=settings.fetch_total_timeout,
    )
    downloader = SlackFileDownloader(
        client, limits, extra_hosts=SlackFileDownloader.hosts_for_api_url(settings.slack_api_url)
    )
    document_limits = DocumentLimits(
        max_bytes=settings.fetch_max_bytes, max_seconds=settings.fetch_total_timeout
    )
    return SlackFileJobs(services, client, downloader, document_limits).runners()
