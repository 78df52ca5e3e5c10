"""Topic tagging: places, people, organisations and key phrases, ranked by salience.

Places come from pycountry, a demonym file and GeoNames cities (``news/data``), mapped to
countries and named as the alias table names them ("Britain" and "London" → "UK"). People
and organisations come from capitalised spans (titles, company suffixes, acronyms); phrases
from repeated word pairs. A mention weighs more in the headline and the lede; a name seen
once in passing deep in the story is not a topic.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from news.aliases import AliasTable
from news.sentences import split_sentences

HEADLINE_WEIGHT = 3.0
DATELINE_WEIGHT = 2.0
LEDE_WEIGHT = 1.5
BODY_WEIGHT = 1.0
LEDE_SENTENCES = 2
MIN_SCORE = 1.5  # a topic needs a headline, dateline or lede mention, or two in the body
MIN_PHRASE_COUNT = 2
CITY_BODY_POPULATION = 1_000_000  # smaller cities count only in the dateline
MAX_SENTENCES_READ = 300
SUBJECT_SHARE = 0.4  # of the strongest topic of the same kind


@dataclass(frozen=True)
class Topic:
    """A tag for a story; ``kind`` is "place", "person", "organisation" or "phrase"."""

    name: str
    kind: str
    score: float


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_TOKEN = re.compile(r"[^\W_](?:[\w'’&.-]*[^\W_])?\.?|[^\W_]|[,;:()\[\]\"“”]", re.UNICODE)
_CONNECTORS = _word_set("of and de la le van von der du del da al bin el y")
_TITLES = _word_set(
    """president prime minister mr mrs ms miss dr sir dame lord lady king queen prince
    princess pope chancellor senator sen sen. rep rep. gov gov. governor secretary judge
    justice general gen gen. colonel col lieutenant captain chairman chairwoman chief
    executive ceo professor prof mayor ambassador commissioner director spokesman
    spokeswoman coach manager striker defender midfielder goalkeeper actress actor singer
    mr. mrs. ms. dr. st saint sheikh emir ayatollah bishop archbishop cardinal rev"""
)
_ORG_WORDS = _word_set(
    """inc inc. corp corp. co co. ltd ltd. plc llc group bank ministry party council
    association agency university college committee commission company corporation
    airlines airways fund institute federation union department board court reserve
    exchange organisation organization authority service services news times post
    motors holdings industries systems technologies petroleum oil energy trust foundation
    club congress senate parliament police army navy league society office bureau
    government administration assembly hospital school church network airline partners
    capital securities insurance pharmaceuticals labs laboratories media press"""
)
_LEADING_ORG_WORDS = _word_set(
    "bank ministry department university office bureau federation association council"
)
_NOT_NAMES = _word_set(
    """the a an in on at for to of and but or if as by with from this that these those it
    he she they we i you his her its their our there here when while after before during
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december jan feb mar apr jun jul aug
    sep sept oct nov dec mr mrs ms dr however meanwhile also some many most more one two
    three four five six seven eight nine ten first last new year years said says today
    yesterday tonight what who why how where which all no not yes his hers"""
)
_STOP_WORDS = _NOT_NAMES | _word_set(
    """is are was were be been being have has had do does did will would can could should
    may might must shall about above after again against any because below between both
    down each few further into just me more my myself nor now off once only other out over
    own same so such than too under until up very where whom your also according told
    says say per cent percent mln billion million pct vs dlrs dlr cts week weeks month
    months day days time times people way ago end made make get got still back well even"""
)
_DATELINE = re.compile(
    r"^\s*([A-Z][A-Za-z.'’ -]{1,40}?)"
    r"(?:,\s*([A-Z][\w.]*\.?(?:\s[A-Z][\w.]*\.?)?))?,?\s*"
    r"(?:[A-Za-z]{3,9}\.?\s+\d{1,2})?\s*(?:\([A-Za-z ]{1,20}\))?\s*[-–—]{1,2}\s"
)
# US state abbreviations of the AP stylebook, as datelines write them ("AKRON, Ohio").
_US_STATE_ABBREVIATIONS = _word_set(
    """Ala. Ariz. Ark. Calif. Colo. Conn. Del. Fla. Ga. Ill. Ind. Kan. Ky. La. Md. Mass.
    Mich. Minn. Miss. Mo. Mont. Neb. Nev. N.H. N.J. N.M. N.Y. N.C. N.D. Okla. Ore. Pa.
    R.I. S.C. S.D. Tenn. Vt. Va. Wash. W.Va. Wis. Wyo. D.C."""
)


def _fold(name: str) -> str:
    """Case- and accent-insensitive key: "Montréal" and "MONTREAL" match."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True)
