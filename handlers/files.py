"""Files shared in channels, threads and DMs (``message`` events with ``files``): each file
is queued to be downloaded and read; the links typed in its comment are queued as links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers.message_links import links_in_message
from storage.file_intake import accept_shared_files
from storage.intake import SlackMessage, accept_shared_links
from storage.queue import remember_event
from storage.services import Services


def shared_files(event: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    files = event.get("files")
    if not isinstance(files, list):
        return []
    return [item for item in files if isinstance(item, Mapping) and item.get("id")]


def capture_files(
    services: Services, message: SlackMessage, event: Mapping[str, Any], event_id: str | None
) -> None:
    """Record the files and the comment's links of one message, once per event."""
    files = shared_files(event)
    links = links_in_message(event)
    with services.session_factory.begin() as session:
        if event_id is not None and not remember_event(event_id, session=session):
            return
        if links:
            accept_shared_links(message, links, event_id=None, session=session)
        accept_shared_files(message, files, session=session)
    services.notify_work()
