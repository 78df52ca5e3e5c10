from __future__ import annotations

import pytest

from news.sentences import clean_article_text, split_sentences, strip_dateline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones at St. Paul's. They talked.",
            ["Mr. Smith met Dr. Jones at St. Paul's.", "They talked."],
        ),
        (
            "The U.S. economy grew. The U.K. and the U.S. Army agreed.",
            ["The U.S. economy grew.", "The U.K. and the U.S. Army agreed."],
        ),
        ("Exports to the U.S. The figures rose.", ["Exports to the U.S.", "The figures rose."]),
        ("J. K. Rowling wrote it. Fans cheered.", ["J. K. Rowling wrote it.", "Fans cheered."]),
        ("The No. 4 seed won. Mrs. Lee lost.", ["The No. 4 seed won.", "Mrs. Lee lost."]),
        ("It fell 3.5 per cent. Prices rose.", ["It fell 3.5 per cent.", "Prices rose."]),
        (
            "Talks ended on Jan. 5 in Geneva. Both sides left.",
            ["Talks ended on Jan. 5 in Geneva.", "Both sides left."],
        ),
        (
            "Shares of Apple Inc. rose. The company said so.",
            ["Shares of Apple Inc. rose.", "The company said so."],
        ),
        ("He works at Acme Corp. He is happy.", ["He works at Acme Corp.", "He is happy."]),
        ('He said "Go." Then he left.', ['He said "Go."', "Then he left."]),
        ("She said “Stop.” He stopped.", ["She said “Stop.”", "He stopped."]),
        ("He paused... Then he spoke.", ["He paused...", "Then he spoke."]),
        ("Wait… What happened? Nobody knows!", ["Wait…", "What happened?", "Nobody knows!"]),
        (
            "LONDON (Reuters) - Shares fell on Monday. Bonds rose.",
            ["LONDON (Reuters) - Shares fell on Monday.", "Bonds rose."],
        ),
        (
            "WASHINGTON — The Senate voted. It passed.",
            ["WASHINGTON — The Senate voted.", "It passed."],
        ),
        (
            "A heading\n\nFirst paragraph. Second sentence.",
            ["A heading", "First paragraph.", "Second sentence."],
        ),
        ("a line that is\nwrapped in the middle.", ["a line that is wrapped in the middle."]),
    ],
)
def test_split_sentences_handles_news_text(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_sentences_splits_text_scraped_without_spaces() -> None:
    text = (
        "Children tried new food at school.Half of parents agreed.The survey found 3.5% liked peas."
    )
    assert split_sentences(text) == [
        "Children tried new food at school.",
        "Half of parents agreed.",
        "The survey found 3.5% liked peas.",
    ]


def test_split_sentences_decides_which_side_a_glued_quote_belongs_to() -> None:
    text = 'He said: "It is a nightmare."School meals help.The report said so."Next one."'
    assert split_sentences(text) == [
        'He said: "It is a nightmare."',
        "School meals help.",
        "The report said so.",
        '"Next one."',
    ]


def test_split_sentences_keeps_domains_and_acronyms_glued() -> None:
    assert split_sentences("See bbc.co.uk for the U.S.A. story.") == [
        "See bbc.co.uk for the U.S.A. story."
    ]


def test_split_sentences_of_empty_and_blank_text() -> None:
    assert split_sentences("") == []
    assert split_sentences("  \n\n \t ") == []


def test_split_sentences_of_non_english_text() -> None:
    assert split_sentences("Привет мир. Как дела? Всё хорошо.") == [
        "Привет мир.",
        "Как дела?",
        "Всё хорошо.",
    ]
    assert split_sentences("Der Zug kam um 8.30 Uhr an. Alle stiegen aus.") == [
        "Der Zug kam um 8.30 Uhr an.",
        "Alle stiegen aus.",
    ]
    assert split_sentences("東京で地震が発生した。") == ["東京で地震が発生した。"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("LONDON (Reuters) - Shares fell.", "Shares fell."),
        ("WASHINGTON — The Senate voted.", "The Senate voted."),
        ("New Delhi, India (CNN)As the earth shook.", "As the earth shook."),
        ("(CNN)Sofia Vergara spoke.", "Sofia Vergara spoke."),
        ("UK and France send troops.", "UK and France send troops."),
        ("Barack Obama (pictured) said so.", "Barack Obama (pictured) said so."),
    ],
)
def test_strip_dateline(sentence: str, expected: str) -> None:
    assert strip_dateline(sentence) == expected


def test_clean_article_text_removes_share_bar_and_media_notice() -> None:
    text = (
        "Share this withEmailFacebookMessengerMessengerTwitterPinterestWhatsAppLinkedin"
        "Copy this link"
        "Researchers found that children ate more.Media playback is not supported on this device"
        "The survey was large."
    )
    cleaned = clean_article_text(text)
    assert "Share this" not in cleaned
    assert "Media playback" not in cleaned
    assert split_sentences(cleaned) == [
        "Researchers found that children ate more.",
        "The survey was large.",
    ]


def test_clean_article_text_removes_page_furniture_lines() -> None:
    text = "\n".join(
        [
            "Storm Hits Coast",
            "By Jane Doe, CNN",
            "Jane Doe",
            "Last updated at 10:32 GMT",
            "Published: 3 January 2025",
            "The storm hit the coast on Monday. (Photo: John Smith / Getty Images)",
            "Advertisement",
            "Image copyright Getty Images Image caption Waves hit the pier.",
            "Related: Earlier storms this winter",
            "Read more: How storms form",
            "Thousands lost power.",
            "Follow Jane Doe on Twitter",
        ]
    )
    cleaned = clean_article_text(text, byline="Jane Doe", headline="Storm hits coast")
    assert cleaned == "The storm hit the coast on Monday.\n\nThousands lost power."


def test_clean_article_text_removes_glued_read_more_link() -> None:
    text = (
        "Ms Rose denies the charge.Read more on this story and other news from Suffolk"
        "Jonathan Rees QC said it was serious."
    )
    cleaned = clean_article_text(text)
    assert "Read more" not in cleaned
    assert "Jonathan Rees QC said it was serious." in cleaned


def test_clean_article_text_keeps_ordinary_sentences() -> None:
    text = (
        "Related research showed the effect.\n\n"
        "Published in 1990, the book sold a million copies and was translated into forty languages."
    )
    assert clean_article_text(text) == text
