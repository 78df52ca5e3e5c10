"""Text to tokens: cleaning what was typed, and plain search words.

Every search term is reduced to plain words (Unicode letters, digits, marks, spaces and
apostrophes inside words), so nothing a user types can reach a search engine as query
syntax.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from news.questions.model import MAX_NAME_CHARS, MAX_QUESTION_CHARS, MAX_TERM_CHARS, _Builder
from news.questions.vocabulary import (
    ACRONYM,
    CLAUSE_ENDS,
    EMOJI_SHORTCODE,
    FIELD_KEYS,
    JOINERS,
    NUMBER_WORDS,
    QUOTES,
    SLACK_MARKUP,
    TOKEN,
)


def is_word_character(character: str) -> bool:
    """A Unicode letter, digit or combining mark: what a search term may be made of."""
    return unicodedata.category(character)[0] in "LNM"


def _clean_text(text: str) -> str:
    text = SLACK_MARKUP.sub(" ", text[: MAX_QUESTION_CHARS * 4])
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = unicodedata.normalize("NFKC", text[: MAX_QUESTION_CHARS * 2]).translate(QUOTES)
    text = text[: MAX_QUESTION_CHARS * 2]
    kept = []
    for character in text:
        category = unicodedata.category(character)
        if category in ("Cf", "Cs", "Co", "Cn"):
            continue
        kept.append(" " if category[0] in "CZ" else character)
    text = EMOJI_SHORTCODE.sub(" ", "".join(kept))
    text = " ".join(text.split())
    if len(text) > MAX_QUESTION_CHARS:
        cut = text[:MAX_QUESTION_CHARS]
        space = cut.rfind(" ")
        text = cut[:space] if space > MAX_QUESTION_CHARS - 50 else cut
    return text


def clean_term(text: str) -> str:
    """``text`` as plain search words: ``U.S.`` → ``US``, ``anti-war`` → ``anti war``."""
    words = []
    for chunk in text.split():
        if ACRONYM.fullmatch(chunk):
            chunk = chunk.replace(".", "")
        plain = "".join(c if is_word_character(c) or c == "'" else " " for c in chunk)
        for word in plain.split():
            word = re.sub("'{2,}", "'", word.strip("'"))
            if word:
                words.append(word)
    cleaned = " ".join(words)
    if len(cleaned) > MAX_TERM_CHARS:
        cut = cleaned[:MAX_TERM_CHARS]
        return clean_term(cut.rsplit(" ", 1)[0] if " " in cut else cut)
    return cleaned


def _clean_name(text: str) -> str | None:
    kept = "".join(c if is_word_character(c) or c in JOINERS else " " for c in text)
    name = " ".join(kept.split()).strip("'-&")
    if name.endswith(".") and not ACRONYM.fullmatch(name.rsplit(" ", 1)[-1]):
        name = name.rstrip(".")
    return name[:MAX_NAME_CHARS].strip() or None


@dataclass
class _Token:
    kind: str  # "word" | "phrase" | "field" | "neg"
    text: str
    clean: str
    ends_clause: bool = False
    key: str = ""
    quoted: bool = False
    # Read as a name whatever its case: lower-case "us" used as the United States.
    name: bool = False

    @property
    def word(self) -> str:
        return self.text.casefold() if self.kind == "word" else ""


def _split_chunk(chunk: str) -> list[tuple[str, bool]]:
    """Pieces of one whitespace-free chunk, each with whether punctuation ended a clause."""
    texts: list[str] = []
    ends: list[bool] = []
    current: list[str] = []
    for character in chunk:
        if is_word_character(character) or character in JOINERS:
            current.append(character)
            continue
        if current:
            texts.append("".join(current))
            ends.append(False)
            current = []
        if character in CLAUSE_ENDS and ends:
            ends[-1] = True
    if current:
        texts.append("".join(current))
        ends.append(False)
    pieces = []
    for raw, clause_end in zip(texts, ends, strict=True):
        text = raw.lstrip(JOINERS).rstrip("'-&")
        if text.endswith(".") and not ACRONYM.fullmatch(text):
            text, clause_end = text.rstrip("."), True
        if text:
            pieces.append((text, clause_end))
    return pieces


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in TOKEN.finditer(text):
        if match.group("field"):
            quoted = match.group("fquoted")
            value = quoted if quoted is not None else match.group("fvalue")
            ends = quoted is None and value[-1:] in CLAUSE_ENDS | {"."}
            value = value if quoted is not None else value.rstrip(",;:?!.")
            key = FIELD_KEYS[match.group("key").casefold()]
            tokens.append(_Token("field", value.strip(), "", ends, key, quoted is not None))
        elif match.group("phrase") is not None:
            phrase = " ".join(match.group("phrase").split())
            cleaned = clean_term(phrase)
            if cleaned:
                kind = "neg" if match.group("neg") else "phrase"
                tokens.append(_Token(kind, phrase, cleaned))
        elif chunk := match.group("chunk"):
            if chunk.startswith("@") or "://" in chunk or chunk.casefold().startswith("www."):
                continue
            if chunk.startswith("-") and len(chunk) > 1 and is_word_character(chunk[1]):
                cleaned = clean_term(chunk[1:])
                if cleaned:
                    tokens.append(_Token("neg", chunk[1:], cleaned))
                continue
            for piece, ends in _split_chunk(chunk):
                cleaned = clean_term(piece)
                tokens.append(_Token("word", piece, cleaned, ends))
    return tokens


class _Cursor:
    """Tokens and which of them a rule has already used."""

    tokens: list[_Token]
    used: list[bool]
    out: _Builder

    def word(self, i: int) -> str:
        """The casefolded word at ``i`` if it is a free word token, else ""."""
        if 0 <= i < len(self.tokens) and not self.used[i]:
            return self.tokens[i].word
        return ""

    def is_free_word(self, i: int) -> bool:
        return bool(self.word(i))

    def consume(self, start: int, count: int) -> int:
        for i in range(start, min(start + count, len(self.tokens))):
            self.used[i] = True
        return count

    def number(self, i: int, words: dict[str, int] = NUMBER_WORDS) -> int | None:
        word = self.word(i)
        if word.isdecimal() and word.isascii():
            return int(word) if len(word) <= 9 else 10**9
        return words.get(word)
