"""A page's metadata from every signal it carries, reconciled by general rules.

Signals are read in one pass over the parsed page: JSON-LD, microdata (``itemprop``),
OpenGraph and other ``<meta>`` tags, ``<time>`` elements, byline markup (``rel=author``,
elements whose class or id names a byline or author), ``<h1>``s, ``<title>`` and the URL.

The rules, none of them about any one site:

- **Headline**: the page's displayed headline (an ``<h1>``) when the metadata confirms it
  (it equals a metadata title or one of its ``|``/``-`` separated parts), so the page's own
  capitalisation is kept; otherwise the first metadata title with the parts that name the
  site (matching ``og:site_name``, the publisher or the host name) cut off.
- **Byline**: the people credited, from the first source that names people in this order:
  the article's JSON-LD ``author``, microdata ``author``, ``<meta name=author>``-like tags,
  ``rel=author`` links, then byline elements. A credit that names an organisation (the
  site itself, a wire agency, "Staff", "… News") is kept apart as ``credit``.
- **Dates**: machine-readable publication times keep their UTC offset and are stored in
  UTC; a time given with its zone wins over one without; a bare date is taken as noon UTC,
  so it shows as the same calendar day in any zone from UTC-11 to UTC+11; a date found
  in the URL is used when nothing else is.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from news.wire_copy import parse_date_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

MAX_HEADLINE_CHARS = 300
MAX_NAME_WORDS = 5
MAX_AUTHORS = 12
MAX_JSON_LD_CHARS = 2_000_000
MAX_BYLINE_ELEMENTS = 40
MAX_BYLINE_TEXT = 300
MAX_DATE_TEXT = 120
MIN_HEADLINE_WORDS = 3
OVERLAP = 0.5

_SEPARATOR = re.compile(
    r"\s+(?:\||-|–|—|::|·|»|•|/|\\)\s+|(?<=\w):\s+|\s*_\s*|\s+(?=[<＜【\[][^>＞】\]]+[>＞】\]]$)"
)
_KEY = re.compile(r"[\W_]+", re.UNICODE)
_BYLINE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:by-?line|byl|author(?:s|-?name)?|writer|reporter|contributor|creditline)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
_NOT_BYLINE_CLASS = re.compile(
    r"bio|avatar|image|img|photo|pic|comment|about|follow|social|more|list|related|box|card",
    re.IGNORECASE,
)
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
# Words that say what someone does, never who they are ("Staff Writer", "… Correspondent").
_ROLE_TEXT = """editor editors correspondent correspondents writer writers reporter reporters
    contributor contributors columnist columnists author staff producer photographer
    analyst critic intern freelancer commentator presenter anchor blogger journalist
    journalists researcher"""
_ROLE_WORDS = frozenset(_ROLE_TEXT.split())
# "Science X staff", "Reuters Reporters": an outlet's people, credited as the outlet.
_COLLECTIVE_ROLES = frozenset({"staff", "editors", "reporters", "writers", "correspondents"})
# Words that qualify a role ("Senior Political Correspondent").
_QUALIFIER_TEXT = """senior chief political deputy associate managing executive contributing special
    foreign staff guest national international global regional local science health
    business sports sport technology tech economics economy culture arts investigative
    digital assistant features news data opinion legal climate education"""
_ROLE_QUALIFIERS = frozenset(_QUALIFIER_TEXT.split())
# A pen name in explicit author markup (rel=author): one word in CamelCase or with digits
# ("AMournfulHowlInTheNight", "Sleyca42"), which no chrome word looks like.
_PEN_NAME = re.compile(r"(?=\w*[a-z][A-Z0-9])[^\W_]\w{2,39}")
_LABEL = re.compile(r"^[^\W\d_]{2,20}:\s+")
# Where a byline's text stops being names: dates, times, "Updated", "|", "View author…".
_BYLINE_END = re.compile(
    r"\s(?:\||•|·|—|–|-{1,2})\s|\d|\b(?:updated|published|posted|view|follow|read|more|"
    r"email|e-mail|twitter|contact|get|see|last|modified|on)\b",
    re.IGNORECASE,
)
_TITLE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:entry|post|article|chapter|story|page)?[_-]?(?:title|headline)(?:$|[\s_-])",
    re.IGNORECASE,
)
_NOT_TITLE_CLASS = re.compile(r"site|logo|widget|section|sidebar|related|card|teaser", re.I)
_COPYRIGHT = re.compile(
    r"(?:©|\(c\)|copyright)\s*(?:(?:19|20)\d{2}\s*(?:[-–]\s*(?:19|20)\d{2})?)?\s*,?\s*"
    r"(?P<name>[^\W\d][\w&'’ .-]{1,60}?)\s*(?:[.,|]|all rights|$)",
    re.IGNORECASE,
)
_BYLINE_HINTS = ("byl", "author", "writer", "reporter", "contributor", "credit")
_DATE_HINTS = ("date", "time", "publish", "posted", "stamp", "byline", "meta")
_DATE_CLASS = re.compile(r"date|time|publish|posted|timestamp|byline|meta", re.IGNORECASE)
_NOT_DATE_CLASS = re.compile(r"updat|modif|comment|related|reading-time|read-time", re.IGNORECASE)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_CLOCK_TEXT = re.compile(
    r"\b(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::\d{2})?\s*(?P<meridiem>[ap])?\.?(?:m\.?)?"
    r"(?:\s*\(?(?P<zone>[A-Z]{1,4}|(?:GMT|UTC)?[+-]\d{1,2}(?::?\d{2})?)\)?)?(?![\w:])",
    re.IGNORECASE,
)
# A date written in page text: "November 19, 2019", "19 Nov 2019", "2019-11-19", "19.11.2019".
_DAY_TEXT = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\.?\s+{_MONTH},?\s+(?:19|20)\d{{2}}"
    r"|(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[./]\d{1,2}[./](?:19|20)\d{2})\b",
    re.IGNORECASE,
)
# "2016年10月14日", "2018년 8월 25일": year, month, day with CJK unit characters.
_CJK_DATE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[年년]\s*(?P<m>\d{1,2})\s*[月월]\s*(?P<d>\d{1,2})\s*[日일]?"
)
# US zone names without standard/daylight letter, resolved with the date.
_REGION_ZONES = {
    "et": "America/New_York",
    "ct": "America/Chicago",
    "mt": "America/Denver",
    "pt": "America/Los_Angeles",
}
_MONTH_WORDS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
        "januar",
        "februar",
        "märz",
        "juni",
        "juli",
        "oktober",
        "dezember",
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "today",
        "yesterday",
    ]
)
# Words that mark a credit as an organisation or a role, not a person.
_ORGANISATION_WORDS = frozenset(
    [
        "news",
        "staff",
        "press",
        "agency",
        "agencies",
        "associated",
        "reuters",
        "afp",
        "ap",
        "dpa",
        "upi",
        "efe",
        "ansa",
        "xinhua",
        "bloomberg",
        "desk",
        "team",
        "editors",
        "editorial",
        "editor",
        "bureau",
        "media",
        "magazine",
        "online",
        "times",
        "post",
        "daily",
        "network",
        "wire",
        "wires",
        "service",
        "services",
        "group",
        "inc",
        "ltd",
        "llc",
        "corp",
        "company",
        "newsroom",
        "correspondent",
        "correspondents",
        "reporter",
        "reporters",
        "writer",
        "writers",
        "contributor",
        "contributors",
        "redaktion",
        "rédaction",
        "redacción",
        "redazione",
        "admin",
        "administrator",
        "guest",
        "sport",
        "sports",
        "tribune",
        "herald",
        "journal",
        "gazette",
        "radio",
        "tv",
        "television",
        "channel",
        "blog",
        "foundation",
        "institute",
        "university",
        "council",
        "ministry",
        "department",
        "office",
        "association",
        "newsdesk",
        "publishing",
        "publications",
    ]
)
_PARTICLES = frozenset(
    [
        "de",
        "da",
        "del",
        "della",
        "der",
        "den",
        "des",
        "di",
        "du",
        "la",
        "le",
        "van",
        "von",
        "ter",
        "ten",
        "bin",
        "ibn",
        "al",
        "el",
        "dos",
        "das",
        "do",
        "y",
        "zu",
        "af",
        "st",
        "st.",
        "mc",
        "mac",
        "o'",
    ]
)
_ARTICLE_TYPES = frozenset(
    [
        "article",
        "newsarticle",
        "blogposting",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "liveblogposting",
        "report",
        "socialmediaposting",
        "scholarlyarticle",
        "techarticle",
        "posting",
        "review",
    ]
)
_PAGE_TYPES = frozenset({"webpage", "itempage", "aboutpage", "collectionpage"})
_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "article.published",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "published_time",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.created",
    "dc.date.created",
    "date",
    "citation_publication_date",
    "article_date_original",
    "cxenseparse:recs:publishtime",
    "datecreated",
)
_MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dc.date.modified",
    "dcterms.modified",
    "last-modified",
    "lastmod",
)
_AUTHOR_META = (
    "author",
    "article:author",
    "og:article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "byl",
    "citation_author",
    "cxenseparse:author",
)
_TITLE_META = ("og:title", "twitter:title", "dc.title", "title", "headline", "sailthru.title")
_SITE_CHROME_META = (
    "twitter:site",
    "al:ios:app_name",
    "al:android:app_name",
    "copyright",
    "dc.publisher",
    "dc.rights",
)
_SITE_META = ("og:site_name", "application-name", "apple-mobile-web-app-title", "publisher")
_URL_DATE = re.compile(
    r"/(?P<year>(?:19|20)\d{2})[/-](?P<month>0?[1-9]|1[0-2])[/-](?P<day>0?[1-9]|[12]\d|3[01])(?:/|$|[-_])"
)
_ZONE_SUFFIX = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2}|\b(?:utc|gmt)\b)\s*$", re.IGNORECASE)
_HAS_CLOCK = re.compile(r"\d{1,2}:\d{2}")


@dataclass(frozen=True)
class Moment:
    """A publication time as a page gives it: the instant in UTC and how precise it is."""

    at: datetime  # timezone-aware, UTC
    has_zone: bool
    has_time: bool
    source: str


@dataclass
class PageMetadata:
    """What a page says about itself, reconciled."""

    headline: str | None = None
    authors: list[str] = field(default_factory=list)
    credit: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    site_name: str | None = None
    description: str | None = None
    image: str | None = None
    section: str | None = None
    keywords: list[str] = field(default_factory=list)
    article_body: str | None = None
    date_source: str | None = None


@dataclass
class _Signals:
    meta: dict[str, list[str]] = field(default_factory=dict)
    title: str | None = None
    h1s: list[str] = field(default_factory=list)
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    itemprops: dict[str, list[HtmlElement]] = field(default_factory=dict)
    rel_authors: list[str] = field(default_factory=list)
    byline_texts: list[tuple[str, list[str]]] = field(default_factory=list)
    times: list[tuple[str, str, bool]] = field(default_factory=list)  # (datetime, text, marked)
    date_texts: list[str] = field(default_factory=list)
    # Names the page's own chrome gives the site: a logo's alt text, a copyright line.
    chrome_names: list[str] = field(default_factory=list)
    # h2/h3 headings whose class or id says they title the page ("entry-title").
    titled_headings: list[str] = field(default_factory=list)
    # The first <h2>s: where a page whose <h1> is its banner shows the story's headline.
    h2s: list[str] = field(default_factory=list)


def read_metadata(tree: HtmlElement, *, url: str | None) -> PageMetadata:
    """The reconciled metadata of the parsed page ``tree`` fetched from ``url``."""
    signals = _collect(tree)
    # An article, or any creative work that gives the page a headline (a "MedicalWebPage").
    articles = [
        item
        for item in signals.json_ld
        if _types(item) & _ARTICLE_TYPES or isinstance(item.get("headline"), str)
    ]
    pages = [item for item in signals.json_ld if _types(item) & _PAGE_TYPES]
    site_keys = _site_keys(signals, articles, url)
    site_name = _first(signals.meta, _SITE_META) or _publisher_name(articles)
    metadata = PageMetadata(site_name=_clean(site_name))
    # A person-shaped credit that only matches the host is a person (a personal blog's
    # owner): host names decide for one-word credits only.
    # (Chrome names stay out: a personal blog's copyright line names its author.)
    name_keys = _site_keys(signals, articles, None, chrome=False)
    credit_keys = name_keys | {f"host:{key}" for key in _host_keys(url)}
    metadata.authors, metadata.credit = _choose_authors(signals, articles, credit_keys)
    title_keys = site_keys | {_key(name) for name in metadata.authors}
    metadata.headline = _choose_headline(signals, articles, title_keys)
    published = _choose_published(signals, articles, pages, url)
    if published is not None:
        metadata.published_at, metadata.date_source = published.at, published.source
    modified = _choose_modified(signals, articles, pages)
    if modified is not None:
        metadata.modified_at = modified.at
    metadata.description = _clean(
        _first(signals.meta, ("og:description", "description", "twitter:description"))
        or _ld_text(articles, "description")
    )
    metadata.image = _first(signals.meta, ("og:image", "twitter:image", "twitter:image:src"))
    metadata.section = _clean(
        _first(signals.meta, ("article:section", "parsely-section"))
        or _ld_text(articles, "articleSection")
    )
    metadata.keywords = _keywords(signals, articles)
    body = _ld_text(articles, "articleBody")
    metadata.article_body = body.strip() if body else None
    return metadata


# --- collecting ---------------------------------------------------------------------------


def _collect(tree: HtmlElement) -> _Signals:
    signals = _Signals()
    byline_count = 0
    for element in tree.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag == "meta":
            key = (
                element.get("property") or element.get("name") or element.get("itemprop") or ""
            ).lower()
            content = element.get("content")
            if key and content and content.strip():
                signals.meta.setdefault(key.strip(), []).append(content.strip())
            if element.get("itemprop") and content:
                signals.itemprops.setdefault(element.get("itemprop", "").lower(), []).append(
                    element
                )
            continue
        if tag == "script":
            if (element.get("type") or "").strip().lower() == "application/ld+json":
                signals.json_ld.extend(_parse_json_ld(element.text or ""))
            continue
        if tag in ("style", "noscript", "template"):
            continue
        if tag == "title" and signals.title is None:
            signals.title = _clean(element.text_content())
        elif tag == "h1" and len(signals.h1s) < 10:
            text = _clean(element.text_content())
            if text and len(text) <= MAX_HEADLINE_CHARS:
                signals.h1s.append(text)
        elif tag in ("h2", "h3") and (len(signals.titled_headings) < 5 or len(signals.h2s) < 10):
            if tag == "h2" and len(signals.h2s) < 10:
                text = _clean(element.text_content())
                if text and len(text) <= MAX_HEADLINE_CHARS:
                    signals.h2s.append(text)
            marker = f"{element.get('class') or ''} {element.get('id') or ''}"
            if (
                len(signals.titled_headings) < 5
                and _TITLE_CLASS.search(marker)
                and not _NOT_TITLE_CLASS.search(marker)
            ):
                text = _clean(element.text_content())
                if text and len(text) <= MAX_HEADLINE_CHARS:
                    signals.titled_headings.append(text)
        elif tag == "img" and len(signals.chrome_names) < 10:
            alt = _clean(element.get("alt"))
            marker = f"{element.get('class') or ''} {element.get('id') or ''} {element.get('src')}"
            if alt and "logo" in f"{marker} {alt}".lower():
                name = re.sub(r"\blogo\b", "", alt, flags=re.IGNORECASE).strip(" -–|:")
                if name:
                    signals.chrome_names.append(name)
        elif tag == "time":
            marked = bool(
                element.get("pubdate") is not None
                or "publish" in (element.get("itemprop") or "").lower()
                or "publish" in (element.get("class") or "").lower()
            )
            value = element.get("datetime") or ""
            signals.times.append((value, _clean(element.text_content()) or "", marked))
        if len(signals.chrome_names) < 10 and tag in ("footer", "p", "div", "span", "small"):
            # A copyright line names the site: "© 2024 Harbour Times. All rights reserved."
            own = element.text or ""
            if "©" in own or "copyright" in own.lower():
                match = _COPYRIGHT.search(own)
                if match:
                    signals.chrome_names.append(match["name"].strip())
        itemprop = element.get("itemprop")
        if itemprop:
            for name in itemprop.lower().split():
                signals.itemprops.setdefault(name, []).append(element)
        rel = element.get("rel")
        if tag == "a" and rel and "author" in rel.lower().split():
            text = _clean(element.text_content())
            if text:
                signals.rel_authors.append(text)
        marker = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
        if len(marker) > 1 and tag not in ("html", "body", "head", "img"):
            if (
                byline_count < MAX_BYLINE_ELEMENTS
                and any(hint in marker for hint in _BYLINE_HINTS)
                and _BYLINE_CLASS.search(marker)
                and not _NOT_BYLINE_CLASS.search(marker)
                and not _in_comments(element)
            ):
                text = _bounded_text(element, MAX_BYLINE_TEXT)
                if text:
                    links = [_clean(a.text_content()) or "" for a in element.iter("a")]
                    signals.byline_texts.append((text, [link for link in links if link]))
                    byline_count += 1
            if (
                len(signals.date_texts) < MAX_BYLINE_ELEMENTS
                and any(hint in marker for hint in _DATE_HINTS)
                and _DATE_CLASS.search(marker)
                and not _NOT_DATE_CLASS.search(marker)
            ):
                text = _bounded_text(element, MAX_DATE_TEXT)
                if text:
                    signals.date_texts.append(text)
    return signals


def _in_comments(element: HtmlElement) -> bool:
    """Whether ``element`` is inside a comment thread or an ``<aside>``: the names there
    are commenters' and other stories' authors, not this story's."""
    for ancestor in element.iterancestors():
        if ancestor.tag == "aside":
            return True
        marker = f"{ancestor.get('class') or ''} {ancestor.get('id') or ''}".lower()
        if "comment" in marker:
            return True
    return False


