"""``/news submit``: the modal, its validation in the fields (Slack-style), and the durable
job that archives (and, for editors, publishes) the story after the modal closed.

The listener only checks the form and records a ``submit_story`` job in one transaction;
fetching, extraction and publishing run in a worker, which tells the submitter the
outcome with an ephemeral message in the channel the command ran in (or a DM).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from handlers.blocks import Message, build_article_card, build_failure
from handlers.command_blocks import channel_mention, escaped, story_label
from handlers.mrkdwn import plain_text
from handlers.replies import ThreadReplies
from handlers.slack_files import SharedFile, SlackFileReader, file_record
from handlers.slack_services import SlackServices
from handlers.views import story_from_article
from news.documents import document_kind_for_name
from news.errors import NewsdeskError
from news.urls import normalize_url
from news.wire_copy import parse_wire_copy
from storage.articles import NewShare
from storage.ingest import IngestOutcome, IngestResult, StoryOverrides
from storage.publishing import PublishResult, publish_article
from storage.queue import ClaimedJob, JobKind, JobRunner, PermanentFailure
from storage.services import Services

SUBMIT_VIEW = "news_submit"
SUBMIT_STORY = "submit_story"
URL_BLOCK = "url"
COPY_BLOCK = "copy"
FILE_BLOCK = "file"
SUBMIT_FILE = "submit_file"
FILE_TYPES = ["txt", "md", "html", "docx", "pdf", "rtf", "odt"]
HEADLINE_BLOCK = "headline"
DESK_BLOCK = "desk"
TOPICS_BLOCK = "topics"
STATUS_BLOCK = "status"
MAX_COPY_CHARACTERS = 40_000
MAX_URL_CHARACTERS = 2048
MAX_HEADLINE_CHARACTERS = 300
MAX_DESK_CHARACTERS = 100
MAX_TOPICS = 10
MAX_TOPIC_CHARACTERS = 60
MAX_FIELD_ERROR = 150
PRIVATE_CHANNEL_NAMES = ("privategroup", "directmessage")
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,63})>")


def command_in_private_conversation(channel_id: str, channel_name: str) -> bool:
    """Whether a slash command ran in a private channel, a group DM or a DM, read from the
    channel name and id the command carries (no Slack call while the command waits)."""
    return (
        channel_name in PRIVATE_CHANNEL_NAMES
        or channel_name.startswith("mpdm-")
        or channel_id.startswith(("D", "G"))
    )


# -- the modal ------------------------------------------------------------------------------


def _text_input(
    block_id: str,
    label: str,
    *,
    placeholder: str,
    hint: str | None = None,
    multiline: bool = False,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": block_id,
        "placeholder": plain_text(placeholder, 150),
    }
    if multiline:
        element["multiline"] = True
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain_text(label, 2000),
        "element": element,
    }
    if hint:
        block["hint"] = plain_text(hint, 2000)
    return block


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": plain_text(label, 75), "value": value}


def build_submit_modal(*, channel_id: str, is_private: bool) -> dict[str, Any]:
    """The submit form; the channel it was opened from travels in ``private_metadata``."""
    draft = _option("draft", "Draft")
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Give a *link* to the story, *or* paste its plain-text copy.",
            },
        },
        _text_input(URL_BLOCK, "Link", placeholder="https://…"),
        _text_input(
            COPY_BLOCK,
            "Or paste the copy",
            placeholder="Headline, byline, dateline and paragraphs, as the wire sends them",
            hint="Slack takes up to 3,000 characters here: attach longer copy as a file below.",
            multiline=True,
        ),
        {
            "type": "input",
            "block_id": FILE_BLOCK,
            "optional": True,
            "label": plain_text("Or attach a file", 2000),
            "element": {
                "type": "file_input",
                "action_id": FILE_BLOCK,
                "filetypes": FILE_TYPES,
                "max_files": 1,
            },
            "hint": plain_text("Word, PDF, plain-text wire copy, a saved page, RTF or ODT.", 2000),
        },
        _text_input(
            HEADLINE_BLOCK,
            "Headline",
            placeholder="Leave empty to use the story's own",
        ),
        _text_input(DESK_BLOCK, "Desk", placeholder="World"),
        _text_input(
            TOPICS_BLOCK,
            "Topics",
            placeholder="Ukraine, grain, rail",
            hint="Comma-separated; topics found in the text are added too.",
        ),
        {
            "type": "input",
            "block_id": STATUS_BLOCK,
            "label": plain_text("Status", 2000),
            "element": {
                "type": "radio_buttons",
                "action_id": STATUS_BLOCK,
                "options": [draft, _option("published", "Published (editors)")],
                "initial_option": draft,
            },
        },
    ]
    if is_private:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "Submitted from a private conversation, the story stays "
                        "private to it and is not sent to any channel.",
                    }
                ],
            }
        )
    return {
        "type": "modal",
        "callback_id": SUBMIT_VIEW,
        "title": plain_text("Submit a story", 24),
        "submit": plain_text("Submit", 24),
        "close": plain_text("Cancel", 24),
        "private_metadata": json.dumps({"channel": channel_id, "private": is_private}),
        "blocks": blocks,
    }


# -- reading and checking the form ----------------------------------------------------------


@dataclass(frozen=True)
class SubmitForm:
    """What the person entered, stripped; empty strings for empty fields."""

    url: str
    copy: str
    headline: str
    desk: str
    topics: tuple[str, ...]
    status: str
    file: dict[str, Any] | None = None


def _state_value(values: dict[str, Any], block_id: str) -> Any:
    state = (values.get(block_id) or {}).get(block_id) or {}
    if "selected_option" in state:
        return (state.get("selected_option") or {}).get("value")
    return state.get("value")


def read_submit_form(view: dict[str, Any]) -> SubmitForm:
    """The form's values from a ``view_submission`` payload's view."""
    values = (view.get("state") or {}).get("values") or {}

    def text(block_id: str) -> str:
        value = _state_value(values, block_id)
        return value.strip() if isinstance(value, str) else ""

    topics = tuple(
        dict.fromkeys(" ".join(t.split()) for t in text(TOPICS_BLOCK).split(",") if t.strip())
    )
    return SubmitForm(
        url=text(URL_BLOCK),
        copy=text(COPY_BLOCK),
        headline=" ".join(text(HEADLINE_BLOCK).split()),
        desk=" ".join(text(DESK_BLOCK).split()),
        topics=topics,
        status=str(_state_value(values, STATUS_BLOCK) or "draft"),
        file=_attached_file(values),
    )


def _attached_file(values: dict[str, Any]) -> dict[str, Any] | None:
    state = (values.get(FILE_BLOCK) or {}).get(FILE_BLOCK) or {}
    files = state.get("files") or []
    return dict(files[0]) if files and isinstance(files[0], dict) else None


def describe_attached_file(data: dict[str, Any]) -> str | None:
    """Why an attached file cannot be read, from its record, before anything is downloaded."""
    name = str(data.get("name") or data.get("title") or "the file")
    if document_kind_for_name(name) is not None:
        return None
    filetype = str(data.get("filetype") or "")
    if filetype in FILE_TYPES:
        return None
    kinds = ", ".join(f".{kind}" for kind in FILE_TYPES)
    return f"Newsdesk does not read files like {name}: attach one of {kinds}"


def check_submit_form(form: SubmitForm, *, may_publish: bool, refusal: str) -> dict[str, str]:
    """Field errors by block id, as Slack shows them under each input; empty when valid."""
    errors: dict[str, str] = {}
    given = sum(1 for part in (form.url, form.copy, form.file) if part)
    if not given:
        errors[URL_BLOCK] = "Give a link to the story, paste its text, or attach a file."
    elif given > 1:
        errors[FILE_BLOCK if form.file else COPY_BLOCK] = (
            "Give one of a link, pasted text or a file, not both: clear the others."
        )
    elif form.file:
        reason = describe_attached_file(form.file)
        if reason:
            errors[FILE_BLOCK] = _sentence(reason)
    elif form.url:
        if len(form.url) > MAX_URL_CHARACTERS:
            errors[URL_BLOCK] = (
                f"That link is too long (at most {MAX_URL_CHARACTERS:,} characters)."
            )
        else:
            try:
                normalize_url(form.url)
            except NewsdeskError as error:
                errors[URL_BLOCK] = _sentence(error.reason)
    elif len(form.copy) > MAX_COPY_CHARACTERS:
        errors[COPY_BLOCK] = (
            f"The text is too long: at most {MAX_COPY_CHARACTERS:,} characters, "
            f"this has {len(form.copy):,}."
        )
    else:
        try:
            parse_wire_copy(form.copy)
        except NewsdeskError as error:
            errors[COPY_BLOCK] = _sentence(error.reason)
    if len(form.headline) > MAX_HEADLINE_CHARACTERS:
        errors[HEADLINE_BLOCK] = (
            f"The headline is too long (at most {MAX_HEADLINE_CHARACTERS} characters)."
        )
    if len(form.desk) > MAX_DESK_CHARACTERS:
        errors[DESK_BLOCK] = (
            f"The desk name is too long (at most {MAX_DESK_CHARACTERS} characters)."
        )
    if len(form.topics) > MAX_TOPICS:
        errors[TOPICS_BLOCK] = f"At most {MAX_TOPICS} topics."
    elif any(len(topic) > MAX_TOPIC_CHARACTERS for topic in form.topics):
        errors[TOPICS_BLOCK] = f"Each topic has at most {MAX_TOPIC_CHARACTERS} characters."
    if form.status not in ("draft", "published"):
        errors[STATUS_BLOCK] = "Choose Draft or Published."
    elif form.status == "published" and not may_publish:
        errors[STATUS_BLOCK] = _sentence(refusal + " Choose Draft to submit it for them.")
    return errors


def _sentence(text: str) -> str:
    first = " ".join(text.split())
    if first and first[0].islower():
        first = first[0].upper() + first[1:]
    if len(first) > MAX_FIELD_ERROR:
        first = first[: MAX_FIELD_ERROR - 1].rstrip() + "…"
    return first


def name_mentions(text: str, client: WebClient) -> str:
    """``<@U123>`` mentions as ``@name`` (field errors show plain text); ids when unknown."""

    def name(match: re.Match[str]) -> str:
        user_id = match.group(1)
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except (SlackApiError, OSError):
            return f"@{user_id}"
        profile = user.get("profile") or {}
        shown = profile.get("display_name") or profile.get("real_name") or user.get("name")
        return f"@{shown}" if shown else f"@{user_id}"

    return _MENTION.sub(name, text)


# -- the durable job ------------------------------------------------------------------------


@dataclass(frozen=True)
class StorySubmission:
    """A checked form, as stored in the ``submit_story`` job's payload."""

    user_id: str
    channel_id: str
    is_private: bool
    url: str | None
    copy: str | None
    headline: str | None = None
    desk: str | None = None
    topics: list[str] = field(default_factory=list)
    publish: bool = False
    file: dict[str, Any] | None = None


