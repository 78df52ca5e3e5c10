"""The people a page credits, apart from the organisations (the site, an agency) it credits.

Sources in order of trust: JSON-LD ``author``, microdata ``author``, author meta tags,
``rel=author`` links, hCard names in author markup, byline elements, links after "By",
labelled lines ("Author: …"), writers credited in Chinese or Korean text (``cjk_credits``), a wire
story's closing "(Reporting by …)" line. Byline text is cut where names stop (a date,
"Updated", a role, the site's name) and split into names; a credit naming an organisation
is kept apart.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from news.metadata.cjk_credits import (
    HAN_TEXT,
    HANGUL_TEXT,
    han_byline,
    hangul_credit,
    title_outlets,
)
from news.metadata.signals import _clean, _distinct, _key, _Signals, _types, _unescape

if TYPE_CHECKING:
    from lxml.html import HtmlElement

MAX_NAME_WORDS = 5
MAX_AUTHORS = 12
_BY_PREFIX = re.compile(
    r"^\s*(?:written\s+|posted\s+|reported\s+)?(?:by|par|von|por|door|di|av|de|af|przez|od)"
    r"\s*[:\-–]?\s+",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(
    r"\s*(?:,|;|&|\+|\b(?:[Aa]nd|AND|und|et|og|en|och|with|avec|mit|con|com|met)\b|\s(?:y|e|i)\s)\s*"
)
# A full stop after a word (not an initial or "Jr."): what follows is another sentence.
_SENTENCE_STOP = re.compile(r"(?<=[^\W\d_]{2})\.\s+(?=[^\W\d_])")
_ABBREVIATIONS = frozenset({"jr", "sr", "dr", "mr", "mrs", "ms", "st", "prof", "rev", "mt"})
# Words that say what someone does, never who they are ("Staff Writer", "… Correspondent"),
# also in French, German and Spanish ("Envoyés spéciaux", "Korrespondentin", "Enviada").
_ROLE_TEXT = """editor editors correspondent correspondents writer writers reporter reporters
    contributor contributors columnist columnists author staff producer photographer
    analyst critic intern freelancer commentator presenter anchor blogger journalist
    journalists researcher
    envoyé envoyée envoyés envoyées correspondant correspondante correspondants
    journaliste journalistes rédacteur rédactrice chroniqueur chroniqueuse
    korrespondent korrespondentin redakteur redakteurin autorin
    corresponsal corresponsales enviado enviada enviados periodista periodistas redactor
    redactora"""
_ROLE_WORDS = frozenset(_ROLE_TEXT.split())
# "Science X staff", "Reuters Reporters": an outlet's people, credited as the outlet.
_COLLECTIVE_ROLES = frozenset({"staff", "editors", "reporters", "writers", "correspondents"})
# Words that qualify a role ("Senior Political Correspondent").
_QUALIFIER_TEXT = """senior chief political deputy associate managing executive contributing special
    foreign staff guest national international global regional local science health
    business sports sport technology tech economics economy culture arts investigative
    digital assistant features news data opinion legal climate education
    spécial spéciale spéciaux spéciales especial especiales"""
_ROLE_QUALIFIERS = frozenset(_QUALIFIER_TEXT.split())
# A pen name in explicit author markup (rel=author): one word in CamelCase or with digits
# ("AMournfulHowlInTheNight", "Sleyca42"), which no chrome word looks like.
_PEN_NAME = re.compile(r"(?=\w*[a-z][A-Z0-9])[^\W_]\w{2,39}")
# A label before the names ("Author:"), also in its gender-inclusive forms ("Autor/in:").
# A user name: one word of letters and digits ("john", "bjoernlinder01").
_HANDLE = re.compile(r"[^\W_][\w.-]{2,39}")
_LABEL = re.compile(r"^[^\W\d_]{2,20}(?:[/*][^\W\d_]{1,6})?:\s+")
_WITH_ADDRESS = re.compile(
    r"(?P<name>[^()]+?)\s*\(\s*(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}/?\s*\)",
    re.IGNORECASE,
)
# A title before a name is not part of it: "Dr. Ana Ruiz" is credited as "Ana Ruiz".
_HONORIFICS = frozenset({"dr", "prof", "mr", "mrs", "ms", "mx"})
# Where a byline's text stops being names: dates, times, "Updated", "|", "View author…".
_BYLINE_END = re.compile(
    r"\s(?:\||•|·|—|–|-{1,2})\s|\d|\b(?:updated|published|posted|view|follow|read|more|"
    r"email|e-mail|twitter|contact|get|see|show|all\s+(?:articles|posts|stories)|last|modified|on)\b",
    re.IGNORECASE,
)
_MONTH_TEXT = """
    january february march april may june july august september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec janvier février mars avril
    mai juin juillet août septembre octobre novembre décembre januar februar märz juni
    juli oktober dezember enero febrero marzo abril mayo junio julio agosto septiembre
    octubre noviembre diciembre monday tuesday wednesday thursday friday saturday sunday
    mon tue wed thu fri sat sun today yesterday
    """
_MONTH_WORDS = frozenset(_MONTH_TEXT.split())
# Words that mark a credit as an organisation or a role, not a person.
_ORGANISATION_TEXT = """
    news staff press agency agencies associated reuters afp ap dpa upi efe ansa xinhua
    bloomberg desk team editors editorial editor bureau media magazine online times post
    daily network wire wires service services group inc ltd llc corp company newsroom
    correspondent correspondents reporter reporters writer writers contributor
    contributors redaktion rédaction redacción redazione admin administrator guest sport
    sports tribune herald journal gazette radio tv television channel blog foundation gmbh
    institute university council ministry department office association newsdesk
    publishing publications publisher publishers ediciones editions éditions edizioni
    edições verlag verlagsgruppe editora
    """
_ORGANISATION_WORDS = frozenset(_ORGANISATION_TEXT.split())
_PARTICLES_TEXT = """
    de da del della der den des di du la le van von ter ten bin ibn al el dos das do y
    zu af st st. mc mac o'
    """
_PARTICLES = frozenset(_PARTICLES_TEXT.split())
_AUTHOR_META_TEXT = """
    author article:author og:article:author parsely-author sailthru.author dc.creator
    dcterms.creator byl citation_author cxenseparse:author twitter:creator
    """
_AUTHOR_META = tuple(_AUTHOR_META_TEXT.split())


def _choose_authors(
    signals: _Signals, articles: list[dict[str, Any]], site_keys: set[str]
) -> tuple[list[str], str | None]:
    credits: list[str] = []
    sources: list[list[str]] = []
    ld_people: list[str] = []
    # A JSON-LD graph names its nodes once and refers to them by "@id" elsewhere: the
    # article's author is often {"@id": "…/#/schema/person/…"}, a Person node of the graph.
    nodes = {item["@id"]: item for item in signals.json_ld if isinstance(item.get("@id"), str)}
    for article in articles[:3]:
        for key in ("author", "creator"):
            people, orgs = _ld_people(article.get(key), site_keys, nodes)
            ld_people += people
            credits += orgs
        if ld_people:
            break
    sources.append(ld_people)
    sources.append(_microdata_authors(signals, site_keys, credits))
    meta_people: list[str] = []
    for key in _AUTHOR_META:
        for value in signals.meta.get(key, []):
            if value.lower().startswith(("http://", "https://", "@")):
                continue
            people, orgs = split_byline(value, site_keys)
            meta_people += people
            credits += orgs
    sources.append(meta_people)
    rel_people: list[str] = []
    for text in signals.rel_authors:
        people, _ = split_byline(text, site_keys, strict=True)
        rel_people += people or ([text] if _PEN_NAME.fullmatch(text) else [])
    sources.append(rel_people)
    # An hCard in author markup is explicit: one word is a name here, and so is a user
    # name written in lower case ("john"), unless it names the site or a role ("admin").
    hcard_people: list[str] = []
    for text in signals.hcard_authors:
        people, _ = split_byline(text, site_keys)
        if not people and _HANDLE.fullmatch(text) and not _is_organisation(text, site_keys):
            people = [text]
        hcard_people += people
    sources.append(hcard_people)
    element_groups: list[list[str]] = []
    for text, links in signals.byline_texts:
        people, orgs = _byline_element_people(text, links, site_keys)
        credits += orgs
        if people:
            element_groups.append(people)
    sources.append(element_groups[0] if element_groups else [])
    # Last, a link after "by": one word is a name here ("by Sleyca"), as in metadata.
    by_people: list[str] = []
    for text in signals.by_links:
        people, _ = split_byline(text, site_keys)
        by_people += people
    sources.append(by_people)
    # Then links to authors' pages ("/author/ana-ruiz/"): when they name different people
    # they are teasers' credits, and none of them is the byline.
    linked = [split_byline(text, site_keys, strict=True)[0] for text in signals.author_links]
    sources.append(_one_byline(linked))
    # Then a line that labels its names as the author's ("Von Ana Ruiz", "Author: Ana
    # Ruiz", "Publicado por: Ana Ruiz"), read like byline text: two words make a name.
    # A page whose labelled lines name different people lists stories (a weekly edition,
    # teasers): none of them is its byline.
    labelled = [
        split_byline(text, site_keys, strict=True)[0] or _labelled_handle(text, site_keys)
        for text in signals.labelled_bylines
    ]
    sources.append(_one_byline(labelled))
    # Then the writers a Chinese or Korean page credits in its text ("澎湃新闻记者 贺梨萍",
    # "최윤호 기자"): a story often credits them twice, once in its opening bracket and
    # once, sometimes with more names, at its end.
    sources.append(_one_byline(signals.cjk_credits, fuller=True))
    # Last, a wire story's closing "(Reporting by …; Editing by …)" line.
    reporters: list[str] = []
    for text in signals.reporting_credits:
        reporters += split_byline(text, site_keys, strict=True)[0]
    sources.append(reporters)
    # A Han name that the title gives as the site's ("网易" of "…_网易财经") is the outlet.
    outlets = title_outlets(signals.title)
    if outlets:
        sources = [[p for p in people if not _names_outlet(p, outlets)] for people in sources]
    for people in sources:
        if people:
            chosen = _distinct(people)
            # Metadata often credits only the first of the reporters a byline names: the
            # first byline element that names them all, and more, is the fuller byline.
            keys = {_key(name) for name in chosen}
            for group in element_groups:
                group_keys = {_key(name) for name in group}
                if keys <= group_keys:
                    if keys < group_keys:
                        chosen = _distinct(group)
                    break
            return chosen[:MAX_AUTHORS], _first_credit(credits, chosen)
    return [], _first_credit(credits, [])


def _first_credit(credits: list[str], people: list[str]) -> str | None:
    """The first organisation credited that is not one of the people named (a one-word
    name one signal takes for the site's and another for a person's is the person)."""
    named = {_key(name) for name in people}
    return next((_clean(c) for c in credits if _clean(c) and _key(c) not in named), None)


# What may follow a one-word name on a labelled line: a separator, or a date or time.
_AFTER_HANDLE = re.compile(r"(?:[|•·,–—-]|\d|(?:at|am|um|on|le|el|il|em|à)\s+\d)", re.I)
_ONE_WORD = re.compile(r"\s*(?P<name>[^\W\d_][\w.-]{1,39}?)\.?(?:\s+(?P<rest>.*))?")


def _one_byline(groups: list[list[str]], *, fuller: bool = False) -> list[str]:
    """The names that every credit in ``groups`` gives ([] when they name different people:
    other stories' teasers). With ``fuller``, a credit may name more of the same people,
    and the fullest is taken."""
    named = [names for names in groups if names]
    if not named:
        return []
    if fuller:
        named.sort(key=len, reverse=True)
    first = {_key(name) for name in named[0]}
    for names in named[1:]:
        keys = {_key(name) for name in names}
        if not (keys <= first if fuller else keys == first):
            return []
    return named[0]


def _names_outlet(name: str, outlets: list[str]) -> bool:
    return HAN_TEXT.search(name) is not None and any(
        name in outlet or outlet in name for outlet in outlets
    )


def _labelled_handle(text: str, site_keys: set[str]) -> list[str]:
    """A one-word name on a line that labels it and says nothing else but a date or time:
    "posted by Stadler at 12:53", "von jovelstefan", "Gespeichert von rasos am 24. Juli"."""
    match = _ONE_WORD.fullmatch(_clean(text) or "")
    if match is None:
        return []
    rest, name = match["rest"] or "", match["name"]
    if rest and not _AFTER_HANDLE.match(rest):
        return []
    if name.lower() in _MONTH_WORDS or _is_organisation(name, site_keys):
        return []
    return [name]


def _ld_people(
    value: Any, site_keys: set[str], nodes: dict[str, dict[str, Any]] | None = None
) -> tuple[list[str], list[str]]:
    people: list[str] = []
    orgs: list[str] = []
    values = value if isinstance(value, list) else [value]
    # JSON-LD is often written from HTML-escaped fields ("Lindsey O&#039;Donnell").
    for item in values[:MAX_AUTHORS]:
        if isinstance(item, dict) and "name" not in item and nodes:
            item = nodes.get(item.get("@id"), item)  # type: ignore[arg-type]
        if isinstance(item, str):
            found, credit = split_byline(_unescape(item), site_keys)
            people += found
            orgs += credit
        elif isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, list):
                name = next((n for n in name if isinstance(n, str)), None)
            if not isinstance(name, str) or not name.strip():
                continue
            name = _unescape(name)
            types = _types(item)
            # Yoast types a personal site's owner ["Person", "Organization"]: a person.
            if types & {"organization", "newsmediaorganization", "corporation"} and (
                "person" not in types
            ):
                orgs.append(name)
                continue
            # A typed Person is not taken for the site even when a personal site bears
            # the owner's name ("Julia" of crazy-julia.de, "Dustin Curtis"), unless it is
            # one word that holds the site's whole name (the site's account: "Weltwoche",
            # "Wunderweib1"); words like "News" or an agency name still make it a credit.
            keys = site_keys
            if "person" in types:
                if len(name.split()) == 1 and _holds_site_name(name, site_keys):
                    orgs.append(name)
                    continue
                keys = set()
            found, credit = split_byline(name, keys)
            people += found
            orgs += credit
    return people, orgs


def _holds_site_name(name: str, site_keys: set[str]) -> bool:
    key = _key(name)
    sites = (site.removeprefix("host:") for site in site_keys)
    return any(len(site) >= 3 and site in key for site in sites)


def _microdata_authors(signals: _Signals, site_keys: set[str], credits: list[str]) -> list[str]:
    people: list[str] = []
    # The authors of one item: the first that names any. A page's teasers for other
    # stories are items of their own, and their authors are not this story's.
    elements = signals.itemprops.get("author", [])
    item = _item_of(elements[0]) if elements else None
    for element in [e for e in elements if _item_of(e) is item][:MAX_AUTHORS]:
        if element.tag == "meta":
            text = element.get("content") or ""
        else:
            names = [
                child
                for child in element.iter()
                if "name" in (child.get("itemprop") or "").lower().split()
            ]
            if names:
                text = names[0].get("content") or names[0].text_content()
            else:
                text = element.text_content()
        kind = (element.get("itemtype") or "").lower()
        if "organization" in kind:
            credits.append(_clean(text) or "")
            continue
        found, orgs = split_byline(_clean(text) or "", site_keys, strict=element.tag != "meta")
        people += found
        credits += orgs
    return people


def _item_of(element: HtmlElement) -> HtmlElement | None:
    """The microdata item (nearest ``itemscope`` ancestor) a property belongs to."""
    return next((a for a in element.iterancestors() if a.get("itemscope") is not None), None)


def _byline_element_people(
    text: str, links: list[str], site_keys: set[str]
) -> tuple[list[str], list[str]]:
    linked: list[str] = []
    for link in links:
        found, _ = split_byline(link, site_keys, strict=True)
        linked += found
    if linked:
        return linked, []
    return split_byline(text, site_keys, strict=True)


def split_byline(
    text: str, site_keys: set[str] | None = None, *, strict: bool = False
) -> tuple[list[str], list[str]]:
    """The people named in a byline text, and the organisations credited in it.

    "By Ana Ruiz and Tom Lee, Reuters" gives (["Ana Ruiz", "Tom Lee"], ["Reuters"]).
    Text after the names (dates, "Updated …", "View author archive") is cut off. In
    ``strict`` mode (text seen on the page, not a metadata field) a name needs two words.
    """
    text = _clean(text) or ""
    if not text:
        return [], []
    if HAN_TEXT.search(text):
        return han_byline(text, strict=strict)
    # Korean names a role after the name ("고규홍 나무 칼럼니스트"); markup text without one
    # names nobody by the rules below, which would take its words for a name.
    if HANGUL_TEXT.search(text):
        credited = hangul_credit(text)
        if credited or strict:
            return credited, []
    # A credit followed by its web address is the site: "Deutsche Welle (www.dw.com)".
    site = _WITH_ADDRESS.fullmatch(text)
    if site is not None:
        return [], [site["name"]]
    # Links and handles in parentheses go; so does an unclosed one that holds a link.
    text = re.sub(r"\([^)]*[/@:][^)]*(?:\)|$)|https?://\S+|<[^>]*>?", " ", text).strip()
    text = _LABEL.sub("", _BY_PREFIX.sub("", text))
    text = _BY_PREFIX.sub("", text)
    text, after_stop = _first_sentence(_parentheses_as_commas(text))
    end = _BYLINE_END.search(text)
    if end is not None and end.start() > 0:
        text = text[: end.start()]
    elif end is not None and end.start() == 0:
        return [], []
    people: list[str] = []
    orgs: list[str] = []
    parts = _NAME_SPLIT.split(text)
    for part in parts:
        part = _BY_PREFIX.sub("", part.strip(" .:-–—|()[]\"'“”"))
        if not part:
            continue
        words = _before_site_name(part.split(), site_keys or set())
        # A name stops at a month or weekday, and at an all-capitals word after a
        # mixed-case name ("Kevin McCoy USA TODAY").
        for index, word in enumerate(words):
            bare = word.strip(".,")
            following = words[index + 1] if index + 1 < len(words) else ""
            if (bare.lower() in _MONTH_WORDS and (not following or following[:1].isdigit())) or (
                index >= 2
                and bare.isupper()
                and len(bare) > 1
                and not any(w.isupper() for w in words[:index])
            ):
                words = words[:index]
                break
        if len(words) < 2 or words[-1].lower() not in _COLLECTIVE_ROLES:
            if strict or len(parts) > 1:
                words = _before_lower_case(words)
            words = _without_role(words)
        while len(words) > 2 and words[0].lower().rstrip(".") in _HONORIFICS:
            words = words[1:]
        part = " ".join(words)
        if not part:
            continue
        if _is_organisation(part, site_keys or set()):
            orgs.append(part)
        elif _is_person_name(part, strict=strict or len(parts) > 1):
            people.append(part)
    # After a full stop a byline credits its outlet ("By Ana Ruiz. Quayside Weekly").
    credit = _cut_at_byline_end(after_stop)
    if credit and len(credit.split()) <= MAX_NAME_WORDS + 1 and credit[:1].isupper():
        orgs.append(credit)
    return people, orgs


def _before_site_name(words: list[str], site_keys: set[str]) -> list[str]:
    """A name ends where the site's own name begins: "Elliot Brownstein Florida Today" on
    a site named "Florida Today" → "Elliot Brownstein" (two words of name are kept)."""
    keys = {key.removeprefix("host:") for key in site_keys}
    for start in range(2, len(words)):
        for end in range(start + 1, min(len(words), start + 4) + 1):
            key = _key(" ".join(words[start:end]))
            if len(key) >= 4 and key in keys:
                return words[:start]
    return words


def _parentheses_as_commas(text: str) -> str:
    """Names in parentheses are names in a list ("Ana Ruiz (Tom Lee)"); one word in
    parentheses inside a name is part of it ("Richard (R.J.) Eskow") and one at its end a
    handle ("Ana Ruiz (anaruiz)")."""
    text = re.sub(r"\s*[(（][^\s()（）]+[)）]\s*$", "", text)
    text = re.sub(r"[(（]([^()（）]*\s[^()（）]*)(?:[)）]|$)", r", \1, ", text)
    return text


def _first_sentence(text: str) -> tuple[str, str]:
    """``text`` up to its first full stop that ends a word, and what follows it."""
    for match in _SENTENCE_STOP.finditer(text):
        before = text[: match.start()].split()
        if before and before[-1].lower().strip(".") not in _ABBREVIATIONS:
            return text[: match.start()], text[match.end() :]
    return text, ""


def _cut_at_byline_end(text: str) -> str:
    end = _BYLINE_END.search(text)
    if end is not None:
        text = text[: end.start()]
    return text.strip(" .,;:-–—|()[]\"'“”")


def _before_lower_case(words: list[str]) -> list[str]:
    """A name stops at a lower-case word ("Tom Lee contributed reporting" → "Tom Lee"), and
    before a credit phrase ("Rob Ewaschuk Edited by …" → "Rob Ewaschuk")."""
    for index, word in enumerate(words[1:], start=1):
        first = word[:1]
        if (
            first.isalpha()
            and first.lower() == first
            and first.upper() != first
            and word.lower() not in _PARTICLES
        ):
            return words[: index - 1] if word == "by" and index > 2 else words[:index]
    return words


def _without_role(words: list[str]) -> list[str]:
    """The words that name someone, without a role before or after them: "Staff Writer"
    → [], "Ana Ruiz Political Correspondent" → "Ana Ruiz", "Senior Editor Ana Ruiz" →
    "Ana Ruiz"."""
    lower = [word.lower().strip(".,:") for word in words]
    # A compound role counts by its head word: "Editor-at-large", "Editor-in-Chief".
    lower = [word.split("-", 1)[0] for word in lower]
    role = next((i for i, word in enumerate(lower) if word in _ROLE_WORDS), None)
    if role is None:
        return words
    start = role
    while start > 0 and lower[start - 1] in _ROLE_QUALIFIERS:
        start -= 1
    if start > 0:
        return words[:start]
    end = role + 1
    while end < len(words) and lower[end] in _ROLE_WORDS | _ROLE_QUALIFIERS:
        end += 1
    return words[end:]


def _is_organisation(part: str, site_keys: set[str]) -> bool:
    key = _key(part)
    tokens = part.split()
    for site in site_keys:
        if site.startswith("host:"):
            if len(tokens) != 1:
                continue
            site = site[5:]
        if key and len(site) >= 3 and (key == site or (len(tokens) == 1 and key in site)):
            return True
    words = {word.lower().strip(".,") for word in tokens}
    if words & _ORGANISATION_WORDS:
        return True
    if tokens[0].capitalize() in {"The", "Die", "Der", "Das", "La", "Le", "Les", "El", "Il"}:
        return True  # "The Russian", "Le Monde", "DER SPIEGEL": a title, not a person
    if len(tokens) == 1 and tokens[0].isupper() and 2 <= len(tokens[0]) <= 5:
        return True  # an acronym: "PTI", "AFP"
    return bool(re.search(r"\.(?:com|org|net|co|de|fr|uk)\b", part, re.IGNORECASE))


def _is_person_name(part: str, *, strict: bool) -> bool:
    words = part.split()
    if not words or len(words) > MAX_NAME_WORDS or any(ch.isdigit() for ch in part):
        return False
    if strict and len(words) < 2:
        return False
    if words[0].lower().strip(".,") in _MONTH_WORDS:
        return False  # "Dec", "January 5": a date, not a person
    if not any(len(word.strip(".,")) > 1 for word in words):
        return False  # "J J": an avatar's initials
    if not all(any(ch.isalpha() for ch in word) for word in words):
        return False  # a word of punctuation ("ライトハウス ／"): a separator, not a name
    named = 0
    for word in words:
        lower = word.lower()
        if lower in _PARTICLES:
            continue
        first = word[0]
        if first.isalpha() and not first.isupper() and first.lower() != first.upper():
            return False  # a lower-case word in a script that has capitals
        named += 1
    return named >= 1 and len(part) <= 60


def format_byline(authors: list[str]) -> str | None:
    """People as a card shows them: "Ana Ruiz", "Ana Ruiz and Tom Lee", "A, B and C"."""
    names = [name for name in authors if name]
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]
