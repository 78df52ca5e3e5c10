"""The ``/news`` slash command: one table of subcommands drives dispatch and help alike.

Every reply is in the acknowledgement (ephemeral), built inside Slack's 3 seconds: each
subcommand is at most one short transaction, or ``views.open`` for ``submit``.
Arguments arrive escaped the Slack way (``<#C123|name>``, ``<@U123>``, ``<https://…|…>``,
``&amp;``); they are read as data, never echoed as markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.answers import answer_question, article_message
from handlers.blocks import Message
from handlers.command_blocks import (
    CommandHelpEntry,
    FeedLine,
    SubscriptionLine,
    VersionLine,
    build_command_help,
    build_feed_list,
    build_history,
    build_problem,
    build_refusal,
    build_reply,
    build_status,
    build_subscriptions,
    channel_mention,
    code,
    describe_target,
    escaped,
    story_label,
)
from handlers.slack_services import SlackServices
from handlers.slack_text import parse_reference, strip_markup
from handlers.submit import build_submit_modal, command_in_private_conversation
from news.errors import NewsdeskError
from news.urls import normalize_url
from storage.articles import get_visible_article, list_versions
from storage.deletion import delete_article
from storage.feeds import add_feed, find_feed, list_feeds, remove_feed
from storage.publishing import publish_article, retry_dead_deliveries, unpublish_article
from storage.queue import retry_dead_jobs
from storage.status import read_status
from storage.subscriptions import (
    channel_settings,
    list_subscriptions,
    parse_subscription_target,
    set_alert_budget,
    subscribe,
    unsubscribe,
)

COMMAND = "/news"
MAX_ARGUMENT_TEXT = 1000
_TOKEN = re.compile(r"<[^<>]*>|[^\s<>]+")
_LINK_MARKUP = re.compile(r"^<((?:https?://)[^|<>]*)(?:\|[^<>]*)?>$", re.IGNORECASE)


class CommandError(NewsdeskError):
    """Something about what the person typed; the reason is shown to them."""


@dataclass(frozen=True)
class CommandRequest:
    """Who ran the command, where, and the arguments after the subcommand (as Slack sent them)."""

    user_id: str
    channel_id: str
    channel_name: str = ""
    trigger_id: str | None = None
    text: str = ""


@dataclass(frozen=True)
class CommandReply:
    """What the acknowledgement says; no message when a modal opened instead."""

    message: Message | None
    in_channel: bool = False


@dataclass(frozen=True)
class CommandContext:
    services: SlackServices
    open_view: Callable[[str, dict[str, Any]], None]
    """Open a modal with a trigger id (``views.open``)."""


Runner = Callable[[CommandContext, CommandRequest], CommandReply]


@dataclass(frozen=True)
class Subcommand:
    """One row of the table: the name typed, its arguments, an example and what it does."""

    name: str
    arguments: str
    example: str
    description: str
    run: Runner
    editors_only: str | None = None
    """For editors-only subcommands: the action named in the refusal ("publish stories")."""

    @property
    def usage(self) -> str:
        return f"{self.name} {self.arguments}".strip()


# -- reading arguments ----------------------------------------------------------------------


def split_arguments(text: str) -> list[str]:
    """Words of the command text; Slack markup like ``<https://a.b|label>`` stays one word."""
    return _TOKEN.findall(text or "")


def unescape_entities(text: str) -> str:
    """Slack's ``&lt;``, ``&gt;``, ``&amp;`` back to characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def read_link(token: str) -> str | None:
    """The URL in ``<https://…>`` or ``<https://…|label>``, or a bare http(s) word; else None."""
    match = _LINK_MARKUP.match(token)
    if match is not None:
        return unescape_entities(match.group(1))
    plain = unescape_entities(token)
    if plain.lower().startswith(("http://", "https://")):
        return plain
    return None


def plain_words(text: str) -> str:
    """What a person typed, as plain text: markup removed, entities decoded, bounded."""
    return strip_markup(text)[:MAX_ARGUMENT_TEXT]


def read_story_reference(text: str) -> str:
    """The story an argument names: a link, ``12`` or ``#12``; CommandError otherwise."""
    tokens = split_arguments(text)
    if not tokens:
        raise CommandError("say which story: its number (like 12) or its link")
    if len(tokens) > 1:
        raise CommandError("give one story: its number (like 12) or its link")
    link = read_link(tokens[0])
    if link is not None:
        return link
    digits = unescape_entities(tokens[0]).removeprefix("#")
    if digits.isdigit() and len(digits) <= 18:
        return digits
    raise CommandError(
        f"“{unescape_entities(tokens[0])[:80]}” is neither a story number (like 12) nor a link"
    )


