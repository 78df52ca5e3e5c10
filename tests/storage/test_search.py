"""Full-text search on both engines, against a small archive whose right answers are known."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from news.aliases import AliasTable
from news.questions import Intent, Question, TermGroup, parse_question
from storage.articles import has_outlet
from storage.database import SessionFactory, create_database_engine, upgrade_database
from storage.models import Article, Base, Share
from storage.search import (
    MATCH_END,
    MATCH_START,
    SearchPage,
    _folded,
    _fts_expression,
    _literal_start,
    _PostgresBackend,
    _term_pattern,
    include_schema_object,
    search_articles,
)
from tests.conftest import POSTGRES_URL

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def ask(*groups: tuple[str, ...], intent: Intent = Intent.LATEST, **filters: Any) -> Question:
    term_groups = tuple(TermGroup(g[0], g, phrase=" " in g[0]) for g in groups)
    topic = " ".join(g[0] for g in groups)
    return Question(raw=topic, intent=intent, topic=topic, groups=term_groups, **filters)


def make_article(
    headline: str,
    body: str,
    *,
    days_ago: float,
    topics: list[str] | None = None,
    standfirst: str | None = None,
    outlet: str | None = "Daily Ledger",
    byline: str | None = "Ann Lee",
    section: str | None = "world",
    status: str = "published",
    is_public: bool = True,
) -> Article:
    when = NOW - timedelta(days=days_ago)
    return Article(
        canonical_url=f"https://news.example/{uuid.uuid4().hex}",
        headline=headline,
        standfirst=standfirst,
        body=body,
        summary=body[:80],
        topics=topics or [],
        outlet=outlet,
        byline=byline,
        section=section,
        status=status,
        is_public=is_public,
        content_hash=hashlib.sha256(f"{headline}{body}".encode()).hexdigest(),
        published_at=when,
        sort_at=when,
        first_seen_at=when,
    )


@dataclass(frozen=True)
class Archive:
    ids: dict[str, int]


@pytest.fixture
def archive(session_factory: SessionFactory) -> Archive:
    stories = {
        "ukraine_talks": make_article(
            "Ukraine peace talks resume",
            "Negotiators met again. The talks on Ukraine are expected to last a week.",
            days_ago=2,
            topics=["Ukraine"],
        ),
        "kyiv_grid": make_article(
            "Kyiv power grid repaired",
            "Engineers in Kyiv restored power to most districts overnight.",
            days_ago=1,
        ),
        "football": make_article(
            "Late goal settles derby",
            "The home side won. A fan travelling from Ukraine watched from the stands.",
            days_ago=0.5,
            section="sport",
        ),
        "sanctions": make_article(
            "New sanctions on Moscow banks",
            "Ministers agreed sanctions against three banks.",
            days_ago=5,
            standfirst="The measures target lenders.",
        ),
        "grain_phrase": make_article(
            "Ports reopen for shipping",
            "The grain deal lets ships leave the ports.",
            days_ago=3,
        ),
        "grain_words": make_article(
            "Farmers wait on exports",
            "A deal was struck, but grain still sits in silos.",
            days_ago=4,
        ),
        "private_merger": make_article(
            "Merger talks between two Ukraine mills",
            "Confidential merger talks continue.",
            days_ago=0.2,
            is_public=False,
        ),
        "old_ukraine": make_article(
            "Ukraine harvest record",
            "Ukraine farmers brought in a record harvest.",
            days_ago=400,
            outlet="Harbour Times",
            byline="Jane Doe",
            section="Business",
            status="corrected",
        ),
    }
    with session_factory.begin() as session:
        session.add_all(stories.values())
        session.flush()
        session.add(
            Share(
                article_id=stories["private_merger"].id,
                source="slack",
                channel_id="C-PRIVATE",
                is_private=True,
            )
        )
        ids = {name: article.id for name, article in stories.items()}
    return Archive(ids)


def run(
    session_factory: SessionFactory,
    question: Question,
    *,
    limit: int = 10,
    offset: int = 0,
    viewer_channel_id: str | None = None,
) -> SearchPage:
    with session_factory() as session:
        return search_articles(
            question,
            session=session,
            limit=limit,
            offset=offset,
            viewer_channel_id=viewer_channel_id,
            now=NOW,
        )


def found(page: SearchPage, archive: Archive) -> list[str]:
    names = {article_id: name for name, article_id in archive.ids.items()}
    return [names[hit.article_id] for hit in page.hits]


def test_alias_alternative_finds_story_naming_only_the_alias(
    session_factory: SessionFactory, archive: Archive
) -> None:
    with_alias = found(run(session_factory, ask(("Ukraine", "Kyiv"))), archive)
    without_alias = found(run(session_factory, ask(("Ukraine",))), archive)
    assert "kyiv_grid" in with_alias
    assert "kyiv_grid" not in without_alias


def test_stemming_matches_other_word_forms(
    session_factory: SessionFactory, archive: Archive
) -> None:
    assert found(run(session_factory, ask(("sanction",))), archive) == ["sanctions"]


def test_latest_orders_stories_about_the_topic_newest_first_before_passing_mentions(
    session_factory: SessionFactory, archive: Archive
) -> None:
    page = run(session_factory, ask(("Ukraine", "Kyiv")))
    assert found(page, archive) == ["kyiv_grid", "ukraine_talks", "old_ukraine", "football"]
    assert page.next_offset is None


def test_search_ranks_relevance_above_recency(
    session_factory: SessionFactory, archive: Archive
) -> None:
    page = run(session_factory, ask(("Ukraine",), intent=Intent.SEARCH))
    names = found(page, archive)
    assert names[-1] == "football"
    assert names.index("ukraine_talks") < names.index("old_ukraine")
    scores = [hit.score for hit in page.hits]
    assert scores == sorted(scores, reverse=True)
    assert scores[-1] < scores[0]


def test_phrase_alternative_matches_only_adjacent_words(
    session_factory: SessionFactory, archive: Archive
) -> None:
    assert found(run(session_factory, ask(("grain deal",))), archive) == ["grain_phrase"]
    both_words = found(run(session_factory, ask(("grain",), ("deal",))), archive)
    assert sorted(both_words) == ["grain_phrase", "grain_words"]


def test_every_group_must_match(session_factory: SessionFactory, archive: Archive) -> None:
    assert found(run(session_factory, ask(("Ukraine", "Kyiv"), ("power",))), archive) == [
        "kyiv_grid"
    ]


def test_excluded_words_remove_stories(session_factory: SessionFactory, archive: Archive) -> None:
    question = ask(("Ukraine", "Kyiv"), excluded=("power", "derby"))
    assert found(run(session_factory, question), archive) == ["ukraine_talks", "old_ukraine"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"outlet": "harbour"}, ["old_ukraine"]),
        ({"byline": "JANE doe"}, ["old_ukraine"]),
        ({"desk": "BUSINESS"}, ["old_ukraine"]),
        ({"desk": "busi"}, []),
        ({"status": "corrected"}, ["old_ukraine"]),
        ({"outlet": "ledger", "desk": "sport"}, ["football"]),
    ],
)
def test_filters_narrow_the_answer(
    session_factory: SessionFactory,
    archive: Archive,
    filters: dict[str, Any],
    expected: list[str],
) -> None:
    assert found(run(session_factory, ask(("Ukraine",), **filters)), archive) == expected


def test_like_wildcards_in_filters_are_literal(
    session_factory: SessionFactory, archive: Archive
) -> None:
    assert found(run(session_factory, ask(("Ukraine",), outlet="%")), archive) == []


def test_since_and_until_bound_the_dates(session_factory: SessionFactory, archive: Archive) -> None:
    recent = ask(("Ukraine",), since=NOW - timedelta(days=30))
    older = ask(("Ukraine",), until=NOW - timedelta(days=30))
    assert found(run(session_factory, recent), archive) == ["ukraine_talks", "football"]
    assert found(run(session_factory, older), archive) == ["old_ukraine"]


def test_old_story_is_found_when_nothing_newer_matches(
    session_factory: SessionFactory, archive: Archive
) -> None:
    assert found(run(session_factory, ask(("harvest",))), archive) == ["old_ukraine"]


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL of every statement ``engine`` runs inside the block."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_young_archive_is_read_once_per_tier(
    engine: Engine, session_factory: SessionFactory
) -> None:
    """When the first window already holds every story, wider windows are not read again."""
    with session_factory.begin() as session:
        session.add(make_article("Harbour berth reopens", "The berth reopened.", days_ago=1))
    with recorded_statements(engine) as statements:
        page = run(session_factory, ask(("Ukraine",)))  # no match: every tier comes up empty
    assert page.hits == []
    reads = [s for s in statements if "FROM articles" in s and "ORDER BY" in s]
    # One read per tier on either engine (the SQLite backend's first scan covers this archive).
    assert len(reads) == 3, reads


def test_windows_with_no_story_of_their_own_are_not_read(
    engine: Engine, session_factory: SessionFactory
) -> None:
    """Nothing archived between a week and two years ago but one story: the 30- and 180-day
    windows would read no rows, so each tier reads the week, two years, then everything."""
    with session_factory.begin() as session:
        session.add(make_article("Harbour berth reopens", "The berth reopened.", days_ago=1))
        session.add(make_article("Harbour strike ends", "Dockers returned.", days_ago=400))
        session.add(make_article("Harbour dredging", "The channel was dredged.", days_ago=800))
    with recorded_statements(engine) as statements:
        page = run(session_factory, ask(("Ukraine",)))  # no match: every tier comes up empty
    assert page.hits == []
    harbour = run(session_factory, ask(("harbour",)))
    assert sorted(hit.headline for hit in harbour.hits) == [
        "Harbour berth reopens",
        "Harbour dredging",
        "Harbour strike ends",
    ]
    if engine.dialect.name == "postgresql":
        with session_factory() as session:
            bounds = _PostgresBackend(session).windows(NOW)
        # The week, two years, then everything: the 30- and 180-day windows are left out.
        assert bounds == [NOW - timedelta(days=7), NOW - timedelta(days=730), None]
        # No match in the week, so none expected in the wider windows: each tier reads the
        # week, then the rest at once on the text index, where the prominent and mention
        # tiers read the same matches (the about tier's also need the headline term).
        reads = [s for s in statements if "FROM articles" in s and "ORDER BY" in s]
        assert len(reads) == 3 + 2, reads
        assert sum("MATERIALIZED" in s for s in reads) == 2, reads


def test_empty_archive_answers_without_reading_matches(
    engine: Engine, session_factory: SessionFactory
) -> None:
    assert run(session_factory, ask(("Ukraine",))).hits == []


def test_story_known_only_from_a_private_conversation_stays_there(
    session_factory: SessionFactory, archive: Archive
) -> None:
    question = ask(("merger",))
    assert found(run(session_factory, question), archive) == []
    assert found(run(session_factory, question, viewer_channel_id="C-OTHER"), archive) == []
    in_channel = run(session_factory, question, viewer_channel_id="C-PRIVATE")
    assert found(in_channel, archive) == ["private_merger"]
    listing = found(run(session_factory, ask(), viewer_channel_id="C-OTHER"), archive)
    assert "private_merger" not in listing


def test_pages_cover_every_story_once(session_factory: SessionFactory, archive: Archive) -> None:
    question = ask(("Ukraine", "Kyiv"))
    first = run(session_factory, question, limit=3)
    assert first.next_offset == 3
    second = run(session_factory, question, limit=3, offset=first.next_offset)
    assert second.next_offset is None
    assert found(first, archive) + found(second, archive) == [
        "kyiv_grid",
        "ukraine_talks",
        "old_ukraine",
        "football",
    ]


def test_question_limit_overrides_the_page_size(
    session_factory: SessionFactory, archive: Archive
) -> None:
    page = run(session_factory, ask(("Ukraine",), limit=1), limit=5)
    assert found(page, archive) == ["ukraine_talks"]
    assert page.next_offset == 1


def test_empty_question_lists_newest_public_stories(
    session_factory: SessionFactory, archive: Archive
) -> None:
    page = run(session_factory, ask(), limit=3)
    assert found(page, archive) == ["football", "kyiv_grid", "ukraine_talks"]
    assert page.next_offset == 3
    assert all(hit.why == "newest in the archive" for hit in page.hits)
    rest = run(session_factory, ask(), limit=10, offset=3)
    assert len(rest.hits) == 4
    assert rest.next_offset is None


def test_filters_without_topic_list_newest_first(
    session_factory: SessionFactory, archive: Archive
) -> None:
    page = run(session_factory, ask(outlet="daily ledger", excluded=("grain",)))
    assert found(page, archive) == ["football", "kyiv_grid", "ukraine_talks", "sanctions"]
    assert page.hits[0].why == "outlet: daily ledger"


def test_hits_carry_snippet_with_markers_and_the_reason(
    session_factory: SessionFactory, archive: Archive
) -> None:
    page = run(session_factory, ask(("Ukraine", "Kyiv")))
    grid, talks = page.hits[0], page.hits[1]
    assert f"{MATCH_START}Kyiv{MATCH_END}" in grid.snippet
    assert grid.why.startswith('headline mentions "Kyiv"')
    assert "topic: Ukraine" in talks.why
    assert talks.topics == ("Ukraine",)
    assert talks.url is not None
    assert talks.url.startswith("https://news.example/")
    assert grid.snippet.count(MATCH_START) == grid.snippet.count(MATCH_END)
    football = page.hits[-1]
    assert football.why == 'body mentions "Ukraine"'
    assert football.score < grid.score


SYNTAX_LOOKING_TERMS = (
    '"',
    '"Ukraine',
    "NEAR",
    "NEAR(Ukraine Kyiv)",
    "*",
    "Ukr*",
    "OR",
    "Ukraine OR",
    "AND NOT",
    "headline:Ukraine",
    ":",
    "{headline}",
    "'",
    "people's",
    "Ukraine') || to_tsquery('x",
    "!!Ukraine & | <->",
    "\\",
    "^Ukraine",
    "",
)


def test_syntax_looking_terms_are_searched_as_words(
    session_factory: SessionFactory, archive: Archive
) -> None:
    for intent in (Intent.LATEST, Intent.SEARCH):
        for alternative in SYNTAX_LOOKING_TERMS:
            page = run(session_factory, ask((alternative,), intent=intent))
            if re.findall(r"\w+", alternative) == ["Ukraine"]:
                assert "ukraine_talks" in found(page, archive), alternative
            if not any(ch.isalnum() for ch in alternative):
                assert page.hits == [], alternative
            question = ask(("Ukraine",), excluded=(alternative,), intent=intent)
            kept = "ukraine_talks" in found(run(session_factory, question), archive)
            if "ukraine" not in alternative.casefold():
                assert kept, alternative
            if re.findall(r"\w+", alternative) == ["Ukraine"]:
                assert not kept, alternative


def test_new_story_is_searchable_as_soon_as_it_commits(
    session_factory: SessionFactory, archive: Archive
) -> None:
    question = ask(("volcano",))
    assert run(session_factory, question).hits == []
    with session_factory.begin() as session:
        article = make_article("Volcano erupts", "Ash fell on the town.", days_ago=0.1)
        session.add(article)
    page = run(session_factory, question)
    assert [hit.article_id for hit in page.hits] == [article.id]
    with session_factory.begin() as session:
        stored = session.get(Article, article.id)
        assert stored is not None
        stored.headline = "Ash cloud drifts"
        stored.body = "Flights resumed."
    assert run(session_factory, question).hits == []
    with session_factory.begin() as session:
        session.execute(sa.delete(Article).where(Article.id == archive.ids["kyiv_grid"]))
    assert "kyiv_grid" not in found(run(session_factory, ask(("Kyiv",))), archive)


def test_search_objects_are_the_only_difference_from_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_schema_object}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_indexes_stories_written_before_search_existed(
    tmp_path: object, request: pytest.FixtureRequest
) -> None:
    urls = [f"sqlite:///{tmp_path}/before.db"]
    schema = f"newsdesk_search_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    request.addfinalizer(lambda: _drop_schema(admin, schema))
    urls.append(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    for url in urls:
        upgrade_database(url, "0001")
        engine = create_database_engine(url)
        with engine.begin() as connection:
            # Only the columns revision 0001 has: the model may have more by now.
            old_articles = sa.table(
                "articles",
                *(sa.column(name, Article.__table__.c[name].type) for name in _COLUMNS_AT_0001),
            )
            connection.execute(
                sa.insert(old_articles).values(
                    headline="Glacier retreat measured",
                    body="Survey teams measured the glacier.",
                    summary="",
                    topics=[],
                    tags=[],
                    status="published",
                    content_hash="0" * 64,
                    version=1,
                    is_public=True,
                    first_seen_at=NOW,
                    updated_at=NOW,
                    fetched_at=NOW,
                    sort_at=NOW,
                )
            )
        upgrade_database(url)
        with engine.connect() as connection, sa.orm.Session(bind=connection) as session:
            page = search_articles(ask(("glaciers",)), session=session, now=NOW)
        engine.dispose()
        assert [hit.headline for hit in page.hits] == ["Glacier retreat measured"], url


_COLUMNS_AT_0001 = (
    "headline",
    "body",
    "summary",
    "topics",
    "tags",
    "status",
    "content_hash",
    "version",
    "is_public",
    "first_seen_at",
    "updated_at",
    "fetched_at",
    "sort_at",
)


def _drop_schema(admin: Engine, schema: str) -> None:
    with admin.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def _headlines(session_factory: SessionFactory, question: Question) -> list[str]:
    return [hit.headline for hit in run(session_factory, question).hits]


def test_latest_puts_stories_about_the_word_before_stems_and_company_names(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article(
                    "QUAKER OATS CO <OAT> 3RD QTR NET",
                    "Quaker Oats Co said third quarter net rose on higher cereal sales.",
                    days_ago=1,
                ),
                make_article(
                    "Oats crop seen lower",
                    "The oats harvest will fall after a dry summer, growers said on Monday.",
                    days_ago=3,
                ),
                make_article(
                    "Franc weakens in Paris trading",
                    "The franc fell against the mark as dealers sold francs before the vote.",
                    days_ago=1,
                ),
                make_article(
                    "France to cut farm subsidies",
                    "France will cut farm subsidies next year, the French government said.",
                    days_ago=4,
                ),
                make_article(
                    "CORE-MARK <CMK> BUYS DISTRIBUTOR",
                    "Core-Mark International said it bought a regional distributor.",
                    days_ago=0.5,
                ),
            ]
        )
    assert _headlines(session_factory, ask(("oats",)))[0] == "Oats crop seen lower"
    france = _headlines(session_factory, ask(("France",)))
    assert france[0] == "France to cut farm subsidies"
    assert france[-1] == "Franc weakens in Paris trading" or len(france) == 1
    marks = _headlines(session_factory, ask(("mark",)))
    assert marks[0] == "Franc weakens in Paris trading"  # "the mark", not CORE-MARK


def test_a_place_opening_a_company_name_is_not_news_about_the_place(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article(
                    "SINGAPORE PETROLEUM CO RAISES OIL PRODUCT POSTINGS",
                    "Singapore Petroleum Co said it raised its posted prices for oil products.",
                    days_ago=1,
                ),
                make_article(
                    "Singapore trade surplus widens",
                    "Singapore's trade surplus widened in May as exports rose, officials said.",
                    days_ago=4,
                ),
                make_article(
                    "SINGAPORE FINANCIAL MARKETS CALM",
                    "Singapore's financial markets were calm after the holiday, dealers said.",
                    days_ago=6,
                ),
            ]
        )
    assert _headlines(session_factory, ask(("Singapore",))) == [
        "Singapore trade surplus widens",
        "SINGAPORE FINANCIAL MARKETS CALM",  # "Financial" is no legal form: the place
        "SINGAPORE PETROLEUM CO RAISES OIL PRODUCT POSTINGS",
    ]


def test_latest_puts_a_newer_story_led_by_the_subject_before_older_headline_stories(
    session_factory: SessionFactory,
) -> None:
    filler = " ".join(["Dealers said trading was quiet in the afternoon."] * 8)
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article(
                    f"Kuwait oil output steady {n}",
                    f"Kuwait kept its oil output steady, officials said. {filler}",
                    days_ago=10 + n,
                )
                for n in range(6)
            ]
        )
        session.add_all(
            [
                make_article(
                    "Tanker convoy crosses the Gulf",
                    "A convoy bound for Kuwait crossed the Gulf on Tuesday. Kuwait asked for"
                    f" more escorts. {filler}",
                    days_ago=1,
                    topics=["Kuwait"],
                ),
                make_article(
                    "Shipping rates firm",
                    f"Freight rates rose. {filler} One cargo was bound for Kuwait.",
                    days_ago=0.5,
                ),
            ]
        )
    page = run(session_factory, ask(("Kuwait",)), limit=5)
    headlines = [hit.headline for hit in page.hits]
    # The convoy story is led by Kuwait, tagged with it and names it twice: it is about
    # Kuwait and the newest such story. The shipping story names it once, at the end.
    assert headlines[0] == "Tanker convoy crosses the Gulf"
    assert "Shipping rates firm" not in headlines
    assert page.hits[0].why == 'topic: Kuwait; body mentions "Kuwait" (2 times)'


def test_a_currency_as_the_unit_of_an_amount_is_not_news_about_it(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article(
                    "BANK OF JAPAN BUYS 200 BILLION YEN OF BILLS",
                    "The central bank bought 200 billion yen of bills in the money market.",
                    days_ago=1,
                ),
                make_article(
                    "Yen firms against the dollar",
                    "The yen rose to 140 to the dollar as exporters sold dollars for yen.",
                    days_ago=5,
                ),
            ]
        )
    assert _headlines(session_factory, ask(("yen",))) == [
        "Yen firms against the dollar",
        "BANK OF JAPAN BUYS 200 BILLION YEN OF BILLS",
    ]


def test_a_currency_naming_a_bond_issue_is_its_denomination_not_news_about_it(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article(
                    "GMAC UNIT ISSUES CANADIAN DOLLAR BOND",
                    "The unit issued a 100 mln Canadian dollar bond due 1992, the lead manager"
                    " said.",
                    days_ago=1,
                ),
                make_article(
                    "Dollar weakens in Toronto",
                    "The Canadian dollar fell against the U.S. dollar as dealers sold dollars.",
                    days_ago=3,
                ),
            ]
        )
    assert _headlines(session_factory, ask(("dollar",))) == [
        "Dollar weakens in Toronto",
        "GMAC UNIT ISSUES CANADIAN DOLLAR BOND",
    ]


def test_a_named_currency_before_a_security_is_its_denomination_but_a_place_is_not(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article(
                    "EDF ISSUES 10 YEAR SWISS FRANC NOTES WITH WARRANTS",
                    "Electricite de France is issuing Swiss franc notes, the lead manager said.",
                    days_ago=1,
                ),
                make_article(
                    "KOBEYA HAS SWISS FRANC PRIVATE PLACEMENT",
                    "Kobeya Baking has a Swiss franc private placement, the lead manager said.",
                    days_ago=2,
                ),
                make_article(
                    "Swiss franc firms against the dollar",
                    "The Swiss franc rose against the dollar as dealers bought francs.",
                    days_ago=5,
                ),
                make_article(
                    "Japan bonds rally",
                    "Japan bonds rallied in Tokyo as the yield on the benchmark issue fell.",
                    days_ago=6,
                ),
            ]
        )
    aliases = AliasTable({"Swiss franc": ("Swiss francs",)})
    franc = parse_question("Swiss franc", now=NOW, aliases=aliases)
    assert _headlines(session_factory, franc)[0] == "Swiss franc firms against the dollar"
    # A country before "bonds" is its bond market: still a story about Japan.
    japan = parse_question("Japan", now=NOW, aliases=AliasTable({}))
    assert _headlines(session_factory, japan) == ["Japan bonds rally"]


def test_from_a_name_no_story_has_as_outlet_is_read_as_the_subject(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article(
                    "Peking raises grain prices",
                    "Peking will pay farmers more for grain, officials said.",
                    days_ago=1,
                    outlet="Daily Ledger",
                ),
                make_article(
                    "Ledger wins press award",
                    "The Daily Ledger won the regional press award.",
                    days_ago=2,
                    outlet="Harbour Times",
                ),
            ]
        )
    aliases = AliasTable({})
    peking = parse_question("latest from Peking", now=NOW, aliases=aliases)
    assert peking.outlet == "Peking"
    page = run(session_factory, peking)
    assert [h.headline for h in page.hits] == ["Peking raises grain prices"]
    assert page.question.outlet is None
    assert page.question.topic == "Peking"
    ledger = parse_question("latest from Daily Ledger", now=NOW, aliases=aliases)
    page = run(session_factory, ledger)
    assert [h.headline for h in page.hits] == ["Peking raises grain prices"]  # the outlet
    assert page.question.outlet == "Daily Ledger"


def test_has_outlet_matches_as_the_outlet_filter_does(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        for outlet in ("Daily Ledger", "Harbour Times", None, "Daily Ledger"):
            session.add(make_article(f"Story from {outlet}", "Text.", days_ago=1, outlet=outlet))
    with session_factory() as session:
        assert has_outlet("daily ledger", session=session)
        assert has_outlet("Harbour", session=session)  # a part, as "from Harbour" filters
        assert not has_outlet("Peking", session=session)
        assert not has_outlet("%", session=session)


def test_outlets_are_read_on_the_outlet_index(engine: Engine) -> None:
    # The distinct-outlet reading must seek the index, not read every story.
    from storage.articles import _DISTINCT_OUTLETS

    sql = str(_DISTINCT_OUTLETS).replace(":limit", "5")
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(str(row[-1]) for row in rows)
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(str(row[0]) for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
    assert "ix_articles_outlet" in plan


def test_latest_why_line_names_where_the_subject_is(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        session.add(
            make_article(
                "Market calm",
                "Dealers said trading was quiet. Later, sterling rose and sterling held.",
                days_ago=1,
            )
        )
    [hit] = run(session_factory, ask(("sterling",))).hits
    assert hit.why == 'body mentions "sterling" (2 times)'


def test_hedge_words_rank_but_are_not_required(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article("Lead output falls", "Smelters cut lead output in May.", days_ago=2),
                make_article(
                    "Lead market firm", "The lead market firmed on lower stocks.", days_ago=3
                ),
            ]
        )
    question = Question(
        raw="lead market",
        intent=Intent.LATEST,
        topic="lead market",
        groups=(TermGroup("lead", ("lead",)), TermGroup("market", ("market",), optional=True)),
    )
    assert sorted(_headlines(session_factory, question)) == [
        "Lead market firm",
        "Lead output falls",
    ]


def test_postgresql_reads_headline_terms_on_the_headline_index(postgres_schema_url: str) -> None:
    # The "about" tier's headline condition must be the index's expression word for word,
    # or PostgreSQL reads every newest match instead (migration 0008). SQLite has no such
    # index: FTS5 filters columns itself.
    from storage.search import HEADLINE_VECTOR

    engine = create_database_engine(postgres_schema_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            row[0]
            for row in connection.execute(
                sa.text(
                    f"EXPLAIN SELECT id FROM articles WHERE {HEADLINE_VECTOR}"  # noqa: S608
                    " @@ phraseto_tsquery('english'::regconfig, :term)"
                ),
                {"term": "gold"},
            )
        )
    engine.dispose()
    assert "ix_articles_headline_vector" in plan


def test_a_dotted_acronym_searched_as_letters_finds_it_and_not_the_pronoun(
    session_factory: SessionFactory,
) -> None:
    # The parser gives "U.S." as its letters "U S": both engines must find "U.S." in a
    # story with it, and not the pronoun "us".
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article("Wheat sales rise", "U.S. wheat sales rose in May.", days_ago=1),
                make_article("Wheat sales to us", "Millers told us wheat was dear.", days_ago=2),
            ]
        )
    assert _headlines(session_factory, ask(("U S",), ("wheat",))) == ["Wheat sales rise"]


def test_when_nothing_matches_every_word_the_named_subject_answers(
    session_factory: SessionFactory,
) -> None:
    aliases = AliasTable({"Ghana": ("Ghanaian", "Accra")})
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article(
                    "Ghana cocoa crop seen lower", "Ghana's cocoa crop falls.", days_ago=1
                ),
                make_article("Ghana cocoa harvest starts", "Ghana's cocoa harvest.", days_ago=3),
                make_article("Coffee harvest ends", "The coffee harvest ended.", days_ago=2),
            ]
        )
    strict = parse_question("ghana cocoa harvest", now=NOW, aliases=aliases)
    assert _headlines(session_factory, strict) == ["Ghana cocoa harvest starts"]
    loose = parse_question("ghana cocoa harvest delays", now=NOW, aliases=aliases)
    with session_factory() as session:
        page = search_articles(loose, session=session, now=NOW)
    # No story says all four: Ghana is required, the plain words only rank.
    assert [h.headline for h in page.hits] == [
        "Ghana cocoa harvest starts",
        "Ghana cocoa crop seen lower",
    ]
    assert page.question.broader is None
    assert all("Ghana" in h.why for h in page.hits)


def test_latest_puts_a_short_story_about_the_subject_before_a_newer_passing_mention(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article("Zinc prices rise", "Zinc rose.", days_ago=40),
                make_article(
                    "Metals markets mixed at the close",
                    "Copper fell and aluminium was steady while zinc edged up in thin "
                    "trade, dealers said, with nickel unchanged on the day.",
                    days_ago=1,
                ),
            ]
        )
    assert _headlines(session_factory, ask(("zinc",))) == [
        "Zinc prices rise",  # the subject in the headline, if a flash
        "Metals markets mixed at the close",  # newer, but zinc in passing
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Ukraine's grain",
        "pro-Ukraine rally",
        "Kyiv talks",
        "two currencies fell",
        "the currency-board rule",
        "UKRAINE AND POLAND",
        "İran and UKRAİNE",
        "nothing here",
        "",
    ],
)
def test_an_alternative_found_in_a_text_has_its_literal_start_in_the_folded_text(
    text: str,
) -> None:
    alternatives = ["Ukraine", "Kyiv", "currency", "money supply", "U S", "Soviet Union", "ısık"]
    for alternative in alternatives:
        if _term_pattern(alternative).search(text):
            assert _literal_start(alternative) in _folded(text), (alternative, text)
    assert _literal_start("currency") == "currenc"  # matches "currencies" from its stem
    assert _literal_start("ısık") == ""  # not ASCII: no substring test


@given(
    st.text(alphabet="ukraineKYIVcurrenysoiwtpl USİıſ\u212a'’-.", max_size=40),
    st.sampled_from(["Ukraine", "Kyiv", "currency", "money supply", "U S", "Soviet Union", "us"]),
)
def test_no_match_is_missed_by_the_literal_start_test(text: str, alternative: str) -> None:
    if _term_pattern(alternative).search(text):
        assert _literal_start(alternative) in _folded(text)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the SQLite backend's slices
def test_sqlite_slices_read_each_match_once_and_go_on_after_the_last(
    engine: Engine, session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slices of 2, then 4, then all: the one story that passes the outlet filter is the
    oldest match, found in the last slice; each slice reads only matches older than the
    one before, and no statement counts the matches again."""
    monkeypatch.setattr("storage.search.SQLITE_SCAN_SIZES", (2, 4, None))
    with session_factory.begin() as session:
        session.add(
            make_article("Harbour crane arrives", "A crane.", days_ago=9, outlet="Harbour Times")
        )
        for day in range(6):
            session.add(make_article(f"Harbour news {day}", "Boats.", days_ago=day))
    with recorded_statements(engine) as statements:
        page = run(session_factory, ask(("harbour",), intent=Intent.SEARCH, outlet="harbour"))
    assert [hit.headline for hit in page.hits] == ["Harbour crane arrives"]
    assert not any("count(" in sql for sql in statements)
    reads = [sql for sql in statements if "MATCH" in sql and "ORDER BY rowid DESC" in sql]
    # Each tier: 2 matches, then 2 more after the last read, then the rest.
    assert sum("rowid <" in sql for sql in reads) == 2 * sum("rowid <" not in sql for sql in reads)


