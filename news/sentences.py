"""Sentence splitting and clean-up of scraped article text.

The splitter is rule-based: candidate boundaries are sentence-final punctuation followed by
a capital, digit or opening quote; candidates after abbreviations ("Mr.", "No. 4", "U.S."),
initials ("J. K. Rowling") and inside numbers ("3.5") are rejected. Text scraped without
spaces between sentences ("at home.Half of parents") is split too.
"""

from __future__ import annotations

import re


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Abbreviations that never end a sentence: titles and name parts that precede a name.
_TITLES = _word_set(
    """mr mrs ms messrs mme mlle dr prof st mt ft gen lt col maj capt cmdr adm sgt cpl pvt
    sen rep gov pres supt insp det rev fr sr hon amb atty
    ave blvd rd vs v cf approx ca fig figs vol vols pp ch art sec dept univ est"""
)
# Abbreviations that end a sentence only when the next word commonly starts one.
_ENDINGS = _word_set(
    """inc corp co ltd plc llc bros jr sr etc al jan feb mar apr jun jul aug sep sept oct
    nov dec mon tue tues wed thu thur thurs fri sat sun a.m p.m am pm"""
)
# "No." ends an abbreviation only before a number ("No. 4", "Nos. 3 and 4").
_NUMBER_PREFIXES = frozenset({"no", "nos", "nr", "op", "art"})
_SENTENCE_STARTERS = _word_set(
    """the a an he she it they we i you his her its their our this that these those there
    but and so yet or then now however meanwhile also in on at for after before when while
    if as mr mrs ms dr officials police some many most one two three what who why how
    analysts shares"""
)

