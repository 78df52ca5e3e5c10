"""Properties of question understanding that hold for any text at all."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from news.aliases import AliasTable
from news.questions import (
    MAX_GROUPS,
    MAX_LIMIT,
    MAX_QUESTION_CHARS,
    Intent,
    Question,
    clean_term,
    is_word_character,
    parse_question,
)

ALIASES = AliasTable(
    {
        "Ukraine": ("Ukrainian", "Kyiv"),
        "US": ("United States", "U.S.", "U.S.A."),
        "UK": ("United Kingdom", "Britain"),
        "China": ("People's Republic of China",),
        "Climate change": ("global warming",),
    }
)


def words(text: str) -> list[str]:
    return text.split()


TIMEZONES = [ZoneInfo(name) for name in ("UTC", "America/New_York", "Asia/Tokyo", "Pacific/Apia")]
VOCABULARY = [
    *words("latest on about from by since until before after between and or in the top last past"),
    *words("this week month year today yesterday Monday Wed January may 6th of 2025-01-06 2024"),
    *words("3 10 99999999999 days hours 24h stories drafts draft published desk politics"),
    *words("Ukraine US us U.S. UK United Kingdom Jane Doe The English Chronicle what's new"),
    *words("-sport - -- outlet: outlet:reuters author:Jane desk:world status:draft limit:20"),
    *words("since:monday from:reuters search find help ? NEAR( OR AND NOT * ^ : ' \" ; --"),
    '"peace deal"',
    '-"peace deal"',
    "<@U123>",
    "<https://example.com|link>",
    ":fire:",
    "🔥",
    "\u202e",
    "\u200d",
    "\ud800",
    "Zürich",
    "Киев",
    "東京",
    "هند",
    "हिन्दी",
]
questions = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(VOCABULARY), max_size=25).map(" ".join),
    st.lists(st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=5)), max_size=20).map("".join),
)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


def assert_plain_term(term: str) -> None:
    assert term, "empty term"
    assert term == term.strip()
    assert "  " not in term
    for position, character in enumerate(term):
        if character == "'":
            assert 0 < position < len(term) - 1
            assert is_word_character(term[position - 1])
            assert is_word_character(term[position + 1])
        else:
            assert character == " " or is_word_character(character), repr(character)
    assert clean_term(term) == term


def check_invariants(question: Question) -> None:
    assert isinstance(question.intent, Intent)
    assert len(question.raw) <= MAX_QUESTION_CHARS
    assert len(question.groups) <= MAX_GROUPS
    for group in question.groups:
        assert group.alternatives
        for alternative in group.alternatives:
            assert_plain_term(alternative)
        folded = [a.casefold() for a in group.alternatives]
        assert len(folded) == len(set(folded))
    for term in question.excluded:
        assert_plain_term(term)
    for moment in (question.since, question.until):
        assert moment is None or moment.utcoffset() == timedelta(0)
    if question.since is not None and question.until is not None:
        assert question.since <= question.until
    assert question.limit is None or 1 <= question.limit <= MAX_LIMIT
    description = question.describe()
    assert description.strip()


@settings(max_examples=400, deadline=None)
@given(text=questions, now=moments, timezone=st.sampled_from(TIMEZONES))
def test_any_text_parses_to_a_well_formed_question(
    text: str, now: datetime, timezone: ZoneInfo
) -> None:
    question = parse_question(text, now=now, aliases=ALIASES, timezone=timezone)
    check_invariants(question)
    assert parse_question(text, now=now, aliases=ALIASES, timezone=timezone) == question


@settings(max_examples=200, deadline=None)
@given(text=st.text(min_size=400, max_size=3000))
def test_long_text_is_cut(text: str) -> None:
    question = parse_question(text, now=datetime(2025, 1, 8, tzinfo=UTC), aliases=ALIASES)
    check_invariants(question)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200))
def test_clean_term_gives_plain_words_or_nothing(text: str) -> None:
    term = clean_term(text)
    if term:
        assert_plain_term(term)
    assert not re.search(r"[\"*^():;<>]", term)