def _sparse_archive(session_factory: SessionFactory) -> None:
    """Harbour stories spread over two years, one or two a month, among other news: a
    week holds too few to fill a slice, so the rest of them is read on the text index."""
    with session_factory.begin() as session:
        for day in range(0, 720, 4):
            session.add(make_article(f"Wheat crop report {day}", "Grain yields.", days_ago=day))
        # One of each tier in the week: the text index is read after them.
        session.add(make_article("Harbour dues fall", "The harbour board.", days_ago=2))
        session.add(make_article("Port fees", "Fees.", days_ago=3, standfirst="Harbour news."))
        for day in range(1, 720, 23):
            if day % 3 == 0:  # about: in the headline and the body
                session.add(
                    make_article(f"Harbour dues rise {day}", "The harbour board.", days_ago=day)
                )
            elif day % 3 == 1:  # prominent: in the standfirst only
                session.add(
                    make_article(
                        f"Port fees {day}", "Fees.", days_ago=day, standfirst="Harbour news."
                    )
                )
            else:  # a passing mention in the body
                session.add(make_article(f"Ferry timetable {day}", "Harbour.", days_ago=day))


def test_sparse_matches_are_read_on_the_text_index_after_the_week(
    engine: Engine, session_factory: SessionFactory
) -> None:
    """On PostgreSQL a tier whose week holds few matches reads the rest on the GIN index at
    once, not window by window; on both engines pages hold every match once."""
    _sparse_archive(session_factory)
    question = ask(("harbour",))
    with recorded_statements(engine) as statements:
        pages = [run(session_factory, question, limit=8, offset=offset) for offset in (0, 8, 16)]
    ids = [hit.article_id for page in pages for hit in page.hits]
    assert len(ids) == len(set(ids)) == 24
    assert all("Wheat" not in hit.headline for page in pages for hit in page.hits)
    if engine.dialect.name == "postgresql":
        assert any("MATERIALIZED" in s for s in statements)
        windows = [
            s
            for s in statements
            if "sort_at >=" in s and "ORDER BY" in s and not s.startswith("SELECT min(")
        ]
        # Only the week is read on sort_at, once per tier and page: no wider window.
        assert len(windows) == 3 * len(pages), windows


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_sparse_reading_gives_the_stories_window_by_window_reading_gives(
    engine: Engine, session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same pages, in the same order, with the rest of the matches read at once on the
    text index as with every window read in turn (the sparse reading turned off)."""
    _sparse_archive(session_factory)
    questions = [
        ask(("harbour",)),
        ask(("harbour",), intent=Intent.SEARCH),
        ask(("harbour", "ferry"), ("dues", "timetable")),
    ]

    def pages() -> list[list[int]]:
        return [
            [hit.article_id for hit in run(session_factory, q, limit=6, offset=offset).hits]
            for q in questions
            for offset in (0, 6, 12)
        ]

    with recorded_statements(engine) as statements:
        sparse = pages()
    assert any("MATERIALIZED" in s for s in statements)
    monkeypatch.setattr(_PostgresBackend, "_sparse_after", lambda *args, **kwargs: False)
    with recorded_statements(engine) as statements:
        windowed = pages()
    assert not any("MATERIALIZED" in s for s in statements)
    assert all(sparse[:3])
    assert sparse == windowed


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_about_tier_matches_what_the_full_condition_matches(
    session_factory: SessionFactory,
) -> None:
    """The "about" tier's MATCH, written without the conditions it implies, finds exactly
    the stories the whole condition (every subject anywhere, a term in the headline,
    standfirst or topics, a term in the headline, and again elsewhere) finds."""
    texts = [
        ("Harbour dues rise", "The harbour board met.", None, ["Ports"]),
        ("Harbour dues rise", "Nothing here.", None, []),
        ("Dues rise", "The harbour board.", "Harbour dues.", []),
        ("Harbour ferry", "Dues.", None, ["dues"]),
        ("Harbour dues", "Harbour strike.", None, []),
        ("Ferry strike", "Harbour dues.", None, []),
    ]
    with session_factory.begin() as session:
        for number, (headline, body, standfirst, topics) in enumerate(texts):
            session.add(
                make_article(headline, body, days_ago=number, standfirst=standfirst, topics=topics)
            )
    from storage.search import STRONG_COLUMNS, _collect_terms, _fts_any

    for question in (
        ask(("harbour",)),
        ask(("harbour",), ("dues",)),
        ask(("harbour",), excluded=("strike",)),
    ):
        terms = _collect_terms(question)
        any_term = _fts_any(terms.alternatives)
        full = (
            "{headline standfirst body topics} : ("
            + " AND ".join(_fts_any(g) for g in terms.groups)
            + (f") NOT {_fts_any(terms.excluded)}" if terms.excluded else ")")
        )
        full = (
            f"({full}) AND ({STRONG_COLUMNS} : {any_term}) AND ({{headline}} : {any_term})"
            f" AND ({{standfirst body topics}} : {any_term})"
            + "".join(f" AND ({STRONG_COLUMNS} : {_fts_any(g)})" for g in terms.groups)
        )
        with session_factory() as session:
            read = [
                sorted(
                    session.scalars(
                        sa.text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q"),
                        {"q": expression},
                    )
                )
                for expression in (full, _fts_expression(terms, tier="about"))
            ]
        assert read[0], question
        assert read[0] == read[1], question


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_each_tier_reads_the_same_candidates_with_and_without_the_sparse_reading(
    session_factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tier by tier, the newest candidates read on the text index after the week are the
    ones the windows give, each once: the text index goes on after the week's last match."""
    from storage.search import _collect_terms

    _sparse_archive(session_factory)
    terms = _collect_terms(ask(("harbour",)))

    def candidates() -> dict[str, list[int]]:
        with session_factory() as session:
            backend = _PostgresBackend(session)
            return {
                tier: [
                    c.article_id
                    for c in backend.collect_newest(terms, tier=tier, need=40, filters=[], now=NOW)
                ]
                for tier in ("about", "prominent", "mention")
            }

    sparse = candidates()
    monkeypatch.setattr(_PostgresBackend, "_sparse_after", lambda *args, **kwargs: False)
    windowed = candidates()
    assert [len(sparse[t]) for t in ("about", "prominent", "mention")] == [12, 24, 34]
    for tier, ids in sparse.items():
        assert len(ids) == len(set(ids)), tier
        assert ids == windowed[tier], tier


def test_an_office_asked_for_is_found_as_the_title_before_a_name(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article(
                    "Stoltenberg sees steady growth",
                    "BONN - West German Finance Minister Gerhard Stoltenberg said growth "
                    "would hold this year.",
                    days_ago=3,
                ),
                make_article(
                    "Bonn budget talks go on",
                    "West German officials said the finance committee would meet the "
                    "labour minister next week.",
                    days_ago=1,
                ),
            ]
        )
    aliases = AliasTable({"West Germany": ("West German", "Bonn")})
    office = parse_question("west german finance minister", now=NOW, aliases=aliases)
    assert _headlines(session_factory, office) == ["Stoltenberg sees steady growth"]


def test_a_currency_alone_finds_its_exchange_rate_before_bonds_denominated_in_it(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        session.add_all(
            [
                make_article(
                    "Utility issues peseta bond",
                    "A Spanish utility issued a 10 billion peseta bond, lead managers said.",
                    days_ago=1,
                ),
                make_article(
                    "Peseta firms in Madrid",
                    "The peseta firmed on the foreign exchange market as the central bank "
                    "held the peseta's rate steady.",
                    days_ago=5,
                ),
            ]
        )
    aliases = AliasTable({})
    peseta = parse_question("the peseta", now=NOW, aliases=aliases)
    assert _headlines(session_factory, peseta) == ["Peseta firms in Madrid"]
    # With no story of its exchange rate, the currency's other news still answers.
    lira = parse_question("the lira", now=NOW, aliases=aliases)
    with session_factory.begin() as session:
        session.add(
            make_article("Lira bond priced", "A 100 billion lira bond was priced.", days_ago=2)
        )
    assert _headlines(session_factory, lira) == ["Lira bond priced"]
