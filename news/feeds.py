"""Read RSS, Atom and JSON Feed documents into plain-text entries with stable identities.

RSS 0.9x/1.0/2.0 and Atom go through feedparser, always from bytes wrapped in a file object:
feedparser fetches anything that looks like a URL and opens anything that names a file, so
neither a URL nor raw bytes are ever handed to it. JSON Feed 1.0 and 1.1 are read here.
Every title, summary and content is untrusted markup and comes out as plain text.

Formats are named as feedparser names them (``rss20``, ``rss10``, ``rss091u``, ``atom10``, …),
plus ``json1`` and ``json11`` for JSON Feed 1.0 and 1.1.
"""

from __future__ import annotations

import calendar
import email.utils
import hashlib
import io
import json
import re
import time
import xml.sax
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any, Final

import feedparser

from news.articles import ArticleDraft
from news.errors import NewsdeskError, NotAnArticle
from news.feed_guard import EntityDeclarations, bound_feed_document, feed_as_utf8
from news.fetching import decode_text
from news.urls import resolve_url

__all__ = [
    "MAX_CONTENT_CHARS",
    "MAX_ENTRIES",
    "MAX_SUMMARY_CHARS",
    "MAX_TITLE_CHARS",
    "FeedEntry",
    "InvalidFeed",
    "ParsedFeed",
    "entry_draft",
    "html_to_text",
    "parse_feed",
]

MAX_ENTRIES: Final = 200
MAX_TITLE_CHARS: Final = 500
MAX_SUMMARY_CHARS: Final = 5_000
MAX_CONTENT_CHARS: Final = 200_000
MAX_AUTHOR_CHARS: Final = 300
MAX_TAGS: Final = 30
MAX_TAG_CHARS: Final = 100
MAX_KEY_CHARS: Final = 500
MAX_WARNING_CHARS: Final = 200
EARLIEST_DATE: Final = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE: Final = timedelta(days=2)

# Markup read before conversion: a bound on the work done for one field.
_RAW_LIMIT_FACTOR: Final = 5

_JSON_FEED_PREFIX: Final = "https://jsonfeed.org/version/"
_JSON_MEDIA_TYPES: Final = frozenset({"application/feed+json", "application/json"})
_XML_MEDIA_TYPES: Final = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml"}
)
_AM_PM: Final = re.compile(
    r"(?<![0-9])(?P<hour>[0-9]{1,2}):[0-9]{2}(?::[0-9]{2})?"
    r"(?P<marker>\s*(?P<half>[AaPp])\.?\s?[Mm]\.?)(?![A-Za-z])"
)
_BLANK_LINE: Final = re.compile(r"\r?\n[ \t\r\f\v]*\r?\n\s*")
# Slack's own markup (<!here>, <@U123>, <#C123|name>): in feed text it can only be an attempt
# to ping people, so it is dropped along with the HTML.
_SLACK_MARKUP: Final = re.compile(r"<\s*[!@#][^<>]*>")
_DIGITS_ONLY: Final = re.compile(r"\s*[0-9]+\s*")
_CONTROL_CHARACTERS: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\ufeff]")


class InvalidFeed(NewsdeskError):
    """The document is not a feed, or nothing usable could be read from it."""


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, as plain text.

    ``key`` identifies the item across polls: its guid/id, else its normalised link, else a
    hash of title and summary; never a date or a position. Dates are aware UTC, or None when
    missing, unreadable, before 1990 or more than two days ahead of the parse time.
    """

    key: str
    guid: str | None
    link: str | None
    title: str
    summary: str
    content: str
    author: str | None
    published_at: datetime | None
    updated_at: datetime | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: entries in document order, unique by key, at most ``MAX_ENTRIES``."""

    title: str
    link: str | None
    entries: list[FeedEntry]
    format: str
    warnings: tuple[str, ...]