_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«(["
_BOUNDARY = re.compile(
    r"""
    (?P<end>(?:\.\.\.|…|[.!?])+)          # sentence-final punctuation, ellipsis included
    (?P<close>["'”’»)\]]*)                # closing quotes or brackets
    (?P<space>\s*)                        # spacing (absent in text scraped without it)
    (?=(?P<next>["'“‘«(\[]*[^\s"'“‘«(\[]))  # the next visible character
    """,
    re.VERBOSE,
)
_WORD_BEFORE = re.compile(r"([\w.'’-]*)$")
_NEXT_WORD = re.compile(r"[\"'“‘«(\[]*([\w'’-]+)")
_PARAGRAPHS = re.compile(r"\n\s*\n|\r\n\s*\r\n")
_WHITESPACE = re.compile(r"\s+")
_AGENCY = r"\((?:Reuters|AP|AFP|CNN|CNN Business|CNNMoney|Bloomberg|UPI|dpa|PA|EFE|Xinhua)\)"
_DATELINE = re.compile(
    rf"""^\s*
    (?:
      (?:[A-Z][\w.'’-]*[ ,]+){{0,4}}{_AGENCY}\s*(?:[-–—]{{1,2}}\s*)?
    | [A-Z][A-Z.'’-]{{2,}}(?:[ ,]+[A-Z][A-Za-z.'’-]+){{0,3}}\s*[-–—]{{1,2}}\s+
    )
    """,
    re.VERBOSE,
)


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, in order, whitespace-normalised; paragraphs always break."""
    sentences: list[str] = []
    for block in _split_blocks(text):
        sentences.extend(_split_block(block))
    return sentences


def _split_blocks(text: str) -> list[str]:
    blocks: list[str] = []
    for paragraph in _PARAGRAPHS.split(text):
        current: list[str] = []
        for line in paragraph.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            current.append(stripped)
            if stripped[-1] in ".!?…:" + _CLOSERS:
                blocks.append(" ".join(current))
                current = []
        if current:
            blocks.append(" ".join(current))
    return [_WHITESPACE.sub(" ", block) for block in blocks]


def _split_block(block: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(block):
        if _is_boundary(block, match):
            cut, resume = match.end("close"), match.end("space")
            close = match.group("close")
            # 'peas."Next': a straight quote glued to both sides closes the sentence only
            # when the sentence so far has an unmatched quote; otherwise it opens the next.
            if (
                close
                and not match.group("space")
                and close[-1] in "\"'"
                and block[start : match.start("close")].count(close[-1]) % 2 == 0
            ):
                cut = resume = match.end("close") - 1
            piece = block[start:cut].strip()
            if piece:
                pieces.append(piece)
            start = resume
    rest = block[start:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def _is_boundary(block: str, match: re.Match[str]) -> bool:
    end, close, space = match.group("end"), match.group("close"), match.group("space")
    following = block[match.end("space") :]
    next_word_match = _NEXT_WORD.match(following)
    next_word = next_word_match.group(1) if next_word_match else ""
    next_char = next_word[:1]
    if not next_char:
        return False
    if not space:
        # Glued text: split only "word.Word" / 'word."Word' where the word before is lowercase.
        return _is_glued_boundary(block, match, next_word)
    if next_char.islower():
        return False
    if end.endswith(".") and not end.endswith(".."):
        before = _word_before(block, match.start("end"))
        if not close and _is_abbreviation(before, next_word):
            return False
    return True


def _word_before(block: str, position: int) -> str:
    word = _WORD_BEFORE.search(block[max(0, position - 40) : position])
    return word.group(1) if word else ""


def _is_glued_boundary(block: str, match: re.Match[str], next_word: str) -> bool:
    if not next_word[:1].isupper():
        return False
    before = _word_before(block, match.start("end"))
    if "." in before or "/" in before or "@" in before:
        return False  # acronyms like "U.S.Army", domains, addresses
    tail = before.lstrip("'’-")
    if len(tail) < 2 or not (tail[-1].islower() or tail[-1].isdigit() or tail[-1] in "%"):
        return False
    if tail[-1].isdigit() and not match.group("close"):
        return False  # "version 2.Beta" and the like
    return tail.casefold() not in _TITLES and tail.casefold() not in _ENDINGS


def _is_abbreviation(before: str, next_word: str) -> bool:
    word = before.strip("'’-")
    if not word:
        return False
    lowered = word.casefold()
    if "." in word:
        # Dotted acronym ("U.S", "e.g", "Ph.D"): a boundary only before a likely sentence start.
        return next_word.casefold() not in _SENTENCE_STARTERS
    if len(word) == 1 and word.isalpha():
        return word.isupper() or next_word[:1].isdigit()  # initials ("J. K. Rowling")
    if lowered in _NUMBER_PREFIXES:
        return next_word[:1].isdigit()
    if lowered in _TITLES:
        return True
    if lowered in _ENDINGS:
        return next_word.casefold() not in _SENTENCE_STARTERS
    return False


def strip_dateline(sentence: str) -> str:
    """``sentence`` without a leading dateline ("LONDON (Reuters) -", "WASHINGTON —", "(CNN)")."""
    match = _DATELINE.match(sentence)
    if match is None:
        return sentence
    rest = sentence[match.end() :].lstrip(" -–—:")
    return rest if rest else sentence


# Page furniture that scrapers carry into article text.
_SHARE_BAR = re.compile(
    r"Share this with\s*(?:(?:Email|Facebook|Messenger|Twitter|Pinterest|WhatsApp|LinkedIn|"
    r"Linkedin|Reddit|Tumblr|Google\+?|SMS)\s*)*(?:Copy this link)?",
)
_NOISE_PATTERNS: tuple[re.Pattern[str], ...] = (
    _SHARE_BAR,
    re.compile(r"Media playback is (?:not supported|unsupported) on (?:this|your) device"),
    re.compile(r"\((?:Photo|Image|Picture)s?(?: credit)?:[^)]{0,200}\)", re.IGNORECASE),
    re.compile(r"Image copyright\s+(?:(?!Image\b)[A-Z][\w.&'’/-]*\s?){1,4}"),
    re.compile(r"Image caption\s+[^\n]{0,200}?(?:[.!?](?=\s|$)|(?<=[a-z])(?=[A-Z])|(?=\n)|$)"),
    re.compile(
        r"(?m)^[ \t]*(?:Advertisement|ADVERTISEMENT|Story continues below advertisement"
        r"|Skip Advertisement|Related(?::| (?:stories|articles|coverage|content|links))[^\n]*"
        r"|Read more:?[^\n]*|READ MORE:?[^\n]*"
        r"|Last updated(?: at| on)?[^\n]*|Published(?: at| on)?:?\s[^\n]{0,60}"
        r"|By [A-Z][^\n]{0,80}?,\s*(?:CNN|Reuters|AP|AFP|BBC)[^\n]{0,40})[ \t]*$"
    ),
    re.compile(r"Follow [A-Z][\w ]{0,40}? on (?:Twitter|Facebook|Instagram)"),
    re.compile(r"Read more (?:from|on|about) [^.!?\n]*?(?:(?<=[a-z])(?=[A-Z])|(?=\n)|$)"),
    re.compile(r"(?:Last updated|Updated) (?:at|on) [\d:]+\s*(?:[AaPp]\.?[Mm]\.?)?[^\n.]{0,40}"),
)
_PHOTO_CREDIT = re.compile(r"\s*/\s*(?:Getty Images|AFP|Reuters|AP|EPA|PA)\b[^)\n]{0,40}")


def clean_article_text(text: str, *, byline: str | None = None, headline: str | None = None) -> str:
    """``text`` without share bars, ads, photo credits, "Read more" lines and repeated bylines.

    Paragraph breaks are kept; a headline repeated as the first line is dropped.
    """
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    for pattern in _NOISE_PATTERNS:
        cleaned = pattern.sub(lambda m: _keep_breaks(m.group(0)), cleaned)
    lines = [line.strip() for line in cleaned.split("\n")]
    kept: list[str] = []
    byline_key = _fold(byline) if byline else ""
    headline_key = _fold(headline) if headline else ""
    for line in lines:
        key = _fold(line)
        if byline_key and key in {byline_key, _fold("By " + (byline or ""))}:
            continue
        if headline_key and key == headline_key and not any(kept):
            continue
        if _PHOTO_CREDIT.fullmatch(line):
            continue
        kept.append(line)
    joined = "\n".join(kept)
    joined = re.sub(r"[ \t]{2,}", " ", joined)
    joined = re.sub(r"\n{3,}", "\n\n", joined)
    return joined.strip()


def _keep_breaks(matched: str) -> str:
    return "\n" if "\n" in matched else " "


def _fold(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .")
