"""Bounds before extraction: link lists pruned from huge pages, pages still huge refused, markup
too long refused before parsing; real-sized pages pass untouched."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from news.errors import NotAnArticle
from news.extraction import extract_article
from news.page_bounds import MAX_ELEMENTS, MAX_MARKUP_CHARS, bound_markup, bound_tree

STORY = "".join(
    f"<p>The harbour authority said on Tuesday that strike number {n} would continue into the"
    " weekend, leaving cranes idle and a dozen ships at anchor outside the breakwater.</p>"
    for n in range(6)
)


def page(furniture: str) -> str:
    return (
        "<html><head><title>Harbour strike goes on</title></head><body>"
        f"<article><h1>Harbour strike goes on</h1>{STORY}</article>{furniture}</body></html>"
    )


def flat_links(count: int) -> str:
    return "<div>" + "".join(f'<a href="/l/{i}">link {i}</a> ' for i in range(count)) + "</div>"


def listed_links(count: int) -> str:
    items = "".join(f'<li><a href="/l/{i}">link {i}</a></li>' for i in range(count))
    return f"<nav><ul>{items}</ul></nav>"


@pytest.mark.parametrize(
    "furniture", [flat_links(100_000), listed_links(100_000)], ids=["flat", "list"]
)
def test_a_page_with_100000_links_keeps_its_story(furniture: str) -> None:
    html = page(furniture)
    assert len(html) > 3_000_000

    draft = extract_article(html, url="https://news.example.com/strike")

    assert draft.headline == "Harbour strike goes on"
    assert draft.body.count("The harbour authority said") == 6
    assert "link 5" not in draft.body


def test_a_page_still_too_large_after_pruning_is_refused_in_one_line() -> None:
    paragraphs = "".join(
        f'<p>Paragraph {i} <a href="/{i}">with a link</a> in it.</p>' for i in range(20_000)
    )

    with pytest.raises(NotAnArticle) as refused:
        extract_article(page(paragraphs), url="https://news.example.com/strike")

    assert str(refused.value) == (
        f"not an article: the page has 40,012 elements, more than the {MAX_ELEMENTS:,} read"
    )


def test_markup_too_long_is_refused_before_parsing() -> None:
    with pytest.raises(NotAnArticle, match="characters of markup, more than the 10,000,000 read"):
        bound_markup(" " * (MAX_MARKUP_CHARS + 1))
    assert bound_markup("<p>ok</p>") == "<p>ok</p>"


def test_pages_of_real_size_are_left_alone() -> None:
    html = page(listed_links(3_000) + "".join(f"<p>line {i}</p>" for i in range(3_000)))
    tree = lxml_html.fromstring(html)
    before = len(list(tree.iter()))

    kept = bound_tree(tree)

    assert kept is tree
    assert len(list(kept.iter())) == before


def test_text_after_a_pruned_link_list_is_kept() -> None:
    html = page(f"<div>{flat_links(12_000)}After the list.</div>")
    tree = lxml_html.fromstring(html)

    bounded = bound_tree(tree)

    assert bounded is not None
    assert "After the list." in bounded.text_content()
    assert "link 7" not in bounded.text_content()
