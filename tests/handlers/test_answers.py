"""Answers to questions on both engines: the "More" button's key, and input with no subject."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from handlers.answers import (
    MAX_BUTTON_VALUE,
    NO_SUBJECT,
    AnswerPage,
    answer_more,
    answer_question,
)
from handlers.blocks import Message
from news.aliases import AliasTable
from storage.database import SessionFactory
from storage.models import StoredQuestion
from storage.questions import kept_question_key, remember_question
from storage.services import Services
from tests.storage.test_search import make_article

NOW = datetime(2025, 1, 8, 15, 0, tzinfo=UTC)
ALIASES = AliasTable({"Ukraine": ("Kyiv", "Киев")})
CHANNEL = "C-WORLD"


@pytest.fixture
def services(session_factory: SessionFactory) -> Services:
    with session_factory.begin() as session:
        session.add_all(
            make_article(
                f"Киев story {n}",
                f"Жители Киева говорят о событиях дня номер {n} в городе и области.",
                days_ago=n + 1,
            )
            for n in range(8)
        )
    return Services(
        session_factory=session_factory,
        ingest=cast(Any, None),
        aliases=ALIASES,
        timezone=UTC,
        clock=lambda: NOW,
    )


def more_value(message: Message) -> str | None:
    for block in message.blocks:
        for element in block.get("elements", ()):
            if element.get("action_id") == "answer_more":
                return str(element["value"])
    return None


def headlines(message: Message) -> list[str]:
    text = json.dumps(message.blocks, ensure_ascii=False)
    return [f"Киев story {n}" for n in range(8) if f"Киев story {n}" in text]


def test_more_button_carries_a_short_key_for_a_long_non_ascii_question(
    services: Services,
) -> None:
    # Hundreds of non-ASCII characters: JSON-encoded in the value, this question alone
    # took over 2,000 characters and Slack refused the whole reply.
    question = "Киев " * 120
    assert len(json.dumps({"q": question})) > MAX_BUTTON_VALUE
    first = answer_question(services, question, channel_id=CHANNEL)
    value = more_value(first)
    assert value is not None
    assert len(value) < 100
    assert "Киев" not in value
    assert "\\u" not in value
    page = AnswerPage.decode(value)
    assert page.key
    assert page.offset == 5
    second = answer_more(services, value, channel_id=CHANNEL)
    assert second is not None
    assert headlines(first) == [f"Киев story {n}" for n in range(5)]
    assert headlines(second) == [f"Киев story {n}" for n in range(5, 8)]
    assert more_value(second) is None
    with services.session_factory() as session:
        stored = session.query(StoredQuestion).one()
        assert stored.question == question
        assert stored.channel_id == CHANNEL


def test_more_key_is_kept_once_and_works_only_in_its_channel(services: Services) -> None:
    first = answer_question(services, "latest on Kyiv", channel_id=CHANNEL)
    value = more_value(first)
    assert value is not None
    assert answer_more(services, value, channel_id="C-OTHER") is None
    again = answer_more(services, value, channel_id=CHANNEL)
    assert again is not None
    with services.session_factory() as session:
        assert session.query(StoredQuestion).count() == 1


def test_unknown_key_has_expired_and_old_buttons_still_page(services: Services) -> None:
    assert answer_more(services, '{"k":"no-such-key","o":5}', channel_id=CHANNEL) is None
    old = answer_more(services, '{"q":"latest on Kyiv","o":5}', channel_id=CHANNEL)
    assert old is not None
    assert headlines(old) == [f"Киев story {n}" for n in range(5, 8)]


def test_expired_questions_are_removed_as_new_ones_are_stored(services: Services) -> None:
    with services.session_factory.begin() as session:
        session.add(
            StoredQuestion(
                key="old", channel_id=CHANNEL, question="x", created_at=NOW - timedelta(days=40)
            )
        )
    assert more_value(answer_question(services, "Kyiv", channel_id=CHANNEL)) is not None
    with services.session_factory() as session:
        keys = [q.key for q in session.query(StoredQuestion)]
    assert "old" not in keys
    assert len(keys) == 1


def test_a_question_asked_again_reuses_its_key_and_its_row(services: Services) -> None:
    first = more_value(answer_question(services, "latest on Kyiv", channel_id=CHANNEL))
    again = more_value(answer_question(services, "latest on Kyiv", channel_id=CHANNEL))
    elsewhere = more_value(answer_question(services, "latest on Kyiv", channel_id="C-OTHER"))
    assert first is not None
    assert first == again
    assert elsewhere is not None
    assert elsewhere != first
    with services.session_factory() as session:
        assert session.query(StoredQuestion).count() == 2


def test_a_question_with_a_lone_surrogate_is_kept_and_pages(services: Services) -> None:
    value = more_value(answer_question(services, "latest on Kyiv \ud800", channel_id=CHANNEL))
    assert value is not None
    second = answer_more(services, value, channel_id=CHANNEL)
    assert second is not None
    assert headlines(second) == [f"Киев story {n}" for n in range(5, 8)]


def test_a_question_asked_again_after_a_day_keeps_its_key_for_another_month(
    session_factory: SessionFactory, services: Services
) -> None:
    value = more_value(answer_question(services, "latest on Kyiv", channel_id=CHANNEL))
    assert value is not None
    key = AnswerPage.decode(value).key

    def stored_at() -> datetime:
        with session_factory() as session:
            row = session.query(StoredQuestion).filter_by(key=key).one()
            return row.created_at

    assert stored_at() == NOW
    within_a_day = replace(services, clock=lambda: NOW + timedelta(hours=20))
    assert more_value(answer_question(within_a_day, "latest on Kyiv", channel_id=CHANNEL)) == value
    assert stored_at() == NOW
    days_later = replace(services, clock=lambda: NOW + timedelta(days=29))
    assert more_value(answer_question(days_later, "latest on Kyiv", channel_id=CHANNEL)) == value
    assert stored_at() == NOW + timedelta(days=29)


def test_a_kept_question_gives_its_key_without_a_write(
    session_factory: SessionFactory, services: Services
) -> None:
    with session_factory() as session:
        assert (
            kept_question_key("latest on Kyiv", channel_id=CHANNEL, now=NOW, session=session)
            is None
        )
    with session_factory.begin() as session:
        key = remember_question("latest on Kyiv", channel_id=CHANNEL, now=NOW, session=session)
    with session_factory() as session:
        assert (
            kept_question_key("latest on Kyiv", channel_id=CHANNEL, now=NOW, session=session) == key
        )
        assert (
            kept_question_key("latest on Kyiv", channel_id="C-OTHER", now=NOW, session=session)
            is None
        )
        # Older than a day: remember_question refreshes its age, so there is a write to do.
        later = NOW + timedelta(days=2)
        assert (
            kept_question_key("latest on Kyiv", channel_id=CHANNEL, now=later, session=session)
            is None
        )


def test_a_question_asked_again_writes_nothing(services: Services) -> None:
    first = more_value(answer_question(services, "latest on Kyiv", channel_id=CHANNEL))
    writes: list[str] = []
    factory = services.session_factory

    class ReadOnly:
        def __call__(self) -> Any:
            return factory()

        def begin(self) -> Any:
            writes.append("begin")
            return factory.begin()

    again = replace(services, session_factory=cast(Any, ReadOnly()))
    assert more_value(answer_question(again, "latest on Kyiv", channel_id=CHANNEL)) == first
    assert writes == []


@pytest.mark.parametrize(
    "question",
    [
        "what is the",
        "of the and",
        "could you please",
        "the the the the",
        "🙂🙂🙂",
        "((((",
        '"""',
        "?!",
    ],
)
def test_question_without_a_subject_gets_one_line_with_an_example(
    services: Services, question: str
) -> None:
    reply = answer_question(services, question, channel_id=CHANNEL)
    text = json.dumps(reply.blocks, ensure_ascii=False)
    assert reply.text == NO_SUBJECT or "latest on" in text  # the reason, or the help
    assert len(reply.blocks) >= 1


