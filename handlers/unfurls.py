"""Unfurls for the newsroom's own domains: ``link_shared`` → the story's card under the link.

The listener only records an ``unfurl_link`` job (deduped on the event id and on the
message and its links); the worker ingests each story if new and calls ``chat.unfurl``.

``link_shared`` carries no channel type, so privacy is looked up: DMs (``D…``) and
group ids (``G…``) are private; for other channels ``conversations.info`` (scope
``channels:read``) must say the channel is public, and anything it cannot confirm is
treated as private. Links shared in the message composer (``source: composer``) are not
in any message yet: they only unfurl stories already archived and visible in that
conversation, and record no share.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from handlers.blocks import Message, build_article_card
from handlers.conversations import is_private_conversation
from handlers.slack_services import SlackServices
from handlers.views import story_from_article
from news.errors import NewsdeskError
from storage.articles import NewShare, find_article_by_url, is_visible_in, to_article_record
from storage.queue import ClaimedJob, JobKind, JobRunner, PermanentFailure, remember_event
from storage.services import Services

UNFURL_LINK = "unfurl_link"
COMPOSER = "composer"
MAX_LINKS = 5  # Slack sends at most five links per message


class UnfurlFailed(NewsdeskError):
    """No link of a message could be unfurled (reasons joined), or Slack refused the unfurl."""


@dataclass(frozen=True)
class UnfurlRequest:
    """Links of the newsroom's own domains shared in one message (or in the composer)."""

    channel_id: str
    message_ts: str
    user_id: str | None
    links: tuple[str, ...]
    unfurl_id: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Unfurl:
    """An ``unfurl_link`` job: unfurl these links with cards."""

    request: UnfurlRequest


UNFURL_LINK_JOB = JobKind(UNFURL_LINK, Unfurl)


def normalize_domains(domains: Iterable[str]) -> frozenset[str]:
    return frozenset(d.strip().lower().strip(".") for d in domains if d.strip().strip("."))


def is_own_link(url: str, domains: Collection[str]) -> bool:
    """Whether ``url`` is an http(s) link on one of ``domains`` or a subdomain of one."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def own_links(links: Iterable[Mapping[str, Any]], domains: Collection[str]) -> list[str]:
    """The URLs of a ``link_shared`` event on the newsroom's domains, once each, in order."""
    found: list[str] = []
    for entry in links:
        url = str(entry.get("url") or "") if isinstance(entry, Mapping) else ""
        if url and url not in found and is_own_link(url, domains):
            found.append(url)
    return found[:MAX_LINKS]


def request_from_event(event: Mapping[str, Any], domains: Collection[str]) -> UnfurlRequest | None:
    """The unfurl to do for a ``link_shared`` event, or None when nothing is ours to unfurl."""
    channel_id, message_ts = event.get("channel"), event.get("message_ts")
    links = own_links(event.get("links") or [], domains)
    if not channel_id or not message_ts or not links:
        return None
    return UnfurlRequest(
        channel_id=str(channel_id),
        message_ts=str(message_ts),
        user_id=str(event["user"]) if event.get("user") else None,
        links=tuple(links),
        unfurl_id=str(event["unfurl_id"]) if event.get("unfurl_id") else None,
        source=str(event["source"]) if event.get("source") else None,
    )


def accept_link_shared(request: UnfurlRequest, *, event_id: str | None, session: Session) -> bool:
    """Queue the ``unfurl_link`` job; False for a retried event or a message already queued."""
    if event_id is not None and not remember_event(event_id, session=session):
        return False
    digest = hashlib.sha256("\n".join(request.links).encode()).hexdigest()[:16]
    dedupe_key = f"{UNFURL_LINK}:{request.channel_id}:{request.message_ts}:{digest}"
    return UNFURL_LINK_JOB.enqueue(Unfurl(request), session=session, dedupe_key=dedupe_key)


def render_unfurl(
    services: Services, request: UnfurlRequest, url: str, *, is_private: bool
) -> Message | None:
    """The card for ``url``: ingested (if new) as shared in this message; None when a
    composer preview names no story this conversation may see."""
    if request.source == COMPOSER:
        with services.session_factory() as session:
            article = find_article_by_url(url, session=session)
            if article is None or not is_visible_in(article, request.channel_id, session=session):
                return None
            record = to_article_record(article)
    else:
        share = NewShare(
            source="slack",
            user_id=request.user_id,
            channel_id=request.channel_id,
            is_private=is_private,
            message_ts=request.message_ts,
        )
        record = services.ingest.ingest_url(url, share).article
    now = services.clock().astimezone(services.timezone)  # days as the newsroom reads them
    return build_article_card(story_from_article(record), now=now)


def unfurl_shared_links(services: Services, client: WebClient, request: UnfurlRequest) -> int:
    """Ingest and unfurl every link of ``request``; the number unfurled.

    Raises UnfurlFailed when no link could be unfurled (with each link's reason) or Slack
    refused the unfurl; rate limits and Slack's server errors propagate, to be retried.
    """
    is_private = is_private_conversation(client, request.channel_id)
    unfurls: dict[str, dict[str, Any]] = {}
    reasons: list[str] = []
    for url in request.links:
        try:
            card = render_unfurl(services, request, url, is_private=is_private)
        except NewsdeskError as error:
            reasons.append(f"{url}: {error.reason}")
            continue
        if card is not None:
            unfurls[url] = {"blocks": card.blocks}
    if not unfurls:
        if reasons:
            raise UnfurlFailed("; ".join(reasons))
        return 0
    by_unfurl_id = bool(request.unfurl_id and request.source)
    try:
        client.chat_unfurl(
            channel=None if by_unfurl_id else request.channel_id,
            ts=None if by_unfurl_id else request.message_ts,
            unfurl_id=request.unfurl_id if by_unfurl_id else None,
            source=request.source if by_unfurl_id else None,
            unfurls=unfurls,
        )
    except SlackApiError as error:
        status = getattr(error.response, "status_code", 200)
        if status == 429 or status >= 500:
            raise
        code = error.response.get("error", "unknown_error")
        raise UnfurlFailed(f"Slack refused the unfurl ({code})") from error
    return len(unfurls)


def job_runners(services: Services, client: WebClient) -> dict[str, JobRunner]:
    """The ``unfurl_link`` runner."""

    def run_unfurl(job: ClaimedJob) -> None:
        try:
            unfurl_shared_links(services, client, UNFURL_LINK_JOB.read(job).request)
        except NewsdeskError as error:
            raise PermanentFailure(error.reason) from error

    return {UNFURL_LINK: run_unfurl}


def register(app: App, services: SlackServices) -> None:
    @app.event("link_shared")
    def queue_unfurl(body: dict[str, Any], event: dict[str, Any]) -> None:
        # Slack only sends links on the manifest's domains; UNFURL_DOMAINS is checked anyway.
        request = request_from_event(event, normalize_domains(services.unfurl_domains))
        if request is None:
            return
        with services.session_factory.begin() as session:
            queued = accept_link_shared(request, event_id=body.get("event_id"), session=session)
        if queued:
            services.notify_work()
