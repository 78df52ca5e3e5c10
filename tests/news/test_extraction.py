from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from news.articles import ArticleDraft
from news.errors import NotAnArticle, UnsupportedUrl
from news.extraction import extract_article

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
PAGE_URL = "https://www.midlandledger.co.uk/transport/2025/03/tram-extension-approved"

STORY_PARAGRAPHS = (
    "The harbour board has agreed to rebuild the collapsed north pier at a cost of £18 million, "
    "ending two years of uncertainty for the fishing fleet that depends on it.",
    "Engineers found that storms had undermined the foundations of the Victorian structure, and "
    "a section fifty metres long fell into the sea during a high tide in the autumn.",
    "Skippers have since been landing their catch at a neighbouring port, adding hours to each "
    "trip and, they say, thousands of pounds to their fuel bills every month.",
    "The board chair said work would start in the summer and take about eighteen months, with "
    "a temporary pontoon in place so that smaller boats can land in the meantime.",
)


def build_page(head: str = "", *, paragraphs: tuple[str, ...] = STORY_PARAGRAPHS) -> str:
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>North pier to be rebuilt</title>{head}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a> <a href='/sport'>Sport</a></nav>"
        f"<article><h1>North pier to be rebuilt</h1>{body}</article>"
        "<footer><a href='/privacy'>Privacy</a> <a href='/terms'>Terms</a></footer>"
        "</body></html>"
    )


def read_page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def noisy_article() -> ArticleDraft:
    return extract_article(
        read_page("article_with_noise.html"), url=PAGE_URL + "?fbclid=abc&utm_source=x#comments"
    )


def test_body_is_the_story_without_page_furniture(noisy_article: ArticleDraft) -> None:
    paragraphs = noisy_article.body.split("\n\n")
    assert paragraphs[0].startswith("Councillors have approved a £310 million extension")
    assert paragraphs[-1].startswith("Construction is expected to begin next year")
    assert len(paragraphs) == 5
    for noise in (
        "cookies",
        "Most read",
        "Rovers sign striker",
        "white elephant",
        "Privacy policy",
        "All rights reserved",
        "newsletter",
    ):
        assert noise not in noisy_article.body


def test_metadata_of_a_real_looking_article(noisy_article: ArticleDraft) -> None:
    assert noisy_article.headline == "Tram extension approved after decade of delays"
    assert noisy_article.byline == "Hannah Okafor"
    assert noisy_article.outlet == "The Midland Ledger"
    assert noisy_article.standfirst == (
        "Councillors back the £310m line to the airport, with services due to start in 2028."
    )
    assert noisy_article.language == "en"
    assert noisy_article.section == "Transport"
    assert noisy_article.tags == ["Transport", "trams", "airport"]
    assert noisy_article.published_at == datetime(2025, 3, 14, 8, 30, tzinfo=UTC)
    assert noisy_article.image_url == "https://www.midlandledger.co.uk/images/tram-depot.jpg"


def test_page_url_is_normalised(noisy_article: ArticleDraft) -> None:
    assert noisy_article.url == PAGE_URL


def test_relative_canonical_wins_over_og_url(noisy_article: ArticleDraft) -> None:
    assert noisy_article.canonical_url == PAGE_URL


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        pytest.param(
            "<link rel='canonical' href='https://www.harbourtimes.co.uk/news/pier'>"
            "<meta property='og:url' content='https://www.harbourtimes.co.uk/news/og'>",
            "https://www.harbourtimes.co.uk/news/pier",
            id="canonical-before-og-url",
        ),
        pytest.param(
            "<meta property='og:url' content='https://www.harbourtimes.co.uk/news/og?utm_medium=x'>",
            "https://www.harbourtimes.co.uk/news/og",
            id="og-url-only",
        ),
        pytest.param("", None, id="none"),
        pytest.param(
            "<link rel='canonical' href='../pier-rebuilt'>",
            "https://www.harbourtimes.co.uk/news/pier-rebuilt",
            id="relative",
        ),
        pytest.param(
            "<link rel='Canonical' href='HTTPS://AMP.HarbourTimes.co.uk:443/news/pier#top'>",
            "https://amp.harbourtimes.co.uk/news/pier",
            id="other-subdomain-same-site",
        ),
        pytest.param(
            "<link rel='canonical' href='https://www.othersite.com/news/pier'>",
            None,
            id="other-site-ignored",
        ),
        pytest.param(
            "<link rel='canonical' href='https://www.othersite.com/news/pier'>"
            "<meta property='og:url' content='/news/pier-og'>",
            "https://www.harbourtimes.co.uk/news/pier-og",
            id="other-site-falls-back-to-og-url",
        ),
        pytest.param(
            "<link rel='canonical' href='https://www.harbourtimes.co.uk/'>", None, id="home-page"
        ),
        pytest.param("<link rel='canonical' href='javascript:void(0)'>", None, id="not-http"),
        pytest.param("<link rel='canonical' href=''>", None, id="empty"),
    ],
)
def test_canonical_url(head: str, expected: str | None) -> None:
    draft = extract_article(
        build_page(head), url="https://www.harbourtimes.co.uk/news/story/pier?id=4"
    )
    assert draft.canonical_url == expected


