"""The generated gazetteer and the built-in alias table: size, names found, collisions."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pycountry
import pytest

from news.aliases import builtin_alias_table, load_alias_table, parse_alias_table
from news.errors import NewsdeskError
from news.gazetteer import NOT_PLACE_NAMES, load_gazetteer
from news.questions import parse_question

NOW = datetime(2025, 1, 8, tzinfo=UTC)


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def test_every_country_has_names_and_the_table_is_of_a_known_size() -> None:
    gazetteer = load_gazetteer()
    assert len(gazetteer.names) >= 240
    assert 900 <= sum(len(names) for names in gazetteer.names.values()) <= 3000
    for country in pycountry.countries:
        assert country.alpha_2 in gazetteer.names or any(
            country.alpha_2 in codes for codes in gazetteer.ambiguous.values()
        ), country.name
    table = builtin_alias_table()
    assert 250 <= len(table.topics) <= 600
    assert all(len(aliases) <= 40 for aliases in table.topics.values())


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Kuwaiti", "Kuwait"),
        ("Saudi", "Saudi Arabia"),
        ("Ottawa", "Canada"),
        ("Bonn", "West Germany"),
        ("Peking", "China"),
        ("Soviet", "Russia"),
        ("the Kremlin", None),  # "Kremlin" is Russia; "the" is not part of the name
        ("Kremlin", "Russia"),
        ("Bogota", "Colombia"),
        ("Kuala Lumpur", "Malaysia"),
        ("The Hague", "Netherlands"),
        ("Sri Lanka", "Sri Lanka"),
        ("Fed", "Federal Reserve"),
        ("Common Market", "EU"),
        ("EC", "EU"),
        ("Bundesbank", "Bundesbank"),
        ("OPEC", "OPEC"),
        ("sterling", "sterling"),
        ("Deutsche mark", "German mark"),
        ("Britain", "UK"),
        ("Dutch central bank", "Netherlands Bank"),
        ("riksbank", "Riksbank"),
        ("tin council", "International Tin Council"),
        ("USDA", "US Agriculture Department"),
        ("ITC", None),  # two bodies go by it: neither
    ],
)
def test_names_editors_use_find_their_subject(name: str, canonical: str | None) -> None:
    assert load_alias_table().canonical(name) == canonical


def test_a_name_of_two_countries_is_left_out() -> None:
    gazetteer = load_gazetteer()
    assert gazetteer.ambiguous["congolese"] == ("CD", "CG")
    assert "korea" in gazetteer.ambiguous
    table = builtin_alias_table()
    assert table.canonical("Congolese") is None
    assert table.canonical("Korea") is None
    assert table.canonical("South Korea") == "South Korea"


def test_no_name_means_two_subjects_and_curated_names_win() -> None:
    table = builtin_alias_table()
    owners: dict[str, set[str]] = defaultdict(set)
    for canonical, aliases in table.topics.items():
        for name in (canonical, *aliases):
            owners[_fold(name)].add(canonical)
    collisions = {name: topics for name, topics in owners.items() if len(topics) > 1}
    assert collisions == {}
    assert table.canonical("Brussels") == "EU"  # curated, not Belgium's capital
    assert table.canonical("mark") is None  # a common word is not a currency's alias
    assert not any(table.canonical(word) for word in NOT_PLACE_NAMES)


def test_a_newsroom_file_extends_the_built_in_table(tmp_path: Path) -> None:
    extra = tmp_path / "aliases.toml"
    extra.write_text('["Harbour Council"]\naliases = ["the council", "HC"]\n', encoding="utf-8")
    table = load_alias_table([extra])
    assert table.canonical("HC") == "Harbour Council"
    assert table.canonical("Kuwaiti") == "Kuwait"


@pytest.mark.parametrize(
    ("question", "first_group"),
    [
        ("news from Greece", "Greece"),
        ("latest from Peking", "Peking"),
        ("news out of Tokyo", "Tokyo"),
        ("what's new in Bonn", "Bonn"),
    ],
)
def test_from_a_place_is_the_place_not_an_outlet(question: str, first_group: str) -> None:
    parsed = parse_question(question, now=NOW, aliases=load_alias_table())
    assert parsed.outlet is None
    assert parsed.groups[0].label == first_group
    assert len(parsed.groups[0].alternatives) > 1


def test_from_a_name_is_an_outlet_only_when_the_archive_has_it() -> None:
    aliases = load_alias_table()
    known = parse_question(
        "climate from The Harbour Gazette", now=NOW, aliases=aliases, outlets=["Harbour Gazette"]
    )
    assert known.outlet == "The Harbour Gazette"
    unknown = parse_question(
        "climate from Narnia Weekly", now=NOW, aliases=aliases, outlets=["Harbour Gazette"]
    )
    assert unknown.outlet is None
    assert [g.label for g in unknown.groups] == ["climate", "Narnia Weekly"]


@pytest.mark.parametrize(
    ("question", "labels", "optional"),
    [
        ("World Bank lending", ["World Bank", "lending"], []),
        ("Bank of Japan", ["Bank of Japan"], []),
        ("what's happening in the lead market", ["lead", "market"], ["market"]),
        ("what is Treasury Secretary Baker saying", ["Treasury Secretary", "Baker"], []),
        ("US GNP", ["US", "GNP"], []),
        ("Oil Prices In Asia Today", ["Oil", "Prices", "Asia"], []),  # Title Case: no phrase
        ("where's WTI trading", ["WTI", "trading"], []),
        ("who's buying whom?", ["buying"], []),
        ("anyone building a stake?", ["building", "stake"], []),
        ("US-Soviet relations", ["US", "Soviet", "relations"], ["relations"]),
        ("franco-german ties", ["franco", "german", "ties"], ["ties"]),
        ("a state-owned firm", ["state-owned", "firm"], []),  # not places: one word
        ("us steel industry", ["us", "steel", "industry"], ["industry"]),
    ],
)
def test_names_are_phrases_and_filler_is_dropped(
    question: str, labels: list[str], optional: list[str]
) -> None:
    parsed = parse_question(question, now=NOW, aliases=load_alias_table())
    assert [g.label for g in parsed.groups] == labels
    assert [g.label for g in parsed.groups if g.optional] == optional


def test_place_phrases_are_multi_word_cities_and_states_only() -> None:
    from news.gazetteer import place_phrases

    phrases = place_phrases()
    assert phrases[("sao", "paulo")] == ("São Paulo", "Sao Paulo")
    assert ("new", "york") in phrases  # a state
    assert ("sugar", "land") not in phrases  # a small city whose name is two words
    assert all(2 <= len(words) <= 4 for words in phrases)
    assert len(phrases) < 500


def test_un_m49_regions_are_generated_where_no_curated_region_or_place_has_the_name() -> None:
    table = builtin_alias_table()
    # The M49 name and CLDR's everyday English name for it.
    assert table.region("australasia") == table.region("Australia and New Zealand")
    australasia = table.regions[table.region("australasia") or ""]
    assert {"Australia", "New Zealand"} <= set(australasia.members)
    assert {"France", "Germany", "Netherlands"} <= set(table.regions["Western Europe"].members)
    assert "UK" in table.regions["Northern Europe"].members  # a gap in countryinfo, filled
    # "Micronesia" is a country: the region goes by its other name.
    assert table.canonical("Micronesia") == "Micronesia"
    assert table.region("Micronesia") is None
    assert "Micronesia" in table.regions["Micronesian Region"].members
    # A curated region wins over the generated one of the same name.
    text = resources.files("news").joinpath("data/regions.toml").read_text(encoding="utf-8")
    curated = parse_alias_table(text).regions
    for name in ("Eastern Europe", "Northern Africa", "Eastern Asia"):
        assert table.regions[name] == curated[name], name
    # A continent is searched by its own name, not as fifty countries.
    for continent in ("Africa", "Europe", "Asia", "Americas", "Oceania"):
        assert table.region(continent) is None, continent
    (group,) = parse_question("latest on australasia", now=NOW, aliases=table).groups
    assert {"Australia", "New Zealand", "Wellington", "Canberra"} <= set(group.alternatives)


def test_groupings_m49_does_not_name_are_curated_with_their_members() -> None:
    table = builtin_alias_table()
    for question, members in (
        ("news from the levant", {"Syria", "Lebanon", "Jordan"}),
        ("the andean countries", {"Peru", "Bolivia", "Ecuador"}),
        ("southern cone", {"Argentina", "Chile", "Uruguay"}),
        ("the asian tigers", {"Hong Kong", "Singapore", "Taiwan"}),
        ("indochina", {"Vietnam", "Laos", "Cambodia"}),
    ):
        (group,) = parse_question(question, now=NOW, aliases=table).groups
        assert members <= set(group.alternatives), question


def test_a_commodity_is_found_by_its_other_trade_names_and_spellings() -> None:
    table = builtin_alias_table()
    for name, canonical in (
        ("canola", "rapeseed"),
        ("petrol", "gasoline"),
        ("gasoil", "gas oil"),
        ("aluminum", "aluminium"),
        ("soya beans", "soybeans"),
        ("factory-gate prices", "producer prices"),
    ):
        assert table.canonical(name) == canonical, name
    (group, *_) = parse_question("any news on canola?", now=NOW, aliases=table).groups
    assert {"canola", "rapeseed"} <= {a.casefold() for a in group.alternatives}


def test_a_topic_finds_its_one_way_names_which_do_not_find_it() -> None:
    table = parse_alias_table(
        '[inflation]\naliases = ["inflation rate"]\nfinds = ["consumer prices", "CPI"]\n'
        '["consumer prices"]\naliases = ["CPI"]\n'
    )
    assert table.expand("inflation rate") == [
        "inflation",
        "inflation rate",
        "consumer prices",
        "CPI",
    ]
    assert table.expand("consumer prices") == ["consumer prices", "CPI"]
    assert table.canonical("CPI") == "consumer prices"  # tagging never maps it to inflation
    # A newsroom's entry for the topic replaces its one-way names too.
    own = table.merged_with(parse_alias_table('[inflation]\naliases = ["price rises"]\n'))
    assert own.expand("inflation") == ["inflation", "price rises"]


@pytest.mark.parametrize(
    "text",
    [
        '[inflation]\nfinds = "CPI"\n',
        '[Benelux]\naliases = []\nmembers = ["Belgium"]\nfinds = ["x"]',
    ],
)
def test_bad_one_way_names_are_refused_with_the_entry_named(text: str) -> None:
    with pytest.raises(NewsdeskError, match=r"\[(inflation|Benelux)\]"):
        parse_alias_table(text, source="aliases.toml")


def test_editors_words_for_company_news_and_prices_find_the_same_stories() -> None:
    table = builtin_alias_table()
    for word in ("takeovers", "mergers", "acquisitions", "leveraged buyouts", "tender offer"):
        assert table.canonical(word) == "mergers and acquisitions", word
    for word in ("profits", "net income", "company results", "corporate earnings"):
        assert table.canonical(word) == "earnings", word
    assert "consumer prices" in table.expand("inflation")
    assert "inflation" not in table.expand("consumer prices")
    assert "GDP" in table.expand("economic growth")
    assert "economic growth" not in table.expand("GDP")
    assert table.canonical("out of work") == "unemployment"
    assert "trade balance" in table.expand("trade deficit")
    assert table.region("Indian subcontinent") == "South Asia"
    (_, deals) = parse_question("swiss acquisitions", now=NOW, aliases=table).groups
    assert {"takeover", "merger", "acquisition"} <= set(deals.alternatives)
    # a country's economy finds its output releases; grain is every cereal the trade sells
    assert "GNP" in table.expand("economy")
    assert "economy" not in table.expand("GNP")
    (_, grain) = parse_question("moroccan grain", now=NOW, aliases=table).groups
    assert {"wheat", "rice", "corn", "barley", "sorghum"} <= set(grain.alternatives)
    (wheat,) = parse_question("wheat", now=NOW, aliases=table).groups
    assert "grain" not in wheat.alternatives
    # the initials editors use for countries
    assert table.canonical("UAE") == "United Arab Emirates"
    assert table.canonical("NZ") == "New Zealand"


@pytest.mark.parametrize(
    ("question", "offices"),
    [
        ("west german finance minister", [("Finance Minister",)]),
        ("what's the chinese premier saying", [("Premier", "Prime Minister")]),
        ("french PM", [("Prime Minister", "Premier")]),
        ("japanese prime minister", [("Prime Minister", "Premier")]),
        ("the US president", [("President",)]),
    ],
)
def test_an_office_is_searched_by_the_title_copy_writes_before_a_name(
    question: str, offices: list[tuple[str, ...]]
) -> None:
    parsed = parse_question(question, now=NOW, aliases=load_alias_table())
    place, *rest = parsed.groups
    assert len(place.alternatives) > 1  # the country, with its other names
    assert [g.alternatives for g in rest] == offices


def test_both_halves_of_a_hyphenated_pair_of_countries_are_required() -> None:
    table = load_alias_table()
    (china, soviet) = parse_question("Sino-Soviet", now=NOW, aliases=table).groups
    assert "China" in china.alternatives
    assert "Soviet" in soviet.alternatives
    (greece, turkey, dispute) = parse_question(
        "greek-turkish dispute", now=NOW, aliases=table
    ).groups
    assert "Greece" in greece.alternatives
    assert "Turkey" in turkey.alternatives
    assert dispute.alternatives == ("dispute",)


@pytest.mark.parametrize(
    ("question", "implied"),
    [
        ("the peseta", True),
        ("how's the won doing?", True),
        ("Kuwaiti dinar", True),
        ("sterling", True),
        ("who won the election", False),  # another subject: "won" is the verb
        ("Swiss franc bonds", False),  # the bonds are asked for
        ("the dollar against the yen", False),  # two currencies say it already
    ],
)
def test_a_currency_asked_alone_asks_for_its_exchange_rate(question: str, implied: bool) -> None:
    parsed = parse_question(question, now=NOW, aliases=load_alias_table())
    added = [g for g in parsed.groups if g.implied]
    assert bool(added) is implied
    if implied:
        assert "exchange rate" in added[0].alternatives
        assert not added[0].optional
        # Nothing matching it all, the broader question ranks by it instead.
        assert parsed.broader is not None
        assert [g.optional for g in parsed.broader.groups if g.implied] == [True]
        assert all(not g.optional for g in parsed.broader.groups if not g.implied)


@pytest.mark.parametrize(
    ("question", "members"),
    [
        ("what's moving in softs?", {"coffee", "cocoa", "sugar"}),
        ("non-ferrous metals", {"copper", "aluminium", "zinc"}),
        ("feed grains", {"corn", "sorghum", "barley"}),
        ("refined oil products", {"gasoline", "fuel oil"}),
    ],
)
def test_a_group_of_goods_asks_for_every_member(question: str, members: set[str]) -> None:
    (group,) = parse_question(question, now=NOW, aliases=load_alias_table()).groups
    assert members <= set(group.alternatives)
    assert "lead" not in group.alternatives  # the verb in most copy, never a member


def test_trade_names_find_the_goods() -> None:
    table = builtin_alias_table()
    for name, canonical in (
        ("milo", "sorghum"),
        ("paddy", "rice"),
        ("FCOJ", "orange juice"),
        ("bunker fuel", "fuel oil"),
    ):
        assert table.canonical(name) == canonical, name
