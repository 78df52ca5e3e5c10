"""Shared files read into stories: every kind keeps its paragraphs, and bad files get a reason."""

from __future__ import annotations

import io
import zipfile

import pytest

from news.documents import (
    DocumentKind,
    DocumentLimits,
    UnreadableDocument,
    detect_kind,
    read_document,
    read_document_text,
)
from tests.documents import (
    encrypt_pdf,
    make_docx,
    make_docx_bomb,
    make_odt,
    make_pdf,
    make_rtf,
    wire_copy_paragraphs,
)

PARAGRAPHS = wire_copy_paragraphs()
BODY = PARAGRAPHS[3:]  # the header is three lines: date, desk, outlet


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("grain.docx", make_docx(PARAGRAPHS)),
        ("grain.pdf", make_pdf(PARAGRAPHS)),
        ("grain.rtf", make_rtf(PARAGRAPHS)),
        ("grain.odt", make_odt(PARAGRAPHS)),
        ("grain.txt", "\n\n".join(PARAGRAPHS).encode()),
    ],
)
def test_wire_copy_in_any_kind_is_read_as_wire_copy(name: str, data: bytes) -> None:
    draft = read_document(data, filename=name)
    assert draft.body.split("\n\n") == BODY
    assert draft.published_at is not None
    assert draft.published_at.date().isoformat() == "2025-03-12"
    assert draft.outlet == "The Harbour Gazette"


def test_pdf_paragraphs_wrapped_over_lines_and_pages_stay_whole() -> None:
    long = " ".join(["The ministry said the grain corridor would stay open all winter."] * 12)
    paragraphs = [long, *(f"Paragraph {n} of the report ends here." for n in range(60))]
    text = read_document_text(make_pdf(paragraphs), DocumentKind.PDF)
    assert text.split("\n\n") == paragraphs


def test_docx_tables_are_read_in_document_order() -> None:
    data = make_docx(
        ["Prices rose again in March, the statistics office said."],
        table=[["Month", "Rise"], ["March", "2.1%"]],
    )
    text = read_document_text(data, DocumentKind.DOCX)
    assert text.split("\n\n") == [
        "Prices rose again in March, the statistics office said.",
        "Month | Rise",
        "March | 2.1%",
    ]


def test_markdown_heading_becomes_the_headline() -> None:
    data = b"# Grain crossing to reopen next month\n\n" + "\n\n".join(BODY).encode()
    draft = read_document(data, filename="grain.md")
    assert draft.headline == "Grain crossing to reopen next month"
    assert draft.body.split("\n\n") == BODY


def test_saved_page_goes_through_article_extraction() -> None:
    paragraphs = "".join(f"<p>{text}</p>" for text in BODY)
    html = f"<!doctype html><html><head><title>Grain</title></head><body><article><h1>Grain crossing to reopen</h1>{paragraphs}</article></body></html>"
    draft = read_document(html.encode(), filename="page.html")
    assert "Dorohusk" in draft.body


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("huge.txt", b"word " * 1_200_000, "huge.txt is too large (6 MB, more than 5 MB)"),
        ("bomb.docx", make_docx_bomb(), "bomb.docx looks like a zip bomb"),
        (
            "secret.pdf",
            encrypt_pdf(make_pdf(PARAGRAPHS), user_password="s3cret"),
            "secret.pdf is password-protected",
        ),
        ("scan.pdf", make_pdf(PARAGRAPHS, with_text=False), "scan.pdf has no text layer (a scan?)"),
        (
            "report.pdf",
            b"<!DOCTYPE html><html><body><p>Sign in</p></body></html>",
            "report.pdf is not a real PDF file: it is an HTML page with a .pdf name",
        ),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(200), "photo.jpg is an image (JPEG)"),
        ("photo.docx", b"\x89PNG\r\n\x1a\n" + bytes(200), "photo.docx is an image (PNG)"),
        ("sheet.xlsx", b"PK\x03\x04" + bytes(200), "sheet.xlsx is a damaged zip file"),
        (
            "budget.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200),
            "budget.xls is an old Office file",
        ),
        ("notes.pages", b"some text", "notes.pages: .pages is not a kind newsdesk reads"),
        ("empty.docx", b"", "empty.docx is empty"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage", "broken.pdf"),
    ],
)
def test_bad_files_get_a_one_line_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableDocument) as raised:
        read_document(data, filename=name)
    assert str(raised.value).startswith(reason)
    assert "\n" not in str(raised.value)


def test_zip_that_is_not_a_word_document_is_named() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnreadableDocument, match="is a zip archive, not a Word"):
        read_document(buffer.getvalue(), filename="book.docx")


def test_many_small_parts_adding_up_past_the_unpacked_cap_are_refused() -> None:
    data = make_docx(PARAGRAPHS)
    limits = DocumentLimits(max_uncompressed_bytes=10_000)
    with pytest.raises(UnreadableDocument, match="too large once unpacked"):
        read_document(data, filename="grain.docx", limits=limits)


def test_pdf_reading_stops_at_the_time_limit() -> None:
    ticks = iter(range(1000))
    data = make_pdf([f"Line {n} of a long report that goes on." for n in range(200)])
    with pytest.raises(UnreadableDocument, match="took longer than 3 s to read"):
        read_document(
            data,
            filename="long.pdf",
            limits=DocumentLimits(max_seconds=3),
            clock=lambda: float(next(ticks)),
        )


def test_text_beyond_the_character_cap_is_refused() -> None:
    with pytest.raises(UnreadableDocument, match="more than 100 characters of text"):
        read_document(
            make_docx(BODY), filename="grain.docx", limits=DocumentLimits(max_characters=100)
        )


def test_kind_comes_from_content_when_there_is_no_name() -> None:
    assert detect_kind(make_pdf(PARAGRAPHS)) is DocumentKind.PDF
    assert detect_kind(make_docx(PARAGRAPHS)) is DocumentKind.DOCX
    assert detect_kind(make_odt(PARAGRAPHS)) is DocumentKind.ODT
    assert detect_kind(make_rtf(PARAGRAPHS)) is DocumentKind.RTF
    assert detect_kind(b"<html><body>x</body></html>") is DocumentKind.HTML
    assert detect_kind(b"Plain words") is DocumentKind.TEXT


def test_long_rtf_and_huge_word_text_parts_are_refused_before_parsing() -> None:
    rtf = make_rtf(["A paragraph of the report that goes on and on."] * 50)
    with pytest.raises(UnreadableDocument, match="too large for an RTF document"):
        read_document(rtf, filename="long.rtf", limits=DocumentLimits(max_rtf_bytes=1_000))
    docx = make_docx(["A paragraph of the report that goes on and on."] * 50)
    with pytest.raises(UnreadableDocument, match="has a text part of"):
        read_document(docx, filename="long.docx", limits=DocumentLimits(max_xml_part_bytes=5_000))
