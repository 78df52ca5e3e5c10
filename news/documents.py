"""Read shared files into stories: wire copy (.txt, .md), saved pages (.html), Word (.docx),
PDF, RTF and OpenDocument text (.odt), each with its paragraphs kept.

What a file is comes from its first bytes, not only its name: a ``.pdf`` that is really an HTML
page, an image renamed ``.docx`` or a zip that is not a Word document is refused with a
one-line reason, and so is anything encrypted, scanned without a text layer, too large, or a
zip whose members would inflate far beyond the file (a zip bomb). Nothing here stores anything:
the caller stores the draft only when reading succeeded.

Libraries: ``python-docx`` for Word (lxml underneath, entities not resolved), ``pdfminer.six``
for PDF (its layout analysis groups lines into text boxes, which are the paragraphs; it reads
owner-password-only files and says when a user password is needed), ``striprtf`` for RTF.
No maintained library reads .odt as text, so its ``content.xml`` is read with lxml after the
same zip checks as .docx.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

from news.articles import ArticleDraft
from news.errors import InvalidCopy, NewsdeskError
from news.wire_copy import decode_copy, parse_wire_copy

__all__ = [
    "DocumentKind",
    "DocumentLimits",
    "UnreadableDocument",
    "detect_kind",
    "document_kind_for_name",
    "read_document",
    "read_document_text",
]


class UnreadableDocument(NewsdeskError):
    """A shared file that cannot be read as a story; ``reason`` says why in one line."""


class DocumentKind(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"
    DOCX = "docx"
    PDF = "pdf"
    RTF = "rtf"
    ODT = "odt"


READABLE_SUFFIXES: dict[str, DocumentKind] = {
    ".txt": DocumentKind.TEXT,
    ".text": DocumentKind.TEXT,
    ".md": DocumentKind.MARKDOWN,
    ".markdown": DocumentKind.MARKDOWN,
    ".html": DocumentKind.HTML,
    ".htm": DocumentKind.HTML,
    ".xhtml": DocumentKind.HTML,
    ".docx": DocumentKind.DOCX,
    ".pdf": DocumentKind.PDF,
    ".rtf": DocumentKind.RTF,
    ".odt": DocumentKind.ODT,
}
READABLE_LIST = ".txt, .md, .html, .docx, .pdf, .rtf, .odt"

# Kinds recognised by their first bytes that we do not read, named for the reason.
_IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)
_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.doc/.xls); save it as .docx"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a program"),
    (b"ID3", "an audio file"),
    (b"OggS", "an audio or video file"),
)
_OLD_DOC_SIGNATURE = _OTHER_SIGNATURES[0][0]
_ZIP_SIGNATURE = b"PK\x03\x04"
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_WORD_PART = "word/document.xml"
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_LONE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(?P<text>\S.*?)\s*#*\s*$")


@dataclass(frozen=True)
class DocumentLimits:
    """Caps on reading one file: the same byte cap as fetched pages, and bounds on what a
    compressed or paged format may grow into while it is read."""

    max_bytes: int = 5_000_000
    max_uncompressed_bytes: int = 30_000_000
    max_compression_ratio: float = 100.0
    max_xml_part_bytes: int = 12_000_000
    max_rtf_bytes: int = 2_000_000
    max_zip_members: int = 2_000
    max_pages: int = 300
    max_characters: int = 1_000_000
    max_seconds: float = 20.0


def document_kind_for_name(filename: str | None) -> DocumentKind | None:
    """The kind a file name claims by its suffix, or None for names we do not read."""
    if not filename:
        return None
    return READABLE_SUFFIXES.get(PurePath(filename).suffix.lower())


def detect_kind(data: bytes, filename: str | None = None) -> DocumentKind:
    """What ``data`` is, from its first bytes, checked against what its name claims.

    Raises UnreadableDocument with the reason for images, archives, programs, files whose
    content contradicts their name, and names of kinds we do not read.
    """
    name = PurePath(filename).name if filename else "the file"
    claimed = document_kind_for_name(filename)
    head = data[:2048]
    for signature, label in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            raise UnreadableDocument(
                f"{name} is an image ({label}): newsdesk reads text, not pictures"
            )
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        raise UnreadableDocument(f"{name} is an image (WebP): newsdesk reads text, not pictures")
    if head.startswith(b"%PDF-") or (b"%PDF-" in head[:1024] and claimed is DocumentKind.PDF):
        sniffed: DocumentKind | None = DocumentKind.PDF
    elif head.startswith(_ZIP_SIGNATURE):
        sniffed = _zip_kind(data, name)
    elif head.lstrip().startswith(b"{\\rtf"):
        sniffed = DocumentKind.RTF
    elif _HTML_START.match(head.lstrip(b"\xef\xbb\xbf")):
        sniffed = DocumentKind.HTML
    else:
        for signature, label in _OTHER_SIGNATURES:
            if head.startswith(signature):
                raise UnreadableDocument(f"{name} is {label}: not a kind newsdesk reads")
        sniffed = None  # plain text, or something unknown: decided below
    if sniffed is None:
        if claimed in (DocumentKind.TEXT, DocumentKind.MARKDOWN, DocumentKind.HTML):
            return claimed
        if claimed is not None:
            raise UnreadableDocument(
                f"{name} is not a real {claimed.value.upper()} file (its content does not match)"
            )
        if filename and PurePath(filename).suffix:
            suffix = PurePath(filename).suffix.lower()
            raise UnreadableDocument(
                f"{name}: {suffix} is not a kind newsdesk reads (it reads {READABLE_LIST})"
            )
        return DocumentKind.TEXT  # no name to go by: try it as copy
    if claimed is not None and claimed is not sniffed and not _compatible(claimed, sniffed):
        raise UnreadableDocument(
            f"{name} is not a real {claimed.value.upper()} file: it is "
            f"{_describe(sniffed)} with a {PurePath(filename or '').suffix.lower()} name"
        )
    return sniffed


def _compatible(claimed: DocumentKind, sniffed: DocumentKind) -> bool:
    # A saved page named .txt is still a page; markdown may start with an HTML comment.
    return {claimed, sniffed} <= {DocumentKind.TEXT, DocumentKind.MARKDOWN, DocumentKind.HTML}


def _describe(kind: DocumentKind) -> str:
    return {
        DocumentKind.HTML: "an HTML page",
        DocumentKind.PDF: "a PDF",
        DocumentKind.DOCX: "a Word document",
        DocumentKind.RTF: "an RTF document",
        DocumentKind.ODT: "an OpenDocument text",
        DocumentKind.TEXT: "plain text",
        DocumentKind.MARKDOWN: "plain text",
    }[kind]


def _zip_kind(data: bytes, name: str) -> DocumentKind:
    archive = _open_zip(data, name)
    with archive:
        names = set(archive.namelist())
        if _WORD_PART in names:
            return DocumentKind.DOCX
        if "mimetype" in names and "content.xml" in names:
            info = archive.getinfo("mimetype")
            if info.file_size <= 100 and archive.read(info).strip() == _ODT_MIMETYPE:
                return DocumentKind.ODT
    raise UnreadableDocument(f"{name} is a zip archive, not a Word or OpenDocument text")


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnreadableDocument(f"{name} is a damaged zip file (a broken .docx?)") from None


def check_zip_bounds(archive: zipfile.ZipFile, name: str, limits: DocumentLimits) -> None:
    """Refuse a zip whose members would inflate past the limits, before inflating any.

    The sizes come from the central directory; ``zipfile`` never inflates a member past its
    declared size (and checks its CRC), so a lying directory cannot get past these checks.
    """
    members = archive.infolist()
    if len(members) > limits.max_zip_members:
        raise UnreadableDocument(f"{name} has too many parts ({len(members):,}) to be a document")
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise UnreadableDocument(f"{name} is password-protected: save it without a password")
        total += member.file_size
        compressed = max(member.compress_size, 1)
        if (
            member.file_size > 1_000_000
            and member.file_size / compressed > limits.max_compression_ratio
        ):
            raise UnreadableDocument(
                f"{name} looks like a zip bomb: a part inflates "
                f"{member.file_size // compressed:,} times"
            )
        if member.filename.endswith(".xml") and member.file_size > limits.max_xml_part_bytes:
            raise UnreadableDocument(
                f"{name} has a text part of {_format_size(member.file_size)}, more than "
                f"{_format_size(limits.max_xml_part_bytes)}: too long to be one story"
            )
    if total > limits.max_uncompressed_bytes:
        raise UnreadableDocument(
            f"{name} is too large once unpacked ({_format_size(total)}, "
            f"more than {_format_size(limits.max_uncompressed_bytes)})"
        )


def read_document(
    data: bytes,
    *,
    filename: str | None = None,
    limits: DocumentLimits = DocumentLimits(),
    clock: Callable[[], float] = time.monotonic,
) -> ArticleDraft:
    """The story in a shared file, its paragraphs kept; raises a NewsdeskError with the reason.

    HTML goes through article extraction; every other kind becomes plain paragraphs read by
    the wire-copy parser, so a .docx or PDF of wire copy keeps its dateline, desk and outlet.
    """
    name = PurePath(filename).name if filename else "the file"
    if len(data) > limits.max_bytes:
        raise UnreadableDocument(
            f"{name} is too large ({_format_size(len(data))}, "
            f"more than {_format_size(limits.max_bytes)})"
        )
    if not data.strip():
        raise UnreadableDocument(f"{name} is empty")
    kind = detect_kind(data, filename)
    if kind is DocumentKind.HTML:
        from news.extraction import extract_article

        html = decode_copy(data)
        return extract_article(html, url=None)
    text = read_document_text(data, kind, name=name, limits=limits, clock=clock)
    return _parse_copy(text, name)


def read_document_text(
    data: bytes,
    kind: DocumentKind,
    *,
    name: str = "the file",
    limits: DocumentLimits = DocumentLimits(),
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Plain text of a non-HTML document: one paragraph per block, blank lines between."""
    if kind in (DocumentKind.TEXT, DocumentKind.MARKDOWN):
        try:
            text = decode_copy(data)
        except InvalidCopy as error:
            raise UnreadableDocument(f"{name}: {error.reason}") from None
        if kind is DocumentKind.MARKDOWN:
            text = _markdown_to_copy(text)
        paragraphs: Iterable[str] = [text]
    elif kind is DocumentKind.DOCX:
        paragraphs = _docx_paragraphs(data, name, limits)
    elif kind is DocumentKind.PDF:
        paragraphs = _pdf_paragraphs(data, name, limits, clock)
    elif kind is DocumentKind.RTF:
        paragraphs = _rtf_paragraphs(data, name, limits)
    elif kind is DocumentKind.ODT:
        paragraphs = _odt_paragraphs(data, name, limits)
    else:  # pragma: no cover - HTML is handled by read_document
        raise UnreadableDocument(f"{name}: {kind} is not read as plain text")
    pieces: list[str] = []
    size = 0
    for paragraph in paragraphs:
        size += len(paragraph) + 2
        if size > limits.max_characters:
            raise UnreadableDocument(
                f"{name} has more than {limits.max_characters:,} characters of text"
            )
        pieces.append(paragraph)
    return "\n\n".join(pieces)


