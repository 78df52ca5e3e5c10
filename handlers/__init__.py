"""Slack surfaces. Each module owns its listener, what the listener records (intake) and the
runners of the jobs it queues. ``register`` and ``job_runners`` list the modules by hand: no
auto-discovery.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient

from handlers import (
    actions,
    alerts,
    assistant,
    buttons,
    commands,
    files,
    home,
    mentions,
    messages,
    shortcuts,
    submit,
    unfurls,
)
from handlers.slack_files import FileLimits, SlackFileReader
from handlers.slack_services import SlackServices
from storage.queue import JobRunner
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


def job_runners(
    services: Services,
    client: WebClient,
    *,
    alert_client: WebClient | None = None,
    count_link: Callable[[str], None] = lambda outcome: None,
    file_limits: FileLimits | None = None,
) -> dict[str, JobRunner]:
    """The runner of every kind of job the Slack surfaces queue, by kind.

    ``count_link`` is told each shared link's and file's outcome (new, updated, duplicate,
    failed); ``file_limits`` bound the files shared in Slack that are downloaded and read;
    ``alert_client`` posts the daily briefings (``client`` when not given), best one
    without automatic retries, like alert delivery's.
    """
    reader = SlackFileReader(services, client, file_limits or FileLimits())
    return {
        **messages.MessageRunners(services, client, count_link=count_link).runners(),
        **files.job_runners(services, client, reader, count_link=count_link),
        **home.job_runners(services, client),
        **unfurls.job_runners(services, client),
        **submit.job_runners(services, client, reader),
        **shortcuts.job_runners(services, client, reader),
        **assistant.job_runners(services, client),
        **alerts.job_runners(services, alert_client or client),
    }


def register(app: App, services: SlackServices) -> None:
    """Attach every listener of every surface to ``app``."""
    for module in LISTENER_MODULES:
        module.register(app, services)
