"""Buttons on article cards: "Publish", "Subscribe this channel to <topic>", "More like this".

Nothing in a button is trusted: every click re-checks who clicked (editors only for
publishing and subscribing), reads the channel from Slack's own payload (never from the
button's value), and refuses ids that are malformed or name a story the conversation may
not see. Each listener acks, runs one short transaction and answers through ``respond``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from handlers.blocks import ANSWER_SIZE, CardAction, Message, build_answer
from handlers.mrkdwn import collapse_whitespace, escape_mrkdwn, truncate_words
from handlers.slack_services import SlackServices
from handlers.views import story_from_hit
from news.errors import NewsdeskError
from news.questions import Intent, Question, TermGroup, parse_question
from storage.articles import (
    ArticleNotFound,
    ArticleRecord,
    get_visible_article,
    to_article_record,
)
from storage.models import Article
from storage.publishing import publish_article
from storage.search import search_articles
from storage.services import Services
from storage.subscriptions import InvalidSubscription, subscribe

PUBLISH_ACTION = "story_publish"
SUBSCRIBE_ACTION = "channel_subscribe"
MORE_LIKE_ACTION = "story_more_like"

MORE_LIKE_TOPICS = 5
_ARTICLE_ID = re.compile(r"[1-9][0-9]{0,9}")
MAX_ARTICLE_ID = 2**31 - 1  # articles.id is a 32-bit integer column
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,63}")
_TOPIC_SHOWN = 40
_NOT_HERE = "That story is not available in this conversation."
_INVALID = "That button is not valid: share the link again for a fresh card."


class ButtonRefused(NewsdeskError):
    """A click that cannot be carried out; ``reason`` is the one line the person sees."""


@dataclass(frozen=True)
class Click:
    """Who clicked which button, and where (the channel as Slack reports it)."""

    user_id: str | None
    channel_id: str | None
    value: str


def click_from_payload(body: dict[str, Any], action: dict[str, Any]) -> Click:
    user = body.get("user") or {}
    channel = body.get("channel") or {}
    return Click(
        user_id=str(user.get("id") or "") or None,
        channel_id=str(channel.get("id") or "") or None,
        value=str(action.get("value") or ""),
    )


def card_actions(article: ArticleRecord) -> list[CardAction]:
    """The buttons a story's card carries: Publish (a public draft), Subscribe, More like this."""
    actions = []
    if article.status == "draft" and article.is_public:
        actions.append(CardAction(PUBLISH_ACTION, "Publish", str(article.id), style="primary"))
    topic = collapse_whitespace(article.topics[0]) if article.topics else ""
    if topic:
        actions.append(
            CardAction(SUBSCRIBE_ACTION, f"Subscribe this channel to {topic}", topic[:200])
        )
        actions.append(CardAction(MORE_LIKE_ACTION, "More like this", str(article.id)))
    return actions


def parse_article_id(value: str) -> int:
    """The story id a button carries; ButtonRefused for anything but a plain positive number."""
    text = value.strip()
    if not _ARTICLE_ID.fullmatch(text) or int(text) > MAX_ARTICLE_ID:
        raise ButtonRefused(_INVALID)
    return int(text)


def _clicked_article(article_id: int, channel_id: str | None, *, session: Session) -> Article:
    """The story on the card, if it may be shown where the button was clicked."""
    try:
        return get_visible_article(article_id, channel_id, session=session)
    except ArticleNotFound as error:
        raise ButtonRefused(_NOT_HERE) from error


def _channel_mention(channel_id: str) -> str:
    return f"<#{channel_id}>" if _CHANNEL_ID.fullmatch(channel_id) else "this channel"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def publish_from_button(services: SlackServices, click: Click) -> str:
    """Publish the story on the card (editors only); the confirmation or refusal, one line."""
    if not services.editors.is_editor(click.user_id):
        return services.editors.refusal("publish stories")
    article_id = parse_article_id(click.value)
    with services.session_factory.begin() as session:
        article = _clicked_article(article_id, click.channel_id, session=session)
        result = publish_article(
            article.id, session=session, aliases=services.aliases, now=services.clock()
        )
    if result.skipped_reason:
        return f"Not published: {result.skipped_reason}."
    if result.already_published and not result.new_deliveries:
        return "Already published: every channel that follows it has its alert."
    services.notify_work()
    if not result.new_deliveries:
        return "Published — no channel follows this story yet, so no alerts were queued."
    return f"Published — alerts queued for {_plural(result.new_deliveries, 'channel')}."


