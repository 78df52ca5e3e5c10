"""Extractive summaries: the Lead-N baseline and a position-aware centrality method.

``summarize`` scores each sentence by a lead prior (news puts the point first) plus its TF-IDF
cosine similarity to the rest of the story and to the headline, then picks greedily with a
redundancy penalty (MMR) and returns the picks in story order. Pure Python, no models.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from news.boilerplate import is_notice
from news.sentences import clean_article_text, split_sentences, strip_dateline


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


MAX_SENTENCES_READ = 100  # news puts the point first: later sentences are not picked
ELLIPSIS = "…"

# Scoring weights, relative to the centrality score (a cosine in [0, 1]); the dev-set search
# behind them is in docs/benchmarks.md.
LEAD_WEIGHT = 1.0  # weight of the lead prior 1 / (1 + position / LEAD_DECAY)
LEAD_DECAY = 2.0  # positions over which the lead prior halves
HEADLINE_WEIGHT = 0.5  # weight of cosine similarity to the headline (not tuned)
REDUNDANCY_WEIGHT = 0.7  # MMR penalty for similarity to sentences already picked
MIN_WORDS = 6  # shorter sentences are captions, bylines or fragments (not tuned)
SHORT_PENALTY = 1.0
DUPLICATE_SIMILARITY = 0.8  # a sentence this similar to one already picked is never added

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_STOP_WORDS = _word_set(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves said says say told according mr mrs ms one two new year years"""
)


class Summarizer(Protocol):
    """Anything that turns a story into a short summary."""

    def summarize(self, text: str, *, headline: str | None = None) -> str: ...


CARD_SENTENCES = 2  # a card's summary: at most two sentences …
CARD_WORDS = 55  # … and about fifty words (a tenth of slack)


@dataclass(frozen=True)
class ExtractiveSummarizer:
    """``summarize`` with fixed length limits, as a ``Summarizer``: by default what fits a
    card (two sentences, about fifty words)."""

    max_sentences: int = CARD_SENTENCES
    max_chars: int = 600
    lede: bool = True
    max_words: int | None = CARD_WORDS

    def summarize(self, text: str, *, headline: str | None = None) -> str:
        return summarize(
            text,
            headline=headline,
            max_sentences=self.max_sentences,
            max_chars=self.max_chars,
            lede=self.lede,
            max_words=self.max_words,
        )


def summarize_lead(text: str, *, sentences: int = 3, max_chars: int = 600) -> str:
    """The first ``sentences`` sentences, as many as fit in ``max_chars`` (at least one)."""
    candidates = _read_sentences(text)[:sentences]
    return _join_within(candidates, max_chars)


def summarize(
    text: str,
    *,
    headline: str | None = None,
    max_sentences: int = 3,
    max_chars: int = 600,
    lede: bool = True,
    max_words: int | None = None,
) -> str:
    """An extractive summary of up to ``max_sentences`` sentences and ``max_chars`` characters
    (and ``max_words`` words: a sentence that would pass it is left out; a first sentence
    longer than it by a fifth is cut at a word with "…").

    Boilerplate sentences (share bars, newsletter, cookie and copyright notices) are never
    picked. ``lede=False`` is for bodies whose opening sentence was taken away (shown apart
    as a standfirst, as BBC pages and so XSum do): position then only breaks ties.
    """
    sentences = _read_sentences(text)
    if not sentences or max_sentences < 1:
        return ""
    if len(sentences) == 1:
        return _fit_words(_join_within(sentences, max_chars), max_words)
    picked = _pick(
        sentences, headline=headline, count=max_sentences, lead_weight=LEAD_WEIGHT if lede else 0.0
    )
    chosen = [sentences[index] for index in sorted(picked)]
    if max_words is not None:
        kept = chosen[:1]
        words = len(chosen[0].split())
        for sentence in chosen[1:]:
            words += len(sentence.split())
            if words > max_words:
                break
            kept.append(sentence)
        chosen = kept
    return _fit_words(_join_within(chosen, max_chars), max_words)


def _fit_words(summary: str, max_words: int | None) -> str:
    """``summary`` cut to ``max_words`` words with "…" when it is over by more than a fifth."""
    words = summary.split()
    if max_words is None or len(words) <= max_words * 6 // 5:
        return summary
    return " ".join(words[:max_words]).rstrip(" ,;:-–—") + ELLIPSIS