def _bounded_text(element: HtmlElement, limit: int) -> str | None:
    """The element's text with its parts spaced, or None when it is longer than ``limit``
    (read no further than that: a byline class on a whole article is not a byline)."""
    parts: list[str] = []
    length = 0
    for part in element.itertext():
        length += len(part)
        if length > limit * 4:
            return None
        parts.append(part)
    text = _clean(" ".join(parts))
    return text if text and len(text) <= limit else None


def _parse_json_ld(text: str) -> list[dict[str, Any]]:
    """Every object in a JSON-LD script, flattened out of lists, ``@graph`` and nesting."""
    text = text.strip()
    if not text or len(text) > MAX_JSON_LD_CHARS:
        return []
    # Scripts wrapped for old XHTML parsers: "<![CDATA[ … ]]>", "//<![CDATA[ … //]]>".
    text = re.sub(r"^(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>$", "", text).strip()
    try:
        data = json.loads(text, strict=False)
    except ValueError:
        # Pages often end a script with a stray comma or semicolon, or put two objects in it.
        try:
            data = json.loads(re.sub(r",\s*([}\]])", r"\1", text.rstrip(";")), strict=False)
        except ValueError:
            return []
    found: list[dict[str, Any]] = []
    pending: list[Any] = [data]
    while pending and len(found) < 200:
        item = pending.pop(0)
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            if "@type" in item:
                found.append(item)
            for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
                if isinstance(item.get(key), dict | list):
                    pending.append(item[key])
    return found


