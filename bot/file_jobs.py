"""The runner for files shared in Slack: look the file up, download it within the limits, read
it into a story, store it with its share, and answer in the thread with the card or the reason.

Downloading and reading happen outside any transaction; the story and its share are stored in
one (``IngestService.store``), so a file that cannot be read stores nothing. The reply is
posted once even when the job runs again after a crash (``SlackJobs._reply_once``).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.jobs import LINK_OUTCOMES, SlackJobs
from bot.metrics import record_link
from bot.settings import Settings
from bot.slack_files import SharedFile, SlackFileDownloader, describe_unreadable_kind
from bot.worker import PermanentFailure
from handlers.blocks import Message, build_article_card, build_failure
from handlers.buttons import card_actions
from handlers.views import share_view, story_from_article
from news.documents import DocumentLimits, read_document
from news.errors import NewsdeskError
from news.fetching import FetchLimits
from storage.articles import NewShare
from storage.file_intake import INGEST_FILE
from storage.ingest import IngestOutcome, IngestResult
from storage.intake import SlackMessage, message_from_payload
from storage.queue import ClaimedJob
from storage.services import Services

logger = logging.getLogger(__name__)

FILE_FAILURE = "Couldn't archive that file"


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
        return {INGEST_FILE: self.ingest_file}

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
        # A kind we never read is refused from the event's record, without a download.
        reason = describe_unreadable_kind(shared) if shared.name != "the file" else None
        if reason is not None:
            raise _Refused(reason)
        found = self._downloader.look_up(shared.id)
        reason = describe_unreadable_kind(found)
        if reason is not None:
            raise _Refused(reason)
        data = self._downloader.download(found)
        draft = read_document(data, filename=found.reading_name, limits=self._limits)
        return self._services.ingest.store(draft, share)


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