def _read_sentences(text: str) -> list[str]:
    cleaned = clean_article_text(text)
    sentences = split_sentences(cleaned)[:MAX_SENTENCES_READ]
    if sentences:
        sentences[0] = strip_dateline(sentences[0])
    return [
        sentence for sentence in sentences if _WORD.search(sentence) and not is_notice(sentence)
    ]


def _pick(
    sentences: Sequence[str],
    *,
    headline: str | None,
    count: int,
    lead_weight: float,
) -> list[int]:
    bags = [_terms(sentence) for sentence in sentences]
    idf = _inverse_document_frequency(bags)
    vectors = [_weigh(bag, idf) for bag in bags]
    total: Counter[str] = Counter()
    for bag in bags:
        total.update(bag)
    story = _weigh(total, idf)
    title = _weigh(_terms(headline), idf) if headline else {}
    base: list[float] = []
    for position, (sentence, vector) in enumerate(zip(sentences, vectors, strict=True)):
        score = lead_weight / (1.0 + position / LEAD_DECAY) + _cosine_to_rest(vector, story)
        score -= 1e-6 * position
        if title:
            score += HEADLINE_WEIGHT * _cosine(vector, title)
        if len(_WORD.findall(sentence)) < MIN_WORDS:
            score -= SHORT_PENALTY
        base.append(score)
    picked: list[int] = []
    while len(picked) < count:
        best, best_score = -1, -math.inf
        for index, score in enumerate(base):
            if index in picked:
                continue
            redundancy = max((_cosine(vectors[index], vectors[p]) for p in picked), default=0.0)
            if redundancy >= DUPLICATE_SIMILARITY:
                continue
            adjusted = score - REDUNDANCY_WEIGHT * redundancy
            if adjusted > best_score:
                best, best_score = index, adjusted
        if best < 0:
            break
        picked.append(best)
    return picked


def _terms(text: str) -> Counter[str]:
    words = (word.casefold() for word in _WORD.findall(text))
    return Counter(_stem(word) for word in words if word not in _STOP_WORDS and len(word) > 1)


def _stem(word: str) -> str:
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _inverse_document_frequency(bags: Sequence[Counter[str]]) -> dict[str, float]:
    frequency: Counter[str] = Counter()
    for bag in bags:
        frequency.update(bag.keys())
    total = len(bags)
    return {term: math.log((1 + total) / (1 + count)) + 1.0 for term, count in frequency.items()}


def _weigh(bag: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    return {term: count * idf.get(term, 1.0) for term, count in bag.items()}


def _cosine_to_rest(vector: dict[str, float], story: dict[str, float]) -> float:
    """Cosine of a sentence with the story minus that sentence (no credit for self-overlap)."""
    dot = sum(weight * story.get(term, 0.0) for term, weight in vector.items())
    own = sum(weight * weight for weight in vector.values())
    story_norm = sum(weight * weight for weight in story.values())
    rest_dot = dot - own
    rest_norm = story_norm - 2 * dot + own
    if rest_dot <= 0.0 or rest_norm <= 1e-12 or own == 0.0:
        return 0.0
    return rest_dot / math.sqrt(own * rest_norm)


def _cosine(left: dict[str, float], right: dict[str, float]) -> float:
    if not left or not right:
        return 0.0
    if len(left) > len(right):
        left, right = right, left
    dot = sum(weight * right.get(term, 0.0) for term, weight in left.items())
    if dot == 0.0:
        return 0.0
    norm = math.sqrt(sum(w * w for w in left.values())) * math.sqrt(
        sum(w * w for w in right.values())
    )
    return dot / norm


def _join_within(sentences: Sequence[str], max_chars: int) -> str:
    """``sentences`` joined, dropping trailing sentences that do not fit; cuts a lone one."""
    if not sentences:
        return ""
    kept = [sentences[0]]
    length = len(sentences[0])
    for sentence in sentences[1:]:
        if length + 1 + len(sentence) > max_chars:
            break
        kept.append(sentence)
        length += 1 + len(sentence)
    if len(kept) == 1 and len(kept[0]) > max_chars:
        return shorten_on_word(kept[0], max_chars)
    return " ".join(kept)


def shorten_on_word(text: str, max_chars: int) -> str:
    """``text`` cut at a word boundary so that it and a trailing "…" fit in ``max_chars``."""
    if len(text) <= max_chars:
        return text
    if max_chars <= len(ELLIPSIS):
        return ELLIPSIS[:max_chars]
    room = max_chars - len(ELLIPSIS)
    cut = text[: room + 1]
    space = cut.rfind(" ")
    head = cut[:space] if space > 0 else text[:room]
    return head.rstrip(" ,;:-–—") + ELLIPSIS