# ``file`` came after the first submit_story jobs were queued: its default keeps them readable.
SUBMIT_STORY_JOB = JobKind(SUBMIT_STORY, StorySubmission)
SUBMIT_FILE_JOB = JobKind(SUBMIT_FILE, StorySubmission)


def accept_submission(submission: StorySubmission, *, view_id: str, session: Session) -> bool:
    """Queue the submission; a second submission of the same modal queues nothing.

    A form with a file is a ``submit_file`` job (the file is downloaded and read), any other
    a ``submit_story`` job.
    """
    kind = SUBMIT_FILE_JOB if submission.file else SUBMIT_STORY_JOB
    return kind.enqueue(submission, session=session, dedupe_key=f"{SUBMIT_STORY}:{view_id}")


def submission_share(submission: StorySubmission) -> NewShare:
    return NewShare(
        source="slack",
        user_id=submission.user_id,
        channel_id=submission.channel_id,
        is_private=submission.is_private,
    )


def submission_overrides(submission: StorySubmission) -> StoryOverrides:
    """The submitter's headline, desk and topics, which win over what the story says."""
    return StoryOverrides(
        headline=submission.headline, section=submission.desk, topics=tuple(submission.topics)
    )


def archive_submission(services: Services, submission: StorySubmission) -> IngestResult:
    """Fetch or parse the story and store it with the submitter's headline, desk, topics."""
    share = submission_share(submission)
    overrides = submission_overrides(submission)
    if submission.url:
        given = bool(submission.headline or submission.desk or submission.topics)
        return services.ingest.ingest_url(submission.url, share, overrides=overrides, refetch=given)
    return services.ingest.ingest_copy(submission.copy or "", share, overrides=overrides)


