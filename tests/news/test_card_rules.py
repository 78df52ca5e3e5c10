"""Card rules checked on built pages: each general rule against a page made to show it."""

from __future__ import annotations

from news.extraction import extract_article
from tests.news.test_metadata import STORY, URL, page


def test_a_byline_name_ends_where_the_site_name_begins() -> None:
    html = page(
        "<meta property='og:site_name' content='Quayside Today'>",
        top="<p class='byline'>Ana Ruiz Quayside Today Published 2:16 AM Mar 14, 2025</p>",
    )
    assert extract_article(html, url=URL).authors == ["Ana Ruiz"]


def test_a_bracketed_site_name_is_cut_and_any_other_bracketed_part_kept() -> None:
    cut = page(title="North pier to be rebuilt 【Harbour Times】", h1=None)
    assert extract_article(cut, url=URL).headline == "North pier to be rebuilt"
    kept = page(title="North pier to be rebuilt 【part 2】", h1=None)
    assert extract_article(kept, url=URL).headline == "North pier to be rebuilt 【part 2】"


def test_a_teaser_tagged_in_capitals_is_dropped_and_a_cited_source_kept() -> None:
    paragraphs = (
        *STORY[:2],
        "Storm hits the east coast [VIDEO]",
        "Fishing fleet ties up early [Reuters]",
        *STORY[2:],
    )
    body = extract_article(page(paragraphs=paragraphs), url=URL).body
    assert "[VIDEO]" not in body
    assert "Fishing fleet ties up early [Reuters]" in body
