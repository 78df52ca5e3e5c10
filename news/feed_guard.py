"""A cheap first pass over an XML feed, before feedparser: refuse entities, stop at the cap.

feedparser builds every entry of a document before we can keep the first few, and hands the
document to expat with its DTD when anything (a comment, a stray ``<a``) precedes the DOCTYPE.
So the document is first read here, in UTF-8 (feedparser's own conversion, so UTF-16 and
UTF-32 are read as it reads them), by expat with no handler but for element starts and ends:

- an entity declaration anywhere refuses the document ("billion laughs" and external
  entities never reach a parser that would expand them); a DOCTYPE without declarations, as
  RSS 0.91 feeds carry, is kept;
- after ``max_entries`` items or entries the document is cut before the next one and the
  elements still open are closed, so feedparser reads at most ``max_entries`` entries.

A document expat cannot read (broken XML, which feedparser's lenient parser still reads) is
refused if it contains an entity declaration at all, and cut before its ``max_entries + 1``-th
entry start tag found by a pattern.
"""

from __future__ import annotations

import codecs
import re
import xml.parsers.expat
from dataclasses import dataclass
from typing import Final

__all__ = ["BoundedFeed", "EntityDeclarations", "bound_feed_document", "feed_as_utf8"]

_ENTRY_NAMES: Final = frozenset({"item", "entry"})
_ENTRY_TAG: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
_ENTITY_DECLARATION: Final = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_DECLARED_ENCODING: Final = re.compile(
    rb"""\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_:.+-]+)["']""", re.IGNORECASE
)
# Browsers read latin-1 labels as Windows-1252, a superset in the printable range.
_LATIN1: Final = frozenset(
    {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii"}
)
_XML_DECLARATION: Final = re.compile(r"^\ufeff?\s*<\?xml[^>]*>")
# Byte-order marks and, without one, the first characters ``<?`` or ``<`` as the XML
# specification's appendix F reads them; the 4-byte forms come before the 2-byte ones.
_WIDE_ENCODINGS: Final = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)


def _decode_declared(content: bytes, content_type: str) -> str:
    """Decode with the first of Content-Type charset, XML declaration, UTF-8 that fits."""
    charset = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.+-]+)", content_type, re.IGNORECASE)
    declared = _DECLARED_ENCODING.match(content[:1024])
    candidates = [match[1] for match in (charset, declared) if match is not None]
    for label in [*candidates, "utf-8"]:
        name = label if isinstance(label, str) else label.decode("ascii")
        try:
            codec = codecs.lookup("cp1252" if name.lower() in _LATIN1 else name).name
            return content.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return content.decode("cp1252", errors="replace")


def feed_as_utf8(content: bytes, content_type: str) -> bytes:
    """The feed re-encoded in UTF-8, its XML declaration saying so.

    UTF-32 and UTF-16 (with or without a byte-order mark) are recognised from the first
    bytes; otherwise the Content-Type charset, the XML declaration, UTF-8 and Windows-1252
    are tried in turn; the first that decodes strictly wins, else Windows-1252 with U+FFFD.
    """
    text: str | None = None
    for prefix, codec in _WIDE_ENCODINGS:
        if content.startswith(prefix):
            text = content.decode(codec, errors="replace")
            break
    if text is None:
        text = _decode_declared(content, content_type)
    text = _XML_DECLARATION.sub("", text.lstrip("\ufeff"), count=1)
    return b'<?xml version="1.0" encoding="utf-8"?>' + text.encode("utf-8", "replace")


class EntityDeclarations(Exception):
    """The document declares XML entities."""


@dataclass(frozen=True)
class BoundedFeed:
    """The document to parse, and how many entries the original held when it was cut."""

    document: bytes
    total_entries: int | None  # None when the document was not cut


class _Enough(Exception):
    """Raised from the element handler to stop expat at the entry cap."""


def bound_feed_document(document: bytes, *, max_entries: int) -> BoundedFeed:
    """``document`` (UTF-8) cut after ``max_entries`` entries; raise EntityDeclarations.

    Cost: one expat pass up to the cut with two tiny callbacks per element, and a pattern
    count over the rest to report the total; no entity is ever expanded.
    """
    parser = xml.parsers.expat.ParserCreate("utf-8")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    open_elements: list[str] = []
    entries = 0
    cut: tuple[int, list[str]] | None = None

    def refuse(*_arguments: object) -> None:
        raise EntityDeclarations

    def refuse_external(*_arguments: object) -> int:
        raise EntityDeclarations

    def start(name: str, _attributes: object) -> None:
        nonlocal entries, cut
        if name.rpartition(":")[2] in _ENTRY_NAMES:
            entries += 1
            if entries > max_entries:
                cut = (parser.CurrentByteIndex, list(open_elements))
                raise _Enough
        open_elements.append(name)

    def end(_name: str) -> None:
        open_elements.pop()

    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(document, True)
    except _Enough:
        assert cut is not None
        offset, still_open = cut
        closing = "".join(f"</{name}>" for name in reversed(still_open)).encode("utf-8")
        total = entries - 1 + len(_ENTRY_TAG.findall(document, offset))
        return BoundedFeed(document[:offset] + closing, total)
    except xml.parsers.expat.ExpatError:
        return _bound_broken_document(document, max_entries=max_entries)
    return BoundedFeed(document, None)


def _bound_broken_document(document: bytes, *, max_entries: int) -> BoundedFeed:
    """A document expat refused, for feedparser's lenient parser: no entities, at most the cap."""
    if _ENTITY_DECLARATION.search(document):
        raise EntityDeclarations
    starts = [match.start() for match in _ENTRY_TAG.finditer(document)]
    if len(starts) <= max_entries:
        return BoundedFeed(document, None)
    return BoundedFeed(document[: starts[max_entries]], len(starts))