def test_outlet_falls_back_to_the_host_name() -> None:
    draft = extract_article(build_page(), url="https://www.harbourtimes.co.uk/news/pier")
    assert draft.outlet == "harbourtimes.co.uk"
    assert draft.byline is None
    assert draft.published_at is None


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            "<meta property='article:published_time' content='2025-01-06T10:00:00-05:00'>",
            datetime(2025, 1, 6, 15, 0, tzinfo=UTC),
        ),
        (
            "<script type='application/ld+json'>"
            '{"@graph": [{"@type": "NewsArticle", "datePublished": "2024-11-02T08:15:00Z"}]}'
            "</script>",
            datetime(2024, 11, 2, 8, 15, tzinfo=UTC),
        ),
        (
            "<meta name='pubdate' content='Mon, 06 Jan 2025 10:00:00 GMT'>",
            datetime(2025, 1, 6, 10, 0, tzinfo=UTC),
        ),
        (
            "<meta name='date' content='2025-01-06'>"
            "<meta property='article:published_time' content='2025-01-06T23:30:00+01:00'>",
            datetime(2025, 1, 6, 22, 30, tzinfo=UTC),
        ),
    ],
)
def test_published_at_is_utc(head: str, expected: datetime) -> None:
    draft = extract_article(build_page(head), url="https://www.harbourtimes.co.uk/news/pier")
    assert draft.published_at == expected
    assert draft.published_at is not None
    assert draft.published_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("<meta property='og:site_name' content='Harbour Times'>", "North pier to be rebuilt"),
        (
            "<meta property='og:site_name' content='Harbour Times'>"
            "<meta property='og:title' content='North pier to be rebuilt | Harbour Times'>",
            "North pier to be rebuilt",
        ),
        (
            "<meta property='og:site_name' content='Harbour Times'>"
            "<meta property='og:title' content='Pier - a history | Opinion'>",
            "North pier to be rebuilt",  # the displayed headline, which <title> confirms
        ),
    ],
)
def test_headline_drops_the_site_name_suffix(head: str, expected: str) -> None:
    draft = extract_article(build_page(head), url="https://www.harbourtimes.co.uk/news/pier")
    assert draft.headline == expected


def test_title_parts_that_do_not_name_the_site_are_kept() -> None:
    page = build_page("<meta property='og:site_name' content='Harbour Times'>").replace(
        "<title>North pier to be rebuilt</title>", "<title>Pier - a history | Opinion</title>"
    )
    page = page.replace("<h1>North pier to be rebuilt</h1>", "")
    draft = extract_article(page, url="https://www.harbourtimes.co.uk/news/pier")
    assert draft.headline == "Pier - a history | Opinion"


@pytest.mark.parametrize(
    ("html_tag", "expected"),
    [("<html lang='fr-FR'>", "fr"), ("<html lang='PT_br'>", "pt"), ("<html>", None)],
)
def test_language_primary_subtag(html_tag: str, expected: str | None) -> None:
    html = build_page().replace("<html lang='en'>", html_tag)
    draft = extract_article(html, url="https://www.harbourtimes.co.uk/news/pier")
    assert draft.language == expected


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(read_page("no_article.html"), id="home-page"),
        pytest.param("", id="empty"),
        pytest.param("   \n ", id="whitespace"),
        pytest.param("<html><body></body></html>", id="empty-body"),
        pytest.param(build_page(paragraphs=("Too short to be a story.",)), id="one-sentence"),
        pytest.param(build_page(paragraphs=("word " * 25,)), id="under-thirty-words"),
        pytest.param("\x00\x01\x02 binary junk \xff\xfe", id="junk"),
        pytest.param("just some plain text, no markup at all", id="plain-text"),
    ],
)
def test_pages_without_article_text(html: str) -> None:
    with pytest.raises(NotAnArticle) as caught:
        extract_article(html, url="https://www.harbourtimes.co.uk/")
    assert caught.value.reason == "not an article: no article text found"


def test_bad_page_url_is_unsupported() -> None:
    with pytest.raises(UnsupportedUrl):
        extract_article(build_page(), url="ftp://example.com/story")


def test_extraction_works_outside_the_main_thread() -> None:
    results: list[ArticleDraft | BaseException] = []

    def run() -> None:
        try:
            results.append(extract_article(build_page(), url="https://www.harbourtimes.co.uk/a"))
        except BaseException as error:  # collected for the assertion below
            results.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert len(results) == 1
    assert isinstance(results[0], ArticleDraft)
    assert results[0].body.startswith("The harbour board has agreed")


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<script>", "<a href='x'>", "text "])
        | st.text(max_size=40),
        max_size=60,
    )
)
def test_arbitrary_markup_only_raises_not_an_article(pieces: list[str]) -> None:
    html = "".join(pieces)
    try:
        draft = extract_article(html, url="https://www.harbourtimes.co.uk/a")
    except NotAnArticle as error:
        reason = error.reason
    else:
        reason = "extracted"
        assert len(draft.body) >= 200
    assert reason


def test_body_does_not_repeat_the_headline() -> None:
    draft = extract_article(build_page(), url="https://www.harbourtimes.co.uk/news/pier")
    assert draft.headline == "North pier to be rebuilt"
    assert draft.body.split("\n\n")[0] == STORY_PARAGRAPHS[0]
    assert draft.body.split("\n\n") == list(STORY_PARAGRAPHS)