def parse_feed(content: bytes, *, url: str, content_type: str = "", now: datetime) -> ParsedFeed:
    """Parse a fetched feed body; ``url`` resolves relative links, ``now`` bounds dates.

    Raises InvalidFeed when the body is not a feed or holds nothing usable.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not content.strip():
        raise InvalidFeed("not a feed: the response is empty")
    if _looks_like_json(content, content_type):
        return _parse_json_feed(content, url=url, content_type=content_type, now=now)
    return _parse_xml_feed(content, url=url, content_type=content_type, now=now)


def entry_draft(entry: FeedEntry, *, feed_title: str) -> ArticleDraft:
    """The feed's own text for an entry as a story, for when the linked page cannot be fetched.

    Raises NotAnArticle when the entry carries no text beyond its title.
    """
    body = entry.content or entry.summary
    if not body.strip():
        raise NotAnArticle("the feed entry has no text, only a title")
    standfirst = None
    if entry.content and entry.summary and not _starts_alike(entry.content, entry.summary):
        standfirst = entry.summary
    return ArticleDraft(
        body=body,
        url=entry.link,
        headline=entry.title or None,
        standfirst=standfirst,
        byline=entry.author,
        outlet=feed_title.strip() or None,
        published_at=entry.published_at,
        tags=list(entry.tags),
    )


def html_to_text(markup: str, *, single_line: bool = False) -> str:
    """Visible text of an HTML fragment: tags, scripts and styles removed, entities decoded.

    Slack markup such as ``<!here>`` or ``<@U123>`` is removed too, whether written as
    markup or escaped as text.

    Block elements become paragraph breaks (blank lines), other whitespace collapses to
    single spaces; ``single_line`` joins everything with spaces.
    """
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return _join_lines("".join(collector.parts), single_line=single_line)


def _join_lines(text: str, *, single_line: bool) -> str:
    """Each non-blank line as a paragraph: whitespace collapsed, controls and Slack markup gone."""
    paragraphs = []
    for line in text.split("\n"):
        words = _SLACK_MARKUP.sub(" ", _CONTROL_CHARACTERS.sub("", line)).split()
        if words:
            paragraphs.append(" ".join(words))
    return (" " if single_line else "\n\n").join(paragraphs)


class _TextCollector(HTMLParser):
    _SKIPPED: Final = frozenset({"script", "style", "template", "noscript", "head", "title"})
    _BLOCKS: Final = frozenset(
        {
            "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
            "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
            "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr",
            "ul",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skipping.append(tag)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._skipping:
            while self._skipping and self._skipping.pop() != tag:
                pass
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            # Line breaks in text are spaces, but a blank line still separates paragraphs.
            for index, piece in enumerate(_BLANK_LINE.split(data)):
                if index:
                    self.parts.append("\n")
                self.parts.append(piece.replace("\n", " "))


def _starts_alike(content: str, summary: str) -> bool:
    head = summary.rstrip(" .…")[:80]
    return content.startswith(head)


def _truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, at a space when one is near, with "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _plain_text(value: object, limit: int, *, single_line: bool, markup: bool = True) -> str:
    """``value`` as plain text of at most ``limit`` characters; markup unless told otherwise."""
    if not isinstance(value, str) or not value:
        return ""
    raw = value[: limit * _RAW_LIMIT_FACTOR]
    if markup:
        return _truncate(html_to_text(raw, single_line=single_line), limit)
    return _truncate(_join_lines(raw, single_line=single_line), limit)


def _clean_tags(values: Iterable[object]) -> tuple[str, ...]:
    tags: list[str] = []
    seen: set[str] = set()
    for value in values:
        tag = _plain_text(value, MAX_TAG_CHARS, single_line=True)
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
        if len(tags) >= MAX_TAGS:
            break
    return tuple(tags)


def _clean_guid(value: object) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    guid = _CONTROL_CHARACTERS.sub("", value).strip()
    return guid or None


def _entry_key(guid: str | None, link: str | None, title: str, summary: str) -> str:
    if guid is not None:
        if len(guid) <= MAX_KEY_CHARS:
            return guid
        return "sha256:" + hashlib.sha256(guid.encode("utf-8", "surrogatepass")).hexdigest()
    if link is not None and len(link) <= MAX_KEY_CHARS:
        return link
    basis = link or f"{title}\n{summary}"
    return "sha256:" + hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()


def _check_date(value: datetime | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value < EARLIEST_DATE or value > now + FUTURE_TOLERANCE:
        return None
    return value.astimezone(UTC)


def _read_feed_date(raw: object, parsed: object, now: datetime) -> datetime | None:
    """A date from feedparser's raw text and parsed UTC struct, checked for sense."""
    if not isinstance(raw, str) or _DIGITS_ONLY.fullmatch(raw):
        # feedparser reads bare numbers (Unix times, serials) as wrong calendar dates.
        return None
    marker = _AM_PM.search(raw)
    if marker is not None:
        # feedparser drops a 12-hour clock's AM/PM and everything after it.
        return _check_date(_read_twelve_hour_date(raw, marker), now)
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        value = datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
    return _check_date(value, now)


def _read_twelve_hour_date(raw: str, marker: re.Match[str]) -> datetime | None:
    hour = int(marker["hour"])
    text = raw[: marker.start("marker")] + raw[marker.end("marker") :]
    value = _parse_rfc822_or_iso(text)
    if value is None or not 1 <= hour <= 12 or value.hour != hour:
        return value
    afternoon = marker["half"] in "Pp"
    shift = (12 if afternoon else 0) - (12 if hour == 12 else 0)
    return value + timedelta(hours=shift)


def _parse_rfc822_or_iso(text: str) -> datetime | None:
    text = text.strip()
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


# XML feeds, through feedparser.


