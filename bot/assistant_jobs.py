"""Runners for the assistant panel: suggested prompts for a new thread, and answers with a
status while the archive is searched. The answer is posted once (``SlackJobs._reply_once``)."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.jobs import SlackJobs
from handlers.answers import answer_question
from handlers.assistant import ASSISTANT_ANSWER, ASSISTANT_THREAD
from storage.intake import message_from_payload
from storage.prompts import PromptMaterial, find_prompt_material
from storage.queue import ClaimedJob

logger = logging.getLogger(__name__)

GREETING = (
    "Hi! Ask me about the archive in plain words — *latest on Ukraine*, *what did we publish "
    "today?*, *stories by Jane Doe* — or drop a link or a file to archive it."
)
WORKING_STATUS = "is searching the archive…"


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


class AssistantJobs(SlackJobs):
    def runners(self) -> dict[str, Any]:
        return {ASSISTANT_THREAD: self.start_thread, ASSISTANT_ANSWER: self.answer_in_thread}

    def start_thread(self, job: ClaimedJob) -> None:
        channel_id = str(job.payload["channel_id"])
        thread_ts = str(job.payload["thread_ts"])
        with self._services.session_factory() as session:
            material = find_prompt_material(session=session, now=self._services.clock())
        self._client.assistant_threads_setSuggestedPrompts(
            channel_id=channel_id,
            thread_ts=thread_ts,
            title="Ask the newsdesk archive",
            prompts=suggested_prompts(material),
        )
        if "greeted" not in job.progress:
            self._client.chat_postMessage(
                channel=channel_id, thread_ts=thread_ts, text=GREETING, unfurl_links=False
            )
            self._note(job, {"greeted": True})

    def answer_in_thread(self, job: ClaimedJob) -> None:
        message = message_from_payload(job.payload)
        question = str(job.payload["question"])
        if "replied" in job.progress:
            return
        try:
            self._client.assistant_threads_setStatus(
                channel_id=message.channel_id,
                thread_ts=message.reply_thread_ts,
                status=WORKING_STATUS,
            )
        except SlackApiError as error:
            # A status is a courtesy: a thread that is not an assistant thread (a threaded
            # DM reply) or a workspace without the feature still gets its answer.
            logger.info("no assistant status: %s", error.response.get("error"))
        reply = answer_question(self._services, question, channel_id=message.channel_id)
        self._reply_once(job, message, reply)  # posting the reply clears the status
