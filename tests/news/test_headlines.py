from __future__ import annotations

from pathlib import Path

import pytest

from news.headlines import derive_headline


def find_seed_copy() -> Path | None:
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "seed" / "wire-copy-sample.txt"
        if candidate.is_file():
            return candidate
    return None


SEED_FORMAT_COPY = (
    "Published: 06 January 2025\n"
    "The English Chronicle Desk\n"
    "The English Chronicle Online\n"
    "UK and France send troops to Ukraine under a proposed post-war security arrangement, "
    "with both governments agreeing in principle to deploy forces if a formal peace deal is "
    "reached to end Russia’s invasion. The announcement marks a significant escalation.\n"
    "Senior officials from both countries confirmed the talks.\n\n\n"
)


def test_seed_wire_copy_headline() -> None:
    """The shared seed file when this checkout sits beside it, else a copy of its format."""
    seed = find_seed_copy()
    copy = seed.read_text(encoding="utf-8") if seed else SEED_FORMAT_COPY
    assert derive_headline(copy) == (
        "UK and France send troops to Ukraine under proposed post-war security arrangement"
    )


def test_headline_from_parsed_seed_format_body() -> None:
    body = SEED_FORMAT_COPY.split("Online\n", 1)[1]
    assert derive_headline(body, max_chars=40) == "UK and France send troops to Ukraine"


@pytest.mark.parametrize(
    ("lede", "expected"),
    [
        (
            "LONDON (Reuters) - British inflation rose to 3.2 percent in March, the highest in "
            "a year, official figures showed on Wednesday.",
            "British inflation rose to 3.2 percent in March",
        ),
        (
            "WASHINGTON — The Senate passed a $1.2 trillion spending bill late on Friday, "
            "averting a government shutdown hours before the deadline, lawmakers said.",
            "Senate passed $1.2 trillion spending bill",
        ),
        (
            "The U.S. Federal Reserve held interest rates steady on Wednesday, officials said.",
            "U.S. Federal Reserve held interest rates steady",
        ),
        (
            "In a surprise move, the European Central Bank cut its main interest rate by half a "
            "point on Thursday.",
            "European Central Bank cut its main interest rate by half point",
        ),
        (
            "A magnitude 6.1 earthquake struck off the coast of northern Japan on Tuesday, "
            "according to the Japan Meteorological Agency.",
            "Magnitude 6.1 earthquake struck off coast of northern Japan",
        ),
        ("Short one.", "Short one"),
    ],
)
def test_derive_headline_from_tricky_ledes(lede: str, expected: str) -> None:
    assert derive_headline(lede) == expected


def test_derive_headline_respects_the_limit_on_a_word_boundary() -> None:
    lede = (
        "Shares in the country's largest supermarket chain jumped sharply in early trading "
        "yesterday morning following reports that private equity investors were preparing a "
        "takeover bid worth several billion pounds for the struggling retailer."
    )
    headline = derive_headline(lede, max_chars=60)
    assert 0 < len(headline) <= 60
    assert lede.replace("the ", "").startswith(headline) or headline in lede
    assert not headline.endswith((".", ",", " of", " the", " to"))
    assert headline.split()[-1] in lede.split()


def test_derive_headline_of_empty_and_non_english_text() -> None:
    assert derive_headline("") == ""
    assert derive_headline("\n\n  \n") == ""
    assert derive_headline(
        "Ein Zug ist in Bayern entgleist, mehrere Menschen wurden verletzt."
    ) == ("Ein Zug ist in Bayern entgleist")
    assert derive_headline("東京で地震が発生した。") == "東京で地震が発生した"
