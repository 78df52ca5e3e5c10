"""Block Kit replies of the ``/news`` command: pure functions, no Slack calls.

Untrusted strings (headlines, topics, feed URLs, errors, what a person typed) are escaped
here; Slack mentions are only written for ids shaped like Slack's own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handlers import block_kit
from handlers.block_kit import Message
from handlers.mrkdwn import (
    clean_text,
    collapse_whitespace,
    escape_mrkdwn,
    link,
    truncate_words,
)
from news.dates import describe_relative, format_day
from storage.states import DeliveryState, JobState
from storage.status import StatusReport

_HEADLINE_LIMIT = 200
_NAME_LIMIT = 200
_REASON_LIMIT = 300
_LINE_LIMIT = 500
_ERRORS_SHOWN = 5
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,63}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,63}")
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,63})>")
_KIND_LABELS = {"topic": "topic", "desk": "desk", "outlet": "outlet", "author": "author"}
_STALE_WORKER_SECONDS = 60


# -- safe pieces of mrkdwn ------------------------------------------------------------------


def escaped(text: str | None, limit: int = _LINE_LIMIT) -> str:
    """Untrusted text on one line, escaped for mrkdwn and cut to ``limit``."""
    if not text:
        return ""
    one_line = collapse_whitespace(clean_text(text))
    return truncate_words(escape_mrkdwn(one_line[: limit + 1]), limit)


def code(text: str, limit: int = _LINE_LIMIT) -> str:
    """Untrusted text as inline code (backticks inside become quotes)."""
    inner = escaped(text.replace("`", "'"), limit) or " "
    return f"`{inner}`"


def channel_mention(channel_id: str) -> str:
    """``<#C123>`` for a Slack channel id, else the escaped text."""
    if _CHANNEL_ID.fullmatch(channel_id):
        return f"<#{channel_id}>"
    return escaped(channel_id, 60) or "a channel"


def user_mention(user_id: str | None) -> str:
    if user_id and _USER_ID.fullmatch(user_id):
        return f"<@{user_id}>"
    return escaped(user_id, 60) or "someone"


def story_label(article_id: int, headline: str | None) -> str:
    """``#12 “Grain crossing to reopen”``."""
    title = escaped(headline, _HEADLINE_LIMIT) or "Untitled story"
    return f"#{article_id} “{title}”"


def with_mentions(text: str) -> str:
    """Text from the app itself (a refusal naming editors): escaped, user mentions kept."""
    text = collapse_whitespace(clean_text(text))
    pieces = []
    position = 0
    for match in _USER_MENTION.finditer(text):
        pieces.append(escape_mrkdwn(text[position : match.start()]))
        pieces.append(match.group(0))
        position = match.end()
    pieces.append(escape_mrkdwn(text[position:]))
    return truncate_words("".join(pieces), block_kit.SECTION_LIMIT - 20)


# -- messages -------------------------------------------------------------------------------


def build_reply(lines: Sequence[str]) -> Message:
    """A reply from lines that are already safe mrkdwn (built with the helpers above)."""
    kept = [line for line in lines if line.strip()] or ["Done."]
    blocks = block_kit.pack_sections(kept, block_kit.MESSAGE_BLOCK_LIMIT)
    return Message(text=_fallback(" ".join(kept)), blocks=blocks)


def build_problem(reason: str) -> Message:
    """A one-line reason something the person asked for could not be done."""
    first = next((line for line in clean_text(reason).split("\n") if line.strip()), "")
    sentence = escaped(first, _REASON_LIMIT) or "That did not work."
    return Message(text=_fallback(sentence), blocks=[block_kit.section(f":warning: {sentence}")])


def build_refusal(refusal: str) -> Message:
    """The one-line refusal of an editors-only action; mentions of editors stay mentions."""
    sentence = with_mentions(collapse_whitespace(refusal))
    return Message(text=_fallback(sentence), blocks=[block_kit.section(f":no_entry: {sentence}")])


@dataclass(frozen=True)
class CommandHelpEntry:
    """One subcommand as help shows it."""

    usage: str
    example: str
    description: str
    editors_only: bool