def read_channel(tokens: list[str], default: str) -> tuple[str, list[str]]:
    """An optional leading ``<#C123|name>``: (channel id, the other words).

    A bare ``#name`` means Slack did not turn it into a channel link: refused with a reason.
    """
    if tokens:
        reference = parse_reference(tokens[0])
        if reference is not None and reference.kind == "channel":
            return reference.id, tokens[1:]
        if tokens[0].startswith("#") and len(tokens[0]) > 1 and not tokens[0][1:].isdigit():
            raise CommandError(
                f"I can't tell which channel “{tokens[0][:80]}” is: pick it from Slack's "
                "suggestions so it becomes a channel link"
            )
    return default, tokens


def find_subcommand(text: str) -> tuple[Subcommand | None, str, str]:
    """The subcommand ``text`` starts with, the rest of the text, and what was typed."""
    words = (text or "").strip().split(None, 2)
    if not words:
        return SUBCOMMANDS_BY_NAME["help"], "", "help"
    first = words[0].casefold()
    if len(words) > 1:
        pair = f"{first} {words[1].casefold()}"
        if pair in SUBCOMMANDS_BY_NAME:
            return SUBCOMMANDS_BY_NAME[pair], words[2] if len(words) > 2 else "", pair
    if first in SUBCOMMANDS_BY_NAME:
        rest = (text or "").strip()[len(words[0]) :].strip()
        return SUBCOMMANDS_BY_NAME[first], rest, first
    typed = f"{words[0]} {words[1]}" if first in GROUPS and len(words) > 1 else words[0]
    return None, "", typed


# -- dispatch -------------------------------------------------------------------------------


def run_command(context: CommandContext, request: CommandRequest, text: str) -> CommandReply:
    """Dispatch ``/news text``: help for unknown input, refusals for non-editors, reasons for
    every failure a person can cause."""
    subcommand, rest, typed = find_subcommand(text)
    if subcommand is None:
        return CommandReply(build_help(problem=f"Unknown subcommand {code(typed, 80)}."))
    if subcommand.editors_only and not context.services.editors.is_editor(request.user_id):
        return CommandReply(
            build_refusal(context.services.editors.refusal(subcommand.editors_only))
        )
    try:
        return subcommand.run(context, _with_text(request, rest))
    except NewsdeskError as error:
        return CommandReply(build_problem(error.reason))


def _with_text(request: CommandRequest, text: str) -> CommandRequest:
    return CommandRequest(
        user_id=request.user_id,
        channel_id=request.channel_id,
        channel_name=request.channel_name,
        trigger_id=request.trigger_id,
        text=text[: MAX_ARGUMENT_TEXT * 4],
    )


def build_help(*, problem: str | None = None) -> Message:
    """Every subcommand with one example, from the table that dispatches them."""
    entries = [
        CommandHelpEntry(
            usage=subcommand.usage,
            example=subcommand.example,
            description=subcommand.description,
            editors_only=subcommand.editors_only is not None,
        )
        for subcommand in SUBCOMMANDS
    ]
    return build_command_help(COMMAND, entries, problem=problem)


def _reply(*lines: str) -> CommandReply:
    return CommandReply(build_reply(lines))


# -- subcommands ----------------------------------------------------------------------------


def run_help(context: CommandContext, request: CommandRequest) -> CommandReply:
    return CommandReply(build_help())


def run_latest(context: CommandContext, request: CommandRequest) -> CommandReply:
    topic = plain_words(request.text)
    question = f"latest on {topic}" if topic else "latest"
    return CommandReply(answer_question(context.services, question, channel_id=request.channel_id))


def run_search(context: CommandContext, request: CommandRequest) -> CommandReply:
    query = plain_words(request.text)
    if not query:
        raise CommandError(f"say what to search for, like {COMMAND} search Russia sanctions")
    return CommandReply(
        answer_question(context.services, f"search for {query}", channel_id=request.channel_id)
    )


def run_submit(context: CommandContext, request: CommandRequest) -> CommandReply:
    if not request.trigger_id:
        raise CommandError("Slack sent no trigger id, so the form cannot open: try again")
    view = build_submit_modal(
        channel_id=request.channel_id,
        is_private=command_in_private_conversation(request.channel_id, request.channel_name),
    )
    try:
        context.open_view(request.trigger_id, view)
    except SlackApiError as error:
        code_name = error.response.get("error", "unknown_error")
        raise CommandError(f"Slack did not open the form ({code_name}): try again") from error
    return CommandReply(None)