def _parse_copy(text: str, name: str) -> ArticleDraft:
    try:
        return parse_wire_copy(text)
    except InvalidCopy as error:
        raise UnreadableDocument(f"{name}: {error.reason}") from None


def _markdown_to_copy(text: str) -> str:
    """Markdown as wire copy: the first ``#`` heading becomes the headline."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        match = _MARKDOWN_HEADING.match(line.strip())
        if match:
            lines[index] = f"Headline: {match.group('text')}"
        break
    return "\n".join(lines)


# -- Word ---------------------------------------------------------------------------------


def _docx_paragraphs(data: bytes, name: str, limits: DocumentLimits) -> list[str]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    with _open_zip(data, name) as archive:
        check_zip_bounds(archive, name, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises many kinds for a broken package
        raise UnreadableDocument(
            f"{name} is a damaged Word document ({type(error).__name__})"
        ) from None
    paragraphs: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            _add_text(paragraphs, block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells))
                _add_text(paragraphs, " | ".join(cell for cell in cells if cell))
    return paragraphs


# -- PDF ----------------------------------------------------------------------------------


def _pdf_paragraphs(
    data: bytes, name: str, limits: DocumentLimits, clock: Callable[[], float]
) -> list[str]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.psparser import PSException

    deadline = clock() + limits.max_seconds
    paragraphs: list[str] = []
    pages = 0
    try:
        for page in extract_pages(io.BytesIO(data), laparams=LAParams(), maxpages=limits.max_pages):
            pages += 1
            boxes = [element for element in page if isinstance(element, LTTextContainer)]
            for box in boxes:
                _add_text(paragraphs, _join_pdf_lines(box.get_text()), drop_page_numbers=True)
            if clock() > deadline:
                raise UnreadableDocument(
                    f"{name} took longer than {limits.max_seconds:g} s to read"
                )
    except PDFPasswordIncorrect:
        raise UnreadableDocument(
            f"{name} is password-protected: share it without a password"
        ) from None
    except PDFEncryptionError:
        raise UnreadableDocument(f"{name} is encrypted in a way newsdesk cannot open") from None
    except (PDFSyntaxError, PSException, ValueError, KeyError, TypeError, AssertionError):
        raise UnreadableDocument(f"{name} is a damaged PDF") from None
    except UnreadableDocument:
        raise
    except Exception as error:  # pdfminer has no single error type for every broken file
        if type(error).__name__.startswith("PDF"):
            raise UnreadableDocument(f"{name} is a damaged PDF") from None
        raise
    if pages == 0:
        raise UnreadableDocument(f"{name} is a PDF with no pages")
    if not paragraphs:
        raise UnreadableDocument(
            f"{name} has no text layer (a scan?): run it through OCR and share it again"
        )
    return paragraphs


def _join_pdf_lines(text: str) -> str:
    """One paragraph from a text box's lines; a word broken by a hyphen at a line end is joined."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    joined = ""
    for line in lines:
        if joined.endswith("-") and len(joined) > 1 and joined[-2].isalpha() and line[:1].islower():
            joined = joined[:-1] + line
        else:
            joined = f"{joined} {line}" if joined else line
    return joined