def subscribe_from_button(services: SlackServices, click: Click) -> str:
    """Make the clicked-in channel follow the button's topic (editors only)."""
    if not services.editors.is_editor(click.user_id):
        return services.editors.refusal("subscribe channels")
    if not click.channel_id:
        raise ButtonRefused("Subscribe from a story card in the channel that should follow it.")
    topic = collapse_whitespace(click.value)
    try:
        with services.session_factory.begin() as session:
            _, created = subscribe(
                click.channel_id,
                "topic",
                topic,
                created_by=click.user_id,
                aliases=services.aliases,
                session=session,
            )
    except InvalidSubscription as error:
        raise ButtonRefused(f"Not subscribed: {error.reason}.") from error
    name = truncate_words(escape_mrkdwn(topic), _TOPIC_SHOWN)
    where = _channel_mention(click.channel_id)
    if not created:
        return f"{where} already follows *{name}*."
    return f"{where} now follows *{name}*: published stories on it get an alert here."


def related_question(
    topics: Sequence[str], *, services: Services, now: datetime
) -> Question | None:
    """A "latest" question matching any of ``topics`` (aliases included), or None."""
    alternatives: list[str] = []
    labels: list[str] = []
    for topic in topics[:MORE_LIKE_TOPICS]:
        parsed = parse_question(
            topic, now=now, aliases=services.aliases, timezone=services.timezone
        )
        if not parsed.groups:
            continue
        labels.append(parsed.topic or topic)
        if len(parsed.groups) == 1:
            alternatives.extend(parsed.groups[0].alternatives)
        else:  # a name of several words ("Jane Doe") matches as a phrase
            alternatives.append(" ".join(group.label for group in parsed.groups))
    if not alternatives:
        return None
    label = ", ".join(labels)
    group = TermGroup(label=label, alternatives=tuple(dict.fromkeys(alternatives)))
    return Question(raw=label, intent=Intent.LATEST, topic=label, groups=(group,))


def more_like_this(services: Services, click: Click) -> Message:
    """Up to five other stories sharing the card's topics, newest first, that the
    conversation may see."""
    article_id = parse_article_id(click.value)
    now = services.clock()
    with services.session_factory() as session:
        record = to_article_record(_clicked_article(article_id, click.channel_id, session=session))
        question = related_question(record.topics, services=services, now=now)
        if question is None:
            raise ButtonRefused("That story has no topics to match other stories on.")
        page = search_articles(
            question,
            session=session,
            limit=ANSWER_SIZE + 1,
            viewer_channel_id=click.channel_id,
            now=now,
        )
    hits = [hit for hit in page.hits if hit.article_id != record.id][:ANSWER_SIZE]
    if not hits:
        sentence = f"No other stories on {escape_mrkdwn(question.topic)} yet."
        return Message(
            text=sentence,
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": sentence}}],
        )
    return build_answer(
        question.topic, [story_from_hit(hit) for hit in hits], now=now, more_value=None
    )


def _say(respond: Respond, text: str) -> None:
    respond(text=text, replace_original=False, response_type="ephemeral")


def register(app: App, services: SlackServices) -> None:
    @app.action(PUBLISH_ACTION)
    def publish(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            _say(respond, publish_from_button(services, click_from_payload(body, action)))
        except NewsdeskError as error:
            _say(respond, error.reason)

    @app.action(SUBSCRIBE_ACTION)
    def follow(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            _say(respond, subscribe_from_button(services, click_from_payload(body, action)))
        except NewsdeskError as error:
            _say(respond, error.reason)

    @app.action(MORE_LIKE_ACTION)
    def related(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            reply = more_like_this(services, click_from_payload(body, action))
        except NewsdeskError as error:
            _say(respond, error.reason)
            return
        respond(
            text=reply.text,
            blocks=reply.blocks,
            replace_original=False,
            response_type="ephemeral",
        )