def run_show(context: CommandContext, request: CommandRequest) -> CommandReply:
    reference = read_story_reference(request.text)
    with context.services.session_factory() as session:
        article_id = get_visible_article(reference, request.channel_id, session=session).id
    return CommandReply(article_message(context.services, str(article_id)))


def run_history(context: CommandContext, request: CommandRequest) -> CommandReply:
    reference = read_story_reference(request.text)
    with context.services.session_factory() as session:
        article = get_visible_article(reference, request.channel_id, session=session)
        versions = [
            VersionLine(v.version, v.headline, v.changes, v.recorded_at)
            for v in list_versions(article.id, session=session)
        ]
        message = build_history(
            article.id,
            article.headline,
            article.version,
            article.updated_at,
            versions,
            now=context.services.clock(),
        )
    return CommandReply(message)


def run_publish(context: CommandContext, request: CommandRequest) -> CommandReply:
    reference = read_story_reference(request.text)
    services = context.services
    with services.session_factory.begin() as session:
        article = get_visible_article(reference, request.channel_id, session=session)
        label = story_label(article.id, article.headline)
        result = publish_article(
            article.id, session=session, aliases=services.aliases, now=services.clock()
        )
    services.notify_work()
    if result.skipped_reason:
        return _reply(f":warning: Not published {label}: {escaped(result.skipped_reason)}.")
    channels = ", ".join(channel_mention(channel) for channel in result.channels)
    if result.already_published:
        if channels:
            return _reply(f"{label} was already published; new alerts queued for {channels}.")
        return _reply(f"{label} is already published; nothing new to send.")
    if channels:
        return _reply(f"Published {label} — alerts queued for {channels}.")
    return _reply(
        f"Published {label} — no channel follows it, so no alerts "
        f"(see {code(f'{COMMAND} subscribe')})."
    )


def run_unpublish(context: CommandContext, request: CommandRequest) -> CommandReply:
    reference = read_story_reference(request.text)
    services = context.services
    with services.session_factory.begin() as session:
        article = get_visible_article(reference, request.channel_id, session=session)
        label = story_label(article.id, article.headline)
        result = unpublish_article(article.id, session=session, now=services.clock())
    services.notify_work()
    if not result.was_published:
        return _reply(f"{label} was not published: nothing to take back.")
    parts = [f"Unpublished {label}: it is a draft again."]
    if result.cancelled:
        parts.append(f"{result.cancelled} alert{'s' if result.cancelled != 1 else ''} not sent.")
    if result.edited_channels:
        edited = ", ".join(channel_mention(channel) for channel in result.edited_channels)
        parts.append(f"Alerts already sent are marked unpublished in {edited}.")
    return _reply(" ".join(parts))


def run_delete(context: CommandContext, request: CommandRequest) -> CommandReply:
    reference = read_story_reference(request.text)
    with context.services.session_factory.begin() as session:
        article = get_visible_article(reference, request.channel_id, session=session)
        result = delete_article(article.id, session=session)
    details = [f"{result.shares} share{'s' if result.shares != 1 else ''}"]
    if result.versions:
        details.append(f"{result.versions} earlier version{'s' if result.versions != 1 else ''}")
    if result.deliveries:
        details.append(f"{result.deliveries} alert{'s' if result.deliveries != 1 else ''}")
    return _reply(
        f"Deleted {story_label(result.article_id, result.headline)} with its {', '.join(details)}."
    )


def run_subscribe(context: CommandContext, request: CommandRequest) -> CommandReply:
    services = context.services
    channel_id, words = read_channel(split_arguments(request.text), request.channel_id)
    where = channel_mention(channel_id)
    if words and words[0].casefold() == "budget":
        return _set_budget(context, request, channel_id, words[1:])
    kind, value = parse_subscription_target(unescape_entities(" ".join(words)))
    with services.session_factory.begin() as session:
        subscription, created = subscribe(
            channel_id,
            kind,
            value,
            created_by=request.user_id,
            aliases=services.aliases,
            session=session,
        )
        target = describe_target(subscription.kind, subscription.value)
    if not created:
        return _reply(f"{where} already follows {target}: nothing changed.")
    return _reply(f"{where} now follows {target}: published stories that match are posted there.")


