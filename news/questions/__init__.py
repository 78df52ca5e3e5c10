"""Understanding what editors type: ``latest on Ukraine this week`` → a structured Question.

The result is engine-agnostic: term groups (AND of groups, OR inside a group), exclusions,
filters (outlet, byline, desk, status), a time window and a count. Every search term is
reduced to plain words, so nothing a user types can reach a search engine as query syntax.

- ``model``: the Question and its parts;
- ``vocabulary``: fixed word lists of the grammar;
- ``tokens``: cleaning the text and splitting it into tokens;
- ``dates``: the grammar of dates and time windows;
- ``parser``: intents, filters, names, topics, and ``parse_question``.
"""

from news.questions.model import (
    EARLIEST,
    MAX_EXCLUDED,
    MAX_GROUPS,
    MAX_LIMIT,
    MAX_NAME_CHARS,
    MAX_QUESTION_CHARS,
    MAX_TERM_CHARS,
    Intent,
    Question,
    TermGroup,
)
from news.questions.parser import parse_question
from news.questions.tokens import clean_term, is_word_character

__all__ = [
    "EARLIEST",
    "MAX_EXCLUDED",
    "MAX_GROUPS",
    "MAX_LIMIT",
    "MAX_NAME_CHARS",
    "MAX_QUESTION_CHARS",
    "MAX_TERM_CHARS",
    "Intent",
    "Question",
    "TermGroup",
    "clean_term",
    "is_word_character",
    "parse_question",
]