def _feedparser_content_type(content_type: str) -> str:
    """The Content-Type to give feedparser: XML media types kept, the charset always kept.

    ``text/xml`` without a charset would make feedparser assume US-ASCII (RFC 3023) over
    the XML declaration; servers that label feeds ``text/html`` or ``text/plain`` are common.
    """
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    has_charset = "charset" in parameters.lower()
    if media_type in _XML_MEDIA_TYPES or (media_type == "text/xml" and has_charset):
        return content_type
    return "application/xml" + (f";{parameters}" if has_charset else "")


def _parse_xml_feed(content: bytes, *, url: str, content_type: str, now: datetime) -> ParsedFeed:
    stripped = content.lstrip(b" \t\r\n")
    if stripped.startswith(b"<"):
        # Blank lines before the XML declaration (a common CMS bug) break strict parsing.
        content = stripped
    try:
        bounded = bound_feed_document(
            feed_as_utf8(content, _feedparser_content_type(content_type)),
            max_entries=MAX_ENTRIES * 2,
        )
    except EntityDeclarations:
        # Entity expansion ("billion laughs") costs seconds before expat gives up, and
        # external entities read files; no real feed declares entities.
        raise InvalidFeed("not a feed: XML entity declarations are not accepted") from None
    result = feedparser.parse(
        io.BytesIO(bounded.document),
        response_headers={"content-type": "application/xml; charset=utf-8"},
        resolve_relative_uris=False,
        sanitize_html=False,
    )
    version = str(result.get("version") or "")
    warnings: list[str] = []
    problem = result.get("bozo_exception") if result.get("bozo") else None
    if problem is not None:
        warnings.append(_describe_problem(problem))
    raw_entries = list(result.get("entries") or [])
    if not raw_entries and (not version or problem is not None):
        reason = warnings[0] if warnings else "no RSS, Atom or JSON Feed markup found"
        raise InvalidFeed(f"not a feed: {reason}")
    feed = result.get("feed") or {}
    entries = _collect_entries(
        (_read_xml_entry(raw, url=url, now=now) for raw in raw_entries[: MAX_ENTRIES * 2]),
        total=bounded.total_entries or len(raw_entries),
        warnings=warnings,
    )
    return ParsedFeed(
        title=_plain_text(feed.get("title"), MAX_TITLE_CHARS, single_line=True),
        link=_read_xml_link(feed, url),
        entries=entries,
        format=version or "unknown",
        warnings=tuple(warnings),
    )


def _describe_problem(problem: object) -> str:
    if isinstance(problem, xml.sax.SAXParseException):
        message = problem.getMessage()
        line, column = problem.getLineNumber(), problem.getColumnNumber()
        text = f"broken XML at line {line}, column {column}: {message}"
    else:
        name = type(problem).__name__
        kind = "encoding" if "Encoding" in name else name
        text = f"{kind}: {problem}"
    return _truncate(" ".join(text.split()), MAX_WARNING_CHARS)