def _types(item: dict[str, Any]) -> set[str]:
    value = item.get("@type")
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1].lower() for v in values if isinstance(v, str)}


# --- headline -----------------------------------------------------------------------------


def _choose_headline(
    signals: _Signals, articles: list[dict[str, Any]], site_keys: set[str]
) -> str | None:
    references = [
        value
        for value in (
            _ld_text(articles, "headline"),
            _first(signals.meta, ("og:title",)),
            _first(signals.meta, ("twitter:title",)),
            _ld_text(articles, "name"),
            _itemprop_text(signals, "headline"),
            signals.title,
            _first(signals.meta, ("dc.title", "title", "headline", "sailthru.title")),
        )
        if value
    ]
    references = [_clean(reference) or "" for reference in references]
    confirmed = _confirmed_display_headline(signals, references, site_keys)
    if confirmed:
        return confirmed
    lone = [h1 for h1 in signals.h1s if not _names_site(h1, site_keys)]
    title_parts = len(_SEPARATOR.split(signals.title)) if signals.title else 0
    if len(lone) == 1 and len(references) == (1 if signals.title else 0) and title_parts <= 1:
        # No headline metadata beyond <title> (often the site's or section's title): the
        # page's one headline is what a reader sees.
        return lone[0]
    for reference in references:
        headline = strip_site_name(reference, site_keys)
        if headline and not _only_site(headline, site_keys):
            return headline
    # Every metadata title names only the site (a blog's <title>): the heading the page's
    # markup calls its title, else its first <h1>.
    for heading in [*signals.titled_headings, *signals.h1s]:
        if not _names_site(heading, site_keys):
            return heading
    return signals.h1s[0] if signals.h1s else None


