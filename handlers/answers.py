"""Answers to questions, shared by mentions, DMs, ``/news latest`` and the "More" button."""

from __future__ import annotations

import json
from dataclasses import dataclass

from handlers.blocks import (
    Message,
    build_answer,
    build_article_card,
    build_help,
    build_nothing_found,
)
from handlers.views import story_from_article, story_from_hit
from news.questions import Intent, parse_question
from storage.articles import get_article, to_article_record
from storage.questions import kept_question_key, recall_question, remember_question
from storage.search import search_articles
from storage.services import Services

ANSWER_PAGE_SIZE = 5

QUESTION_EXAMPLES = (
    ("latest on Ukraine", "the newest stories about a topic (aliases like Kyiv count)"),
    ("what do we have on Russia sanctions this week?", "the most relevant stories, this week"),
    ("stories by Jane Doe", "stories with that byline"),
    ('"peace deal" -sport since Monday', "a phrase, leaving out a word, since a day"),
    ("top 10 on climate from The Harbour Gazette", "more results, from one outlet"),
)


NO_SUBJECT = "I could not find a subject in that. Try: `latest on Ukraine`."
MAX_BUTTON_VALUE = 2000  # Slack's limit on a button's value


@dataclass(frozen=True)
class AnswerPage:
    """The paging state behind an answer's "More" button (the channel comes from Slack).

    The button carries the key of the question stored server-side (``storage.questions``),
    never the question itself: a long question in a non-Latin script would not fit in
    Slack's 2,000-character value. ``question`` is only read from buttons sent before keys.
    """

    offset: int
    key: str = ""
    question: str = ""

    def encode(self) -> str:
        return json.dumps({"k": self.key, "o": self.offset}, separators=(",", ":"))

    @classmethod
    def decode(cls, value: str) -> AnswerPage:
        data = json.loads(value[:MAX_BUTTON_VALUE])
        offset = max(0, int(data["o"]))
        if "k" in data:
            return cls(offset=offset, key=str(data["k"])[:32])
        return cls(offset=offset, question=str(data["q"])[:1000])


def answer_question(
    services: Services,
    question_text: str,
    *,
    channel_id: str,
    offset: int = 0,
    key: str = "",
) -> Message:
    """The reply to a question: up to five stories, a "More" button, or nothing found.

    ``key`` is the stored question's key when this is a "More" click.
    """
    now = services.clock()
    question = parse_question(
        question_text, now=now, aliases=services.aliases, timezone=services.timezone
    )
    if question.intent is Intent.HELP:
        return build_help(QUESTION_EXAMPLES)
    if not question.has_subject and not question.asked:
        return build_no_subject(NO_SUBJECT)
    limit = min(question.limit or ANSWER_PAGE_SIZE, ANSWER_PAGE_SIZE)
    with services.session_factory() as session:
        page = search_articles(
            question,
            session=session,
            limit=limit,
            offset=offset,
            viewer_channel_id=channel_id,
            now=now,
        )
        if page.hits and page.next_offset is not None and not key:
            # A question asked before is kept already: read its key in this session, so
            # only a question new to the channel opens a transaction to write one.
            kept = kept_question_key(question_text, channel_id=channel_id, now=now, session=session)
            key = kept or ""
    # "from <name>" where no story has that outlet was answered with the name as subject.
    question = page.question
    if not page.hits:
        return build_nothing_found(question.describe(), question.since, now=now)
    more = None
    if page.next_offset is not None:
        if not key:
            with services.session_factory.begin() as session:
                key = remember_question(
                    question_text, channel_id=channel_id, now=now, session=session
                )
        more = AnswerPage(page.next_offset, key=key).encode()
    return build_answer(
        question.describe(),
        [story_from_hit(hit) for hit in page.hits],
        now=now.astimezone(services.timezone),
        more_value=more,
    )


def answer_more(services: Services, value: str, *, channel_id: str) -> Message | None:
    """The next page behind a "More" button's value; None when the button has expired."""
    page = AnswerPage.decode(value)
    question = page.question
    if page.key:
        with services.session_factory() as session:
            question = recall_question(page.key, channel_id=channel_id, session=session) or ""
    if not question:
        return None
    return answer_question(
        services, question, channel_id=channel_id, offset=page.offset, key=page.key
    )


def build_no_subject(sentence: str) -> Message:
    """The one-line reply to a question with nothing to search for."""
    return Message(
        text=sentence, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": sentence}}]
    )


def article_message(services: Services, reference: str) -> Message:
    """The full card of one stored story (for ``show`` and unfurls)."""
    with services.session_factory() as session:
        record = to_article_record(get_article(reference, session=session))
    now = services.clock().astimezone(services.timezone)  # days as the newsroom reads them
    return build_article_card(story_from_article(record), now=now)