def _resolve_link(value: object, base: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return resolve_url(value, base=base)


def _read_xml_link(raw: Mapping[str, Any], base: str) -> str | None:
    link = raw.get("link")
    if link is not None and link == raw.get("id"):
        # feedparser copies a guid/id into the link: trust it only as an absolute URL.
        return _absolute_link(link)
    return _resolve_link(link, base)


def _read_xml_entry(raw: dict[str, Any], *, url: str, now: datetime) -> FeedEntry:
    guid = _clean_guid(raw.get("id"))
    link = _read_xml_link(raw, url)
    title = _plain_text(raw.get("title"), MAX_TITLE_CHARS, single_line=True)
    summary = _plain_text(raw.get("summary"), MAX_SUMMARY_CHARS, single_line=False)
    content = _fullest_text(
        item.get("value") for item in raw.get("content") or [] if isinstance(item, Mapping)
    )
    author_detail = raw.get("author_detail") or {}
    author = _plain_text(
        author_detail.get("name") or raw.get("author"), MAX_AUTHOR_CHARS, single_line=True
    )
    published = _read_feed_date(raw.get("published"), raw.get("published_parsed"), now)
    # Read past FeedParserDict, which answers "updated" with "published" when it is missing.
    updated = _read_feed_date(dict.get(raw, "updated"), dict.get(raw, "updated_parsed"), now)
    tags = _clean_tags(
        tag.get("label") or tag.get("term")
        for tag in raw.get("tags") or []
        if isinstance(tag, Mapping)
    )
    return FeedEntry(
        key=_entry_key(guid, link, title, summary),
        guid=guid,
        link=link,
        title=title,
        summary=summary,
        content=content,
        author=author or None,
        # RSS 1.0 and Atom feeds often date items with dc:date/updated only.
        published_at=published or updated,
        updated_at=updated,
        tags=tags,
    )


def _absolute_link(value: object) -> str | None:
    if not isinstance(value, str) or not re.match(r"(?i)https?://", value.strip()):
        return None
    return resolve_url(value, base=value.strip())


def _fullest_text(markups: Iterable[object], plain: Iterable[object] = ()) -> str:
    """The longest plain text among markup and plain-text versions of an entry's content."""
    texts = [_plain_text(value, MAX_CONTENT_CHARS, single_line=False) for value in markups]
    texts += [
        _plain_text(value, MAX_CONTENT_CHARS, single_line=False, markup=False) for value in plain
    ]
    return max(texts, key=len, default="")


def _collect_entries(
    candidates: Iterator[FeedEntry], *, total: int, warnings: list[str]
) -> list[FeedEntry]:
    """Keep the first entry of each key, up to MAX_ENTRIES; note what was dropped."""
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    duplicates = empty = 0
    for entry in candidates:
        if not (entry.guid or entry.link or entry.title or entry.summary or entry.content):
            empty += 1
            continue
        if entry.key in seen:
            duplicates += 1
            continue
        seen.add(entry.key)
        entries.append(entry)
        if len(entries) >= MAX_ENTRIES:
            break
    if empty:
        warnings.append(f"skipped {empty} entries without id, link or text")
    if duplicates:
        warnings.append(f"skipped {duplicates} entries repeating an earlier entry's id or link")
    if total > MAX_ENTRIES and len(entries) >= MAX_ENTRIES:
        warnings.append(f"read the first {MAX_ENTRIES} of {total} entries")
    return entries


# JSON Feed.


def _looks_like_json(content: bytes, content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in _JSON_MEDIA_TYPES:
        return True
    head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def _parse_json_feed(content: bytes, *, url: str, content_type: str, now: datetime) -> ParsedFeed:
    text, _ = decode_text(content, content_type)
    try:
        document = json.loads(text.lstrip("\ufeff"))
    except (ValueError, RecursionError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "nested too deeply"
        raise InvalidFeed(f"not a feed: invalid JSON ({reason})") from None
    if not isinstance(document, dict):
        raise InvalidFeed("not a feed: the JSON is not an object")
    version = document.get("version")
    if not isinstance(version, str) or not version.startswith(_JSON_FEED_PREFIX):
        raise InvalidFeed("not a feed: JSON without a jsonfeed.org version")
    items = document.get("items")
    if not isinstance(items, list):
        raise InvalidFeed("not a feed: JSON Feed without an items list")
    number = version.removeprefix(_JSON_FEED_PREFIX).strip("/").replace(".", "")
    warnings: list[str] = []
    objects = [item for item in items if isinstance(item, dict)]
    if len(objects) < len(items):
        warnings.append(f"skipped {len(items) - len(objects)} items that are not objects")
    feed_author = _json_author(document)
    entries = _collect_entries(
        (
            _read_json_item(item, url=url, now=now, feed_author=feed_author)
            for item in objects[: MAX_ENTRIES * 2]
        ),
        total=len(objects),
        warnings=warnings,
    )
    return ParsedFeed(
        title=_plain_text(document.get("title"), MAX_TITLE_CHARS, single_line=True),
        link=_resolve_link(document.get("home_page_url"), url),
        entries=entries,
        format="json" + (number if number.isdigit() else "1"),
        warnings=tuple(warnings),
    )


def _json_author(container: Mapping[str, Any]) -> str | None:
    candidates = container.get("authors")
    if not isinstance(candidates, list):
        candidates = [container.get("author")]
    names = [
        _plain_text(author.get("name"), MAX_AUTHOR_CHARS, single_line=True)
        for author in candidates
        if isinstance(author, dict)
    ]
    joined = ", ".join(name for name in names if name)
    return _truncate(joined, MAX_AUTHOR_CHARS) or None


def _read_json_date(value: object, now: datetime) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return _check_date(parsed, now)


def _read_json_item(
    item: Mapping[str, Any], *, url: str, now: datetime, feed_author: str | None
) -> FeedEntry:
    guid = _clean_guid(item.get("id"))
    link = _resolve_link(item.get("url"), url) or _resolve_link(item.get("external_url"), url)
    title = _plain_text(item.get("title"), MAX_TITLE_CHARS, single_line=True)
    summary = _plain_text(item.get("summary"), MAX_SUMMARY_CHARS, single_line=False)
    content = _fullest_text([item.get("content_html")], [item.get("content_text")])
    tags = item.get("tags")
    return FeedEntry(
        key=_entry_key(guid, link, title, summary),
        guid=guid,
        link=link,
        title=title,
        summary=summary,
        content=content,
        author=_json_author(item) or feed_author,
        published_at=_read_json_date(item.get("date_published"), now),
        updated_at=_read_json_date(item.get("date_modified"), now),
        tags=_clean_tags(tags if isinstance(tags, list) else []),
    )