def _confirmed_display_headline(
    signals: _Signals, references: list[str], site_keys: set[str]
) -> str | None:
    """The first on-page headline that a metadata title repeats: in whole, or its main
    part (the longest part that does not name the site; never a site or section part)."""
    keys: set[str] = set()
    prefixes: list[str] = []
    leading: set[str] = set()
    for reference in references:
        if _only_site(reference, site_keys):
            continue
        keys.add(_key(reference))
        parts = [part for part in _SEPARATOR.split(reference) if part.strip()]
        # The title without its trailing parts ("Headline | Blog | Author" → "Headline").
        leading.update(_key(" ".join(parts[:end])) for end in range(1, len(parts)))
        own = [part for part in parts if not _names_site(part, site_keys)]
        if own:
            keys.add(_key(max(own, key=len)))
        if reference.endswith(("…", "...")):
            prefixes.append(_key(reference.rstrip(".… ")))
    keys.discard("")
    candidates = list(signals.h1s)
    candidates += [_clean(e.text_content()) or "" for e in signals.itemprops.get("headline", [])]
    # An <h2> is a candidate after the <h1>s: some pages give the <h1> to the site's banner.
    for candidate in [*candidates, *signals.h2s]:
        key = _key(candidate)
        if not key:
            continue
        if key in keys or any(len(p) > 20 and key.startswith(p) for p in prefixes):
            return candidate
    # Else the first heading that is a metadata title without its trailing parts, when
    # that leaves a headline-sized text (not a one-word section name).
    for candidate in [*candidates, *signals.titled_headings, *signals.h2s]:
        if len(candidate.split()) >= MIN_HEADLINE_WORDS and _key(candidate) in leading:
            return candidate
    # Else the first on-page headline that shares most of its words with a metadata title:
    # sites often give search engines a shorter or reworded title than the one they show.
    # Of several such headings (a section's heading beside the story's), the one closest
    # to a metadata title in words.
    reference_words = [_words(reference) for reference in references]
    best: tuple[float, str] | None = None
    for candidate in candidates:
        words = _words(candidate)
        if len(words) < MIN_HEADLINE_WORDS:
            continue
        for other in reference_words:
            shared = len(words & other)
            if other and shared >= OVERLAP * min(len(words), len(other)):
                closeness = shared / len(words | other)
                if best is None or closeness > best[0]:
                    best = (closeness, candidate)
    return best[1] if best else None


