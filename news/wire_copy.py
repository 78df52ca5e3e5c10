"""Plain-text copy as reporters paste or upload it: decoding, header lines, paragraphs, dates.

The format: an optional ``Published:`` date line, a desk/byline line, an outlet line, then
paragraphs (one per line, or separated by blank lines, possibly hard-wrapped). Any header
line may be missing; an optional ``Headline:`` or ``By …`` line is understood too.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from news.articles import ArticleDraft
from news.errors import InvalidCopy

MAX_CONTROL_SHARE = 0.02
MAX_HEADER_LINES = 8
MAX_HEADER_WORDS = 14
MAX_HEADER_CHARS = 120
MIN_HEADLINE_WORDS = 7
MIN_WRAPPED_LINE_CHARS = 60

_BINARY_SIGNATURES = (
    b"%PDF-",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\xd0\xcf\x11\xe0",  # OLE2: .doc, .xls
    b"\x7fELF",
    b"MZ\x90\x00",
)
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1a")
_TERMINAL_PUNCTUATION = frozenset(".!?…:;\"'”’»)")

_LABEL = re.compile(
    r"^(?P<label>published|publication date|date|posted|filed|updated|last updated|headline|"
    r"title|byline|by|author|authors|writer|outlet|source|publication|publisher|desk|section)"
    r"\s*[:|]\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_BY_LINE = re.compile(r"^by\s+(?P<value>\S.*)$", re.IGNORECASE)
_LABEL_FIELDS = {
    "published": "published",
    "publication date": "published",
    "date": "published",
    "posted": "published",
    "filed": "published",
    "updated": "updated",
    "last updated": "updated",
    "headline": "headline",
    "title": "headline",
    "byline": "byline",
    "by": "byline",
    "author": "byline",
    "authors": "byline",
    "writer": "byline",
    "desk": "section",
    "section": "section",
    "outlet": "outlet",
    "source": "outlet",
    "publication": "outlet",
    "publisher": "outlet",
}
_BYLINE_WORDS = frozenset(
    {
        "desk",
        "staff",
        "reporter",
        "reporters",
        "correspondent",
        "correspondents",
        "editor",
        "editors",
        "writer",
        "newsroom",
        "bureau",
        "team",
        "contributor",
    }
)
_OUTLET_WORDS = frozenset(
    {
        "online",
        "news",
        "times",
        "post",
        "chronicle",
        "herald",
        "gazette",
        "journal",
        "press",
        "tribune",
        "daily",
        "weekly",
        "telegraph",
        "guardian",
        "observer",
        "independent",
        "express",
        "mail",
        "mirror",
        "courier",
        "standard",
        "review",
        "magazine",
        "agency",
        "radio",
        "tv",
        "television",
        "broadcasting",
        "media",
        "wire",
    }
)
_OUTLET_DOMAIN = re.compile(r"\b[a-z0-9-]+\.(?:com|co\.uk|org|net|news|uk|eu|ie|au|ca)\b", re.I)

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_NAMES = (
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
)
_ZONE_OFFSETS = {
    "z": 0,
    "utc": 0,
    "gmt": 0,
    "ut": 0,
    "bst": 60,
    "wet": 0,
    "west": 60,
    "cet": 60,
    "cest": 120,
    "eet": 120,
    "eest": 180,
    "est": -300,
    "edt": -240,
    "cst": -360,
    "cdt": -300,
    "mst": -420,
    "mdt": -360,
    "pst": -480,
    "pdt": -420,
}
_WEEKDAY = re.compile(
    r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\.?,?\s+",
    re.IGNORECASE,
)
_MONTH_NAME = r"(?P<month>[a-z]{3,9})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_TIME = (
    r"(?:\s*(?:at|,|-|–)?\s*(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))(?:[:.](?P<second>\d{2}))?"
    r"\s*(?P<meridiem>am|pm|a\.m\.|p\.m\.)?)?"
    r"(?:\s*\(?(?P<zone>z|utc|gmt|ut|[a-z]{3,4}|(?:utc|gmt)?\s*[+-]\d{1,2}(?::?\d{2})?)\)?)?"
)
_RFC2822 = re.compile(
    r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"\s+(?:[+-]\d{4}|GMT|UTC?|Z|[ECMP][SD]T)$",
    re.IGNORECASE,
)
_DATE_PATTERNS = (
    re.compile(rf"^{_DAY}\s+(?:of\s+)?{_MONTH_NAME},?\s+{_YEAR}{_TIME}$", re.IGNORECASE),
    re.compile(rf"^{_MONTH_NAME}\s+{_DAY},?\s+{_YEAR}{_TIME}$", re.IGNORECASE),
    re.compile(
        rf"^(?P<first_number>\d{{1,2}})[/.-](?P<second_number>\d{{1,2}})[/.-](?P<year>\d{{4}}|\d{{2}}){_TIME}$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?P<year>\d{{4}})[/.](?P<month_number>\d{{1,2}})[/.](?P<day>\d{{1,2}}){_TIME}$",
        re.IGNORECASE,
    ),
)


def decode_copy(data: bytes) -> str:
    """Text from an uploaded file: UTF-8 (BOM removed), UTF-16/32 with a BOM, else cp1252.

    Raises InvalidCopy for binary files (NUL bytes, known binary signatures, or many
    control characters).
    """
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise InvalidCopy(f"unreadable copy: the file is not valid {encoding}") from None
            _check_plain_text(text)
            return text
    if data.startswith(_BINARY_SIGNATURES) or b"\x00" in data:
        text_utf16 = _decode_utf16_without_bom(data)
        if text_utf16 is None:
            raise InvalidCopy("not plain text: looks like a binary file")
        _check_plain_text(text_utf16)
        return text_utf16
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    _check_plain_text(text)
    return text


def parse_wire_copy(text: str) -> ArticleDraft:
    """The story in plain-text copy: published date, byline, outlet and paragraphs.

    The headline is left None unless a ``Headline:`` line (or a long title-like first line)
    gives one. Raises InvalidCopy when there is no paragraph text.
    """
    if "\x00" in text:
        raise InvalidCopy("not plain text: looks like a binary file")
    lines = [_clean_line(line) for line in text.lstrip("\ufeff").splitlines()]
    if not any(lines):
        raise InvalidCopy("empty copy: there is no text to read")
    header, body_lines = _split_header(lines)
    paragraphs = _join_paragraphs(body_lines)
    if not paragraphs:
        raise InvalidCopy("no story text: the copy has header lines but no paragraphs")
    return ArticleDraft(
        body="\n\n".join(paragraphs),
        headline=header.headline,
        byline=header.byline,
        outlet=header.outlet,
        section=header.section,
        published_at=header.published_at,
    )


def parse_date_text(text: str) -> datetime | None:
    """A timezone-aware UTC datetime from a date as newsrooms write it, or None.

    Understands ISO 8601, RFC 2822 (``Mon, 06 Jan 2025 10:00:00 GMT``), ``06 January 2025``,
    ``January 6, 2025``, ``6 Jan 2025 14:30 GMT`` and numeric ``06/01/2025`` read day-first
    (month-first only when the day-first reading is impossible). A time without a zone and
    a date without a time are taken as UTC (midnight for a bare date).
    """
    value = " ".join(text.strip().split())
    if not value or len(value) > 80:
        return None
    parsed = _parse_iso(value) or _parse_rfc2822(value) or _parse_written(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass
class _Header:
    published_at: datetime | None = None
    headline: str | None = None
    byline: str | None = None
    outlet: str | None = None
    section: str | None = None
    unlabeled: list[str] = field(default_factory=list)


def _clean_line(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return " ".join(line.split())


def _split_header(lines: list[str]) -> tuple[_Header, list[str]]:
    header = _Header()
    start = _find_body_start(lines)
    for line in lines[:start]:
        if line:
            _read_header_line(line, header)
    _assign_unlabeled(header)
    return header, lines[start:]


def _find_body_start(lines: list[str]) -> int:
    """Index of the first body line: after the leading run of short header-like lines.

    Header-like lines directly above the body that are really its hard-wrapped opening
    (the body line continues in lower case, or the line is as long as a wrapped one) are
    given back to the body.
    """
    index = 0
    header_lines = 0
    while index < len(lines) and header_lines < MAX_HEADER_LINES:
        line = lines[index]
        if line and not _is_header_line(line):
            break
        header_lines += bool(line)
        index += 1
    while (
        0 < index < len(lines)
        and lines[index]
        and lines[index - 1]
        and _is_plain_line(lines[index - 1])
        and (lines[index][0].islower() or len(lines[index - 1]) >= MIN_WRAPPED_LINE_CHARS)
    ):
        index -= 1
    return index


def _is_header_line(line: str) -> bool:
    label_match = _LABEL.match(line)
    if label_match and len(label_match.group("value")) <= MAX_HEADER_CHARS:
        return True
    words = line.split()
    if len(words) > MAX_HEADER_WORDS or len(line) > MAX_HEADER_CHARS or line[0].islower():
        return False
    return line[-1] not in _TERMINAL_PUNCTUATION or parse_date_text(line) is not None


def _is_plain_line(line: str) -> bool:
    """An unlabeled line that is neither a ``By …`` line nor a date."""
    return not (_LABEL.match(line) or _BY_LINE.match(line) or parse_date_text(line))


def _read_header_line(line: str, header: _Header) -> None:
    """Record a header line in ``header``."""
    label_match = _LABEL.match(line)
    if label_match:
        field_name = _LABEL_FIELDS[label_match.group("label").lower()]
        value = label_match.group("value").strip()
        if field_name == "published":
            header.published_at = header.published_at or parse_date_text(value)
        elif field_name in {"headline", "byline", "outlet", "section"} and value:
            if field_name == "byline":
                value = _BY_LINE.sub(r"\g<value>", value)
            if getattr(header, field_name) is None:
                setattr(header, field_name, value)
        return
    by_match = _BY_LINE.match(line)
    if by_match and header.byline is None:
        header.byline = by_match.group("value")
        return
    date = parse_date_text(line)
    if date is not None:
        header.published_at = header.published_at or date
        return
    header.unlabeled.append(line)


def _assign_unlabeled(header: _Header) -> None:
    """Give unlabeled header lines to byline, outlet and headline by their wording."""
    remaining: list[str] = []
    for line in header.unlabeled:
        words = {word.lower().strip(".,()") for word in line.split()}
        if header.byline is None and words & _BYLINE_WORDS:
            header.byline = line
        elif header.outlet is None and (words & _OUTLET_WORDS or _OUTLET_DOMAIN.search(line)):
            header.outlet = line
        elif header.headline is None and len(line.split()) >= MIN_HEADLINE_WORDS:
            header.headline = line
        else:
            remaining.append(line)
    for line in remaining:
        if header.byline is None:
            header.byline = line
        elif header.outlet is None:
            header.outlet = line


def _join_paragraphs(lines: list[str]) -> list[str]:
    """Paragraphs from body lines: one per line, or blocks between blank lines.

    A block whose lines mostly end mid-sentence is hard-wrapped text and becomes one
    paragraph; otherwise every line of it is a paragraph of its own.
    """
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    paragraphs: list[str] = []
    for block in blocks:
        if not block:
            continue
        open_ends = sum(1 for line in block[:-1] if line[-1] not in _TERMINAL_PUNCTUATION)
        if len(block) > 1 and open_ends * 2 >= len(block) - 1:
            paragraphs.append(" ".join(block))
        else:
            paragraphs.extend(block)
    return paragraphs


def _check_plain_text(text: str) -> None:
    if not text:
        return
    if "\x00" in text:
        raise InvalidCopy("not plain text: looks like a binary file")
    controls = sum(
        1
        for character in text
        if character not in _TEXT_CONTROLS and unicodedata.category(character) == "Cc"
    )
    if controls > max(2, len(text) * MAX_CONTROL_SHARE):
        raise InvalidCopy("not plain text: looks like a binary file")


def _decode_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM: NULs in every other byte of mostly-ASCII text."""
    if len(data) < 4 or len(data) % 2:
        return None
    even_nuls = data[0::2].count(0) / (len(data) // 2)
    odd_nuls = data[1::2].count(0) / (len(data) // 2)
    encoding = None
    if odd_nuls > 0.9 and even_nuls < 0.1:
        encoding = "utf-16-le"
    elif even_nuls > 0.9 and odd_nuls < 0.1:
        encoding = "utf-16-be"
    if encoding is None:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _parse_iso(value: str) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return None
    candidate = value.replace(" UTC", "Z").replace(" GMT", "Z")
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        return None


def _parse_rfc2822(value: str) -> datetime | None:
    if not _RFC2822.match(value):
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _parse_written(value: str) -> datetime | None:
    value = _WEEKDAY.sub("", value).strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match is None:
            continue
        parts = match.groupdict()
        date = _read_date_parts(parts)
        if date is None:
            return None
        return _apply_time(date, parts)
    return None


def _read_date_parts(parts: dict[str, str | None]) -> datetime | None:
    year = int(parts["year"] or 0)
    if year < 100:
        year += 2000
    if parts.get("first_number") is not None:
        first, second = int(parts["first_number"] or 0), int(parts["second_number"] or 0)
        day, month = (first, second) if second <= 12 else (second, first)
    elif parts.get("month_number") is not None:
        day, month = int(parts["day"] or 0), int(parts["month_number"] or 0)
    else:
        month_name = (parts["month"] or "").lower()
        month = _MONTHS.get(month_name[:4] if month_name.startswith("sept") else month_name[:3], 0)
        if month == 0 or not _is_month_name(month_name):
            return None
        day = int(parts["day"] or 0)
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def _is_month_name(name: str) -> bool:
    return any(full.startswith(name) for full in _MONTH_NAMES) or name == "sept"


def _apply_time(date: datetime, parts: dict[str, str | None]) -> datetime | None:
    hour = int(parts.get("hour") or 0)
    minute = int(parts.get("minute") or 0)
    second = int(parts.get("second") or 0)
    meridiem = (parts.get("meridiem") or "").replace(".", "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    moment = date.replace(hour=hour, minute=minute, second=second)
    zone = (parts.get("zone") or "").lower().replace(" ", "")
    if not zone:
        return moment
    offset = _read_zone(zone)
    if offset is None:
        return None
    return moment.replace(tzinfo=timezone(timedelta(minutes=offset)))


def _read_zone(zone: str) -> int | None:
    if zone in _ZONE_OFFSETS:
        return _ZONE_OFFSETS[zone]
    match = re.fullmatch(r"(?:utc|gmt)?([+-])(\d{1,2})(?::?(\d{2}))?", zone)
    if match is None:
        return None
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        return None
    return sign * (hours * 60 + minutes)
