"""The assistant panel in the stand-in: a person opens an assistant thread (the app gets
``assistant_thread_started``), and the ``assistant.threads.*`` methods record the status,
suggested prompts and title the app sets on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.standin.workspace import Arguments, Json, SlackMethodError, json_argument, require

if TYPE_CHECKING:
    from bot.slack_standin import SentEvent, SlackStandin


@dataclass
class AssistantThread:
    user: str
    channel: str
    thread_ts: str
    statuses: list[str] = field(default_factory=list)
    prompts: list[dict[str, Any]] = field(default_factory=list)
    title: str | None = None


class AssistantThreads:
    def __init__(self) -> None:
        self.threads: dict[tuple[str, str], AssistantThread] = {}

    def thread(self, arguments: Arguments) -> AssistantThread:
        key = (require(arguments, "channel_id"), require(arguments, "thread_ts"))
        found = self.threads.get(key)
        if found is None:
            raise SlackMethodError("invalid_thread")
        return found

    def set_status(self, arguments: Arguments) -> Json:
        self.thread(arguments).statuses.append(str(arguments.get("status") or ""))
        return {"ok": True}

    def set_suggested_prompts(self, arguments: Arguments) -> Json:
        prompts = json_argument(arguments, "prompts", "invalid_arguments")
        if not isinstance(prompts, list) or not 1 <= len(prompts) <= 4:
            raise SlackMethodError("invalid_arguments")
        for prompt in prompts:
            if not isinstance(prompt, dict) or not prompt.get("title") or not prompt.get("message"):
                raise SlackMethodError("invalid_arguments")
        self.thread(arguments).prompts = prompts
        return {"ok": True}

    def set_title(self, arguments: Arguments) -> Json:
        self.thread(arguments).title = require(arguments, "title")
        return {"ok": True}


def install(standin: SlackStandin) -> AssistantThreads:
    threads = AssistantThreads()
    methods = standin.api.extra_methods
    methods["assistant.threads.setStatus"] = threads.set_status
    methods["assistant.threads.setSuggestedPrompts"] = threads.set_suggested_prompts
    methods["assistant.threads.setTitle"] = threads.set_title
    return threads


def open_assistant_thread(
    standin: SlackStandin, user: str, *, context_channel: str | None = None
) -> tuple[str, str]:
    """``user`` opens the assistant panel: a thread in their DM with the bot is created and the
    app hears ``assistant_thread_started``. Returns (DM channel id, thread ts)."""
    person = standin._user(user)
    dm = standin.open_dm(person)
    workspace = standin.workspace
    with workspace.lock:
        root = workspace.store_message(
            workspace.channel(dm),
            {
                "subtype": "assistant_app_thread",
                "user": standin.bot_user_id,
                "bot_id": standin.bot_id,
                "text": "New chat",
            },
        )
        standin.assistant.threads[(dm, root.ts)] = AssistantThread(person, dm, root.ts)
    event = {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": person,
            "context": {
                "channel_id": context_channel,
                "team_id": standin.team_id,
                "enterprise_id": None,
            },
            "channel_id": dm,
            "thread_ts": root.ts,
        },
        "event_ts": workspace.new_ts(),
    }
    if standin.app_url:
        standin.send_event(event)
    return dm, root.ts


def ask_in_thread(
    standin: SlackStandin, user: str, channel: str, thread_ts: str, text: str
) -> SentEvent:
    """``user`` writes in an assistant thread (a DM message with ``thread_ts``)."""
    return standin.post_message(user, channel, text, thread_ts=thread_ts)
