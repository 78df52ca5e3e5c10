"""Publication and update times, time-zone aware and in UTC, from every date a page gives."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from news.metadata.signals import _clean, _Signals
from news.wire_copy import parse_date_text

logger = logging.getLogger(__name__)


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
_PUBLISHED_META_TEXT = """
    article:published_time og:published_time og:article:published_time datepublished
    article.published pubdate publishdate publish-date publish_date published_time
    parsely-pub-date sailthru.date dc.date.issued dcterms.issued dc.date dcterms.created
    dc.date.created date citation_publication_date article_date_original
    cxenseparse:recs:publishtime datecreated
    """
_PUBLISHED_META = tuple(_PUBLISHED_META_TEXT.split())
_MODIFIED_META_TEXT = """
    article:modified_time og:updated_time datemodified dc.date.modified dcterms.modified
    last-modified lastmod
    """
_MODIFIED_META = tuple(_MODIFIED_META_TEXT.split())
# Pages in US English write numeric dates month first ("05/08/2014" is 8 May); elsewhere
# day first. Only slashes: dotted dates ("08.05.2014") are day-first everywhere.
_MONTH_FIRST_LANGUAGES = frozenset({"en-us"})
_SLASHED_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})\b")
# A date in an address: "/2019/05/10/", "/2019-05-10-", and with up to two section names
# between the year and the month ("/2013/middle_east/8/3/", "/2010/WORLD/meast/08/13/").
_URL_DATE = re.compile(
    r"/(?P<year>(?:19|20)\d{2})(?:[/-]|(?:/[A-Za-z][A-Za-z_-]{1,30}){1,2}/)"
    r"(?P<month>0?[1-9]|1[0-2])[/-](?P<day>0?[1-9]|[12]\d|3[01])(?:/|$|[-_])"
)
_ZONE_SUFFIX = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2}|\b(?:utc|gmt)\b)\s*$", re.IGNORECASE)
_HAS_CLOCK = re.compile(r"\d{1,2}:\d{2}")
_ISO_MIDNIGHT = re.compile(
    r"(?P<day>(?:19|20)\d{2}-\d{2}-\d{2})[T ]00:00(?::00(?:\.0+)?)?(?!\d|:\d|\.\d*[1-9])"
)


@dataclass(frozen=True)
class Moment:
    """A publication time as a page gives it: the instant in UTC and how precise it is."""

    at: datetime  # timezone-aware, UTC
    has_zone: bool
    has_time: bool
    source: str


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
    midnight = _ISO_MIDNIGHT.match(value)
    if midnight is not None:
        # Exactly midnight is a date field written as a time ("2018-12-22T00:00:00+0100"):
        # the day as written, not the instant, which in UTC falls on the day before.
        day = parse_date_text(midnight["day"])
        if day is not None:
            parsed, has_time, has_zone = day, False, False
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
    us = signals.lang in _MONTH_FIRST_LANGUAGES
    for item in articles:
        candidates += _moments(item.get("datePublished"), "json-ld", us)
    for key in _PUBLISHED_META:
        for value in signals.meta.get(key, [])[:2]:
            candidates += _moments(value, f"meta {key}", us)
    for element in signals.itemprops.get("datepublished", [])[:3]:
        value = element.get("datetime") or element.get("content") or element.text_content()
        candidates += _moments(value, "microdata", us)
    template = _template_times(signals.times)
    for value, text, marked in signals.times:
        if marked and value not in template:
            candidates += _moments(value or text, "time", us)
    # A date the page labels as its publication's ("Published on 7 June 2019").
    for text in signals.labelled_dates:
        moment = parse_visible_date(_day_first(text) if us else text)
        if moment is not None:
            candidates.append(Moment(moment.at, moment.has_zone, moment.has_time, "labelled"))
    for item in articles:
        candidates += _moments(item.get("dateCreated"), "json-ld created", us)
    for item in pages:
        candidates += _moments(item.get("datePublished"), "json-ld page", us)
    for value, text, _ in signals.times[:3]:
        if value not in template:
            candidates += _moments(value or text, "time", us)
    for text in [*signals.date_texts, *(text for text, _ in signals.byline_texts)]:
        moment = parse_visible_date(_day_first(text) if us else text)
        if moment is not None:
            candidates.append(moment)
    from_url = _url_date(url)
    return _reconcile(candidates, from_url)


def _template_times(times: list[tuple[str, str, bool]]) -> set[str]:
    """The ``datetime`` values that several ``<time>`` elements showing different dates
    share ("5 juillet", "9 juillet", "2 août", each with the same instant): a template's
    one value (the page's build time), which dates none of them."""
    texts: dict[str, set[str]] = {}
    for value, text, _ in times:
        if value and text:
            texts.setdefault(value, set()).add(text)
    return {value for value, shown in texts.items() if len(shown) >= 2}


def _choose_modified(
    signals: _Signals, articles: list[dict[str, Any]], pages: list[dict[str, Any]]
) -> Moment | None:
    candidates: list[Moment] = []
    us = signals.lang in _MONTH_FIRST_LANGUAGES
    for item in [*articles, *pages]:
        candidates += _moments(item.get("dateModified"), "json-ld", us)
    for key in _MODIFIED_META:
        for value in signals.meta.get(key, [])[:2]:
            candidates += _moments(value, f"meta {key}", us)
    for element in signals.itemprops.get("datemodified", [])[:3]:
        value = element.get("datetime") or element.get("content") or element.text_content()
        candidates += _moments(value, "microdata", us)
    return _reconcile(candidates, None)


def _moments(value: Any, source: str, month_first: bool = False) -> list[Moment]:
    values = value if isinstance(value, list) else [value]
    found = []
    for item in values[:3]:
        if isinstance(item, str):
            moment = parse_moment(_day_first(item) if month_first else item, source=source)
            if moment is not None:
                found.append(moment)
    return found


def _day_first(text: str) -> str:
    """``text`` with its numeric month-first dates ("05/08/2014", 8 May) written day-first
    ("08/05/2014"), the order the date parser reads first; used on pages in a language
    that writes the month first."""
    return _SLASHED_DATE.sub(r"\2/\1/\3", text)


def _reconcile(candidates: list[Moment], from_url: Moment | None) -> Moment | None:
    """The best-sourced candidate, refined by a more precise one on the same day.

    A time with a zone beats a time without one beats a bare date; the earliest source in
    the list wins among equals. A date in the URL is used only when the page gives no
    other: many sites keep the address a draft was first saved under, so a URL date far
    from the page's stated publication time is the draft's, not the story's.
    """
    if not candidates:
        return from_url
    best = candidates[0]
    for candidate in candidates[1:]:
        if _precision(candidate) > _precision(best) and _near(candidate, best):
            best = candidate
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


def drop_implausible(when: datetime | None, *, now: datetime, what: str) -> datetime | None:
    """``when`` if a story could have been published then; else None, with a logged reason."""
    from news.dates import plausible_publication_time

    if when is None:
        return None
    kept = plausible_publication_time(when, now=now)
    if kept is None:
        logger.warning("%s dropped: %s is not a plausible publication time", what, when.isoformat())
    return kept
