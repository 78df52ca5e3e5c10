"""The assistant panel in the stand-in: a person opens an assistant thread (the app gets
``assistant_thread_started``), and the ``assistant.threads.*`` methods record the status,
suggested prompts and title the app sets on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from standin.webapi import SlackApi
from standin.workspace import Arguments, Json, SlackMethodError, json_argument, require


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


def install(api: SlackApi) -> AssistantThreads:
    threads = AssistantThreads()
    methods = api.extra_methods
    methods["assistant.threads.setStatus"] = threads.set_status
    methods["assistant.threads.setSuggestedPrompts"] = threads.set_suggested_prompts
    methods["assistant.threads.setTitle"] = threads.set_title
    return threads
