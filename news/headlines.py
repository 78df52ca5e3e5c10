"""Headlines for copy that arrives without one, made from the lede's main clause."""

from __future__ import annotations

import re

from news.sentences import clean_article_text, split_sentences, strip_dateline

MAX_HEADLINE_WORDS = 16

_HEADER_LINE = re.compile(r"^\s*(?:Published|Updated|Posted|By)\b[^\n]*$", re.IGNORECASE)
# Attribution at the end ("…, officials said on Monday") or the start ("Police said that …").
_TRAILING_ATTRIBUTION = re.compile(
    r"[,;]?\s+(?:(?:the\s+)?[\w.'’ -]{1,60}?\s+)?"
    r"(?:said|says|told [\w ]{1,30}|reported|announced|confirmed|warned|added|showed|show)"
    r"(?:\s+(?:on|late|early|this)\s+\w+(?:\s+\w+)?|\s+in a statement|\s+today|\s+yesterday)?"
    r"\s*$",
)
_LEADING_ATTRIBUTION = re.compile(
    r"^(?:[A-Z][\w.'’-]*\s+){1,5}(?:said|says|announced|confirmed)"
    r"(?:\s+(?:on|late|early)\s+\w+)?\s+(?:that\s+)?(?=[A-Za-z])",
)
_ACCORDING = re.compile(r",?\s+according to [^,;]{1,80}$", re.IGNORECASE)
# A comma or dash before one of these starts a clause a headline can do without.
_CLAUSE_STARTERS = (
    "with",
    "which",
    "who",
    "whose",
    "after",
    "as",
    "while",
    "amid",
    "but",
    "and",
    "following",
    "despite",
    "although",
    "though",
    "where",
    "when",
    "saying",
    "adding",
    "prompting",
    "leaving",
    "raising",
    "in a",
    "in what",
    "a move",
    "the latest",
)
_CLAUSE_BREAK = re.compile(
    r"\s*(?:,|;|\s[-–—]\s?)\s*(?=(?:" + "|".join(_CLAUSE_STARTERS) + r")\b)", re.IGNORECASE
)
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_WHEN = re.compile(
    rf"\s+(?:(?:late|early)\s+)?(?:(?:on|this|last)\s+)?(?:{_DAYS})"
    r"(?:\s+(?:night|morning|afternoon|evening))?\b|\s+(?:today|yesterday|tonight)\b"
)
_LEADING_PHRASE = re.compile(
    r"^(?:In|After|As|When|While|Despite|Following|Amid|Since|Before|With|On|At|For|"
    r"Although|Though|Once|Until|Unless|If)\b[^,]{1,80},\s*"
)
_ARTICLE = re.compile(r"\b(?:a|an|the)\s+(?=\S)")
_LEADING_ARTICLE = re.compile(r"^(?:The|A|An)\s+(?=\S)")
# Words a headline should not end on.
_DANGLING_WORDS = """a an the of to in on at for by with and or but from as into under over
about than that which who whose its their his her our this these those is are was were be has
have had will would"""
_DANGLING = frozenset(_DANGLING_WORDS.split())
_PREPOSITIONS = re.compile(
    r"\s(?=(?:under|with|after|before|over|amid|for|from|into|in|on|at|by|as|to)\s)"
)


def derive_headline(text: str, *, max_chars: int = 100) -> str:
    """A headline of at most ``max_chars`` characters from the lede of ``text``.

    Drops the dateline, trailing clauses and attributions, articles and the final period.
    Empty text gives "".
    """
    lede = _find_lede(text)
    if not lede:
        return ""
    headline = strip_dateline(lede).strip()
    headline = _LEADING_ATTRIBUTION.sub("", headline)
    headline = headline.rstrip(" .!;:")
    headline = _ACCORDING.sub("", headline)
    headline = _drop_leading_phrase(headline)
    headline = _cut_clause(headline)
    headline = _WHEN.sub("", headline)
    headline = _TRAILING_ATTRIBUTION.sub("", headline) or headline
    headline = _LEADING_ARTICLE.sub("", headline)
    headline = _ARTICLE.sub("", headline)
    headline = headline.strip(" ,;:-–—\"'“”‘’").rstrip(".。")
    headline = _fit(headline, max_chars)
    return headline[:1].upper() + headline[1:]


def _find_lede(text: str) -> str:
    lines = [line for line in text.splitlines() if not _HEADER_LINE.match(line)]
    # Short unpunctuated lines before the first paragraph are desk, byline or outlet lines.
    while lines and (
        not lines[0].strip()
        or (
            (len(lines[0].split()) < 8 and lines[0].rstrip()[-1:] not in '.!?"”')
            and any(len(line.split()) >= 8 for line in lines[1:])
        )
    ):
        lines.pop(0)
    sentences = split_sentences(clean_article_text("\n".join(lines)))
    for sentence in sentences:
        if len(sentence.split()) >= 3:
            return sentence
    return sentences[0] if sentences else ""


def _drop_leading_phrase(headline: str) -> str:
    """ "In a surprise move, the bank cut rates" → "the bank cut rates"."""
    match = _LEADING_PHRASE.match(headline)
    if match and len(headline[match.end() :].split()) >= 4:
        return headline[match.end() :]
    return headline


def _cut_clause(headline: str) -> str:
    """The text before a trailing clause: ", with …", " — which …", or any comma after
    five words ("…, the highest in a year")."""
    for match in _CLAUSE_BREAK.finditer(headline):
        head = headline[: match.start()]
        if len(head.split()) >= 3:
            return head
    comma = headline.find(", ")
    while comma >= 0:
        head = headline[:comma]
        if len(head.split()) >= 5 and not head.split()[-1][:1].isdigit():
            return head
        comma = headline.find(", ", comma + 2)
    return headline


def _fit(headline: str, max_chars: int) -> str:
    words = headline.split()
    if len(headline) <= max_chars and len(words) <= MAX_HEADLINE_WORDS:
        return headline
    # Prefer ending before a preposition phrase; else on the last word that fits.
    limit = min(max_chars, len(" ".join(words[:MAX_HEADLINE_WORDS])))
    breaks = [match.start() for match in _PREPOSITIONS.finditer(headline) if match.start() <= limit]
    cut = headline[: breaks[-1]] if breaks and len(headline[: breaks[-1]].split()) >= 4 else ""
    if not cut:
        cut = headline[: limit + 1]
        cut = cut[: cut.rfind(" ")] if " " in cut and len(headline) > limit else cut[:limit]
    kept = cut.split()
    while len(kept) > 1 and kept[-1].casefold().strip(",;:") in _DANGLING:
        kept.pop()
    return " ".join(kept).rstrip(",;:-–—")