def _words(text: str) -> set[str]:
    return {word for word in re.findall(r"\w+", text.lower()) if len(word) > 2}


def strip_site_name(title: str, site_keys: set[str]) -> str | None:
    """``title`` without leading or trailing parts that name the site ("… | CBC News")."""
    parts = [part.strip() for part in _SEPARATOR.split(title) if part.strip()]
    if not parts:
        return None
    while len(parts) > 1 and _names_site(_unbracketed(parts[-1]), site_keys):
        parts.pop()
    while len(parts) > 1 and _names_site(_unbracketed(parts[0]), site_keys):
        parts.pop(0)
    if len(parts) == 1:
        return parts[0]
    # Rebuild with the page's own separators between the parts that are left.
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    kept = title[start:end].strip() if 0 <= start < end else " - ".join(parts)
    return kept or None


def _unbracketed(part: str) -> str:
    """A title part without the brackets some sites put around their name ("【Site】")."""
    return part.strip("<>＜＞【】[]").strip() if part[:1] in "<＜【[" else part


def _only_site(title: str, site_keys: set[str]) -> bool:
    """Whether every part of ``title`` names the site (a blog's "<title>My Blog</title>")."""
    parts = [part for part in _SEPARATOR.split(title) if part.strip()]
    return bool(parts) and all(_names_site(part, site_keys) for part in parts)