class _Gazetteer:
    names: dict[str, str]  # casefolded place name → ISO code
    city_population: dict[str, int]  # casefolded city name → population (cities only)
    display: dict[str, tuple[str, ...]]  # ISO code → names, preferred first


@lru_cache(maxsize=1)
def _load_gazetteer() -> _Gazetteer:
    import pycountry

    names: dict[str, str] = {}
    display: dict[str, list[str]] = defaultdict(list)
    city_population: dict[str, int] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for attribute in ("common_name", "name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names.setdefault(_fold(value), code)
                display[code].append(value)
                if ", " in value:  # "Korea, Republic of" is also found as "Korea"
                    display[code].append(value.split(", ")[0])
    data = resources.files("news").joinpath("data")
    for line in data.joinpath("places.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, code = line.split("\t")[:2]
            names[_fold(name)] = code
            display[code].append(name)
    for code, name in (("SU", "Soviet Union"), ("YU", "Yugoslavia")):
        display[code].insert(0, name)
    for subdivision_country in ("US", "CA", "AU"):
        for subdivision in pycountry.subdivisions.get(country_code=subdivision_country) or ():
            names.setdefault(_fold(subdivision.name), subdivision_country)
    for line in data.joinpath("cities.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, code, population = line.split("\t")
            key = _fold(name)
            if key not in names:
                names[key] = code
                city_population[key] = int(population)
    return _Gazetteer(names, city_population, {k: tuple(v) for k, v in display.items()})


def _country_name(code: str, aliases: AliasTable, gazetteer: _Gazetteer) -> str:
    names = gazetteer.display.get(code, (code,))
    for name in names:
        canonical = aliases.canonical(name)
        if canonical is not None:
            return canonical
    return names[0]


@dataclass
class _Tally:
    kind: str
    score: float = 0.0
    sentences: set[int] | None = None


def tag_topics(
    *, headline: str | None, body: str, aliases: AliasTable, limit: int = 8
) -> list[Topic]:
    """The story's topics, most salient first, at most ``limit``."""
    gazetteer = _load_gazetteer()
    tallies: dict[str, _Tally] = {}
    surnames: dict[str, str] = {}

    def count(name: str, kind: str, weight: float, sentence: int) -> None:
        tally = tallies.setdefault(name, _Tally(kind, 0.0, set()))
        tally.score += weight
        assert tally.sentences is not None
        tally.sentences.add(sentence)

    units: list[tuple[str, float, bool]] = []
    if headline and headline.strip():
        units.append((headline, HEADLINE_WEIGHT, headline.isupper()))
    dateline = _DATELINE.match(body)
    if dateline:
        place = _resolve_dateline(dateline.group(1).strip(), dateline.group(2), aliases)
        if place is not None:
            count(place, "place", DATELINE_WEIGHT, -1)
        body = body[dateline.end() :]
    for index, sentence in enumerate(split_sentences(body)[:MAX_SENTENCES_READ]):
        weight = LEDE_WEIGHT if index < LEDE_SENTENCES else BODY_WEIGHT
        units.append((sentence, weight, sentence.isupper()))
    phrase_counts: dict[str, list[float]] = defaultdict(list)
    for number, (text, weight, shouting) in enumerate(units):
        tokens = _TOKEN.findall(text)
        for name, kind in _find_entities(tokens, aliases, gazetteer, shouting, surnames):
            count(name, kind, weight, number)
        for phrase in _find_phrases(tokens):
            phrase_counts[phrase].append(weight)
    for phrase, weights in phrase_counts.items():
        if len(weights) >= MIN_PHRASE_COUNT and phrase not in tallies:
            tallies[phrase] = _Tally("phrase", 0.5 * sum(weights), set())
    ranked = []
    for name, tally in tallies.items():
        spread = len(tally.sentences or ())
        score = tally.score * (1.0 + 0.1 * min(spread, 10))
        if tally.score >= MIN_SCORE:
            ranked.append(Topic(name=name, kind=tally.kind, score=round(score, 3)))
    ranked.sort(key=lambda topic: (-topic.score, topic.name))
    return _subjects(ranked)[:limit]


def _subjects(ranked: list[Topic]) -> list[Topic]:
    """The topics a story is about: of each kind, those within ``SUBJECT_SHARE`` of the
    kind's strongest. A story about Spain and Russia that names France once in passing is
    tagged Spain and Russia: an alert for France should not fire on it."""
    best: dict[str, float] = {}
    for topic in ranked:
        best.setdefault(topic.kind, topic.score)
    return [t for t in ranked if t.score >= SUBJECT_SHARE * best[t.kind]]


def find_country_code(name: str, aliases: AliasTable) -> str | None:
    """The ISO 3166-1 alpha-2 code (SU, YU for former states) of a place topic or alias."""
    gazetteer = _load_gazetteer()
    for candidate in (name, *aliases.expand(name)):
        code = gazetteer.names.get(_fold(candidate))
        if code is not None:
            return code
    return None


def _resolve_dateline(city: str, region: str | None, aliases: AliasTable) -> str | None:
    gazetteer = _load_gazetteer()
    if region:
        region = region.strip()
        if region in _US_STATE_ABBREVIATIONS:
            return _country_name("US", aliases, gazetteer)
        place = _resolve_place(region, aliases, gazetteer, dateline=True)
        if place is not None:
            return place
    return _resolve_place(city, aliases, gazetteer, dateline=True)


def _resolve_place(
    surface: str, aliases: AliasTable, gazetteer: _Gazetteer, *, dateline: bool = False
) -> str | None:
    canonical = aliases.canonical(surface)
    if canonical is not None and _is_place_topic(canonical, aliases, gazetteer):
        return canonical
    key = _fold(surface)
    code = gazetteer.names.get(key)
    if code is None:
        return None
    population = gazetteer.city_population.get(key)
    if population is not None and not dateline and population < CITY_BODY_POPULATION:
        return None
    return _country_name(code, aliases, gazetteer)


@lru_cache(maxsize=512)
def _is_place_name(name: str) -> bool:
    return _fold(name) in _load_gazetteer().names


def _is_place_topic(canonical: str, aliases: AliasTable, gazetteer: _Gazetteer) -> bool:
    names = aliases.expand(canonical)
    return any(
        _fold(name) in gazetteer.names and _fold(name) not in gazetteer.city_population
        for name in names
    )


def _clean_token(token: str) -> str:
    token = token.replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    if token.endswith(".") and token.count(".") == 1:
        token = token[:-1]
    return token


def _is_capitalised(token: str) -> bool:
    return token[:1].isupper()


def _find_entities(
    tokens: list[str],
    aliases: AliasTable,
    gazetteer: _Gazetteer,
    shouting: bool,
    surnames: dict[str, str],
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    index = 0
    while index < len(tokens):
        matched = 0
        for size in (4, 3, 2, 1):
            words = [_clean_token(token) for token in tokens[index : index + size]]
            if len(words) < size or not all(word[:1].isalnum() for word in words):
                continue
            if not shouting and not (_is_capitalised(words[0]) and _is_capitalised(words[-1])):
                continue
            surface = " ".join(words)
            place = _resolve_place(surface, aliases, gazetteer)
            if place is None and tokens[index + size - 1].endswith("."):
                place = _resolve_place(" ".join(tokens[index : index + size]), aliases, gazetteer)
            if place is not None:
                found.append((place, "place"))
                matched = size
                break
            canonical = aliases.canonical(surface)
            if (canonical is not None and size > 1) or (canonical and surface.isupper()):
                assert canonical is not None
                found.append((canonical, "organisation" if canonical.isupper() else "phrase"))
                matched = size
                break
        if matched:
            index += matched
            continue
        if shouting:
            index += 1
            continue
        span, consumed = _read_name_span(tokens, index)
        if span:
            entity = _classify_span(span, tokens, index, aliases, surnames)
            if entity is not None:
                found.append(entity)
        index += max(consumed, 1)
    return found


def _read_name_span(tokens: list[str], start: int) -> tuple[list[str], int]:
    """A run of capitalised words ("Bank of England", "J. K. Rowling") from ``start``."""
    span: list[str] = []
    index = start
    while index < len(tokens):
        word = _clean_token(tokens[index])
        if _is_capitalised(word) and not _is_place_name(word):
            span.append(word)
            index += 1
            if tokens[index - 1].endswith(".") and word.casefold() not in _TITLES and len(word) > 2:
                break  # a sentence-final word
        elif (
            span
            and word.casefold() in _CONNECTORS
            and index + 1 < len(tokens)
            and _is_capitalised(tokens[index + 1])
        ):
            span.append(word)
            index += 1
        else:
            break
    while span and span[-1].casefold() in _CONNECTORS:
        span.pop()
    return span, max(index - start, 1)


def _classify_span(
    span: list[str],
    tokens: list[str],
    start: int,
    aliases: AliasTable,
    surnames: dict[str, str],
) -> tuple[str, str] | None:
    lowered = [word.casefold() for word in span]
    titled = False
    while lowered and lowered[0] in _TITLES:
        span, lowered, titled = span[1:], lowered[1:], True
    while lowered and lowered[0] in _NOT_NAMES:
        span, lowered = span[1:], lowered[1:]
    if not span:
        return None
    name = " ".join(span)
    canonical = aliases.canonical(name)
    if canonical is not None:
        return canonical, "organisation" if canonical.isupper() else "phrase"
    if lowered[-1] in _ORG_WORDS or lowered[0] in _LEADING_ORG_WORDS:
        return (name, "organisation") if len(span) > 1 else None
    if len(span) == 1:
        word = span[0]
        if surnames.get(word):
            return surnames[word], "person"
        if word.isupper() and 2 <= len(word) <= 6 and word.isalpha():
            return word, "organisation"  # an acronym: NASA, OPEC
        if titled and word.casefold() not in _NOT_NAMES and word.isalpha():
            return word, "person"
        return None
    alphabetic = all(
        word[:1].isupper() and word.replace("-", "").replace(".", "").isalpha() for word in span
    )
    if alphabetic and len(span) <= 4:
        surnames.setdefault(span[-1], name)
        return name, "person"
    return None


def _find_phrases(tokens: list[str]) -> list[str]:
    """Pairs of lower-case content words ("peace deal"), not part of names."""
    words = [_clean_token(token) for token in tokens]
    phrases = []
    for first, second in itertools.pairwise(words):
        if (
            first.islower()
            and second.islower()
            and first not in _STOP_WORDS
            and second not in _STOP_WORDS
            and first.isalpha()
            and second.isalpha()
            and len(first) > 2
            and len(second) > 2
        ):
            phrases.append(f"{first} {second}")
    return phrases
