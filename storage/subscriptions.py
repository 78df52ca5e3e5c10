"""Channel subscriptions, per-channel alert settings, and routing a story to channels.

A channel follows a topic (its aliases apply), a desk (the story's section), an outlet,
an author (a name within the byline), or every published story. ``matching_subscriptions``
says which channels get a story and why, one entry per channel however many of its
subscriptions match. Functions never commit: the caller owns the transaction.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from news.aliases import AliasTable
from news.errors import NewsdeskError
from storage.database import insert_ignoring_conflicts
from storage.models import Article, ChannelSettings, Subscription, utc_now

SUBSCRIPTION_KINDS = ("topic", "desk", "outlet", "author", "all")
MAX_VALUE_LENGTH = 200
MAX_ALERTS_PER_HOUR = 1000
EVERYTHING_REASON = "This channel gets every published story"

_PREFIX = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.*)$", re.DOTALL)
# Order of reasons when several subscriptions of a channel match: the most specific first.
_KIND_ORDER = {kind: position for position, kind in enumerate(SUBSCRIPTION_KINDS)}


class InvalidSubscription(NewsdeskError):
    """What to follow is missing or cannot be read."""


def fold_name(text: str) -> str:
    """``text`` case-folded with runs of whitespace collapsed: the form names are matched in."""
    return " ".join(text.casefold().split())


def parse_subscription_target(text: str) -> tuple[str, str]:
    """What an editor typed after ``/news subscribe``, as ``(kind, value)``.

    ``Ukraine`` and ``topic:Ukraine`` follow a topic; ``desk:``, ``outlet:`` and ``author:``
    name the other kinds; ``all`` follows everything.
    """
    text = " ".join(text.split())
    if not text:
        raise InvalidSubscription("say what to follow: a topic, desk:…, outlet:…, author:… or all")
    if text.casefold() == "all":
        return "all", "all"
    kind = "topic"
    match = _PREFIX.match(text)
    if match is not None:
        prefix = match.group(1).casefold()
        if prefix not in SUBSCRIPTION_KINDS or prefix == "all":
            raise InvalidSubscription(
                f"unknown kind “{match.group(1)}:”: use topic:, desk:, outlet:, author: or all"
            )
        kind, text = prefix, match.group(2).strip()
    value = _clean_value(text)
    if not value:
        raise InvalidSubscription(f"say which {kind} to follow after “{kind}:”")
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidSubscription(
            f"that {kind} name is too long (at most {MAX_VALUE_LENGTH} characters)"
        )
    return kind, value


def _clean_value(text: str) -> str:
    # Quotes and mrkdwn emphasis around a name are not part of it.
    return text.strip().strip("\"'“”‘’*_`").strip()


def subscription_key(kind: str, value: str, *, aliases: AliasTable) -> str:
    """The matching key of a subscription: topics by their canonical name, others folded."""
    if kind == "all":
        return "all"
    if kind == "topic":
        return fold_name(aliases.canonical(value) or value)
    return fold_name(value)


def _check_kind(kind: str) -> None:
    if kind not in SUBSCRIPTION_KINDS:
        raise InvalidSubscription(f"unknown kind “{kind}”: use topic, desk, outlet, author or all")


def subscribe(
    channel_id: str,
    kind: str,
    value: str,
    *,
    created_by: str | None,
    aliases: AliasTable,
    session: Session,
) -> tuple[Subscription, bool]:
    """Make ``channel_id`` follow ``kind``/``value``; False when it already did."""
    _check_kind(kind)
    value = "all" if kind == "all" else _clean_value(" ".join(value.split()))
    if not value:
        raise InvalidSubscription(f"say which {kind} to follow")
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidSubscription(
            f"that {kind} name is too long (at most {MAX_VALUE_LENGTH} characters)"
        )
    key = subscription_key(kind, value, aliases=aliases)
    created = insert_ignoring_conflicts(
        session,
        Subscription,
        {
            "channel_id": channel_id,
            "kind": kind,
            "value": value,
            "value_key": key,
            "created_by": created_by,
            "created_at": utc_now(),
        },
    )
    subscription = session.scalars(
        select(Subscription).where(
            Subscription.channel_id == channel_id,
            Subscription.kind == kind,
            Subscription.value_key == key,
        )
    ).one()
    return subscription, created


def unsubscribe(
    channel_id: str, kind: str, value: str, *, aliases: AliasTable, session: Session
) -> bool:
    """Stop ``channel_id`` following ``kind``/``value``; False when it did not."""
    _check_kind(kind)
    key = subscription_key(kind, value, aliases=aliases)
    result = session.execute(
        delete(Subscription).where(
            Subscription.channel_id == channel_id,
            Subscription.kind == kind,
            Subscription.value_key == key,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def list_subscriptions(*, session: Session, channel_id: str | None = None) -> list[Subscription]:
    """Subscriptions of one channel (or all), by channel, then in the order they were made."""
    statement = select(Subscription).order_by(Subscription.channel_id, Subscription.id)
    if channel_id is not None:
        statement = statement.where(Subscription.channel_id == channel_id)
    return list(session.scalars(statement))


def describe_subscription(subscription: Subscription) -> str:
    """Why a story reached the channel, in mrkdwn: "You follow *Ukraine*"."""
    name = subscription.value.replace("*", "")
    if subscription.kind == "all":
        return EVERYTHING_REASON
    if subscription.kind == "desk":
        return f"You follow the *{name}* desk"
    return f"You follow *{name}*"


def matching_subscriptions(
    article: Article, *, aliases: AliasTable, session: Session
) -> dict[str, list[str]]:
    """The channels that get ``article`` and why: ``{channel_id: [reason, …]}``.

    Topics match the story's topic list, or a whole-word mention of the topic or any of its
    aliases in the headline or standfirst (case-insensitive, except short all-capital names
    like "US" or "EU", which match only in capitals). Desks match the section; outlets match
    exactly and authors as whole words within the byline, both case-insensitively.
    """
    article_topics = {subscription_key("topic", topic, aliases=aliases) for topic in article.topics}
    text = f"{article.headline}\n{article.standfirst or ''}"
    section = fold_name(article.section or "")
    outlet = fold_name(article.outlet or "")
    byline = fold_name(article.byline or "")
    mentioned: dict[str, bool] = {}

    def matches(subscription: Subscription) -> bool:
        key = subscription.value_key
        if subscription.kind == "all":
            return True
        if subscription.kind == "desk":
            return bool(section) and key == section
        if subscription.kind == "outlet":
            return bool(outlet) and key == outlet
        if subscription.kind == "author":
            return bool(byline) and _contains_words(byline, key)
        if key in article_topics:
            return True
        if key not in mentioned:
            mentioned[key] = _mentions_any(text, aliases.expand(subscription.value))
        return mentioned[key]

    matched: dict[str, list[Subscription]] = {}
    for subscription in list_subscriptions(session=session):
        if matches(subscription):
            matched.setdefault(subscription.channel_id, []).append(subscription)
    return {
        channel_id: list(
            dict.fromkeys(
                describe_subscription(subscription)
                for subscription in sorted(subscriptions, key=lambda s: (_KIND_ORDER[s.kind], s.id))
            )
        )
        for channel_id, subscriptions in matched.items()
    }


def _contains_words(text: str, words: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(words) + r"(?!\w)", text) is not None


def _mentions_any(text: str, names: list[str]) -> bool:
    for name in names:
        name = " ".join(name.split())
        if not name:
            continue
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(word) for word in name.split()) + r"(?!\w)"
        is_acronym = name.replace(".", "").isupper() and len(name.replace(".", "")) <= 4
        if re.search(pattern, text, 0 if is_acronym else re.IGNORECASE):
            return True
    return False


def channel_settings(channel_id: str, *, session: Session) -> ChannelSettings | None:
    """The channel's own settings, or None when it uses the defaults."""
    return session.get(ChannelSettings, channel_id)