def archive_file_submission(reader: SlackFileReader, submission: StorySubmission) -> IngestResult:
    """Read the attached file and store it with the submitter's headline, desk, topics."""
    return reader.store(
        SharedFile.from_json(submission.file or {}),
        submission_share(submission),
        overrides=submission_overrides(submission),
    )


def publish_submission(services: Services, article_id: int) -> PublishResult:
    with services.session_factory.begin() as session:
        return publish_article(
            article_id, session=session, aliases=services.aliases, now=services.clock()
        )


def describe_outcome(
    services: Services, result: IngestResult, published: PublishResult | None
) -> Message:
    """The submitter's confirmation: what happened, then the story's card."""
    article = result.article
    label = story_label(article.id, article.headline)
    if result.outcome is IngestOutcome.NEW:
        line = f"Archived {label}"
    elif result.outcome is IngestOutcome.UPDATED:
        line = f"Stored a new version of {label}"
    else:
        line = f"{label} was already in the archive"
    if published is None:
        line += f" as a {escaped(article.status, 20)}."
    elif published.skipped_reason:
        line += f"; not published: {escaped(published.skipped_reason)}."
    elif published.channels:
        channels = ", ".join(channel_mention(channel) for channel in published.channels)
        line += f" and published it — alerts queued for {channels}."
    elif published.already_published:
        line += "; it was already published, nothing new to send."
    else:
        line += " and published it; no channel follows it yet."
    now = services.clock().astimezone(services.timezone)  # days as the newsroom reads them
    card = build_article_card(story_from_article(article), now=now)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": f":white_check_mark: {line}"}}
    return Message(text=line, blocks=[section, *card.blocks][:50])