def _set_budget(
    context: CommandContext, request: CommandRequest, channel_id: str, words: list[str]
) -> CommandReply:
    where = channel_mention(channel_id)
    if len(words) != 1:
        raise CommandError(
            f"give one number of alerts per hour, like {COMMAND} subscribe budget 5 (or “default”)"
        )
    value = words[0].casefold()
    per_hour: int | None
    if value in ("default", "none", "off"):
        per_hour = None
    elif value.isdigit():
        per_hour = int(value)
    else:
        raise CommandError(f"“{words[0][:40]}” is not a number of alerts per hour")
    with context.services.session_factory.begin() as session:
        set_alert_budget(
            channel_id,
            per_hour,
            session=session,
            updated_by=request.user_id,
            now=context.services.clock(),
        )
    if per_hour is None:
        return _reply(f"{where} uses the default alert budget again.")
    if per_hour == 0:
        return _reply(f"{where} now gets its alerts in a digest only.")
    return _reply(
        f"{where} now gets at most {per_hour} alert{'s' if per_hour != 1 else ''} an hour; "
        "more are rolled into a digest."
    )


def run_unsubscribe(context: CommandContext, request: CommandRequest) -> CommandReply:
    services = context.services
    channel_id, words = read_channel(split_arguments(request.text), request.channel_id)
    where = channel_mention(channel_id)
    kind, value = parse_subscription_target(unescape_entities(" ".join(words)))
    with services.session_factory.begin() as session:
        removed = unsubscribe(channel_id, kind, value, aliases=services.aliases, session=session)
    target = describe_target(kind, value)
    if not removed:
        return _reply(
            f":warning: {where} does not follow {target}: nothing to unsubscribe "
            f"(see {code(f'{COMMAND} subscriptions')})."
        )
    return _reply(f"{where} no longer follows {target}.")


def run_subscriptions(context: CommandContext, request: CommandRequest) -> CommandReply:
    channel_id, words = read_channel(split_arguments(request.text), request.channel_id)
    if words:
        raise CommandError(f"only a channel goes here, like {COMMAND} subscriptions #world")
    with context.services.session_factory() as session:
        subscriptions = [
            SubscriptionLine(s.kind, s.value)
            for s in list_subscriptions(session=session, channel_id=channel_id)
        ]
        settings = channel_settings(channel_id, session=session)
        budget = settings.alerts_per_hour if settings is not None else None
    return CommandReply(
        build_subscriptions(channel_id, subscriptions, alerts_per_hour=budget, command=COMMAND)
    )


def run_feed_add(context: CommandContext, request: CommandRequest) -> CommandReply:
    tokens = split_arguments(request.text)
    if len(tokens) != 1:
        raise CommandError(f"give one feed link, like {COMMAND} feed add https://example.com/rss")
    url = read_link(tokens[0])
    if url is None:
        raise CommandError(f"“{unescape_entities(tokens[0])[:80]}” is not an http(s) link")
    normalize_url(url)  # a one-line reason for a link that cannot be read
    with context.services.session_factory.begin() as session:
        feed, created = add_feed(url, added_by=request.user_id, session=session)
        feed_id, feed_url = feed.id, feed.url
    label = f"#{feed_id} {escaped(feed_url, 300)}"
    if not created:
        return _reply(f"Feed {label} is already on the list.")
    return _reply(
        f"Added feed {label}: new entries are archived once it is polled "
        f"(health in {code(f'{COMMAND} feed list')})."
    )


def run_feed_remove(context: CommandContext, request: CommandRequest) -> CommandReply:
    tokens = split_arguments(request.text)
    if len(tokens) != 1:
        raise CommandError(f"give one feed: its number or link, like {COMMAND} feed remove 3")
    reference = read_link(tokens[0]) or unescape_entities(tokens[0])
    with context.services.session_factory.begin() as session:
        try:
            feed = find_feed(reference, session=session)
        except NewsdeskError:
            feed = None
        if feed is None:
            raise CommandError(f"no feed {reference[:200]}: see {COMMAND} feed list")
        label = f"#{feed.id} {escaped(feed.url, 300)}"
        remove_feed(feed.id, session=session)
    return _reply(f"Removed feed {label}: it is no longer polled.")


def run_feed_list(context: CommandContext, request: CommandRequest) -> CommandReply:
    with context.services.session_factory() as session:
        feeds = [
            FeedLine(
                id=feed.id,
                url=feed.url,
                title=feed.title,
                last_success_at=feed.last_success_at,
                last_error=feed.last_error,
                consecutive_failures=feed.consecutive_failures,
                next_poll_at=feed.next_poll_at,
                initialised=feed.initialised,
            )
            for feed in list_feeds(session=session)
        ]
    return CommandReply(build_feed_list(feeds, now=context.services.clock(), command=COMMAND))