def _names_site(part: str, site_keys: set[str]) -> bool:
    key = _key(part)
    if not key or len(part.split()) > 6:
        return False
    for site in site_keys:
        if len(site) < 3:
            continue
        if key == site or (len(key) >= 3 and (key in site or site in key)):
            return True
    return False


def _site_keys(
    signals: _Signals, articles: list[dict[str, Any]], url: str | None, *, chrome: bool = True
) -> set[str]:
    names = [value for key in _SITE_META for value in signals.meta.get(key, [])]
    publisher = _publisher_name(articles)
    if publisher:
        names.append(publisher)
    for item in signals.json_ld:
        if _types(item) & {"organization", "newsmediaorganization", "website"}:
            name = item.get("name")
            if isinstance(name, str):
                names.append(name)
    if chrome:
        names += signals.chrome_names
        # The site's other self-descriptions: its app's name, its copyright holder, its
        # Twitter handle ("@QuaysideWeekly" names "Quayside Weekly").
        names += [value for key in _SITE_CHROME_META for value in signals.meta.get(key, [])]
    keys = {_key(name) for name in names}
    keys.update(_host_keys(url))
    keys.discard("")
    return keys


def _host_keys(url: str | None) -> set[str]:
    if not url:
        return set()
    host = re.sub(r"^[a-z]+://", "", url.lower()).split("/", 1)[0].split(":", 1)[0]
    labels = [label for label in host.split(".") if label not in {"www", "m", "amp", "mobile"}]
    generic = {"com", "org", "net", "co", "uk", "de", "fr", "news", "edu", "gov", "io", "info"}
    return {_key(label) for label in labels if label not in generic and len(label) >= 3}


# --- authors ------------------------------------------------------------------------------


def _choose_authors(
    signals: _Signals, articles: list[dict[str, Any]], site_keys: set[str]
) -> tuple[list[str], str | None]:
    credits: list[str] = []
    sources: list[list[str]] = []
    ld_people: list[str] = []
    for article in articles[:3]:
        for key in ("author", "creator"):
            people, orgs = _ld_people(article.get(key), site_keys)
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
    element_groups: list[list[str]] = []
    for text, links in signals.byline_texts:
        people, orgs = _byline_element_people(text, links, site_keys)
        credits += orgs
        if people:
            element_groups.append(people)
    sources.append(element_groups[0] if element_groups else [])
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
            return chosen[:MAX_AUTHORS], _clean(credits[0]) if credits else None
    return [], _clean(credits[0]) if credits else None


def _ld_people(value: Any, site_keys: set[str]) -> tuple[list[str], list[str]]:
    people: list[str] = []
    orgs: list[str] = []
    values = value if isinstance(value, list) else [value]
    for item in values[:MAX_AUTHORS]:
        if isinstance(item, str):
            found, credit = split_byline(item, site_keys)
            people += found
            orgs += credit
        elif isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, list):
                name = next((n for n in name if isinstance(n, str)), None)
            if not isinstance(name, str) or not name.strip():
                continue
            if _types(item) & {"organization", "newsmediaorganization", "corporation"}:
                orgs.append(name)
                continue
            # A typed Person is not taken for the site even when a personal site bears
            # the owner's name; words like "News" or an agency name still make it a credit.
            typed_person = "person" in _types(item) and len(name.split()) > 1
            found, credit = split_byline(name, set() if typed_person else site_keys)
            people += found
            orgs += credit
    return people, orgs


def _microdata_authors(signals: _Signals, site_keys: set[str], credits: list[str]) -> list[str]:
    people: list[str] = []
    for element in signals.itemprops.get("author", [])[:MAX_AUTHORS]:
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
    if tokens[0] in {"The", "THE", "Die", "Der", "Das", "La", "Le", "Les", "El", "Il"}:
        return True  # "The Russian", "Le Monde": a title, not a person
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


# --- dates --------------------------------------------------------------------------------


def parse_moment(value: str, *, source: str) -> Moment | None:
    """A page's date text as a Moment, keeping its offset; None when it is not a date."""
    value = _clean(value) or ""
    if not value or len(value) > 80:
        return None
    parsed = parse_date_text(value)
    if parsed is None or not _plausible(parsed, source):
        return None
    has_time = bool(_HAS_CLOCK.search(value))
    has_zone = has_time and bool(
        _ZONE_SUFFIX.search(value)
        or re.search(r"[+-]\d{2}:?\d{2}\b", value[10:])
        or re.search(r"\b[A-Z]{2,4}T?\b\s*$", value)
    )
    if not has_time:
        parsed = datetime.combine(parsed.date(), time(12, 0), tzinfo=UTC)
    return Moment(parsed.astimezone(UTC), has_zone, has_time, source)


