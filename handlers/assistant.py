"""The assistant panel (Slack's Agents & AI Apps surface, ``slack_bolt.Assistant``).

A new assistant thread gets suggested prompts built from the archive ("Latest on <topic of the
day>", "What did we publish today?", "Stories by <a byline>"); a question asked in the thread is
answered there with the same search and cards as a mention, with a status while it works; links
and files posted in the thread are archived like anywhere else. Listeners only record jobs;
the Web API calls (prompts, status, answer) are made by the runners, here too, and the answer
is posted once (``ThreadReplies.reply_once``).

The surface needs a paid Slack plan; everything else in newsdesk works without it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, Assistant
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from handlers.answers import answer_question
from handlers.message_links import links_in_message
from handlers.messages import Question, accept_question, accept_shared_links, capture_files
from handlers.replies import ThreadReplies, slack_message
from handlers.slack_files import shared_files
from handlers.slack_services import SlackServices
from handlers.slack_text import strip_markup
from storage.prompts import PromptMaterial, find_prompt_material
from storage.queue import ClaimedJob, JobKind, JobRunner, remember_event
from storage.services import Services

logger = logging.getLogger(__name__)

ASSISTANT_THREAD = "assistant_thread"
ASSISTANT_ANSWER = "assistant_answer"
GREETING = (
    "Hi! Ask me about the archive in plain words — *latest on Ukraine*, *what did we publish "
    "today?*, *stories by Jane Doe* — or drop a link or a file to archive it."
)
WORKING_STATUS = "is searching the archive…"


@dataclass(frozen=True)
class AssistantThread:
    """An ``assistant_thread`` job: greet a new thread and suggest prompts."""

    user_id: str
    channel_id: str
    thread_ts: str


ASSISTANT_THREAD_JOB = JobKind(ASSISTANT_THREAD, AssistantThread)
ASSISTANT_ANSWER_JOB = JobKind(ASSISTANT_ANSWER, Question)  # asked in the thread


# -- intake: recorded inside the request ---------------------------------------------------


def accept_assistant_thread(
    thread: AssistantThread, *, event_id: str | None, session: Session
) -> bool:
    if event_id is not None and not remember_event(event_id, session=session):
        return False
    return ASSISTANT_THREAD_JOB.enqueue(
        thread,
        session=session,
        dedupe_key=f"{ASSISTANT_THREAD}:{thread.channel_id}:{thread.thread_ts}",
    )


# -- runners: after the ack, in a worker ---------------------------------------------------


def suggested_prompts(material: PromptMaterial) -> list[dict[str, str]]:
    """Up to four prompts, each a title and the message it sends."""
    prompts: list[dict[str, str]] = []
    if material.topic:
        prompts.append(
            {"title": f"Latest on {material.topic}"[:75], "message": f"latest on {material.topic}"}
        )
    prompts.append({"title": "What did we publish today?", "message": "published today"})
    if material.byline:
        prompts.append(
            {
                "title": f"Stories by {material.byline}"[:75],
                "message": f"stories by {material.byline}",
            }
        )
    prompts.append({"title": "This week's stories", "message": "stories this week"})
    return prompts[:4]


def job_runners(services: Services, client: WebClient) -> dict[str, JobRunner]:
    """Suggested prompts and a greeting for a new thread; answers with a status."""
    replies = ThreadReplies(services, client)

    def start_thread(job: ClaimedJob) -> None:
        thread = ASSISTANT_THREAD_JOB.read(job)
        with services.session_factory() as session:
            material = find_prompt_material(session=session, now=services.clock())
        client.assistant_threads_setSuggestedPrompts(
            channel_id=thread.channel_id,
            thread_ts=thread.thread_ts,
            title="Ask the newsdesk archive",
            prompts=suggested_prompts(material),
        )
        if "greeted" not in job.progress:
            client.chat_postMessage(
                channel=thread.channel_id,
                thread_ts=thread.thread_ts,
                text=GREETING,
                unfurl_links=False,
            )
            replies.note(job, {"greeted": True})

    def answer_in_thread(job: ClaimedJob) -> None:
        asked = ASSISTANT_ANSWER_JOB.read(job)
        message = asked.message
        if "replied" in job.progress:
            return
        try:
            client.assistant_threads_setStatus(
                channel_id=message.channel_id,
                thread_ts=message.reply_thread_ts,
                status=WORKING_STATUS,
            )
        except SlackApiError as error:
            # A status is a courtesy: a thread that is not an assistant thread (a threaded
            # DM reply) or a workspace without the feature still gets its answer.
            logger.info("no assistant status: %s", error.response.get("error"))
        reply = answer_question(services, asked.question, channel_id=message.channel_id)
        replies.reply_once(job, message, reply)  # posting the reply clears the status

    return {ASSISTANT_THREAD: start_thread, ASSISTANT_ANSWER: answer_in_thread}


# -- the listeners --------------------------------------------------------------------------


def build_assistant(services: Services) -> Assistant:
    assistant = Assistant()

    @assistant.thread_started
    def thread_started(body: dict[str, Any], event: dict[str, Any]) -> None:
        thread = event.get("assistant_thread") or {}
        channel_id = str(thread.get("channel_id") or "")
        thread_ts = str(thread.get("thread_ts") or "")
        if not channel_id or not thread_ts:
            return
        with services.session_factory.begin() as session:
            accept_assistant_thread(
                AssistantThread(str(thread.get("user_id") or ""), channel_id, thread_ts),
                event_id=body.get("event_id"),
                session=session,
            )
        services.notify_work()

    @assistant.thread_context_changed
    def context_changed(body: dict[str, Any]) -> None:
        """The person moved to another channel: the answers do not depend on it."""

    @assistant.user_message
    def user_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        if (
            not event.get("user")
            or not event.get("ts")
            or event.get("subtype") not in (None, "file_share")
        ):
            return
        message = slack_message(event)
        event_id = body.get("event_id")
        if shared_files(event):
            capture_files(services, message, event, event_id)
            return
        links = links_in_message(event)
        question = strip_markup(str(event.get("text") or ""))
        with services.session_factory.begin() as session:
            if links:
                accept_shared_links(message, links, event_id=event_id, session=session)
            elif question:
                accept_question(
                    message, question, event_id=event_id, session=session, kind=ASSISTANT_ANSWER_JOB
                )
        services.notify_work()

    return assistant


def register(app: App, services: SlackServices) -> None:
    app.use(build_assistant(services))
