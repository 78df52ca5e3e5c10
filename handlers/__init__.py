"""Slack surfaces. Each module owns its listener, what the listener records (intake) and the
runners of the jobs it queues. ``register`` and ``job_runners`` list the modules by hand: no
auto-discovery.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient

from handlers import actions, buttons, commands, home, mentions, messages, submit, unfurls
from handlers.slack_services import SlackServices
from storage.queue import JobRunner
from storage.services import Services

LISTENER_MODULES = (messages, mentions, actions, buttons, home, unfurls, commands, submit)


def job_runners(
    services: Services,
    client: WebClient,
    *,
    count_link: Callable[[str], None] = lambda outcome: None,
) -> dict[str, JobRunner]:
    """The runner of every kind of job the Slack surfaces queue, by kind.

    ``count_link`` is told each shared link's outcome (new, updated, duplicate, failed).
    """
    return {
        **messages.MessageRunners(services, client, count_link=count_link).runners(),
        **home.job_runners(services, client),
        **unfurls.job_runners(services, client),
        **submit.job_runners(services, client),
    }


def register(app: App, services: SlackServices) -> None:
    """Attach every listener of every surface to ``app``."""
    for module in LISTENER_MODULES:
        module.register(app, services)