def build_command_help(
    command: str, entries: Sequence[CommandHelpEntry], *, problem: str | None = None
) -> Message:
    """Every subcommand with what it does and one example; editors-only ones marked.

    ``problem`` (safe mrkdwn, built with the helpers above) is shown first.
    """
    blocks: list[dict[str, Any]] = []
    if problem:
        blocks.append(block_kit.section(f":warning: {problem}"))
    blocks.append(block_kit.header(f"{command} commands"))
    lines = []
    for entry in entries:
        marker = " _(editors)_" if entry.editors_only else ""
        lines.append(
            f"{code(f'{command} {entry.usage}')} — {escaped(entry.description)}{marker}\n"
            f"      e.g. {code(f'{command} {entry.example}')}"
        )
    blocks.extend(block_kit.pack_sections(lines, block_kit.MESSAGE_BLOCK_LIMIT - len(blocks) - 1))
    blocks.append(
        block_kit.context(
            "Ask in plain words too: mention me, or message me directly.", verbatim=False
        )
    )
    usages = "; ".join(f"{command} {entry.usage}" for entry in entries)
    lead = f"{problem} " if problem else ""
    return Message(
        text=_fallback(f"{lead}{command} commands: {escaped(usages, 3000)}"), blocks=blocks
    )


@dataclass(frozen=True)
class VersionLine:
    """An earlier version of a story and what changed after it."""

    version: int
    headline: str
    changes: tuple[str, ...]
    recorded_at: datetime


def build_history(
    article_id: int,
    headline: str,
    current_version: int,
    updated_at: datetime,
    versions: Sequence[VersionLine],
    *,
    now: datetime,
) -> Message:
    """The versions of a story, oldest first, each with what changed after it."""
    title = story_label(article_id, headline)
    if not versions:
        return build_reply([f"{title} has one version: it has not changed since it came in."])
    lines = [f"*{title}* — {len(versions) + 1} versions, oldest first:"]
    for version in versions:
        changed = ", ".join(escaped(change, 60) for change in version.changes) or "nothing noted"
        lines.append(
            f"• v{version.version} · until {describe_relative(version.recorded_at, now=now)} · "
            f"“{escaped(version.headline, _HEADLINE_LIMIT) or 'Untitled story'}” — "
            f"then changed: {changed}"
        )
    lines.append(
        f"• v{current_version} (current) · since {describe_relative(updated_at, now=now)} · "
        f"“{escaped(headline, _HEADLINE_LIMIT) or 'Untitled story'}”"
    )
    return build_reply(lines)


@dataclass(frozen=True)
class SubscriptionLine:
    kind: str
    value: str


def describe_target(kind: str, value: str) -> str:
    """What a channel follows, as mrkdwn: ``*Ukraine*``, ``the *World* desk``, ``every story``."""
    if kind == "all":
        return "every published story"
    name = escaped(value.replace("*", ""), _NAME_LIMIT) or "?"
    if kind == "topic":
        return f"*{name}*"
    if kind == "desk":
        return f"the *{name}* desk"
    return f"{_KIND_LABELS.get(kind, escaped(kind, 20))} *{name}*"


def build_subscriptions(
    channel_id: str,
    subscriptions: Sequence[SubscriptionLine],
    *,
    alerts_per_hour: int | None,
    command: str = "/news",
) -> Message:
    """What one channel follows and its alert budget."""
    where = channel_mention(channel_id)
    if alerts_per_hour is None:
        budget = "no alert budget of its own (the default applies)"
    elif alerts_per_hour == 0:
        budget = "every alert goes into a digest (budget 0)"
    else:
        budget = f"at most {alerts_per_hour} alerts an hour, then a digest"
    if not subscriptions:
        return build_reply(
            [
                f"{where} follows nothing yet; {budget}.",
                f"Start with {code(f'{command} subscribe {where_text(channel_id)} Ukraine')}.",
            ]
        )
    lines = [f"{where} follows ({budget}):"]
    lines.extend(f"• {describe_target(s.kind, s.value)}" for s in subscriptions)
    return build_reply(lines)


def where_text(channel_id: str) -> str:
    """How a person would type the channel in a command (for examples in replies)."""
    return "#channel" if not _CHANNEL_ID.fullmatch(channel_id) else f"<#{channel_id}>"


@dataclass(frozen=True)
class FeedLine:
    id: int
    url: str
    title: str | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    next_poll_at: datetime
    initialised: bool


