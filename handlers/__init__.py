"""Slack listeners. ``register`` lists every listener module by hand: no auto-discovery."""

from __future__ import annotations

from slack_bolt import App

from handlers import (
    actions,
    assistant,
    buttons,
    commands,
    home,
    mentions,
    messages,
    shortcuts,
    submit,
    unfurls,
)
from storage.services import Services

LISTENER_MODULES = (
    messages,
    mentions,
    actions,
    buttons,
    home,
    unfurls,
    commands,
    submit,
    shortcuts,
    assistant,
)


def register(app: App, services: Services) -> None:
    """Attach every listener of every surface to ``app``."""
    for module in LISTENER_MODULES:
        module.register(app, services)
