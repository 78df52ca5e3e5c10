"""Question understanding: one table of what editors type and what the bot should understand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from news.aliases import AliasTable, Region, load_alias_table, parse_alias_table
from news.errors import NewsdeskError
from news.questions import (
    MAX_LIMIT,
    MAX_QUESTION_CHARS,
    Intent,
    Question,
    TermGroup,
    clean_term,
    parse_question,
)

# Wednesday 8 January 2025, 15:00 UTC.
NOW = datetime(2025, 1, 8, 15, 0, tzinfo=UTC)
ALIASES = AliasTable(
    {
        "Ukraine": ("Ukrainian", "Ukrainians", "Kyiv", "Kiev"),
        "UK": ("United Kingdom", "Britain", "British", "U.K."),
        "US": ("United States", "United States of America", "American", "U.S."),
        "UN": ("United Nations", "U.N."),
        "Russia": ("Russian", "Moscow", "Kremlin"),
        "China": ("Chinese", "People's Republic of China"),
        "Climate change": ("global warming", "climate crisis"),
    }
)
UKRAINE = ("Ukraine", "Ukrainian", "Ukrainians", "Kyiv", "Kiev")


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def parse(text: str, timezone: str = "UTC") -> Question:
    return parse_question(text, now=NOW, aliases=ALIASES, timezone=ZoneInfo(timezone))


def labels(question: Question) -> list[str]:
    return [group.label for group in question.groups]


CASES: list[Any] = [
    # intents and fillers
    ("latest on Ukraine", {"intent": Intent.LATEST, "topic": "Ukraine", "groups": ["Ukraine"]}),
    ("what's new on Ukraine", {"intent": Intent.LATEST, "topic": "Ukraine"}),
    ("What’s new with Ukraine?", {"intent": Intent.LATEST, "topic": "Ukraine"}),
    ("whats new with the budget", {"intent": Intent.LATEST, "topic": "budget"}),
    ("anything on Brexit", {"intent": Intent.LATEST, "topic": "Brexit", "groups": ["Brexit"]}),
    ("any news on the strike?", {"intent": Intent.LATEST, "topic": "strike"}),
    ("news about Gaza", {"intent": Intent.LATEST, "topic": "Gaza"}),
    ("updates on the election", {"intent": Intent.LATEST, "topic": "election"}),
    ("what's happening in Gaza", {"intent": Intent.LATEST, "topic": "Gaza"}),
    ("what's the word on Gaza", {"intent": Intent.LATEST, "groups": ["Gaza"]}),
    ("any word from Kyiv", {"intent": Intent.LATEST, "groups": ["Kyiv"]}),
    ("how many strikes this week", {"groups": ["strikes"]}),
    ("where are rates heading?", {"groups": ["rates"]}),
    ("LATEST ON THE UK", {"intent": Intent.LATEST, "topic": "UK", "groups": ["UK"]}),
    (
        "please show me the latest news about Russia sanctions",
        {"intent": Intent.LATEST, "topic": "Russia sanctions", "groups": ["Russia", "sanctions"]},
    ),
    ("Ukraine", {"intent": Intent.LATEST, "topic": "Ukraine", "describe": "Ukraine"}),
    ("Ukraine latest", {"intent": Intent.LATEST, "topic": "Ukraine"}),
    (
        "what do we have on Russia sanctions this week?",
        {
            "intent": Intent.SEARCH,
            "topic": "Russia sanctions",
            "groups": ["Russia", "sanctions"],
            "since": utc(2025, 1, 6),
            "until": None,
            "describe": "Russia sanctions this week",
        },
    ),
    ("search grain deal", {"intent": Intent.SEARCH, "groups": ["grain", "deal"]}),
    ("find Ukraine", {"intent": Intent.SEARCH, "topic": "Ukraine"}),
    ("do we have anything on the budget", {"intent": Intent.SEARCH, "topic": "budget"}),
    ("help", {"intent": Intent.HELP, "describe": "help"}),
    ("?", {"intent": Intent.HELP}),
    ("What can you do?", {"intent": Intent.HELP}),
    ("hey newsdesk, help please", {"intent": Intent.HELP}),
    ("", {"intent": Intent.HELP, "groups": []}),
    ("   \n\t ", {"intent": Intent.HELP}),
    ("<@U123ABC>", {"intent": Intent.HELP}),
    ("🔥🔥🔥", {"intent": Intent.HELP}),
    ("latest", {"intent": Intent.LATEST, "topic": "", "groups": [], "describe": "everything"}),
    # mentions, emoji, markup
    ("<@U123ABC> latest on Ukraine", {"intent": Intent.LATEST, "topic": "Ukraine"}),
    ("<@U123ABC|newsdesk>   latest on Ukraine", {"topic": "Ukraine"}),
    ("@newsdesk latest on Ukraine", {"topic": "Ukraine", "groups": ["Ukraine"]}),
    (":fire: latest on Ukraine :flag-ua:", {"topic": "Ukraine", "groups": ["Ukraine"]}),
    ("🔥 Ukraine 🇺🇦", {"topic": "Ukraine", "groups": ["Ukraine"]}),
    ("latest on <https://example.com/a|this story> Ukraine", {"groups": ["Ukraine"]}),
    ("latest on Ukraine https://example.com/story", {"groups": ["Ukraine"]}),
    ("Tom &amp; Jerry", {"groups": ["Tom Jerry"]}),  # one capitalised name
    # time
    ("Ukraine today", {"since": utc(2025, 1, 8), "until": None, "describe": "Ukraine today"}),
    (
        "Ukraine yesterday",
        {"since": utc(2025, 1, 7), "until": utc(2025, 1, 8), "describe": "Ukraine yesterday"},
    ),
    ("today's news on Gaza", {"topic": "Gaza", "since": utc(2025, 1, 8)}),
    ("Ukraine this week", {"since": utc(2025, 1, 6), "until": None}),
    ("Ukraine last week", {"since": utc(2024, 12, 30), "until": utc(2025, 1, 6)}),
    ("Ukraine this month", {"since": utc(2025, 1, 1), "until": None}),
    ("Ukraine last month", {"since": utc(2024, 12, 1), "until": utc(2025, 1, 1)}),
    ("Ukraine this year", {"since": utc(2025, 1, 1), "until": None}),
    (
        "Ukraine last 3 days",
        {"since": utc(2025, 1, 5, 15), "until": None, "describe": "Ukraine in the last 3 days"},
    ),
    ("Ukraine in the past 24 hours", {"since": utc(2025, 1, 7, 15), "topic": "Ukraine"}),
    ("Ukraine last 24h", {"since": utc(2025, 1, 7, 15)}),
    ("Ukraine last 2 weeks", {"since": utc(2024, 12, 25, 15)}),
    ("Ukraine over the past week", {"since": utc(2025, 1, 1, 15), "topic": "Ukraine"}),
    ("Ukraine in the last three days", {"since": utc(2025, 1, 5, 15)}),
    ("Ukraine last 2 months", {"since": utc(2024, 11, 8, 15)}),
    (
        "Ukraine since Monday",
        {"since": utc(2025, 1, 6), "until": None, "describe": "Ukraine since 6 Jan"},
    ),
    ("Ukraine since Wednesday", {"since": utc(2025, 1, 1)}),
    ("Ukraine since 2025-01-06", {"since": utc(2025, 1, 6), "describe": "Ukraine since 6 Jan"}),
    ("Ukraine since 6 January", {"since": utc(2025, 1, 6)}),
    ("Ukraine since the 6th of January", {"groups": ["Ukraine"], "since": utc(2025, 1, 6)}),
    ("Ukraine since 6th of January", {"since": utc(2025, 1, 6)}),
    ("Ukraine since January 6, 2025", {"since": utc(2025, 1, 6)}),
    (
        "Ukraine since 20 December",
        {"since": utc(2024, 12, 20), "describe": "Ukraine since 20 Dec 2024"},
    ),
    (
        "published stories on UK in January",
        {
            "status": "published",
            "topic": "UK",
            "groups": ["UK"],
            "since": utc(2025, 1, 1),
            "until": utc(2025, 2, 1),
            "describe": "published stories on UK in January",
        },
    ),
    (
        "Ukraine in December",
        {
            "since": utc(2024, 12, 1),
            "until": utc(2025, 1, 1),
            "describe": "Ukraine in December 2024",
        },
    ),
    ("Ukraine in 2024", {"since": utc(2024, 1, 1), "until": utc(2025, 1, 1)}),
    ("Ukraine in May 2024", {"since": utc(2024, 5, 1), "until": utc(2024, 6, 1)}),
    (
        "Ukraine on 2025-01-06",
        {"since": utc(2025, 1, 6), "until": utc(2025, 1, 7), "describe": "Ukraine on 6 Jan"},
    ),
    ("Ukraine on Monday", {"since": utc(2025, 1, 6), "until": utc(2025, 1, 7)}),
    ("Ukraine 2025-01-06", {"since": utc(2025, 1, 6), "until": utc(2025, 1, 7)}),
    ("Ukraine from Monday", {"since": utc(2025, 1, 6), "outlet": None}),
    (
        "Ukraine from Monday to Wednesday",
        {"since": utc(2025, 1, 6), "until": utc(2025, 1, 9)},
    ),
    (
        "Ukraine between 2025-01-08 and 2025-01-01",
        {"since": utc(2025, 1, 1), "until": utc(2025, 1, 9)},
    ),
    ("Ukraine before 6 January", {"since": None, "until": utc(2025, 1, 6)}),
    ("Ukraine until Monday", {"since": None, "until": utc(2025, 1, 7)}),
    ("Ukraine since:2025-01-02", {"since": utc(2025, 1, 2), "topic": "Ukraine"}),
    ("Ukraine since 2025-13-45", {"since": None}),
    ("Ukraine since 31 February", {"since": None}),
    ("Euro 2024", {"groups": ["Euro", "2024"], "since": None}),
    ("Theresa May", {"groups": ["Theresa May"], "since": None}),
    ("Black Friday sales", {"groups": ["Black Friday", "sales"], "since": None}),
    # filters
    (
        "top 10 on climate from The English Chronicle since Monday",
        {
            "intent": Intent.SEARCH,
            "limit": 10,
            "topic": "climate",
            "outlet": "The English Chronicle",
            "since": utc(2025, 1, 6),
            "describe": "climate from The English Chronicle since 6 Jan",
        },
    ),
    (
        "latest on Ukraine from The English Chronicle",
        {"topic": "Ukraine", "outlet": "The English Chronicle", "groups": ["Ukraine"]},
    ),
    ("latest from Reuters", {"outlet": "Reuters", "topic": "", "describe": "stories from Reuters"}),
    ("latest from Fox News about Ukraine", {"outlet": "Fox News", "topic": "Ukraine"}),
    ("from The Times of India", {"outlet": "The Times of India"}),
    ("news from Ukraine", {"outlet": None, "topic": "Ukraine"}),
    ("stories from outlet:reuters", {"outlet": "reuters", "topic": ""}),
    (
        'outlet:"The English Chronicle" Ukraine',
        {"outlet": "The English Chronicle", "topic": "Ukraine"},
    ),
    ("Source: Reuters Ukraine", {"outlet": "Reuters", "topic": "Ukraine"}),
    ("from:reuters", {"outlet": "reuters", "since": None}),
    ("from:monday", {"outlet": None, "since": utc(2025, 1, 6)}),
    (
        "stories by Jane Doe",
        {"byline": "Jane Doe", "topic": "", "groups": [], "describe": "stories by Jane Doe"},
    ),
    ("by jane doe on ukraine", {"byline": "jane doe", "topic": "ukraine"}),
    ("sanctions imposed by the UK", {"byline": None, "groups": ["sanctions", "imposed", "UK"]}),
    ("author:Jane Doe Ukraine", {"byline": "Jane Doe", "topic": "Ukraine"}),
    ("by Jane Doe, Ukraine", {"byline": "Jane Doe", "topic": "Ukraine"}),
    (
        "stories by Jane Doe from The Moscow Times since Monday",
        {"byline": "Jane Doe", "outlet": "The Moscow Times", "since": utc(2025, 1, 6)},
    ),
    (
        "drafts from the politics desk",
        {"status": "draft", "desk": "politics", "describe": "drafts from the politics desk"},
    ),
    ("latest on the world desk", {"desk": "world", "topic": ""}),
    ("by the politics desk", {"desk": "politics", "byline": None}),
    ("from the foreign affairs desk", {"desk": "foreign affairs"}),
    ("Gaza world desk", {"desk": "world", "topic": "Gaza"}),
    ("foreign affairs desk", {"desk": "affairs", "groups": ["foreign"]}),
    ("desk:politics drafts", {"desk": "politics", "status": "draft"}),
    ("desk: politics", {"desk": "politics", "groups": []}),
    ("status:draft", {"status": "draft", "describe": "drafts"}),
    ("status:published Ukraine", {"status": "published", "topic": "Ukraine"}),
    ("status:bogus Ukraine", {"status": None, "topic": "Ukraine"}),
    ("draft stories on Ukraine", {"status": "draft", "topic": "Ukraine"}),
    ("unpublished Ukraine", {"status": "draft", "topic": "Ukraine"}),
    ("the draft law", {"status": None, "groups": ["draft", "law"]}),
    ("limit:20 Ukraine", {"limit": 20, "topic": "Ukraine"}),
    ("limit:abc Ukraine", {"limit": None, "topic": "Ukraine"}),
    ("last 5 stories", {"limit": 5, "intent": Intent.LATEST, "since": None}),
    ("5 latest stories on Brexit", {"limit": 5, "topic": "Brexit"}),
    ("10 stories on Gaza", {"limit": 10, "topic": "Gaza"}),
    ("top ten climate", {"limit": 10, "intent": Intent.SEARCH, "topic": "climate"}),
    ("top 0 Ukraine", {"limit": None}),
    ("top 999999999999999999999 Ukraine", {"limit": MAX_LIMIT}),
    ("show me 3 stories about Gaza", {"limit": 3, "topic": "Gaza"}),
    # phrases and exclusions
    (
        '"peace deal" -sport last 3 days',
        {
            "groups": ["peace deal"],
            "excluded": ("sport",),
            "since": utc(2025, 1, 5, 15),
            "describe": '"peace deal" without sport in the last 3 days',
        },
    ),
    ("“peace deal” Gaza", {"groups": ["peace deal", "Gaza"]}),
    ('-"peace deal" Gaza', {"excluded": ("peace deal",), "groups": ["Gaza"]}),
    ("Ukraine excluding sport", {"excluded": ("sport",), "topic": "Ukraine"}),
    ("Ukraine -sport -Sport -football", {"excluded": ("sport", "football")}),
    ('"peace deal', {"groups": ["peace", "deal"]}),
    ('""', {"intent": Intent.HELP}),
    ("anti-war protests", {"groups": ["anti-war", "protests"]}),
    ("sport -", {"groups": ["sport"], "excluded": ()}),
    # aliases
    ("latest on us", {"groups": [], "topic": "", "describe": "everything"}),
    ("latest on US", {"groups": ["US"]}),
    ("U.S. trade", {"groups": ["U.S.", "trade"]}),
    ("latest on the United Kingdom", {"groups": ["United Kingdom"]}),
    ("climate change", {"groups": ["climate change"]}),
    ("People's Republic of China", {"groups": ["People's Republic of China"]}),
    ("Ukraine's war", {"groups": ["Ukraine's", "war"]}),
    ("Ukraine or Russia", {"groups": ["Ukraine or Russia"]}),
    ("Ukraine and Russia", {"groups": ["Ukraine", "Russia"], "topic": "Ukraine and Russia"}),
    ("Bank of England rates", {"groups": ["Bank of England", "rates"]}),
    ("Ukraine Ukraine ukraine", {"groups": ["Ukraine"]}),
    # nonsense, Unicode, injection-looking input
    ("asdfghjkl", {"intent": Intent.LATEST, "groups": ["asdfghjkl"]}),
    ("Zürich Киев 東京", {"groups": ["Zürich", "Киев", "東京"]}),  # scripts do not join
    ("آخر الأخبار عن أوكرانيا", {"groups": ["آخر", "الأخبار", "عن", "أوكرانيا"]}),
    ("\u202eUkraine\u202c", {"groups": ["Ukraine"]}),
    ("हिन्दी समाचार", {"groups": ["हिन्दी", "समाचार"]}),
    ("ＵＳ", {"groups": ["US"]}),
    ("'; DROP TABLE stories; --", {"groups": ["DROP TABLE"]}),
    ("NEAR(ukraine, russia)", {"groups": ["ukraine", "russia"]}),
    ("title:foo ^bar* baz", {"groups": ["title", "foo", "bar", "baz"]}),
    ("Robert'); DROP TABLE--", {"groups": ["Robert", "DROP", "TABLE"]}),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_question(text: str, expected: dict[str, Any]) -> None:
    question = parse(text)
    for name, value in expected.items():
        if name == "groups":
            assert labels(question) == value
        elif name == "describe":
            assert question.describe() == value
        else:
            assert getattr(question, name) == value, name


def test_alias_expansion_lists_every_name_of_the_topic() -> None:
    question = parse("latest on Ukraine")
    assert question.groups == (TermGroup("Ukraine", UKRAINE),)


def test_alias_typed_as_an_alias_keeps_what_was_typed_first() -> None:
    (group,) = parse("Britain").groups
    assert group.alternatives[0] == "Britain"
    assert set(group.alternatives) == {"Britain", "UK", "United Kingdom", "British", "U K"}


def test_dotted_acronyms_become_plain_words() -> None:
    (group,) = parse("latest on the U.S.").groups
    assert group.label == "U.S."
    # A dotted name of the table is searched as its letters: wire copy's "U.S.", not "us".
    assert group.alternatives == (
        "US",
        "United States",
        "United States of America",
        "American",
        "U S",
    )


def test_a_name_typed_in_lower_case_is_searched_as_the_table_spells_it() -> None:
    (group,) = parse("latest on ukraine").groups
    assert group.label == "ukraine"
    assert group.alternatives == UKRAINE
    (group,) = parse("what's new with kyiv").groups
    assert group.alternatives[0] == "Kyiv"


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("us interest rates", True),  # before a subject word it describes: the country
        ("any us news", True),
        ("news from the us", True),  # after "the": the country
        ("gasoline in the us", True),
        ("u.s. wheat", True),  # dots or capitals: the country
        ("US", True),
        ("tell us about wheat", False),  # after a verb that takes a person: the pronoun
        ("show us wheat stories", False),
        ("what do you have for us", False),  # nothing after it: the pronoun
    ],
)
def test_lower_case_us_is_the_country_only_where_it_is_used_as_a_name(
    text: str, country: bool
) -> None:
    question = parse(text)
    assert any("United States" in g.alternatives for g in question.groups) == country


def test_members_after_a_group_of_countries_are_not_a_required_word() -> None:
    assert labels(parse("UN members")) == ["UN"]
    assert labels(parse("un member states")) == ["un"]


def test_multi_word_alias_is_matched_longest_first() -> None:
    (group,) = parse("United States of America").groups
    assert group.alternatives[0] == "United States of America"
    assert "US" in group.alternatives


def test_or_merges_the_alternatives_of_both_topics() -> None:
    (group,) = parse("Ukraine or Russia").groups
    assert group.alternatives == (*UKRAINE, "Russia", "Russian", "Moscow", "Kremlin")


def test_quoted_phrase_is_not_alias_expanded() -> None:
    assert parse('"Ukraine"').groups == (TermGroup("Ukraine", ("Ukraine",), phrase=True),)


def test_hyphenated_words_stay_one_group_of_adjacent_words() -> None:
    assert parse("anti-war").groups == (TermGroup("anti-war", ("anti war",)),)


@pytest.mark.parametrize(
    ("text", "required", "ranking"),
    [
        ("Soviet grain purchases", ["Soviet", "grain"], ["purchases"]),
        ("wheat exports to the Soviet Union", ["wheat", "Soviet Union"], ["exports"]),
        ("OPEC oil output", ["OPEC", "oil"], ["output"]),
        # After a name, or alone, the trade word is the subject itself.
        ("UK exports", ["UK", "exports"], []),
        ("exports", ["exports"], []),
    ],
)
def test_trade_words_after_a_commodity_rank_but_are_not_required(
    text: str, required: list[str], ranking: list[str]
) -> None:
    groups = parse_question(text, now=NOW, aliases=load_alias_table()).groups
    assert [g.label for g in groups if not g.optional] == required
    assert [g.label for g in groups if g.optional] == ranking


def test_from_an_unknown_name_keeps_the_reading_as_subject_for_search() -> None:
    question = parse("latest on wheat from Harbour Mills")
    assert question.outlet == "Harbour Mills"
    assert question.as_subject is not None
    assert question.as_subject.outlet is None
    assert labels(question.as_subject) == ["wheat", "Harbour Mills"]
    # An outlet typed as a field, a known place and a byline leave nothing to guess.
    assert parse("wheat outlet:Reuters").as_subject is None
    assert parse("news from Ukraine").as_subject is None
    assert parse("stories by Jane Doe").as_subject is None


def test_builtin_alias_table_expands_common_topics() -> None:
    aliases = load_alias_table()
    question = parse_question("latest on UK", now=NOW, aliases=aliases)
    assert {"Britain", "British", "United Kingdom"} <= set(question.groups[0].alternatives)


@pytest.mark.parametrize(
    ("text", "subject", "names"),
    [
        ("UK money supply", "money supply", {"M3", "M0", "money growth"}),
        ("German money supply", "money supply", {"M3"}),
        ("US consumer prices", "consumer prices", {"CPI", "consumer price index"}),
        ("UK unemployment", "unemployment", {"jobless"}),
        ("US interest rates", "interest rates", {"prime rate", "discount rate", "rate cut"}),
        ("Japan GNP", "GNP", {"gross national product", "GDP"}),
        ("Japan industrial production", "industrial production", {"industrial output"}),
        ("US retail sales", "retail sales", {"retail sales"}),
    ],
)
def test_economic_figures_are_one_subject_with_the_names_wire_copy_uses(
    text: str, subject: str, names: set[str]
) -> None:
    # A place and a figure: two subjects, the figure found under any of its names, not
    # its words one by one ("consumer" anywhere and "prices" anywhere).
    place, figure = parse_question(text, now=NOW, aliases=load_alias_table()).groups
    assert place.label == text.split()[0]
    assert figure.label == subject
    assert names <= set(figure.alternatives)


@pytest.mark.parametrize(
    ("timezone", "text", "since", "until"),
    [
        # 15:00 UTC is 10:00 in New York, the same Wednesday.
        ("America/New_York", "today", utc(2025, 1, 8, 5), None),
        ("America/New_York", "this week", utc(2025, 1, 6, 5), None),
        ("America/New_York", "yesterday", utc(2025, 1, 7, 5), utc(2025, 1, 8, 5)),
        ("America/New_York", "in January", utc(2025, 1, 1, 5), utc(2025, 2, 1, 5)),
        ("America/New_York", "since Monday", utc(2025, 1, 6, 5), None),
        ("America/New_York", "last 24 hours", utc(2025, 1, 7, 15), None),
        # 15:00 UTC is already Thursday 00:00 in Tokyo.
        ("Asia/Tokyo", "today", utc(2025, 1, 8, 15), None),
        ("Asia/Tokyo", "yesterday", utc(2025, 1, 7, 15), utc(2025, 1, 8, 15)),
        ("Asia/Tokyo", "on Wednesday", utc(2025, 1, 7, 15), utc(2025, 1, 8, 15)),
        ("Asia/Tokyo", "from Monday to Wednesday", utc(2025, 1, 5, 15), utc(2025, 1, 8, 15)),
        # London changes to summer time on 30 March 2025: the day is 23 hours long.
        ("Europe/London", "on 2025-03-30", utc(2025, 3, 30), datetime(2025, 3, 30, 23, tzinfo=UTC)),
    ],
)
def test_time_windows_follow_the_newsroom_timezone(
    timezone: str, text: str, since: datetime, until: datetime | None
) -> None:
    question = parse(text, timezone)
    assert (question.since, question.until) == (since, until)
    for moment in (question.since, question.until):
        assert moment is None or moment.utcoffset() == timedelta(0)


def test_since_monday_on_a_monday_means_a_week_ago() -> None:
    monday = datetime(2025, 1, 6, 9, tzinfo=UTC)
    question = parse_question("since Monday", now=monday, aliases=ALIASES)
    assert question.since == utc(2024, 12, 30)


def test_in_a_month_not_yet_reached_means_last_year() -> None:
    question = parse("in March")
    assert (question.since, question.until) == (utc(2024, 3, 1), utc(2024, 4, 1))
    assert question.describe() == "stories in March 2024"


def test_naive_now_is_taken_as_utc() -> None:
    question = parse_question("today", now=datetime(2025, 1, 8, 15), aliases=ALIASES)
    assert question.since == utc(2025, 1, 8)


def test_huge_rolling_window_is_clamped_not_an_error() -> None:
    question = parse("last 99999999999999 years")
    assert question.since is not None
    assert question.since.year == 1900


def test_contradictory_windows_keep_the_last_one() -> None:
    question = parse("in 2024 since 2025-01-06")
    assert (question.since, question.until) == (utc(2025, 1, 6), None)


def test_overlapping_windows_intersect() -> None:
    question = parse("in January since 2025-01-06")
    assert (question.since, question.until) == (utc(2025, 1, 6), utc(2025, 2, 1))


def test_very_long_input_is_cut_and_bounded() -> None:
    text = "latest on Ukraine " + "sanctions " * 10_000
    question = parse(text)
    assert len(question.raw) <= MAX_QUESTION_CHARS
    assert question.groups[0].label == "Ukraine"
    assert len(question.groups) <= 12


def test_very_long_single_word_gives_a_bounded_term() -> None:
    question = parse("x" * 5000)
    (group,) = question.groups
    assert 0 < len(group.alternatives[0]) <= 100


def test_many_distinct_words_are_capped() -> None:
    question = parse(" ".join(f"word{n}" for n in range(100)))
    assert len(question.groups) == 12


def test_raw_is_the_cleaned_text() -> None:
    assert parse("<@U1>  latest   on\nUkraine").raw == "latest on Ukraine"


def test_non_string_input_is_not_an_error() -> None:
    question = parse_question(None, now=NOW, aliases=ALIASES)  # type: ignore[arg-type]
    assert question.intent is Intent.HELP


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("U.S.", "US"),
        ("anti-war", "anti war"),
        ("'quoted'", "quoted"),
        ("rock''n''roll", "rock'n'roll"),
        ("NEAR(a b)", "NEAR a b"),
        ('"; DROP TABLE x; --', "DROP TABLE x"),
        ("col:value*", "col value"),
        ("Zürich", "Zürich"),
        ("snake_case", "snake case"),
        ("!!!", ""),
    ],
)
def test_clean_term(text: str, expected: str) -> None:
    assert clean_term(text) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (Question(raw="", intent=Intent.LATEST), "everything"),
        (Question(raw="", intent=Intent.LATEST, topic="Ukraine"), "Ukraine"),
        (
            Question(raw="", intent=Intent.LATEST, topic="Ukraine", since=utc(2025, 1, 6)),
            "Ukraine since 2025-01-06",
        ),
        (Question(raw="", intent=Intent.LATEST, until=utc(2025, 1, 6)), "stories until 2025-01-06"),
        (
            Question(raw="", intent=Intent.SEARCH, byline="Jane Doe", status="published"),
            "published stories by Jane Doe",
        ),
        (
            Question(raw="", intent=Intent.SEARCH, topic="Gaza", desk="world", excluded=("sport",)),
            "Gaza from the world desk without sport",
        ),
    ],
)
def test_describe_built_questions(question: Question, expected: str) -> None:
    assert question.describe() == expected


REGIONAL = AliasTable(
    {
        "Belgium": ("Belgian", "Kingdom of Belgium", "Brussels"),
        "Netherlands": ("Dutch", "Holland"),
        "Luxembourg": ("Luxembourger",),
    },
    {"Benelux": Region(("Benelux countries",), ("Belgium", "Netherlands", "Luxembourg"))},
)


def test_a_region_is_searched_as_any_of_its_members() -> None:
    question = parse_question("news from the benelux", now=NOW, aliases=REGIONAL)
    assert question.outlet is None
    (group,) = question.groups
    assert group.label == "benelux"
    # The region's names, then each member's; a longer name that a shorter one finds
    # ("Kingdom of Belgium") is left out.
    assert group.alternatives == (
        "Benelux",
        "Benelux countries",
        "Belgium",
        "Belgian",
        "Brussels",
        "Netherlands",
        "Dutch",
        "Holland",
        "Luxembourg",
        "Luxembourger",
    )
    assert REGIONAL.canonical("Benelux") is None  # a region is not a topic to tag


def test_regions_are_read_from_the_alias_file_format() -> None:
    table = parse_alias_table(
        '[Gulf]\naliases = ["Gulf states"]\nmembers = ["Kuwait", "Qatar"]\n'
        '[Kuwait]\naliases = ["Kuwaiti"]\n'
    )
    assert table.region("gulf states") == "Gulf"
    assert table.regions["Gulf"] == Region(("Gulf states",), ("Kuwait", "Qatar"))
    assert table.topics == {"Kuwait": ("Kuwaiti",)}
    with pytest.raises(NewsdeskError, match="members must be"):
        parse_alias_table('[Gulf]\naliases = []\nmembers = "Kuwait"\n')


def test_builtin_regions_are_bounded_and_name_nothing_else() -> None:
    aliases = load_alias_table()
    assert len(aliases.regions) >= 20
    for canonical, region in aliases.regions.items():
        for name in (canonical, *region.aliases):
            assert aliases.canonical(name) is None, name  # no region name is a topic's
        for member in region.members:
            # Every place is known; a group of goods ("softs") may name plain words.
            assert aliases.canonical(member) is not None or member.islower(), member
        question = parse_question(canonical, now=NOW, aliases=aliases)
        (group,) = question.groups
        assert len(group.alternatives) <= 4 + 4 * len(region.members) + len(region.aliases)
        assert len(group.alternatives) <= 100
    gulf = parse_question("gulf arab states", now=NOW, aliases=aliases).groups[0]
    assert {"Kuwait", "Saudi", "Qatar"} <= set(gulf.alternatives)  # "Saudi" finds Saudi Arabia
    assert "Iran" not in gulf.alternatives


def test_a_former_state_in_a_region_is_searched_by_its_own_names() -> None:
    table = AliasTable(
        {"Germany": ("German", "Berlin", "East Germany", "East German")},
        {"East bloc": Region((), ("East Germany",))},
    )
    (group,) = parse_question("east bloc", now=NOW, aliases=table).groups
    assert group.alternatives == ("East bloc", "East Germany", "East German")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A city of a million people or a state is one name in any case, not two words.
        ("sao paulo coffee", [("sao paulo", ("São Paulo", "Sao Paulo")), ("coffee", ("coffee",))]),
        ("new mexico oil", [("new mexico", ("New Mexico",)), ("oil", ("oil",))]),
        ("news from rio de janeiro", [("rio de janeiro", ("Rio de Janeiro",))]),
    ],
)
def test_a_multi_word_place_is_one_name_in_lower_case(
    text: str, expected: list[tuple[str, tuple[str, ...]]]
) -> None:
    question = parse(text)
    assert question.outlet is None
    assert [(g.label, g.alternatives) for g in question.groups] == expected


def test_a_question_naming_a_subject_can_be_answered_with_its_plain_words_ranking() -> None:
    question = parse("ukraine grain harvest")
    assert [(g.label, g.optional) for g in question.groups] == [
        ("ukraine", False),
        ("grain", False),
        ("harvest", False),
    ]
    assert question.broader is not None
    assert [(g.label, g.optional) for g in question.broader.groups] == [
        ("ukraine", False),
        ("grain", True),
        ("harvest", True),
    ]
    # Nothing to loosen: only plain words, or only named subjects.
    assert parse("grain harvest").broader is None
    assert parse("ukraine or russia").broader is None


@pytest.mark.parametrize(
    ("text", "rates"),
    [
        ("canadian rates", True),  # a country's rates are its interest rates
        ("are uk rates going up?", True),
        ("freight rates", False),  # after a common word, the word itself
        ("rates", False),
    ],
)
def test_a_countrys_rates_are_its_interest_rates(text: str, rates: bool) -> None:
    groups = parse_question(text, now=NOW, aliases=load_alias_table()).groups
    assert ("prime rate" in groups[-1].alternatives) == rates