def build_feed_list(feeds: Sequence[FeedLine], *, now: datetime, command: str = "/news") -> Message:
    """Every feed with its health: last success, last error, failures in a row, next poll."""
    if not feeds:
        return build_reply(
            [f"No feeds yet. Add one with {code(f'{command} feed add https://example.com/rss')}."]
        )
    lines = [f"{len(feeds)} feed{'s' if len(feeds) != 1 else ''}:"]
    for feed in feeds:
        name = link(feed.url, feed.title or feed.url, label_limit=_NAME_LIMIT)
        if feed.consecutive_failures:
            health = f":red_circle: {feed.consecutive_failures} failed polls in a row"
        elif feed.last_success_at is not None:
            health = ":large_green_circle: healthy"
        else:
            health = ":white_circle: not polled yet"
        parts = [f"#{feed.id} {name}", health]
        if feed.last_success_at is not None:
            parts.append(f"last read {describe_relative(feed.last_success_at, now=now)}")
        if feed.last_error and feed.consecutive_failures:
            parts.append(f"last error: {escaped(feed.last_error, _REASON_LIMIT)}")
        parts.append(f"next poll {_describe_when(feed.next_poll_at, now=now)}")
        lines.append("• " + " · ".join(parts))
    return build_reply(lines)


def build_status(
    status: StatusReport, *, timezone_name: str, now: datetime, command: str = "/news"
) -> Message:
    """Archive size, stories today, queue depth, worker heartbeat, recent failures."""
    today = f"{status.stories_today:,} today ({escaped(timezone_name, 60)})"
    stories = "story" if status.archive_size == 1 else "stories"
    lines = [f"*Archive:* {status.archive_size:,} {stories} · {today}"]
    jobs = _count_line(
        status.jobs, (JobState.PENDING, JobState.RUNNING, JobState.DEAD, JobState.FAILED)
    )
    deliveries = _count_line(
        status.deliveries,
        (DeliveryState.PENDING, DeliveryState.SENDING, DeliveryState.DIGESTED, DeliveryState.DEAD),
    )
    lines.append(f"*Queue:* jobs {jobs} · alerts {deliveries}")
    lines.append(f"*Worker:* {_describe_worker(status.last_heartbeat, now=now)}")
    if status.feeds:
        failing = f", {status.failing_feeds} failing" if status.failing_feeds else ""
        lines.append(f"*Feeds:* {status.feeds}{failing}")
    if status.job_errors:
        lines.append("*Last errors:*")
        for kind, error, when in status.job_errors[:_ERRORS_SHOWN]:
            lines.append(
                f"• {escaped(kind, 40)} · {describe_relative(when, now=now)} · "
                f"{escaped(error, _REASON_LIMIT)}"
            )
    dead = status.deliveries.get("dead", 0)
    if dead:
        lines.append(f"*Dead alerts:* {dead} (retry with {code(f'{command} retry')})")
        for channel_id, kind, error, when in status.dead_deliveries[:_ERRORS_SHOWN]:
            lines.append(
                f"• {escaped(kind, 20)} to {channel_mention(channel_id)} · "
                f"queued {describe_relative(when, now=now)} · {escaped(error, _REASON_LIMIT)}"
            )
    return build_reply(lines)


def _describe_worker(last_heartbeat: datetime | None, *, now: datetime) -> str:
    if last_heartbeat is None:
        return "no worker has reported — is `newsdesk worker` running?"
    seconds = max(0, int((now - last_heartbeat).total_seconds()))
    if seconds < 120:
        ago = f"{seconds} s ago"
    elif seconds < 7200:
        ago = f"{seconds // 60} min ago"
    else:
        ago = describe_relative(last_heartbeat, now=now)
    if seconds > _STALE_WORKER_SECONDS:
        return f":warning: last seen {ago} — is `newsdesk worker` running?"
    return f"last seen {ago}"


def _describe_when(when: datetime, *, now: datetime) -> str:
    seconds = int((when - now).total_seconds())
    if seconds <= 60:
        return "now" if seconds <= 0 else "within a minute"
    if seconds < 3600:
        return f"in {seconds // 60} min"
    if seconds < 86400:
        return f"in {seconds // 3600} h"
    return f"on {format_day(when, now=now)}"


def _count_line(counts: dict[str, int], order: Sequence[str]) -> str:
    shown = [f"{counts[state]} {state}" for state in order if counts.get(state)]
    return ", ".join(shown) or "nothing waiting"


# -- Block Kit JSON -------------------------------------------------------------------------


def _fallback(text: str) -> str:
    return block_kit.fallback_text(collapse_whitespace(text), empty="newsdesk")