def parse_visible_date(text: str) -> Moment | None:
    """The first date a reader sees in ``text`` ("Published 7:07 PM EST Nov 19, 2019")."""
    text = _CJK_DATE.sub(lambda m: f"{m['y']}-{int(m['m']):02d}-{int(m['d']):02d} ", text)
    day_match = _DAY_TEXT.search(text)
    if day_match is None:
        return None
    day = parse_date_text(day_match.group(0))
    if day is None or not _plausible(day, "visible"):
        return None
    clock = _CLOCK_TEXT.search(text[day_match.end() : day_match.end() + 30])
    if clock is None:
        clock = _CLOCK_TEXT.search(text[max(0, day_match.start() - 30) : day_match.start()])
    if clock is None or not (clock["meridiem"] or ":" in clock.group(0)):
        return Moment(
            datetime.combine(day.date(), time(12, 0), tzinfo=UTC), False, False, "visible"
        )
    hour, minute = int(clock["hour"]), int(clock["minute"])
    if clock["meridiem"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if clock["meridiem"].lower() == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    local = datetime.combine(day.date(), time(hour, minute))
    zone = (clock["zone"] or "").lower()
    if zone in _REGION_ZONES:
        from zoneinfo import ZoneInfo

        aware = local.replace(tzinfo=ZoneInfo(_REGION_ZONES[zone]))
        return Moment(aware.astimezone(UTC), True, True, "visible")
    if zone and zone not in {"am", "pm", "m"}:
        zoned = parse_date_text(f"{local:%d %B %Y %H:%M} {clock['zone']}")
        if zoned is not None:
            return Moment(zoned.astimezone(UTC), True, True, "visible")
    return Moment(local.replace(tzinfo=UTC), False, True, "visible")


def _plausible(when: datetime, source: str) -> bool:
    from news.dates import plausible_publication_time

    if plausible_publication_time(when, now=datetime.now(UTC)) is None:
        logger.info("date from %s ignored: %s is not a plausible publication time", source, when)
        return False
    return True


def _choose_published(
    signals: _Signals,
    articles: list[dict[str, Any]],
    pages: list[dict[str, Any]],
    url: str | None,
) -> Moment | None:
    candidates: list[Moment] = []
    for item in articles:
        candidates += _moments(item.get("datePublished"), "json-ld")
    for key in _PUBLISHED_META:
        for value in signals.meta.get(key, [])[:2]:
            candidates += _moments(value, f"meta {key}")
    for element in signals.itemprops.get("datepublished", [])[:3]:
        value = element.get("datetime") or element.get("content") or element.text_content()
        candidates += _moments(value, "microdata")
    for value, text, marked in signals.times:
        if marked:
            candidates += _moments(value or text, "time")
    for item in articles:
        candidates += _moments(item.get("dateCreated"), "json-ld created")
    for item in pages:
        candidates += _moments(item.get("datePublished"), "json-ld page")
    for value, text, _ in signals.times[:3]:
        candidates += _moments(value or text, "time")
    for text in [*signals.date_texts, *(text for text, _ in signals.byline_texts)]:
        moment = parse_visible_date(text)
        if moment is not None:
            candidates.append(moment)
    from_url = _url_date(url)
    return _reconcile(candidates, from_url)


def _choose_modified(
    signals: _Signals, articles: list[dict[str, Any]], pages: list[dict[str, Any]]
) -> Moment | None:
    candidates: list[Moment] = []
    for item in [*articles, *pages]:
        candidates += _moments(item.get("dateModified"), "json-ld")
    for key in _MODIFIED_META:
        for value in signals.meta.get(key, [])[:2]:
            candidates += _moments(value, f"meta {key}")
    for element in signals.itemprops.get("datemodified", [])[:3]:
        value = element.get("datetime") or element.get("content") or element.text_content()
        candidates += _moments(value, "microdata")
    return _reconcile(candidates, None)


def _moments(value: Any, source: str) -> list[Moment]:
    values = value if isinstance(value, list) else [value]
    found = []
    for item in values[:3]:
        if isinstance(item, str):
            moment = parse_moment(item, source=source)
            if moment is not None:
                found.append(moment)
    return found


def _reconcile(candidates: list[Moment], from_url: Moment | None) -> Moment | None:
    """The best-sourced candidate, refined by a more precise one on the same day.

    A time with a zone beats a time without one beats a bare date; the earliest source in
    the list wins among equals. A URL date wins when every other candidate is more than
    a day away from it (the page's metadata then describes a re-publication).
    """
    if not candidates:
        return from_url
    best = candidates[0]
    for candidate in candidates[1:]:
        if _precision(candidate) > _precision(best) and _near(candidate, best):
            best = candidate
    if from_url is not None and not any(_near(c, from_url) for c in candidates):
        return from_url
    return best


def _precision(moment: Moment) -> int:
    return 2 if moment.has_zone else 1 if moment.has_time else 0


def _near(a: Moment, b: Moment) -> bool:
    return abs(a.at - b.at) <= timedelta(hours=36)


def _url_date(url: str | None) -> Moment | None:
    if not url:
        return None
    match = _URL_DATE.search(url)
    if match is None:
        return None
    try:
        day = datetime(int(match["year"]), int(match["month"]), int(match["day"]), 12, tzinfo=UTC)
    except ValueError:
        return None
    return Moment(day, False, False, "url")


# --- small helpers ------------------------------------------------------------------------


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    cleaned = " ".join(value.replace("\u00a0", " ").replace("\u200b", "").split())
    return cleaned or None


def _key(value: str) -> str:
    return _KEY.sub("", value.replace("’", "'").lower())


def _first(meta: dict[str, list[str]], keys: Iterable[str]) -> str | None:
    for key in keys:
        for value in meta.get(key, []):
            cleaned = _clean(value)
            if cleaned:
                return cleaned
    return None


def _ld_text(items: list[dict[str, Any]], key: str) -> str | None:
    for item in items:
        value = item.get(key)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str)), None)
        if isinstance(value, str) and value.strip():
            return value if key == "articleBody" else _clean(_unescape(value))
    return None