def run_status(context: CommandContext, request: CommandRequest) -> CommandReply:
    services = context.services
    now = services.clock()
    with services.session_factory() as session:
        report = read_status(session=session, now=now, timezone=services.timezone)
    reply = build_status(report, timezone_name=str(services.timezone), now=now, command=COMMAND)
    return CommandReply(reply)


def run_retry(context: CommandContext, request: CommandRequest) -> CommandReply:
    services = context.services
    with services.session_factory.begin() as session:
        deliveries = retry_dead_deliveries(session=session, now=services.clock())
        jobs = retry_dead_jobs(session=session)
    services.notify_work()
    if not deliveries and not jobs:
        return _reply("Nothing to retry: no failed alerts or jobs are waiting.")
    return _reply(
        f"Back in the queue: {deliveries} alert{'s' if deliveries != 1 else ''} and "
        f"{jobs} job{'s' if jobs != 1 else ''}."
    )


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", "", "help", "this list", run_help),
    Subcommand(
        "latest", "<topic>", "latest Ukraine", "the newest stories about a topic", run_latest
    ),
    Subcommand(
        "search", "<query>", "search Russia sanctions", "the most relevant stories", run_search
    ),
    Subcommand(
        "submit",
        "",
        "submit",
        "a form to add a story: a link or pasted wire copy, with headline, desk, topics",
        run_submit,
    ),
    Subcommand("show", "<id|url>", "show 12", "one story's full card", run_show),
    Subcommand(
        "history", "<id|url>", "history 12", "a story's versions and what changed", run_history
    ),
    Subcommand(
        "publish",
        "<id|url>",
        "publish 12",
        "publish a story and alert the channels that follow it",
        run_publish,
        editors_only="publish stories",
    ),
    Subcommand(
        "unpublish",
        "<id|url>",
        "unpublish 12",
        "take a story back to draft; sent alerts say so",
        run_unpublish,
        editors_only="unpublish stories",
    ),
    Subcommand(
        "delete",
        "<id|url>",
        "delete 12",
        "remove a story and its alerts from the archive",
        run_delete,
        editors_only="delete stories",
    ),
    Subcommand(
        "subscribe",
        "[#channel] <topic | desk:… | outlet:… | author:… | all | budget N>",
        "subscribe #world desk:World",
        "post published stories that match in a channel (budget: alerts per hour)",
        run_subscribe,
        editors_only="subscribe channels",
    ),
    Subcommand(
        "unsubscribe",
        "[#channel] <topic | desk:… | outlet:… | author:… | all>",
        "unsubscribe #world Ukraine",
        "stop following something",
        run_unsubscribe,
        editors_only="unsubscribe channels",
    ),
    Subcommand(
        "subscriptions",
        "[#channel]",
        "subscriptions #world",
        "what a channel follows, and its alert budget",
        run_subscriptions,
    ),
    Subcommand(
        "feed add",
        "<url>",
        "feed add https://example.com/rss",
        "poll an RSS, Atom or JSON feed",
        run_feed_add,
        editors_only="manage feeds",
    ),
    Subcommand(
        "feed remove",
        "<url|id>",
        "feed remove 3",
        "stop polling a feed",
        run_feed_remove,
        editors_only="manage feeds",
    ),
    Subcommand("feed list", "", "feed list", "every feed with its health", run_feed_list),
    Subcommand(
        "status",
        "",
        "status",
        "archive size, stories today, queue, worker heartbeat, recent errors",
        run_status,
    ),
    Subcommand(
        "retry",
        "",
        "retry",
        "send failed alerts and jobs again",
        run_retry,
        editors_only="retry failed work",
    ),
)
SUBCOMMANDS_BY_NAME = {subcommand.name: subcommand for subcommand in SUBCOMMANDS}
GROUPS = {subcommand.name.split()[0] for subcommand in SUBCOMMANDS if " " in subcommand.name}


# -- Slack listener -------------------------------------------------------------------------


def register(app: App, services: SlackServices) -> None:
    @app.command(COMMAND)
    def run_news_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        request = CommandRequest(
            user_id=str(command.get("user_id") or ""),
            channel_id=str(command.get("channel_id") or ""),
            channel_name=str(command.get("channel_name") or ""),
            trigger_id=command.get("trigger_id"),
        )

        def open_view(trigger_id: str, view: dict[str, Any]) -> None:
            client.views_open(trigger_id=trigger_id, view=view)

        reply = run_command(
            CommandContext(services, open_view), request, str(command.get("text") or "")
        )
        if reply.message is None:
            ack()
            return
        ack(
            response_type="in_channel" if reply.in_channel else "ephemeral",
            text=reply.message.text,
            blocks=reply.message.blocks,
        )