@pytest.mark.parametrize(
    "question",
    [
        "latest on (Kyiv",
        'news on "Kyiv',
        "Kyiv 🙂 🔥",
        "Киев" * 400,
        "x" * 10_000,
        "Kyiv )) (( ]] [[",
        "\u202eKyiv\u202c",
        "' OR 1=1 --",
    ],
)
def test_any_question_gets_an_answer_or_nothing_found(services: Services, question: str) -> None:
    reply = answer_question(services, question, channel_id=CHANNEL)
    assert reply.text
    assert reply.blocks
    value = more_value(reply)
    assert value is None or len(value) <= MAX_BUTTON_VALUE


def test_what_is_new_without_a_subject_lists_the_newest(services: Services) -> None:
    reply = answer_question(services, "what's new?", channel_id=CHANNEL)
    assert headlines(reply) == [f"Киев story {n}" for n in range(5)]


def test_from_a_name_that_is_no_outlet_searches_the_name(services: Services) -> None:
    with services.session_factory.begin() as session:
        session.add(make_article("Narnia Weekly closes", "The paper printed its last.", days_ago=1))
    reply = answer_question(services, "latest from Narnia Weekly", channel_id=CHANNEL)
    assert "Narnia Weekly closes" in json.dumps(reply.blocks)
    kept = answer_question(services, "Киев from Daily Ledger", channel_id=CHANNEL)
    assert headlines(kept) == [f"Киев story {n}" for n in range(5)]
