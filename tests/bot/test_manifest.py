"""The Slack app manifest and the code agree: events, commands, scopes, interactivity."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

import handlers

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "bot" / "manifest.yml").read_text(encoding="utf-8"))

# Which manifest events a listener for a Bolt event type needs.
EVENT_SUBSCRIPTIONS = {
    "message": {"message.channels", "message.groups", "message.im", "message.mpim"},
    "app_mention": {"app_mention"},
    "app_home_opened": {"app_home_opened"},
    "link_shared": {"link_shared"},
    "assistant_thread_started": {"assistant_thread_started"},
    "assistant_thread_context_changed": {"assistant_thread_context_changed"},
}
# The bot scopes each subscribed event needs.
EVENT_SCOPES = {
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
    "app_mention": "app_mentions:read",
    "app_home_opened": None,
    "link_shared": "links:read",
    "assistant_thread_started": "assistant:write",
    "assistant_thread_context_changed": "assistant:write",
}
# The bot scopes each Web API method the code calls needs.
METHOD_SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "chat_delete": "chat:write",
    "chat_getPermalink": None,
    "chat_unfurl": "links:write",
    "reactions_add": "reactions:write",
    "conversations_replies": None,  # covered by the *:history scopes of the events
    "conversations_history": None,
    "conversations_info": "channels:read",
    "users_info": "users:read",
    "usergroups_users_list": "usergroups:read",
    "views_open": None,
    "views_publish": None,
    "views_update": None,
    "auth_test": None,
    "files_info": "files:read",
    "assistant_threads_setStatus": "assistant:write",
    "assistant_threads_setSuggestedPrompts": "assistant:write",
    "assistant_threads_setTitle": "assistant:write",
}


class RecordingApp:
    """Stands in for Bolt's App and records what listeners ask for."""

    def __init__(self) -> None:
        self.events: set[str] = set()
        self.commands: set[str] = set()
        self.actions: set[str] = set()
        self.views: set[str] = set()
        self.shortcuts: set[str] = set()
        self.assistant = False

    def _recorder(self, into: set[str], name: Any) -> Callable[..., Any]:
        into.add(name if isinstance(name, str) else name.pattern)

        def decorator(*args: Any, **kwargs: Any) -> Any:
            return args[0] if args else None

        return decorator

    def event(self, name: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._recorder(self.events, name)

    def command(self, name: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._recorder(self.commands, name)

    def action(self, name: Any, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._recorder(self.actions, name)

    def view(self, name: Any, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._recorder(self.views, name)

    def shortcut(self, name: Any, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return self._recorder(self.shortcuts, name)

    def use(self, middleware: Any) -> None:
        """An ``Assistant`` listens to its thread events and to DM messages in its threads."""
        from slack_bolt import Assistant

        if isinstance(middleware, Assistant):
            self.assistant = True
            self.events |= {"assistant_thread_started", "message"}
            if middleware._thread_context_changed_listeners is not None:
                self.events.add("assistant_thread_context_changed")


def registered() -> RecordingApp:
    app = RecordingApp()
    handlers.register(app, services=None)  # type: ignore[arg-type]
    return app


def manifest_events() -> set[str]:
    return set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])


def methods_called() -> set[str]:
    pattern = re.compile(r"\.(" + "|".join(METHOD_SCOPES) + r")\(")
    found: set[str] = set()
    for package in ("bot", "handlers"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "slack_standin.py" or "standin" in path.parts:
                continue
            found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_listened_event_is_subscribed_and_nothing_more() -> None:
    needed = set().union(*(EVENT_SUBSCRIPTIONS[e] for e in registered().events))
    assert manifest_events() == needed


def test_slash_commands_match() -> None:
    declared = {c["command"] for c in MANIFEST["features"].get("slash_commands", [])}
    assert declared == registered().commands


def test_interactivity_enabled_exactly_when_there_are_buttons_or_views() -> None:
    app = registered()
    interactive = bool(app.actions or app.views or app.shortcuts)
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] == interactive


def test_shortcuts_match() -> None:
    declared = {s["callback_id"] for s in MANIFEST["features"].get("shortcuts", [])}
    assert declared == registered().shortcuts
    assert all(s["type"] == "message" for s in MANIFEST["features"]["shortcuts"])


def test_scopes_are_exactly_what_events_and_api_calls_need() -> None:
    needed = {EVENT_SCOPES[e] for e in manifest_events()}
    needed |= {METHOD_SCOPES[m] for m in methods_called()}
    if registered().commands:
        needed.add("commands")
    needed.discard(None)
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed


def test_home_tab_enabled_exactly_when_it_is_published() -> None:
    publishes_home = "views_publish" in methods_called()
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] == publishes_home


def test_unfurl_domains_listed_when_unfurling() -> None:
    unfurls = "link_shared" in registered().events
    assert bool(MANIFEST["features"].get("unfurl_domains")) == unfurls


def test_assistant_view_declared_exactly_when_the_assistant_is_used() -> None:
    assert ("assistant_view" in MANIFEST["features"]) == registered().assistant
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "paid Slack plan" in readme
