"""Metadata reconciliation: headline, people in the byline, zoned dates, on built pages."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import lxml.html
import pytest

from news.errors import NotAnArticle
from news.extraction import (
    _linked_headlines,
    _without_closing_links,
    extract_article,
    reject_story_text,
)
from news.metadata import format_byline, parse_visible_date, rederive_card_fields, split_byline

URL = "https://www.harbourtimes.co.uk/news/2025/03/14/pier-rebuilt"
STORY = (
    "The council voted on Thursday to rebuild the north pier, which storms closed two years ago.",
    "Engineers said the new deck would stand a metre higher to keep clear of winter waves.",
    "Work is due to start in the spring and take eighteen months, at a cost of £12 million.",
    "Fishermen who moor beside the pier welcomed the decision but asked for a temporary quay.",
)


def page(
    head: str = "",
    *,
    top: str = "",
    h1: str | None = "North pier to be rebuilt",
    title: str = "North pier to be rebuilt | Harbour Times",
    paragraphs: tuple[str, ...] = STORY,
) -> str:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    heading = f"<h1>{h1}</h1>" if h1 is not None else ""
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"{head}</head><body><nav><a href='/'>Home</a></nav><article>{heading}{top}{body}"
        "</article><footer>© Harbour Times</footer></body></html>"
    )


def json_ld(data: object) -> str:
    return f"<script type='application/ld+json'>{json.dumps(data)}</script>"


# --- headline -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "h1", "expected"),
    [
        # the site name is cut by matching the host, not only an exact og:site_name
        (
            "Pier to be rebuilt, council says | Harbour Times News",
            None,
            "Pier to be rebuilt, council says",
        ),
        (
            "Harbour Times - Pier to be rebuilt, council says",
            None,
            "Pier to be rebuilt, council says",
        ),
        # the page's own capitalisation, from the displayed headline the title confirms
        (
            "NORTH PIER TO BE REBUILT - Harbour Times",
            "North Pier to Be Rebuilt",
            "North Pier to Be Rebuilt",
        ),
        # a reworded metadata title: the displayed headline wins when it shares most words
        (
            "Council to rebuild north pier | Harbour Times",
            "Council votes to rebuild the storm-hit north pier",
            "Council votes to rebuild the storm-hit north pier",
        ),
    ],
)
def test_headline_is_what_the_page_displays_without_the_site_name(
    title: str, h1: str | None, expected: str
) -> None:
    draft = extract_article(page(title=title, h1=h1), url=URL)
    assert draft.headline == expected


def test_page_chrome_in_an_h1_is_not_the_headline() -> None:
    html = page(
        "<meta property='og:title' content='North pier to be rebuilt'>",
        h1="Get Harbour Times in your inbox.",
    ).replace("<article>", "<article><h1>North pier to be rebuilt</h1>")
    assert extract_article(html, url=URL).headline == "North pier to be rebuilt"


OTHER_URL = "https://www.example.net/2025/03/14/pier-rebuilt"


def test_a_section_heading_is_not_the_headline() -> None:
    # "Local" is a part of the title, but not its main part: a section, not the headline.
    html = page(
        "<meta property='og:title' content='North pier to be rebuilt after storms'>",
        title="North pier to be rebuilt after storms | Local | Harbour Times",
        h1="Local",
    ).replace("<article>", "<article><h2>North pier to be rebuilt after storms</h2>")
    assert extract_article(html, url=URL).headline == "North pier to be rebuilt after storms"


def test_of_two_headings_near_the_metadata_title_the_closer_is_the_headline() -> None:
    html = page(
        "<meta property='og:title' content='Storm-hit north pier to be rebuilt by 2027'>",
        title="Storm-hit north pier to be rebuilt by 2027",
        h1="Storm-hit north pier will be rebuilt by 2027",
    ).replace("<nav>", "<nav><h1>North pier news</h1>")
    assert extract_article(html, url=URL).headline == "Storm-hit north pier will be rebuilt by 2027"


def test_an_h1_naming_the_site_is_not_confirmed_by_the_title() -> None:
    html = page(
        "<meta property='og:site_name' content='Harbour Times'>",
        title="Pier rebuilt — New deck a metre higher — Harbour Times",
        h1="A higher deck for the rebuilt pier",
    ).replace("<nav>", "<nav><h1>Harbour Times</h1>")
    assert extract_article(html, url=URL).headline == "A higher deck for the rebuilt pier"


@pytest.mark.parametrize(
    "chrome",
    [
        "<footer><p>© 2025 Quayside Weekly. All rights reserved.</p></footer>",
        "<header><img class='brand' src='/q.png' alt='Quayside Weekly logo'></header>",
        "<meta name='twitter:site' content='@QuaysideWeekly'>",
        "<meta name='copyright' content='Quayside Weekly Ltd'>",
    ],
)
def test_a_title_part_named_by_the_pages_own_chrome_is_the_site(chrome: str) -> None:
    # Neither the host nor any metadata knows "Quayside Weekly"; the page's footer or logo does.
    html = page(title="Pier rebuilt at last – Quayside Weekly", h1=None).replace(
        "</body>", f"{chrome}</body>"
    )
    assert extract_article(html, url=OTHER_URL).headline == "Pier rebuilt at last"


def test_a_blog_title_that_only_names_the_site_gives_way_to_the_titled_heading() -> None:
    html = page(
        "<meta property='og:site_name' content='Tide Notes'>", title="Tide Notes", h1=None
    ).replace("<article>", "<article><h2 class='entry-title'>Walking the new pier</h2>")
    assert extract_article(html, url=OTHER_URL).headline == "Walking the new pier"


def test_no_headline_metadata_gives_a_headline_from_the_text() -> None:
    draft = extract_article(page(title="", h1=None), url=URL)
    assert draft.headline
    assert "council" in draft.headline.lower()


# --- bylines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "people", "orgs"),
    [
        ("By Ana Ruiz and Tom Lee, Reuters", ["Ana Ruiz", "Tom Lee"], ["Reuters"]),
        ("By SHAUN REEVELL December 3, 2019", ["SHAUN REEVELL"], []),
        ("Oli Coleman View author archive Get author RSS feed", ["Oli Coleman"], []),
        ("Laura June Topolsky", ["Laura June Topolsky"], []),
        ("Bruce Y. Lee", ["Bruce Y. Lee"], []),
        ("Texto: María José García y Pedro Gómez", ["María José García", "Pedro Gómez"], []),
        ("ABC News", [], ["ABC News"]),
        ("January", [], []),
        ("Dec 4", [], []),
        # a co-author in parentheses, with or without a connecting word
        ("By Ana Ruiz (Tom Lee)", ["Ana Ruiz", "Tom Lee"], []),
        ("By Ana Ruiz (with Tom Lee)", ["Ana Ruiz", "Tom Lee"], []),
        ("By Ana Ruiz (Tom Lee contributed reporting)", ["Ana Ruiz", "Tom Lee"], []),
        ("Par Ana Ruiz (avec Tom Lee", ["Ana Ruiz", "Tom Lee"], []),
        ("Ana Ruiz (https://example.net/ana", ["Ana Ruiz"], []),
        ("Von Ana Ruiz mit Tom Lee", ["Ana Ruiz", "Tom Lee"], []),
        # one word in parentheses is a nickname inside a name, a handle at its end
        ("Richard (R.J.) Eskow", ["Richard (R.J.) Eskow"], []),
        ("Ana Ruiz (anaruiz)", ["Ana Ruiz"], []),
        # after a full stop the byline credits its outlet, known words or not
        ("By Ana Ruiz. Quayside Weekly", ["Ana Ruiz"], ["Quayside Weekly"]),
        ("By Ana Ruiz. Reuters", ["Ana Ruiz"], ["Reuters"]),
        ("Martin Luther King Jr. and Tom Lee", ["Martin Luther King Jr", "Tom Lee"], []),
        # a role is never a name, before or after one
        ("Staff Writer", [], []),
        ("Contributing Editor", [], []),
        ("Columnist", [], []),
        ("By Ana Ruiz, Senior Correspondent", ["Ana Ruiz"], []),
        ("By Ana Ruiz Political Correspondent", ["Ana Ruiz"], []),
        ("Senior Editor Ana Ruiz", ["Ana Ruiz"], []),
        ("Ana Ruiz, Editor-in-Chief", ["Ana Ruiz"], []),
        ("CNN Editor-at-large", [], ["CNN"]),
        ("Jean-Luc Picard", ["Jean-Luc Picard"], []),
        ("Science X staff", [], ["Science X staff"]),
    ],
)
def test_split_byline(text: str, people: list[str], orgs: list[str]) -> None:
    assert split_byline(text) == (people, orgs)


def test_split_byline_in_page_text_is_stricter_than_in_metadata() -> None:
    # Page text: a lower-case word ends a name, a credit phrase ("Edited by") ends the names.
    text = "Written by Rob Ewaschuk Edited by Betsy Beyer"
    assert split_byline(text, strict=True) == (["Rob Ewaschuk"], [])
    # Metadata: a lower-case word says this is no name at all.
    assert split_byline("Written by Rob Ewaschuk Edited by Betsy Beyer") == ([], [])
    assert split_byline("Organization for Transformative Works") == ([], [])


def test_a_role_in_the_meta_author_gives_way_to_the_byline_on_the_page() -> None:
    html = page(
        "<meta name='author' content='Staff Writer'>",
        top="<p class='byline'>By Ana Ruiz</p>",
    )
    draft = extract_article(html, url=URL)
    assert draft.authors == ["Ana Ruiz"]


def test_byline_is_shown_as_a_list_of_people() -> None:
    assert format_byline([]) is None
    assert format_byline(["Ana Ruiz"]) == "Ana Ruiz"
    assert format_byline(["Ana Ruiz", "Tom Lee"]) == "Ana Ruiz and Tom Lee"
    assert format_byline(["A B", "C D", "E F"]) == "A B, C D and E F"


def test_json_ld_people_are_authors_and_an_organisation_is_the_credit() -> None:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "North pier to be rebuilt",
        "author": [
            {"@type": "Person", "name": "Ana Ruiz"},
            {"@type": "Person", "name": "Tom Lee"},
        ],
    }
    draft = extract_article(page(json_ld(data)), url=URL)
    assert draft.authors == ["Ana Ruiz", "Tom Lee"]
    assert draft.byline == "Ana Ruiz and Tom Lee"
    assert draft.credit is None


def test_reporters_named_on_the_page_beat_an_outlet_in_json_ld() -> None:
    data = {"@type": "NewsArticle", "author": {"@type": "Organization", "name": "ABC News"}}
    top = "<div class='byline'>By <a href='/a'>Ana Ruiz</a> and <a href='/t'>Tom Lee</a></div>"
    draft = extract_article(page(json_ld(data), top=top), url=URL)
    assert draft.authors == ["Ana Ruiz", "Tom Lee"]


def test_an_agency_credit_is_kept_apart() -> None:
    draft = extract_article(page("<meta name='author' content='Reuters'>"), url=URL)
    assert draft.authors == []
    assert draft.byline is None
    assert draft.credit == "Reuters"


@pytest.mark.parametrize(
    "markup",
    [
        "<a rel='author' href='/people/ana'>Ana Ruiz</a>",
        "<span itemprop='author' itemscope><span itemprop='name'>Ana Ruiz</span></span>",
        "<p class='article-byline'>By Ana Ruiz | 14 March 2025, 10:00</p>",
    ],
)
def test_authors_are_found_in_byline_markup(markup: str) -> None:
    draft = extract_article(page(top=markup), url=URL)
    assert draft.authors == ["Ana Ruiz"]


# --- dates --------------------------------------------------------------------------------


def test_a_local_time_keeps_its_offset_and_is_stored_in_utc() -> None:
    head = "<meta property='article:published_time' content='2025-03-14T00:30:00+09:00'>"
    draft = extract_article(page(head), url=URL)
    assert draft.published_at == datetime(2025, 3, 13, 15, 30, tzinfo=UTC)
    assert draft.published_at is not None
    assert draft.published_at.tzinfo is UTC


def test_a_zoned_time_refines_a_bare_date_on_the_same_day() -> None:
    head = (
        "<meta name='date' content='2025-03-14'>"
        "<meta property='article:modified_time' content='2025-03-15T08:00:00Z'>"
        + json_ld({"@type": "NewsArticle", "datePublished": "2025-03-14T09:30:00-05:00"})
    )
    draft = extract_article(page(head), url=URL)
    assert draft.published_at == datetime(2025, 3, 14, 14, 30, tzinfo=UTC)
    assert draft.modified_at == datetime(2025, 3, 15, 8, 0, tzinfo=UTC)


def test_a_visible_date_is_read_when_there_is_no_markup() -> None:
    top = "<div class='article-date'>Published 7:07 PM EST Nov 19, 2019</div>"
    draft = extract_article(page(top=top), url="https://www.harbourtimes.co.uk/news/pier")
    assert draft.published_at == datetime(2019, 11, 20, 0, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nov. 19, 2019 at 7:07 p.m. ET", datetime(2019, 11, 20, 0, 7, tzinfo=UTC)),
        ("July 4, 2019 at 9:00 a.m. PT", datetime(2019, 7, 4, 16, 0, tzinfo=UTC)),
        ("2016年10月14日07:17", datetime(2016, 10, 14, 7, 17, tzinfo=UTC)),
        ("REUTERS 19 NOV 2019", datetime(2019, 11, 19, 12, 0, tzinfo=UTC)),
    ],
)
def test_parse_visible_date(text: str, expected: datetime) -> None:
    moment = parse_visible_date(text)
    assert moment is not None
    assert moment.at == expected


def test_a_bare_date_is_noon_utc_so_it_stays_the_same_day_in_any_newsroom_zone() -> None:
    draft = extract_article(page("<meta name='date' content='2025-03-14'>"), url=URL)
    assert draft.published_at == datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def test_an_absurd_date_is_dropped_with_a_logged_reason(caplog: pytest.LogCaptureFixture) -> None:
    data = {"@type": "NewsArticle", "datePublished": "0001-01-01T00:00:00Z"}
    with caplog.at_level(logging.INFO, logger="news.metadata"):
        draft = extract_article(page(json_ld(data)), url="https://www.harbourtimes.co.uk/pier")
    assert draft.published_at is None
    assert "not a plausible publication time" in caplog.text


def test_the_url_date_is_used_when_the_page_says_nothing() -> None:
    draft = extract_article(page(), url=URL)
    assert draft.published_at == datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
    # Section names may stand between the year and the month.
    for address in (
        "https://www.harbourtimes.co.uk/2025/local_news/3/14/pier/index.html",
        "https://www.harbourtimes.co.uk/2025/NEWS/harbour/03/14/pier/index.html",
    ):
        draft = extract_article(page(), url=address)
        assert draft.published_at == datetime(2025, 3, 14, 12, 0, tzinfo=UTC), address
    # A page number or a count after the year is no month.
    paged = extract_article(page(), url="https://www.harbourtimes.co.uk/2025/page/3")
    assert paged.published_at is None


# --- story text ---------------------------------------------------------------------------

REPRINT = (
    "This copy is for your personal, non-commercial use only. Distribution and use of this "
    "material are governed by our Subscriber Agreement and by copyright law. For "
    "non-personal use or to order multiple copies, please contact Dow Jones Reprints."
)


def test_boilerplate_alone_is_not_story_text() -> None:
    assert reject_story_text(REPRINT) is not None
    assert reject_story_text("\n\n".join(STORY)) is None


def test_a_reprint_notice_falls_back_to_the_json_ld_article_body() -> None:
    article_body = " ".join(STORY * 2)
    data = {
        "@type": "NewsArticle",
        "headline": "North pier to be rebuilt",
        "articleBody": article_body,
    }
    html = page(json_ld(data), paragraphs=(REPRINT,))
    draft = extract_article(html, url=URL)
    assert "personal, non-commercial" not in draft.body
    assert draft.body.startswith("The council voted on Thursday")
    assert draft.text_extracted


def test_an_article_split_over_sibling_containers_is_joined() -> None:
    first = "".join(f"<p>{p}</p>" for p in STORY)
    second = "".join(f"<p>{p.replace('pier', 'jetty')}</p>" for p in STORY * 2)
    html = (
        "<html><head><title>North pier to be rebuilt</title></head><body><main>"
        "<h1>North pier to be rebuilt</h1>"
        f"<div class='article-body'>{first}</div>"
        "<aside><p>Sign up for our newsletter today and never miss a story again, ever.</p></aside>"
        f"<div class='article-body'>{second}</div></main></body></html>"
    )
    draft = extract_article(html, url=URL)
    assert "stand a metre higher" in draft.body
    assert draft.body.count("jetty") >= 4


def test_a_page_whose_text_cannot_be_extracted_still_gives_its_metadata() -> None:
    head = (
        "<meta property='og:type' content='article'>"
        "<meta property='og:title' content='North pier to be rebuilt'>"
        "<meta name='author' content='Ana Ruiz'>"
    )
    draft = extract_article(page(head, paragraphs=(REPRINT,)), url=URL)
    assert not draft.text_extracted
    assert draft.body == ""
    assert draft.headline == "North pier to be rebuilt"
    assert draft.authors == ["Ana Ruiz"]


def test_a_page_with_neither_text_nor_article_metadata_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle):
        extract_article(
            page(paragraphs=(REPRINT,), h1=None, title="Home"),
            url="https://www.harbourtimes.co.uk/",
        )


def test_share_prompts_and_teasers_are_not_story_text() -> None:
    paragraphs = (
        *STORY[:2],
        "Also on Harbour Times: Ferry fares to rise",
        "Like this story? Share it",
        *STORY[2:],
    )
    draft = extract_article(page(paragraphs=paragraphs), url=URL)
    assert "Also on" not in draft.body
    assert "Share it" not in draft.body


def test_a_closing_list_of_links_to_other_stories_is_not_story_text() -> None:
    # trafilatura keeps such a list on some real pages (a "You may also be interested in"
    # row of linked headings inside the article); the rule is tested on its text
    titles = ("Harbour week | Ferry fares to rise in the spring", "Lifeboat crew honoured")
    links = "".join(f"<a href='/s{n}'><h3>{title}</h3></a>" for n, title in enumerate(titles))
    tree = lxml.html.fromstring(page(top=links))
    headlines = _linked_headlines(tree)
    assert headlines == {titles[0]}  # a link of three words or fewer is no headline
    more = "Harbour week | Dredging of the channel delayed again"
    headlines.add(more)
    body = "\n\n".join((*STORY, titles[0], more))
    assert _without_closing_links(body, headlines) == "\n\n".join(STORY)
    # one closing link is the story's own last line, and a story is never cut to nothing
    assert _without_closing_links("\n\n".join((*STORY, more)), headlines).endswith(more)
    assert _without_closing_links("\n\n".join(STORY), set(STORY)) == "\n\n".join(STORY)


def test_a_hover_card_inside_a_paragraph_is_not_story_text() -> None:
    card = (
        "<span class='pop'><img src='/ruiz.jpg' alt=''><a href='/people/ruiz'>Ana Ruiz</a>"
        "<a href='/a1'>Ferry fares to rise in the spring</a> <a href='/a2'>Harbour dredging"
        " delayed again</a> <a href='/a3'>Lifeboat crew honoured</a></span>"
    )
    first = (
        "Councillor <span><a href='/people/ruiz'>Ana Ruiz</a>" + card + "</span> said the vote "
        "on Thursday to rebuild the north pier, which storms closed two years ago, was overdue."
    )
    listing = "See <span><a href='/b1'>one</a>, <a href='/b2'>two</a> and <a href='/b3'>three"
    listing += "</a> earlier stories about the pier and its long history</span> in our archive."
    draft = extract_article(page(paragraphs=(first, *STORY[1:], listing)), url=URL)
    assert "Ferry fares" not in draft.body
    assert "Lifeboat" not in draft.body
    # The link the card hangs on, the prose around it, and links that are prose, stay.
    assert "Councillor Ana Ruiz said the vote" in " ".join(draft.body.split())
    assert "one, two and three earlier stories" in draft.body


# --- old archives -------------------------------------------------------------------------


def test_rederive_fixes_what_the_stored_fields_allow() -> None:
    fields = rederive_card_fields(
        headline="North pier to be rebuilt | Harbour Times",
        byline="By Ana Ruiz and Tom Lee, Reuters",
        authors=[],
        credit=None,
        outlet="Harbour Times",
        url="https://www.harbourtimes.co.uk/news/2025/03/14/pier",
        published_at=datetime(2025, 1, 1, tzinfo=UTC),
        now=datetime(2025, 6, 1, tzinfo=UTC),
    )
    assert fields.headline == "North pier to be rebuilt"
    assert fields.authors == ["Ana Ruiz", "Tom Lee"]
    assert fields.byline == "Ana Ruiz and Tom Lee"
    assert fields.credit == "Reuters"
    assert fields.published_at == datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
