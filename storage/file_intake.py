"""Files shared in Slack, recorded inside the listener's request as durable jobs.

Like links: one job per file of a message, deduplicated by channel, message and file id, in
the same transaction as the event-id check, so a retried delivery records nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from storage.intake import SlackMessage
from storage.queue import enqueue_job

INGEST_FILE = "ingest_file"
MAX_FILES_PER_MESSAGE = 10
FILE_FIELDS = ("id", "name", "title", "size", "mimetype", "filetype", "mode", "file_access")


def file_record(data: Mapping[str, Any]) -> dict[str, Any]:
    """The few fields of a Slack file object a job needs; the rest is looked up later."""
    return {name: data[name] for name in FILE_FIELDS if name in data}


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
        payload = {"file": file_record(data), "message": asdict(message)}
        dedupe_key = f"{INGEST_FILE}:{message.channel_id}:{message.message_ts}:{file_id}"
        if enqueue_job(INGEST_FILE, payload, session=session, dedupe_key=dedupe_key):
            accepted.append(file_id)
    return accepted
