"""Small documents made inside the tests: Word, PDF (with or without a text layer, with a
password), RTF, OpenDocument text and a zip bomb."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

WIRE_COPY = Path(__file__).resolve().parent.parent / "examples" / "wire-copy.txt"


def wire_copy_paragraphs(path: Path = WIRE_COPY) -> list[str]:
    """The lines of a wire-copy file that carry text: header lines, then one per paragraph."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def make_docx(paragraphs: Sequence[str], *, table: Sequence[Sequence[str]] = ()) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _escape_pdf(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _wrap(text: str, width: int = 80) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def make_pdf(paragraphs: Sequence[str], *, with_text: bool = True) -> bytes:
    """A one-page-per-40-lines PDF in Helvetica; each paragraph wrapped, a gap between them.

    ``with_text=False`` draws only a rectangle, like a scan without a text layer.
    """
    pages: list[list[tuple[float, str]]] = [[]]
    y = 760.0
    for paragraph in paragraphs:
        for line in _wrap(paragraph):
            if y < 60:
                pages.append([])
                y = 760.0
            pages[-1].append((y, line))
            y -= 14
        y -= 16
    objects: list[bytes] = []
    page_ids: list[int] = []
    font_id = 3
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"")  # pages, filled in below
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    for page in pages:
        if with_text:
            commands = ["BT /F1 11 Tf"]
            for y_position, line in page:
                commands.append(f"1 0 0 1 50 {y_position:.0f} Tm ({_escape_pdf(line)}) Tj")
            commands.append("ET")
        else:
            commands = ["0.5 g 50 50 500 700 re f"]
        stream = "\n".join(commands).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (content_id, font_id)
        )
        page_ids.append(len(objects))
    kids = " ".join(f"{page_id} 0 R" for page_id in page_ids)
    objects[1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()
    output = io.BytesIO()
    output.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = output.tell()
    output.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        output.write(b"%010d 00000 n \n" % offset)
    output.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return output.getvalue()


def encrypt_pdf(data: bytes, *, user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_rtf(paragraphs: Sequence[str]) -> bytes:
    body = "".join(
        paragraph.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}") + "\\par\\par\n"
        for paragraph in paragraphs
    )
    encoded = "".join(c if ord(c) < 128 else f"\\u{ord(c)}?" for c in body)
    return ("{\\rtf1\\ansi{\\fonttbl\\f0 Times New Roman;}\\f0\\fs24 " + encoded + "}").encode()


def make_odt(paragraphs: Sequence[str]) -> bytes:
    from xml.sax.saxutils import escape

    text = "".join(f"<text:p>{escape(paragraph)}</text:p>" for paragraph in paragraphs)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        f"<office:body><office:text>{text}</office:text></office:body>"
        "</office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def make_docx_bomb(*, inflated_bytes: int = 40_000_000) -> bytes:
    """A zip named like a Word document whose main part inflates to ``inflated_bytes``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"<w:t>" + b"A" * 1_000_000 + b"</w:t>"
            written = 0
            while written < inflated_bytes:
                member.write(chunk)
                written += len(chunk)
    return buffer.getvalue()