def describe_failure(reason: str) -> Message:
    return build_failure(reason, action="Couldn't archive your submission")


# Answers of chat.postEphemeral that mean "not there": the submitter gets a DM instead.
_EPHEMERAL_UNREACHABLE = {
    "channel_not_found",
    "not_in_channel",
    "user_not_in_channel",
    "is_archived",
    "restricted_action",
}


def run_submission(
    services: Services,
    client: WebClient,
    submission: StorySubmission,
    archive: Callable[[], IngestResult] | None = None,
) -> str | None:
    """Archive (and publish, when asked) a submission and tell the submitter how it went.

    ``archive`` stores the story (by default from the form's link or copy). Returns the
    one-line reason when the story could not be archived (the submitter was told it), else
    None.
    """
    error: str | None = None
    try:
        result = archive() if archive is not None else archive_submission(services, submission)
        published = publish_submission(services, result.article.id) if submission.publish else None
        reply = describe_outcome(services, result, published)
        if published is not None:
            services.notify_work()
    except NewsdeskError as failure:
        error = failure.reason
        reply = describe_failure(failure.reason)
    tell_submitter(client, submission, reply)
    return error


def tell_submitter(client: WebClient, submission: StorySubmission, reply: Message) -> None:
    """An ephemeral message where the command ran; a DM when that is not possible."""
    tell_person(client, submission.user_id, submission.channel_id, reply)


def tell_person(client: WebClient, user_id: str, channel_id: str, reply: Message) -> None:
    """An ephemeral message to ``user_id`` in ``channel_id``; a DM when the bot cannot post
    there (or no channel is known)."""
    if channel_id:
        try:
            client.chat_postEphemeral(
                channel=channel_id, user=user_id, text=reply.text, blocks=reply.blocks
            )
            return
        except SlackApiError as error:
            if error.response.get("error") not in _EPHEMERAL_UNREACHABLE:
                raise
    client.chat_postMessage(
        channel=user_id,
        text=reply.text,
        blocks=reply.blocks,
        unfurl_links=False,
        unfurl_media=False,
    )


def job_runners(
    services: Services, client: WebClient, reader: SlackFileReader
) -> dict[str, JobRunner]:
    """The ``submit_story`` and ``submit_file`` runners: archive (and maybe publish), then
    tell the submitter."""
    replies = ThreadReplies(services, client)

    def run_once(job: ClaimedJob, run: Callable[[], str | None]) -> None:
        error = job.progress.get("error")
        if "replied" not in job.progress:
            error = run()
            replies.note(job, {"replied": True, "error": error})
        if error:
            raise PermanentFailure(str(error))  # the submitter was told the reason

    def run_submit_story(job: ClaimedJob) -> None:
        submission = SUBMIT_STORY_JOB.read(job)
        run_once(job, lambda: run_submission(services, client, submission))

    def run_submit_file(job: ClaimedJob) -> None:
        """A file attached to the ``/news submit`` form: read, stored with the form's fields."""
        submission = SUBMIT_FILE_JOB.read(job)
        run_once(
            job,
            lambda: run_submission(
                services,
                client,
                submission,
                archive=lambda: archive_file_submission(reader, submission),
            ),
        )

    return {SUBMIT_STORY: run_submit_story, SUBMIT_FILE: run_submit_file}


# -- Slack listener -------------------------------------------------------------------------


def register(app: App, services: SlackServices) -> None:
    @app.view(SUBMIT_VIEW)
    def submit_story(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user_id = str((body.get("user") or {}).get("id") or "")
        form = read_submit_form(view)
        may_publish = services.editors.is_editor(user_id)
        refusal = ""
        if form.status == "published" and not may_publish:
            refusal = name_mentions(services.editors.refusal("publish stories"), client)
        errors = check_submit_form(form, may_publish=may_publish, refusal=refusal)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        try:
            origin = json.loads(view.get("private_metadata") or "{}")
        except json.JSONDecodeError:
            origin = {}
        submission = StorySubmission(
            user_id=user_id,
            channel_id=str(origin.get("channel") or ""),
            is_private=bool(origin.get("private", True)),
            url=form.url or None,
            copy=form.copy or None,
            headline=form.headline or None,
            desk=form.desk or None,
            topics=list(form.topics),
            publish=form.status == "published",
            file=file_record(form.file) if form.file else None,
        )
        with services.session_factory.begin() as session:
            accept_submission(submission, view_id=str(view.get("id") or ""), session=session)
        services.notify_work()
        ack(response_action="clear")
