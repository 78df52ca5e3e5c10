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


@dataclass(frozen=True)
class AnswerPage:
    """The paging state behind an answer's "More" button (the channel comes from Slack)."""

    question: str
    offset: int

    def encode(self) -> str:
        return json.dumps({"q": self.question, "o": self.offset}, separators=(",", ":"))

    @classmethod
    def decode(cls, value: str) -> AnswerPage:
        data = json.loads(value)
        return cls(question=str(data["q"])[:1000], offset=max(0, int(data["o"])))


def answer_question(
    services: Services, question_text: str, *, channel_id: str, offset: int = 0
) -> Message:
    """The reply to a question: up to five stories, a "More" button, or nothing found."""
    now = services.clock()
    question = parse_question(
        question_text, now=now, aliases=services.aliases, timezone=services.timezone
    )
    if question.intent is Intent.HELP:
        return build_help(QUESTION_EXAMPLES)
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
    if not page.hits:
        return build_nothing_found(question.describe(), question.since, now=now)
    more = None
    if page.next_offset is not None:
        more = AnswerPage(question_text, page.next_offset).encode()
    return build_answer(
        question.describe(),
        [story_from_hit(hit) for hit in page.hits],
        now=now.astimezone(services.timezone),
        more_value=more,
    )


def article_message(services: Services, reference: str) -> Message:
    """The full card of one stored story (for ``show`` and unfurls)."""
    with services.session_factory() as session:
        record = to_article_record(get_article(reference, session=session))
    now = services.clock().astimezone(services.timezone)  # days as the newsroom reads them
    return build_article_card(story_from_article(record), now=now)
