"""The message shortcut "Save to newsdesk": archives the links, files or pasted copy of any
message; the person who used it is answered with an ephemeral message (or a DM).

The listener records a ``save_message`` job with what the message holds, then acks; the
runner (here too) archives it and answers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.block_kit import MESSAGE_BLOCK_LIMIT, Message
from handlers.blocks import build_article_card, build_failure
from handlers.message_links import links_in_message
from handlers.replies import ThreadReplies
from handlers.slack_files import SharedFile, SlackFileReader, file_record, shared_files
from handlers.slack_services import SlackServices
from handlers.submit import command_in_private_conversation, tell_person
from handlers.views import story_from_article
from news.errors import NewsdeskError
from news.extraction import MIN_BODY_CHARS, MIN_BODY_WORDS
from storage.articles import NewShare
from storage.ingest import IngestResult
from storage.queue import ClaimedJob, JobKind, JobRunner
from storage.services import Services

SAVE_SHORTCUT = "save_to_newsdesk"
SAVE_MESSAGE = "save_message"
MAX_SAVED_COPY = 40_000
MAX_SAVED_CARDS = 5


@dataclass(frozen=True)
class SavedMessage:
    """A ``save_message`` job: what the message holds, and who asked where."""

    user_id: str
    channel_id: str
    is_private: bool
    message_ts: str
    action_ts: str
    author_id: str | None = None
    links: list[str] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    copy: str = ""


SAVE_MESSAGE_JOB = JobKind(SAVE_MESSAGE, SavedMessage)


def is_story_length(text: str) -> bool:
    return len(text.split()) >= MIN_BODY_WORDS and len(text.strip()) >= MIN_BODY_CHARS


def saved_message(body: dict[str, Any]) -> SavedMessage:
    """What the job needs from a ``message_action`` payload."""
    message = body.get("message") or {}
    channel = body.get("channel") or {}
    channel_id = str(channel.get("id") or "")
    links = links_in_message(message)
    files = [file_record(item) for item in shared_files(message)]
    text = str(message.get("text") or "")
    author = message.get("user")
    return SavedMessage(
        user_id=str((body.get("user") or {}).get("id") or ""),
        channel_id=channel_id,
        is_private=command_in_private_conversation(channel_id, str(channel.get("name") or "")),
        message_ts=str(body.get("message_ts") or message.get("ts") or ""),
        action_ts=str(body.get("action_ts") or body.get("trigger_id") or ""),
        author_id=str(author) if author else None,
        links=links,
        files=files,
        # Copy is read only when the message holds neither links nor files, and only when
        # it is long enough to be a story (the same floor as an extracted article body).
        copy=text[:MAX_SAVED_COPY] if not links and not files and is_story_length(text) else "",
    )


def accept_saved_message(saved: SavedMessage, *, session: Session) -> bool:
    # One job per use of the shortcut: using it again on the same message answers again.
    key = f"{SAVE_MESSAGE}:{saved.channel_id}:{saved.message_ts}:{saved.action_ts}"
    return SAVE_MESSAGE_JOB.enqueue(saved, session=session, dedupe_key=key)


def saved_reply(services: Services, results: list[IngestResult], failures: list[str]) -> Message:
    """The answer to "Save to newsdesk": a card per story saved, a line per failure."""
    now = services.clock().astimezone(services.timezone)
    blocks: list[dict[str, Any]] = []
    for result in results[:MAX_SAVED_CARDS]:
        card = build_article_card(
            story_from_article(result.article),
            now=now,
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
    return Message(text=text[:3000], blocks=blocks[:MESSAGE_BLOCK_LIMIT])


def job_runners(
    services: Services, client: WebClient, reader: SlackFileReader
) -> dict[str, JobRunner]:
    """The ``save_message`` runner: archive what the message holds, answer the person."""
    replies = ThreadReplies(services, client)

    def save_message(job: ClaimedJob) -> None:
        if "replied" in job.progress:
            return
        saved = SAVE_MESSAGE_JOB.read(job)
        share = NewShare(
            source="slack",
            user_id=saved.user_id,
            channel_id=saved.channel_id,
            is_private=saved.is_private,
            message_ts=saved.message_ts or None,
        )
        results: list[IngestResult] = []
        failures: list[str] = []

        def attempt(label: str, step: Callable[[], IngestResult]) -> None:
            try:
                results.append(step())
            except NewsdeskError as error:
                failures.append(f"{label}: {error.reason}")

        ingest = services.ingest
        for link in saved.links:
            attempt(link, functools.partial(ingest.ingest_url, link, share))
        for record in saved.files:
            shared = SharedFile.from_json(record)
            attempt(shared.name, functools.partial(reader.store, shared, share))
        copy = saved.copy.strip()
        if copy:
            attempt("the message", lambda: ingest.ingest_copy(copy, share))
        if not results and not failures:
            failures.append(
                "the message has no link, file or story text to save (pasted copy needs "
                f"at least {MIN_BODY_WORDS} words)"
            )
        tell_person(
            client, saved.user_id, saved.channel_id, saved_reply(services, results, failures)
        )
        replies.note(job, {"replied": True, "failures": failures})

    return {SAVE_MESSAGE: save_message}


def register(app: App, services: SlackServices) -> None:
    @app.shortcut(SAVE_SHORTCUT)
    def save_message(ack: Ack, body: dict[str, Any]) -> None:
        saved = saved_message(body)
        with services.session_factory.begin() as session:
            accept_saved_message(saved, session=session)
        ack()
        services.notify_work()
