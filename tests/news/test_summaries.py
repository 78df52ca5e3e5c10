from __future__ import annotations

from news.summaries import (
    ExtractiveSummarizer,
    Summarizer,
    shorten_on_word,
    summarize,
    summarize_lead,
)

STORY = (
    "LONDON (Reuters) - The Bank of England raised interest rates to 5 per cent on Thursday, "
    "its highest level in fifteen years, to fight inflation. "
    "The decision by the bank's rate setters was split. "
    "Mr. Bailey said inflation was still far too high for the bank. "
    "Shops in the U.S. reported strong sales. "
    "Mortgage rates are expected to rise after the bank's interest rate decision. "
    "Economists said the bank may raise interest rates again to curb inflation."
)


def test_summarize_lead_takes_first_sentences_without_dateline() -> None:
    assert summarize_lead(STORY, sentences=2) == (
        "The Bank of England raised interest rates to 5 per cent on Thursday, its highest level "
        "in fifteen years, to fight inflation. The decision by the bank's rate setters was split."
    )


def test_summarize_lead_drops_whole_sentences_that_do_not_fit() -> None:
    summary = summarize_lead(STORY, sentences=3, max_chars=150)
    assert summary.startswith("The Bank of England raised")
    assert summary.endswith("to fight inflation.")


def test_summarize_lead_cuts_a_long_first_sentence_on_a_word_boundary() -> None:
    summary = summarize_lead(STORY, sentences=3, max_chars=40)
    assert summary == "The Bank of England raised interest…"
    assert len(summary) <= 40


def test_shorten_on_word_never_cuts_inside_a_word() -> None:
    assert shorten_on_word("internationalisation everywhere", 10) == "internati…"
    assert shorten_on_word("short", 10) == "short"
    assert shorten_on_word("one two three four", 12) == "one two…"


def test_summarize_empty_and_blank_input() -> None:
    assert summarize("") == ""
    assert summarize("   \n\n  ") == ""
    assert summarize_lead("") == ""
    assert summarize(STORY, max_sentences=0) == ""


def test_summarize_one_sentence_story() -> None:
    assert summarize("WASHINGTON — The Senate passed the bill.") == "The Senate passed the bill."


def test_summarize_keeps_story_order_and_limits() -> None:
    summary = summarize(STORY, max_sentences=3, max_chars=600)
    sentences = [s for s in STORY.split(". ") if s]
    assert summary.startswith("The Bank of England raised interest rates")
    assert len(summary) <= 600
    positions = [STORY.index(part[:30]) for part in summary.split(". ") if part]
    assert positions == sorted(positions)
    assert len(sentences) > 3


def test_summarize_skips_near_duplicate_sentences() -> None:
    text = (
        "The council approved the new bridge over the river on Monday. "
        "The council approved the new bridge over the river on Monday evening. "
        "Construction of the bridge over the river will start in May and cost millions. "
        "Residents welcomed the river bridge plan at a council meeting."
    )
    summary = summarize(text, max_sentences=2)
    assert summary.count("The council approved the new bridge") == 1


def test_summarize_prefers_the_central_sentence_without_a_lede() -> None:
    text = (
        "It was a cold and quiet morning in the town. "
        "Firefighters fought a large fire at a chemical factory in the port, and the fire "
        "forced the evacuation of homes near the factory. "
        "The factory fire sent smoke over the port. "
        "A resident said the fire at the factory was frightening."
    )
    central = summarize(text, max_sentences=1, lede=False)
    assert central != "It was a cold and quiet morning in the town."
    assert "fire" in central
    assert (
        summarize(text, max_sentences=1, lede=True)
        == "It was a cold and quiet morning in the town."
    )


def test_summarize_uses_the_headline() -> None:
    text = (
        "Ministers met in Brussels on Tuesday for talks on several issues. "
        "Fishing quotas for the North Sea were cut by a fifth after long talks. "
        "Farm subsidies were also discussed at length by ministers. "
        "Energy prices were mentioned by several ministers at the talks."
    )
    summary = summarize(text, headline="North Sea fishing quotas cut", max_sentences=1, lede=False)
    assert summary.startswith("Fishing quotas")


def test_summarize_caps_work_on_huge_input() -> None:
    filler = " ".join(f"Filler sentence number {n} talks about weather today." for n in range(5000))
    text = "The mayor resigned after a corruption inquiry into city contracts. " + filler
    summary = summarize(text, max_sentences=2)
    assert summary.startswith("The mayor resigned")
    assert len(summary) <= 600


def test_summarize_non_english_text() -> None:
    text = (
        "Der Bundestag hat am Freitag das Gesetz beschlossen. Die Opposition stimmte dagegen. "
        "Das Gesetz tritt im Mai in Kraft."
    )
    summary = summarize(text, max_sentences=2)
    assert summary.startswith("Der Bundestag hat am Freitag das Gesetz beschlossen.")
    assert summarize("東京で地震が発生した。被害は小さい。") != ""


def test_summarize_strips_scraped_noise() -> None:
    text = (
        "Share this withEmailFacebookTwitterWhatsAppLinkedinCopy this link"
        "Drilling was suspended after a small earthquake near the site.It will now examine data."
    )
    assert summarize(text, max_sentences=1).startswith("Drilling was suspended")


def test_extractive_summarizer_is_a_summarizer() -> None:
    summarizer: Summarizer = ExtractiveSummarizer(max_sentences=1, max_chars=200)
    summary = summarizer.summarize(STORY, headline="Bank of England raises rates")
    assert summary.startswith("The Bank of England raised")
    assert len(summary) <= 200


CARD_STORY = " ".join(
    [
        "Share this with Email Facebook Messenger Twitter Pinterest WhatsApp LinkedIn.",
        "The harbour authority approved a plan on Monday to rebuild the north pier, which storms "
        "closed two years ago, at a cost of twelve million pounds over the next two years.",
        "Engineers said the new deck would stand a metre higher to keep clear of winter waves "
        "that have grown stronger as the sea has risen along the coast since the nineties.",
        "Fishermen who moor beside the pier welcomed the decision but asked for a temporary quay.",
        "Sign up for our newsletter to get the harbour news every morning.",
        "Work is due to start in the spring, the authority said in a statement on Monday.",
    ]
)


def test_the_default_summary_fits_a_card() -> None:
    from news.sentences import split_sentences
    from news.summaries import CARD_SENTENCES, CARD_WORDS, ExtractiveSummarizer

    summary = ExtractiveSummarizer().summarize(CARD_STORY, headline="North pier to be rebuilt")
    assert summary
    assert len(split_sentences(summary)) <= CARD_SENTENCES
    assert len(summary.split()) <= CARD_WORDS


def test_notices_are_never_summary_sentences() -> None:
    from news.summaries import ExtractiveSummarizer

    for summarizer in (ExtractiveSummarizer(), ExtractiveSummarizer(max_sentences=6)):
        summary = summarizer.summarize(CARD_STORY)
        assert "Share this" not in summary
        assert "newsletter" not in summary
