"""Place names for questions, generated from data rather than listed by hand.

Every country of ISO 3166 (``pycountry``) gets its names: the ISO name, common and
official names, the capital, the demonym and alternative English spellings
(``countryinfo``), and the demonyms, short and former names of ``news/data/places.tsv``
(``Soviet``, ``Peking``, ``West German``). Former states are found under their successor
(``SUCCESSORS``: the Soviet Union under Russia).

A name that belongs to two countries (``Congolese``, ``Korea``, ``Jerusalem``) is left out:
it would widen a question to the wrong place, unless one of them has at least
``DOMINANCE`` times the other's people (``Chinese`` is China's, not Macao's; ``Kingston``
Jamaica's, not Norfolk Island's). The curated table (``news/data/aliases.toml``)
wins over generated names: ``Brussels`` stays the EU there, not Belgium.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# Former states and the country their names are found under.
SUCCESSORS = {"SU": "RU"}
# Generated names never used: English words that a question means as words, not places.
NOT_PLACE_NAMES = frozenset({"male", "victoria", "hamilton", "stanley", "plymouth", "mariana"})
DOMINANCE = 50
_CODE = re.compile(r"^[A-Z]{2,3}$")
_LATIN = re.compile(r"^[A-Za-z][A-Za-z .'’&-]*[A-Za-z.]$")


def _plain(name: str) -> str:
    """``Bogotá`` → ``Bogota``: the spelling editors type."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class Gazetteer:
    """Names by ISO code (preferred first) and the names left out as ambiguous."""

    names: dict[str, tuple[str, ...]]
    ambiguous: dict[str, tuple[str, ...]]  # folded name -> the codes it would mean


def _usable(name: str) -> bool:
    name = name.strip()
    return (
        len(name) >= 3
        and not _CODE.match(name)
        and bool(_LATIN.match(name))
        and _fold(name) not in NOT_PLACE_NAMES
        and len(name.split()) <= 6
    )