def set_alert_budget(
    channel_id: str,
    per_hour: int | None,
    *,
    session: Session,
    updated_by: str | None = None,
    now: datetime | None = None,
) -> ChannelSettings:
    """Cap the channel's alerts per hour (beyond it they roll into a digest); None: default.

    0 sends every alert in the digest.
    """
    if per_hour is not None and not 0 <= per_hour <= MAX_ALERTS_PER_HOUR:
        raise NewsdeskError(
            f"the alert budget must be between 0 and {MAX_ALERTS_PER_HOUR} alerts per hour"
        )
    return _update_settings(
        channel_id, session=session, updated_by=updated_by, now=now, alerts_per_hour=per_hour
    )


_DIGEST_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def channels_with_digest_time(*, session: Session) -> list[tuple[str, str]]:
    """(channel id, local "HH:MM") of every channel that asked for a daily briefing."""
    rows = session.execute(
        select(ChannelSettings.channel_id, ChannelSettings.digest_time).where(
            ChannelSettings.digest_time.is_not(None)
        )
    )
    return [(str(channel_id), str(digest_time)) for channel_id, digest_time in rows]


def set_digest_time(
    channel_id: str,
    digest_time: str | None,
    *,
    session: Session,
    updated_by: str | None = None,
    now: datetime | None = None,
) -> ChannelSettings:
    """Set the daily digest time ("HH:MM", 24-hour); None turns the daily digest off."""
    value = None
    if digest_time is not None:
        match = _DIGEST_TIME.match(digest_time.strip())
        if match is None:
            raise NewsdeskError(f"“{digest_time[:20]}” is not a time: use HH:MM, like 07:30")
        value = f"{int(match.group(1)):02d}:{match.group(2)}"
    return _update_settings(
        channel_id, session=session, updated_by=updated_by, now=now, digest_time=value
    )


def _update_settings(
    channel_id: str,
    *,
    session: Session,
    updated_by: str | None,
    now: datetime | None,
    **values: int | str | None,
) -> ChannelSettings:
    insert_ignoring_conflicts(
        session, ChannelSettings, {"channel_id": channel_id, "updated_at": now or utc_now()}
    )
    settings = session.get(ChannelSettings, channel_id, populate_existing=True)
    assert settings is not None
    for name, value in values.items():
        setattr(settings, name, value)
    settings.updated_by = updated_by
    settings.updated_at = now or utc_now()
    session.flush()
    return settings
