"""Files shared in channels, threads and DMs (``message`` events with ``files``): each file
is queued to be downloaded and read into a story, and answered in the thread like a link.

Intake: one ``ingest_file`` job per file of a message, deduplicated by channel, message and
file id, in the listener's transaction together with the event-id check (the listener is
``capture_links`` in ``handlers/messages.py``, which also queues the links of the comment),
so a retried delivery records nothing twice. The runner downloads and reads the file outside
any transaction and stores the story and its share in one (``SlackFileReader.store``), so a
file that cannot be read stores nothing; the reply is posted once
(``ThreadReplies.answer_share``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.replies import SlackMessage, ThreadReplies
from handlers.slack_files import MAX_FILES_PER_MESSAGE, SharedFile, SlackFileReader, file_record
from storage.queue import ClaimedJob, JobKind, JobRunner
from storage.services import Services

INGEST_FILE = "ingest_file"
FILE_FAILURE = "Couldn't archive that file"


@dataclass(frozen=True)
class FileShare:
    """An ``ingest_file`` job: read the file (its Slack record) and answer in the thread."""

    file: dict[str, Any]
    message: SlackMessage


INGEST_FILE_JOB = JobKind(INGEST_FILE, FileShare)


def accept_shared_files(
    message: SlackMessage, files: Sequence[Mapping[str, Any]], *, session: Session
) -> list[str]:
    """Queue one ingest job per file; returns the ids accepted (skips repeats).

    The caller has already recorded the event id in this transaction.
    """
    accepted: list[str] = []
    for data in files[:MAX_FILES_PER_MESSAGE]:
        file_id = str(data.get("id") or "")
        if not file_id or data.get("mode") in ("tombstone", "external"):
            continue
        dedupe_key = f"{INGEST_FILE}:{message.channel_id}:{message.message_ts}:{file_id}"
        if INGEST_FILE_JOB.enqueue(
            FileShare(file_record(data), message), session=session, dedupe_key=dedupe_key
        ):
            accepted.append(file_id)
    return accepted


def job_runners(
    services: Services,
    client: WebClient,
    reader: SlackFileReader,
    *,
    count_link: Callable[[str], None] = lambda outcome: None,
) -> dict[str, JobRunner]:
    """The ``ingest_file`` runner: read the file, store it, answer with its card or why not."""
    replies = ThreadReplies(services, client)

    def ingest_file(job: ClaimedJob) -> None:
        shared = INGEST_FILE_JOB.read(job)
        message = shared.message
        replies.answer_share(
            job,
            message,
            lambda: reader.store(SharedFile.from_json(shared.file), message.share()),
            count=count_link,
            failure_action=FILE_FAILURE,
        )

    return {INGEST_FILE: ingest_file}