# -- RTF and OpenDocument -------------------------------------------------------------------


def _rtf_paragraphs(data: bytes, name: str, limits: DocumentLimits) -> list[str]:
    from striprtf.striprtf import rtf_to_text

    # striprtf reads at about a megabyte a second: the cap keeps it within the time limit.
    if len(data) > limits.max_rtf_bytes:
        raise UnreadableDocument(
            f"{name} is too large for an RTF document ({_format_size(len(data))}, "
            f"more than {_format_size(limits.max_rtf_bytes)}): save it as .docx or .txt"
        )
    try:
        text = rtf_to_text(data.decode("latin-1"), errors="ignore")
    except Exception:  # striprtf raises plain exceptions on broken input
        raise UnreadableDocument(f"{name} is a damaged RTF document") from None
    paragraphs: list[str] = []
    for line in text.splitlines():
        _add_text(paragraphs, line)
    return paragraphs


_ODT_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _odt_paragraphs(data: bytes, name: str, limits: DocumentLimits) -> list[str]:
    from lxml import etree

    with _open_zip(data, name) as archive:
        check_zip_bounds(archive, name, limits)
        content = archive.read("content.xml")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        raise UnreadableDocument(f"{name} is a damaged OpenDocument text") from None
    paragraphs: list[str] = []
    for element in root.iter(f"{{{_ODT_TEXT}}}p", f"{{{_ODT_TEXT}}}h"):
        _add_text(paragraphs, _odt_text(element))
    return paragraphs


def _odt_text(element: object) -> str:
    from lxml import etree

    assert isinstance(element, etree._Element)
    pieces: list[str] = [element.text or ""]
    for child in element:
        tag = etree.QName(child).localname
        if tag == "s":
            pieces.append(" " * int(child.get(f"{{{_ODT_TEXT}}}c", "1") or 1))
        elif tag in ("tab", "line-break"):
            pieces.append(" ")
        elif tag not in ("note", "annotation"):
            pieces.append(_odt_text(child))
        pieces.append(child.tail or "")
    return "".join(pieces)


# -- shared ---------------------------------------------------------------------------------


def _add_text(paragraphs: list[str], text: str, *, drop_page_numbers: bool = False) -> None:
    cleaned = " ".join(text.replace("\u00a0", " ").split())
    if not cleaned:
        return
    if drop_page_numbers and _LONE_NUMBER.match(cleaned):
        return
    paragraphs.append(cleaned)


def _format_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB".replace(".0 MB", " MB")
    if size >= 1_000:
        return f"{size // 1_000} kB"
    return f"{size} bytes"
