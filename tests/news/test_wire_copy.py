from __future__ import annotations

import codecs
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from news.errors import InvalidCopy
from news.wire_copy import decode_copy, parse_date_text, parse_wire_copy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wire"


def read_fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def find_seed_sample() -> Path | None:
    """The shared seed sample, ``../shared/seed`` next to the clone, searched upwards."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "seed" / "wire-copy-sample.txt"
        if candidate.is_file():
            return candidate
        sibling = folder.parent / "shared" / "seed" / "wire-copy-sample.txt"
        if sibling.is_file():
            return sibling
    return None


SEED_SAMPLE = find_seed_sample()


@pytest.mark.skipif(SEED_SAMPLE is None, reason="shared seed sample not present")
def test_seed_sample_parses_with_outlet_byline_and_date() -> None:
    assert SEED_SAMPLE is not None
    draft = parse_wire_copy(decode_copy(SEED_SAMPLE.read_bytes()))
    assert draft.outlet == "The English Chronicle Online"
    assert draft.byline == "The English Chronicle Desk"
    assert draft.published_at == datetime(2025, 1, 6, tzinfo=UTC)
    assert draft.headline is None
    assert draft.body.startswith("UK and France send troops to Ukraine")
    assert not draft.body.endswith("\n")
    assert "Published" not in draft.body


def test_standard_copy() -> None:
    draft = parse_wire_copy(read_fixture("standard.txt"))
    assert draft.published_at == datetime(2025, 3, 14, tzinfo=UTC)
    assert draft.byline == "The Valley Courier Desk"
    assert draft.outlet == "The Valley Courier Online"
    assert draft.headline is None
    paragraphs = draft.body.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("Work on a £42 million flood defence scheme")
    assert paragraphs[-1].endswith("ask questions of the engineers.")


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda text: text.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda text: text.replace("\n", "\r"), id="cr"),
        pytest.param(lambda text: "\ufeff" + text, id="bom"),
        pytest.param(lambda text: "\n\n\n" + text.replace("\n", "\n\n") + "\n\n\n", id="blanks"),
        pytest.param(
            lambda text: text.replace("\n", "  \n").replace(" ", "\u00a0", 3), id="spaces"
        ),
    ],
)
def test_standard_copy_survives_line_endings_bom_and_blank_lines(
    transform: Callable[[str], str],
) -> None:
    expected = parse_wire_copy(read_fixture("standard.txt"))
    draft = parse_wire_copy(transform(read_fixture("standard.txt")))
    assert draft == expected


def test_blank_line_paragraphs_with_hard_wrapping() -> None:
    draft = parse_wire_copy(read_fixture("blank_lines_wrapped.txt"))
    assert draft.published_at == datetime(2025, 1, 6, tzinfo=UTC)
    assert draft.byline == "Northern Desk"
    assert draft.outlet == "Harbour Gazette"
    paragraphs = draft.body.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0] == (
        "Ferry services between Stranraer and Belfast were suspended on Monday after "
        "gale-force winds swept across the North Channel, leaving hundreds of passengers "
        "waiting at both terminals."
    )


def test_copy_with_only_a_by_line() -> None:
    draft = parse_wire_copy(read_fixture("byline_only.txt"))
    assert draft.byline == "Priya Natarajan"
    assert draft.outlet is None
    assert draft.published_at is None
    assert draft.body.startswith("A community orchard")
    assert len(draft.body.split("\n\n")) == 3


def test_labelled_headline_byline_outlet_and_desk() -> None:
    draft = parse_wire_copy(read_fixture("headline_labelled.txt"))
    assert draft.headline == "Library reopens after two-year restoration"
    assert draft.byline == "Tomasz Kowalczyk"
    assert draft.outlet == "Riverside Evening Post"
    assert draft.section == "Culture"
    assert draft.published_at == datetime(2025, 3, 14, 8, 30, tzinfo=UTC)
    assert draft.body.startswith("The central library in Riverside")


def test_unlabelled_rfc_2822_date_line() -> None:
    draft = parse_wire_copy(read_fixture("rfc_date.txt"))
    assert draft.published_at == datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
    assert draft.byline == "Science Correspondent"
    assert draft.outlet == "Coastal Science Weekly"


def test_copy_without_any_header() -> None:
    text = "\n".join(read_fixture("standard.txt").splitlines()[3:])
    draft = parse_wire_copy(text)
    assert draft.byline is None
    assert draft.outlet is None
    assert draft.published_at is None
    assert draft.body == parse_wire_copy(read_fixture("standard.txt")).body


def test_copy_without_published_line() -> None:
    text = "\n".join(read_fixture("standard.txt").splitlines()[1:])
    draft = parse_wire_copy(text)
    assert draft.published_at is None
    assert draft.byline == "The Valley Courier Desk"
    assert draft.outlet == "The Valley Courier Online"


def test_copy_without_outlet_line() -> None:
    lines = read_fixture("standard.txt").splitlines()
    draft = parse_wire_copy("\n".join([lines[0], lines[1], *lines[3:]]))
    assert draft.byline == "The Valley Courier Desk"
    assert draft.outlet is None
    assert draft.published_at == datetime(2025, 3, 14, tzinfo=UTC)


def test_unparseable_published_date_is_left_empty() -> None:
    text = read_fixture("standard.txt").replace("14 March 2025", "sometime last week")
    draft = parse_wire_copy(text)
    assert draft.published_at is None
    assert draft.outlet == "The Valley Courier Online"


def test_one_line_paragraphs_separated_by_blank_lines_stay_separate() -> None:
    text = "Published: 2025-01-06\n\nFirst sentence of the story.\n\nSecond paragraph here.\n"
    draft = parse_wire_copy(text)
    assert draft.body == "First sentence of the story.\n\nSecond paragraph here."


@pytest.mark.parametrize(
    ("text", "reason_fragment"),
    [
        ("", "empty copy"),
        ("   \n\t\n  ", "empty copy"),
        ("\ufeff\r\n\r\n", "empty copy"),
        ("abc\x00def", "binary"),
    ],
)
def test_parse_wire_copy_rejects_empty_or_binary_text(text: str, reason_fragment: str) -> None:
    with pytest.raises(InvalidCopy) as caught:
        parse_wire_copy(text)
    assert reason_fragment in caught.value.reason


def test_header_lines_without_paragraphs_are_rejected() -> None:
    with pytest.raises(InvalidCopy) as caught:
        parse_wire_copy(read_fixture("header_only.txt"))
    assert caught.value.reason == "no story text: the copy has header lines but no paragraphs"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06 January 2025", datetime(2025, 1, 6, tzinfo=UTC)),
        ("6 January 2025", datetime(2025, 1, 6, tzinfo=UTC)),
        ("6th January 2025", datetime(2025, 1, 6, tzinfo=UTC)),
        ("Monday, 6 January 2025", datetime(2025, 1, 6, tzinfo=UTC)),
        ("January 6, 2025", datetime(2025, 1, 6, tzinfo=UTC)),
        ("Jan. 6, 2025", datetime(2025, 1, 6, tzinfo=UTC)),
        ("Sept 3, 2024", datetime(2024, 9, 3, tzinfo=UTC)),
        ("2025-01-06", datetime(2025, 1, 6, tzinfo=UTC)),
        ("2025/01/06", datetime(2025, 1, 6, tzinfo=UTC)),
        ("06/01/2025", datetime(2025, 1, 6, tzinfo=UTC)),
        ("06.01.2025", datetime(2025, 1, 6, tzinfo=UTC)),
        ("06/01/25", datetime(2025, 1, 6, tzinfo=UTC)),
        ("01/13/2025", datetime(2025, 1, 13, tzinfo=UTC)),
        ("Mon, 06 Jan 2025 10:00:00 GMT", datetime(2025, 1, 6, 10, tzinfo=UTC)),
        ("Mon, 06 Jan 2025 10:00:00 +0200", datetime(2025, 1, 6, 8, tzinfo=UTC)),
        ("2025-01-06T10:00:00Z", datetime(2025, 1, 6, 10, tzinfo=UTC)),
        ("2025-01-06T10:00:00+01:00", datetime(2025, 1, 6, 9, tzinfo=UTC)),
        ("2025-01-06T10:00:00.123-05:00", datetime(2025, 1, 6, 15, 0, 0, 123000, tzinfo=UTC)),
        ("2025-01-06 10:00", datetime(2025, 1, 6, 10, tzinfo=UTC)),
        ("2025-01-06 10:00 UTC", datetime(2025, 1, 6, 10, tzinfo=UTC)),
        ("6 Jan 2025 14:30 GMT", datetime(2025, 1, 6, 14, 30, tzinfo=UTC)),
        ("6 Jan 2025 14:30", datetime(2025, 1, 6, 14, 30, tzinfo=UTC)),
        ("6 Jul 2025 14:30 BST", datetime(2025, 7, 6, 13, 30, tzinfo=UTC)),
        ("6 Jan 2025 14:30 +0100", datetime(2025, 1, 6, 13, 30, tzinfo=UTC)),
        ("6 Jan 2025 14:30 UTC+1", datetime(2025, 1, 6, 13, 30, tzinfo=UTC)),
        ("Monday 6th January 2025 at 2.30pm", datetime(2025, 1, 6, 14, 30, tzinfo=UTC)),
        ("January 6, 2025 9:15 a.m. EST", datetime(2025, 1, 6, 14, 15, tzinfo=UTC)),
    ],
)
def test_parse_date_text_formats(text: str, expected: datetime) -> None:
    parsed = parse_date_text(text)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "31/02/2025",
        "6 Foo 2025",
        "32 January 2025",
        "6 Jan 2025 25:00",
        "6 Jan 2025 14:30 XYZ",
        "13:00 pm 6 Jan 2025",
        "2025-13-01",
        "x" * 200,
    ],
)
def test_parse_date_text_rejects_non_dates(text: str) -> None:
    assert parse_date_text(text) is None


def test_published_line_with_time_and_zone() -> None:
    text = read_fixture("standard.txt").replace("14 March 2025", "14 Mar 2025 16:45 GMT")
    assert parse_wire_copy(text).published_at == datetime(2025, 3, 14, 16, 45, tzinfo=UTC)


SAMPLE_TEXT = "Published: 06 January 2025\nDesk\nOutlet\nCafé “quotes” — déjà vu.\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (SAMPLE_TEXT.encode("utf-8"), SAMPLE_TEXT),
        (codecs.BOM_UTF8 + SAMPLE_TEXT.encode("utf-8"), SAMPLE_TEXT),
        (codecs.BOM_UTF16_LE + SAMPLE_TEXT.encode("utf-16-le"), SAMPLE_TEXT),
        (codecs.BOM_UTF16_BE + SAMPLE_TEXT.encode("utf-16-be"), SAMPLE_TEXT),
        (SAMPLE_TEXT.encode("utf-16"), SAMPLE_TEXT),
        (codecs.BOM_UTF32_LE + SAMPLE_TEXT.encode("utf-32-le"), SAMPLE_TEXT),
        (SAMPLE_TEXT.encode("utf-16-le"), SAMPLE_TEXT),
        (SAMPLE_TEXT.encode("cp1252"), SAMPLE_TEXT),
        ("Caf\u00e9 in Zürich\n".encode("latin-1"), "Caf\u00e9 in Zürich\n"),
        (b"caf\xe9 \x81 end", "caf\u00e9 \x81 end"),
        (b"", ""),
        (b"tab\tand form\x0cfeed\r\n", "tab\tand form\x0cfeed\r\n"),
    ],
)
def test_decode_copy_encodings(data: bytes, expected: str) -> None:
    assert decode_copy(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
        b"plain text with a \x00 NUL byte",
        bytes(range(1, 32)) * 4,
        b"text" + b"\x01\x02\x03\x04\x05\x06" * 10,
    ],
)
def test_decode_copy_rejects_binary_files(data: bytes) -> None:
    with pytest.raises(InvalidCopy) as caught:
        decode_copy(data)
    assert caught.value.reason == "not plain text: looks like a binary file"


def test_decoded_seed_format_round_trip_from_bytes() -> None:
    data = codecs.BOM_UTF8 + read_fixture("standard.txt").replace("\n", "\r\n").encode("utf-8")
    assert parse_wire_copy(decode_copy(data)) == parse_wire_copy(read_fixture("standard.txt"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_only_raise_invalid_copy(data: bytes) -> None:
    try:
        draft = parse_wire_copy(decode_copy(data))
    except InvalidCopy as error:
        reason = error.reason
    else:
        reason = "parsed"
        assert draft.body.strip()
        assert draft.published_at is None or draft.published_at.tzinfo is UTC
    assert reason
    assert "\n" not in reason


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_only_raises_invalid_copy(text: str) -> None:
    try:
        draft = parse_wire_copy(text)
    except InvalidCopy:
        return
    assert draft.body == draft.body.strip()
    assert draft.body


def test_wrapped_first_paragraph_directly_under_the_header_stays_in_the_body() -> None:
    text = (
        "Published: 06 January 2025\n"
        "Harbour Gazette\n"
        "Ferry services between Stranraer and Belfast were suspended on Monday\n"
        "after gale-force winds swept across the North Channel.\n"
    )
    draft = parse_wire_copy(text)
    assert draft.outlet == "Harbour Gazette"
    assert draft.body == (
        "Ferry services between Stranraer and Belfast were suspended on Monday "
        "after gale-force winds swept across the North Channel."
    )


def test_long_unlabelled_first_line_is_taken_as_headline() -> None:
    text = (
        "Council approves new cycle lanes for the city centre\n"
        "Metro Desk\n"
        "Work will begin in April on three new protected cycle lanes, the council said.\n"
    )
    draft = parse_wire_copy(text)
    assert draft.headline == "Council approves new cycle lanes for the city centre"
    assert draft.byline == "Metro Desk"
