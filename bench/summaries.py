"""Summary benchmark: ROUGE-1/2/L F1 of our extractive summaries against Lead-N and sumy.

Scores every method on the same cleaned text (``clean_article_text``) against the human
reference, per source: CNN/DailyMail (multi-sentence highlights; 3-sentence summaries) and
XSum (one-sentence reference; 1-sentence summaries). sumy runs offline on our sentence
splitter and a word regex instead of its NLTK punkt tokenizer.

    python bench/summaries.py --data ../shared/data/summaries/dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from news.sentences import clean_article_text, split_sentences
from news.summaries import (
    CARD_SENTENCES,
    CARD_WORDS,
    ExtractiveSummarizer,
    _fit_words,
    summarize,
    summarize_lead,
)

SENTENCES_BY_SOURCE = {"cnndm": 3, "xsum": 1}
UNCAPPED = 1_000_000
_SUMY_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


class OfflineTokenizer:
    """A sumy tokenizer built on ``split_sentences`` and a word regex (no NLTK data)."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(_SUMY_WORD.findall(sentence))


def build_sumy_method(name: str) -> Callable[[str, int], str]:
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.luhn import LuhnSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    classes: dict[str, Any] = {
        "LexRank": LexRankSummarizer,
        "TextRank": TextRankSummarizer,
        "Luhn": LuhnSummarizer,
    }
    summarizer = classes[name](Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    tokenizer = OfflineTokenizer()

    def run(text: str, count: int) -> str:
        parser = PlaintextParser.from_string(clean_article_text(text), tokenizer)
        return " ".join(str(sentence) for sentence in summarizer(parser.document, count))

    return run


def _lead_within_words(text: str) -> str:
    sentences = split_sentences(clean_article_text(text))[:CARD_SENTENCES]
    kept = sentences[:1]
    for sentence in sentences[1:]:
        if len(" ".join([*kept, sentence]).split()) > CARD_WORDS:
            break
        kept.append(sentence)
    return " ".join(kept)


def build_methods(source: str) -> dict[str, Callable[[str, int], str]]:
    lead = f"Lead-{SENTENCES_BY_SOURCE[source]}"
    # XSum bodies lack their opening sentence (it became the reference): summarize(lede=False).
    lede = source != "xsum"
    methods: dict[str, Callable[[str, int], str]] = {
        f"ours (lede={lede}, max_chars=600)": lambda text, n: summarize(
            text, max_sentences=n, lede=lede
        ),
        f"ours (lede={lede}, uncapped)": lambda text, n: summarize(
            text, max_sentences=n, max_chars=UNCAPPED, lede=lede
        ),
        f"ours (lede={not lede}, max_chars=600)": lambda text, n: summarize(
            text, max_sentences=n, lede=not lede
        ),
        f"{lead} (uncapped)": lambda text, n: summarize_lead(text, sentences=n, max_chars=UNCAPPED),
        f"{lead} (max_chars=600)": lambda text, n: summarize_lead(text, sentences=n),
    }
    product = ExtractiveSummarizer()
    methods["card: ours, product default (ExtractiveSummarizer())"] = lambda text, n: (
        product.summarize(text)
    )
    methods["card: Lead-2 within the same word limit"] = lambda text, n: _fit_words(
        _lead_within_words(text), CARD_WORDS
    )
    for name in ("LexRank", "TextRank", "Luhn"):
        methods[f"sumy {name}"] = build_sumy_method(name)
    return methods


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="summaries dev.jsonl")
    parser.add_argument("--only", help="run only methods whose name contains this")
    arguments = parser.parse_args(argv)
    from rouge_score import rouge_scorer

    keys = ("rouge1", "rouge2", "rougeL", "rougeLsum")
    scorer = rouge_scorer.RougeScorer(list(keys), use_stemmer=True)
    rows = [json.loads(line) for line in arguments.data.read_text().splitlines() if line.strip()]
    by_source: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_source[row["source"]].append(row)
    for source in sorted(by_source):
        stories = by_source[source]
        count = SENTENCES_BY_SOURCE[source]
        print(f"\n{source}: {len(stories)} stories, {count}-sentence summaries")
        print(
            "| method | ROUGE-1 | ROUGE-2 | ROUGE-L | ROUGE-Lsum | mean chars | mean words "
            "| seconds |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, method in build_methods(source).items():
            if arguments.only and arguments.only not in name:
                continue
            started = time.perf_counter()
            totals = dict.fromkeys(keys, 0.0)
            chars = words = 0
            for story in stories:
                summary = method(story["article"], count)
                chars += len(summary)
                words += len(summary.split())
                scores = scorer.score(
                    "\n".join(split_sentences(story["reference"])),
                    "\n".join(split_sentences(summary)),
                )
                for key in keys:
                    totals[key] += scores[key].fmeasure
            seconds = time.perf_counter() - started
            cells = " | ".join(f"{100 * totals[key] / len(stories):.2f}" for key in keys)
            print(
                f"| {name} | {cells} | {chars / len(stories):.0f} "
                f"| {words / len(stories):.0f} | {seconds:.1f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