def _country_names() -> tuple[dict[str, list[str]], dict[str, int]]:
    import countryinfo
    import pycountry

    names: dict[str, list[str]] = defaultdict(list)
    population: dict[str, int] = {}
    for country in pycountry.countries:
        for attribute in ("common_name", "name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names[country.alpha_2].append(value)
                if ", " in value:  # "Korea, Republic of" is also said "Korea"
                    names[country.alpha_2].append(value.split(", ")[0])
    for info in countryinfo.all_countries():
        data = info.info()
        code = (data.get("ISO") or {}).get("alpha2")
        if not code:
            continue
        if isinstance(data.get("population"), int):
            population[code] = data["population"]
        capital = data.get("capital")
        capitals = capital if isinstance(capital, list) else [capital] if capital else []
        for value in [data.get("name"), data.get("demonym"), *capitals]:
            if isinstance(value, str) and value:
                names[code].append(value)
        for value in data.get("altSpellings") or ():
            if isinstance(value, str):
                names[code].append(value)
    text = resources.files("news").joinpath("data/places.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            name, code = line.split("\t")[:2]
            names[code.strip()].append(name.strip())
    for code, values in names.items():
        names[code] = [plain for value in values for plain in dict.fromkeys((value, _plain(value)))]
    for former, successor in SUCCESSORS.items():
        names[successor].extend(names.pop(former, []))
    return names, population


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """Every country's usable names; names claimed by two countries set apart."""
    raw, population = _country_names()
    owners: dict[str, set[str]] = defaultdict(set)
    for code, names in raw.items():
        for name in names:
            if _usable(name):
                owners[_fold(name)].add(code)
    ambiguous: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for name, codes in owners.items():
        ranked = sorted(codes, key=lambda c: -population.get(c, 0))
        if len(ranked) == 1 or population.get(ranked[0], 0) >= DOMINANCE * max(
            1, population.get(ranked[1], 0)
        ):
            owner[name] = ranked[0]
        else:
            ambiguous[name] = tuple(sorted(codes))
    result: dict[str, tuple[str, ...]] = {}
    for code, names in raw.items():
        kept: dict[str, str] = {}
        for name in names:
            folded = _fold(name)
            if _usable(name) and owner.get(folded) == code:
                kept.setdefault(folded, name.strip())
        if kept:
            result[code] = tuple(kept.values())
    return Gazetteer(result, ambiguous)


def place_topics(
    curated: dict[str, tuple[str, ...]], gazetteer: Gazetteer | None = None
) -> dict[str, tuple[str, ...]]:
    """``curated`` with every country's generated names added.

    A country whose names the curated table knows is filed under that table's topic
    ("Britain" → UK); others under their first name. A name the curated table gives to
    another topic stays there.
    """
    gazetteer = gazetteer or load_gazetteer()
    claimed: dict[str, str] = {}
    for canonical, aliases in curated.items():
        for name in (canonical, *aliases):
            claimed.setdefault(_fold(name), canonical)
    topics = {canonical: list(aliases) for canonical, aliases in curated.items()}
    for names in gazetteer.names.values():
        canonical = next((claimed[_fold(n)] for n in names if _fold(n) in claimed), names[0])
        entry = topics.setdefault(canonical, [])
        known = {_fold(canonical), *(_fold(a) for a in entry)}
        for name in names:
            folded = _fold(name)
            if folded in known or claimed.get(folded, canonical) != canonical:
                continue
            entry.append(name)
            known.add(folded)
            claimed[folded] = canonical
    return {canonical: tuple(aliases) for canonical, aliases in topics.items()}


def names_of(code: str) -> Iterable[str]:
    """The generated names of one country (ISO alpha-2), preferred first."""
    return load_gazetteer().names.get(code, ())


# A city of this many people is known by name in questions; smaller ones are more often
# words ("Sugar Land", "Live Oak") than the place asked about.
PHRASE_CITY_POPULATION = 1_000_000


@lru_cache(maxsize=1)
def place_phrases() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Multi-word place names that are not countries, by their folded words: the spellings
    of each (``("sao", "paulo")`` → ``("São Paulo", "Sao Paulo")``).

    GeoNames cities of ``PHRASE_CITY_POPULATION`` people or more (``news/data/cities.tsv``)
    and the states and provinces of the United States, Canada and Australia
    (``pycountry``): in a question typed in lower case, "new york" or "sao paulo" is one
    name, not two words (and "new mexico" is not Mexico).
    """
    import pycountry

    names: list[str] = []
    text = resources.files("news").joinpath("data/cities.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, population = line.split("\t")[:3]
            if int(population) >= PHRASE_CITY_POPULATION:
                names.append(name)
    for country in ("US", "CA", "AU"):
        names.extend(s.name for s in pycountry.subdivisions.get(country_code=country) or ())
    phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for name in names:
        words = tuple(_plain(name).casefold().split())
        if 2 <= len(words) <= 4:
            spellings = phrases.get(words, ())
            phrases[words] = tuple(dict.fromkeys([*spellings, name, _plain(name)]))
    return phrases


# The UN M49 subregions and regions, by the names ``countryinfo`` files countries under,
# with their M49 codes (https://unstats.un.org/unsd/methodology/m49/): the code gives the
# region's everyday English name in CLDR (``babel``), "Australasia" for "Australia and New
# Zealand" (053), "Southeast Asia" for "South-eastern Asia" (035).
M49_CODES = {
    "Australia and New Zealand": "053",
    "Melanesia": "054",
    "Micronesia": "057",
    "Polynesia": "061",
    "Western Europe": "155",
    "Northern Europe": "154",
    "Southern Europe": "039",
    "Eastern Europe": "151",
    "Western Asia": "145",
    "Central Asia": "143",
    "Eastern Asia": "030",
    "Southern Asia": "034",
    "South-eastern Asia": "035",
    "Northern America": "021",
    "Latin America and the Caribbean": "419",
    "Northern Africa": "015",
    "Sub-Saharan Africa": "202",
    "Africa": "002",
    "Americas": "019",
    "Asia": "142",
    "Europe": "150",
    "Oceania": "009",
}
# Countries ``countryinfo`` files under no region, with their M49 subregion and region.
M49_GAPS = {"GB": ("Northern Europe", "Europe")}


@lru_cache(maxsize=1)
def m49_regions() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every M49 subregion and region: its names (the M49 name first, then CLDR's English
    name when it differs) and its member countries (ISO alpha-2), from ``countryinfo``."""
    import countryinfo
    from babel import Locale

    members: dict[str, list[str]] = defaultdict(list)
    for info in countryinfo.all_countries():
        data = info.info()
        code = (data.get("ISO") or {}).get("alpha2")
        if not isinstance(code, str) or not code:
            continue
        subregion, region = data.get("subregion"), data.get("region")
        if not subregion and code in M49_GAPS:
            subregion, region = M49_GAPS[code]
        for name in (subregion, region):
            if isinstance(name, str) and name:
                # countryinfo writes one country's subregion "South-Eastern Asia".
                key = next(
                    (known for known in M49_CODES if known.casefold() == name.casefold()), name
                )
                if code not in members[key]:
                    members[key].append(code)
    english = Locale("en").territories
    regions: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for name, codes in members.items():
        m49 = M49_CODES.get(name)
        if m49 is None:
            continue
        names = tuple(dict.fromkeys([name, english.get(m49, name)]))
        regions[name] = (names, tuple(sorted(codes)))
    return regions