def _unescape(value: str) -> str:
    import html

    return html.unescape(value)


def _itemprop_text(signals: _Signals, name: str) -> str | None:
    for element in signals.itemprops.get(name, []):
        text = element.get("content") if element.tag == "meta" else element.text_content()
        cleaned = _clean(text)
        if cleaned:
            return cleaned
    return None


def _publisher_name(articles: list[dict[str, Any]]) -> str | None:
    for item in articles:
        publisher = item.get("publisher")
        if isinstance(publisher, list) and publisher:
            publisher = publisher[0]
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            return str(publisher["name"])
        if isinstance(publisher, str):
            return publisher
    return None


def _keywords(signals: _Signals, articles: list[dict[str, Any]]) -> list[str]:
    values: list[str] = [
        value
        for key in ("article:tag", "keywords", "news_keywords")
        for value in signals.meta.get(key, [])
    ]
    for item in articles[:1] if not values else ():
        keywords = item.get("keywords")
        if isinstance(keywords, str):
            values.append(keywords)
        elif isinstance(keywords, list):
            values += [k for k in keywords if isinstance(k, str)]
    return _distinct([part for value in values for part in _iter_parts(value)])


def _iter_parts(value: str) -> Iterator[str]:
    for part in value.split(","):
        cleaned = _clean(part)
        if cleaned:
            yield cleaned


def _distinct(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        key = _key(value)
        if key and key not in seen:
            seen[key] = value
    return list(seen.values())


def drop_implausible(when: datetime | None, *, now: datetime, what: str) -> datetime | None:
    """``when`` if a story could have been published then; else None, with a logged reason."""
    from news.dates import plausible_publication_time

    if when is None:
        return None
    kept = plausible_publication_time(when, now=now)
    if kept is None:
        logger.warning("%s dropped: %s is not a plausible publication time", what, when.isoformat())
    return kept


@dataclass(frozen=True)
class CardFields:
    """The metadata an archived story's card shows, as re-derived from what was stored."""

    headline: str
    byline: str | None
    authors: list[str]
    credit: str | None
    published_at: datetime | None


def rederive_card_fields(
    *,
    headline: str,
    byline: str | None,
    authors: list[str] | None,
    credit: str | None,
    outlet: str | None,
    url: str | None,
    published_at: datetime | None,
    now: datetime,
) -> CardFields:
    """A stored story's headline, byline and date by today's rules, from its stored fields.

    Used for archives written by earlier versions: a site name left on the headline is cut,
    a byline string is split into people and an organisation credit, an implausible date
    is dropped (logged) and a date more than a day and a half away from the one in the
    story's URL is replaced by the URL's.
    """
    keys = {_key(outlet)} if outlet else set[str]()
    keys |= _host_keys(url)
    keys.discard("")
    new_headline = strip_site_name(headline, keys) or headline
    people = list(authors or [])
    new_credit = credit
    if not people and byline:
        people, orgs = split_byline(byline, keys)
        new_credit = credit or (orgs[0] if orgs else None)
    when = drop_implausible(published_at, now=now, what=f"stored date of {url or headline!r}")
    from_url = _url_date(url)
    if when is not None and from_url is not None and abs(when - from_url.at) > timedelta(hours=36):
        logger.info("stored date %s of %s replaced by the URL's date", when.isoformat(), url)
        when = from_url.at
    return CardFields(
        headline=new_headline,
        byline=format_byline(people) or (None if people or new_credit else byline),
        authors=people,
        credit=new_credit,
        published_at=when,
    )
