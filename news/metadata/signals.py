"""What a page says about itself, read in one pass over its tree: meta tags, JSON-LD,
microdata, headings, byline and date markup, logo and copyright names; and the small text
helpers the field modules share.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from news.metadata.cjk_credits import (
    HAN_TEXT,
    HANGUL_TEXT,
    MAX_CREDIT_LINE,
    bracketed_credits,
    credited_names,
    hangul_credit,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from lxml.html import HtmlElement


MAX_HEADLINE_CHARS = 300
MAX_JSON_LD_CHARS = 2_000_000
MAX_BYLINE_ELEMENTS = 40
MAX_BYLINE_TEXT = 300
MAX_BY_LINKS = 5
MAX_DATE_TEXT = 120
# Running text is searched for a bracketed credit in its first this many characters: a
# Chinese story opens with its dateline and credit ("新京报讯（记者 陆一夫）…").
MAX_BRACKET_SCAN = 2_000
_KEY = re.compile(r"[\W_]+", re.UNICODE)
_BYLINE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:by-?line|byl|author(?:s|-?name)?|writer|reporter|contributor|creditline"
    # the same words in other languages: German, Spanish, Polish "autor", French "auteur",
    # Spanish and Italian "firma" (the signature a story is signed with)
    r"|autor(?:en|in|es|a|e)?|auteurs?|verfasser|firma)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
_NOT_BYLINE_CLASS = re.compile(
    r"bio|avatar|image|img|photo|pic|comment|about|follow|social|more|list|related|box|card",
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
_BYLINE_HINTS = ("byl", "aut", "writer", "reporter", "contributor", "credit", "verfasser", "firma")
_DATE_HINTS = ("date", "time", "publish", "posted", "stamp", "byline", "meta")
_DATE_CLASS = re.compile(r"date|time|publish|posted|timestamp|byline|meta", re.IGNORECASE)
_NOT_DATE_CLASS = re.compile(r"updat|modif|comment|related|reading-time|read-time", re.IGNORECASE)
_ARTICLE_TYPES_TEXT = """
    article newsarticle blogposting reportagenewsarticle analysisnewsarticle
    opinionnewsarticle reviewnewsarticle backgroundnewsarticle liveblogposting report
    socialmediaposting scholarlyarticle techarticle posting review
    """
_ARTICLE_TYPES = frozenset(_ARTICLE_TYPES_TEXT.split())
_PAGE_TYPES = frozenset({"webpage", "itempage", "aboutpage", "collectionpage"})
_SITE_CHROME_META = (
    "twitter:site",
    "al:ios:app_name",
    "al:android:app_name",
    "copyright",
    "dc.publisher",
    "dc.rights",
)
_SITE_META = ("og:site_name", "application-name", "apple-mobile-web-app-title", "publisher")


@dataclass
class _Signals:
    meta: dict[str, list[str]] = field(default_factory=dict)
    title: str | None = None
    h1s: list[str] = field(default_factory=list)
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    itemprops: dict[str, list[HtmlElement]] = field(default_factory=dict)
    rel_authors: list[str] = field(default_factory=list)
    # Links to an author's page ("/author/ana-ruiz/"), the address blog engines and most
    # news sites give each writer, outside comments, asides, footers and figures.
    author_links: list[str] = field(default_factory=list)
    # Links to a page on the same site that follow the word "by" ("By <a>Ana Ruiz</a>").
    by_links: list[str] = field(default_factory=list)
    # The names of a wire story's closing credit: "(Reporting by Will Dunham; Editing by …)".
    reporting_credits: list[str] = field(default_factory=list)
    # hCard names inside author markup: <span class="author vcard"><span class="fn">…</span>.
    hcard_authors: list[str] = field(default_factory=list)
    byline_texts: list[tuple[str, list[str]]] = field(default_factory=list)
    times: list[tuple[str, str, bool]] = field(default_factory=list)  # (datetime, text, marked)
    date_texts: list[str] = field(default_factory=list)
    # Names the page's own chrome gives the site: a logo's alt text, a copyright line.
    chrome_names: list[str] = field(default_factory=list)
    # h2/h3 headings whose class or id says they title the page ("entry-title").
    titled_headings: list[str] = field(default_factory=list)
    # The first <h2>s: where a page whose <h1> is its banner shows the story's headline.
    h2s: list[str] = field(default_factory=list)
    lang: str = ""  # the page's <html lang>, lower-case ("en-us")
    # Lines that label their names as the author: "Von Ana Ruiz", "Written by: <a>…</a>",
    # "<strong>Author</strong> Ana Ruiz", "12/05/2018 - Publicado por: Ana Ruiz".
    labelled_bylines: list[str] = field(default_factory=list)
    # Lines that label a date as the publication's: "Published on 7 June 2019", "Date 10.06.2013".
    labelled_dates: list[str] = field(default_factory=list)
    # The writers credited in Chinese or Korean text, each line's or bracket's names in a
    # list: "澎湃新闻记者 贺梨萍", "新京报讯（记者 陆一夫）", "최윤호 기자".
    cjk_credits: list[list[str]] = field(default_factory=list)


def _collect(tree: HtmlElement) -> _Signals:
    signals = _Signals(lang=(tree.get("lang") or "").strip().lower())
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
            text = _heading_text(element)
            if text:
                signals.h1s.append(text)
        elif tag in ("h2", "h3") and (len(signals.titled_headings) < 5 or len(signals.h2s) < 10):
            text = _heading_text(element)
            if text and tag == "h2" and len(signals.h2s) < 10:
                signals.h2s.append(text)
            marker = f"{element.get('class') or ''} {element.get('id') or ''}"
            if (
                text
                and len(signals.titled_headings) < 5
                and _TITLE_CLASS.search(marker)
                and not _NOT_TITLE_CLASS.search(marker)
            ):
                signals.titled_headings.append(text)
        elif tag == "img" and len(signals.chrome_names) < 10:
            alt = _clean(element.get("alt"))
            marker = f"{element.get('class') or ''} {element.get('id') or ''} {element.get('src')}"
            if alt and "logo" in f"{marker} {alt}".lower():
                name = re.sub(r"\blogo\b", "", alt, flags=re.IGNORECASE).strip(" -–|:")
                if name:
                    signals.chrome_names.append(name)
        elif tag == "time" and not _elsewhere(element):
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
        if tag in ("p", "em", "i") and len(signals.reporting_credits) < 3:
            match = _REPORTING_BY.match(element.text or "")
            if match:
                signals.reporting_credits.append(match["names"])
        if len(signals.hcard_authors) < MAX_BY_LINKS and _is_hcard_author(element):
            signals.hcard_authors.append(_clean(element.text_content()) or "")
        if tag in _CREDIT_TAGS and len(signals.cjk_credits) < MAX_BY_LINKS:
            _read_cjk_credits(element, signals)
        if tag in _LABELLED_TAGS and (
            len(signals.labelled_bylines) < MAX_BY_LINKS
            or len(signals.labelled_dates) < MAX_BY_LINKS
        ):
            _read_labelled_line(element, signals)
        itemprop = element.get("itemprop")
        if itemprop:
            for name in itemprop.lower().split():
                signals.itemprops.setdefault(name, []).append(element)
        rel = element.get("rel")
        if tag == "a" and rel and "author" in rel.lower().split():
            text = _clean(element.text_content())
            if text:
                signals.rel_authors.append(text)
        elif tag == "a" and len(signals.by_links) < MAX_BY_LINKS and _is_by_link(element):
            signals.by_links.append(_clean(element.text_content()) or "")
        if tag == "a" and len(signals.author_links) < MAX_BY_LINKS and _is_author_link(element):
            signals.author_links.append(_clean(element.text_content()) or "")
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
                and not _elsewhere(element)
            ):
                text = _bounded_text(element, MAX_DATE_TEXT)
                if text:
                    signals.date_texts.append(text)
    return signals


def _heading_text(element: HtmlElement) -> str | None:
    """A heading's text, without the permalink mark documentation generators append to
    it ("Shared Mutable History¶"); None when it is too long to be a headline."""
    kickers = [child for child in element.iter() if _KICKER_CLASS.search(child.get("class") or "")]
    if kickers and any(k is not element for k in kickers):
        # A kicker marked up inside the heading ("<span class='kicker'>Rail</span>: …") is
        # the section's word, not the headline's: the text without it and its separator.
        parts = []
        for node in element.iter():
            if any(k is node or k in node.iterancestors() for k in kickers):
                if node.tail and not any(k in node.iterancestors() for k in kickers):
                    parts.append(node.tail)
                continue
            if node.text:
                parts.append(node.text)
            if node is not element and node.tail:
                parts.append(node.tail)
        text = (_clean(" ".join(parts)) or "").lstrip(" :|–—-") or None
    else:
        text = _clean(element.text_content())
    if text:
        text = text.rstrip("¶").rstrip()
    return text if text and len(text) <= MAX_HEADLINE_CHARS else None


# Class names of a kicker (German "Dachzeile", "Spitzmarke"), an overline or an eyebrow.
_KICKER_CLASS = re.compile(r"kicker|overline|eyebrow|dachzeile|spitzmarke|topline|supertitle", re.I)


# The whole text before a byline's link: "By", "Written by" — not a sentence ending in
# "by" (a link in the story's prose) nor "Photo by".
_BY_WORD = re.compile(r"^\W*(?:(?:written|posted|reported|words)\s+)?by\s*:?\s*$", re.IGNORECASE)


# A wire story's closing credit line names its reporters before any editor.
_REPORTING_BY = re.compile(r"\s*\(?\s*reporting by\s+(?P<names>[^;()]{3,120})", re.IGNORECASE)
_LABEL_TAGS = frozenset({"span", "strong", "b", "em", "i", "small", "label"})


_AUTHOR_PATH = re.compile(
    r"/(?:author|authors|autor|autoren|auteur|auteurs|autore|writer|writers|byline)"
    r"/[^/?#]+/?(?:[?#].*)?$",
    re.IGNORECASE,
)


def _is_author_link(link: HtmlElement) -> bool:
    """Whether ``link`` goes to an author's page: ``/author/<name>/`` on the site."""
    href = (link.get("href") or "").strip()
    if not href or _AUTHOR_PATH.search(href) is None:
        return False
    if not 2 < len(link.text_content().strip()) <= 60:
        return False
    return not _in_chrome(link)


def _is_by_link(link: HtmlElement) -> bool:
    """Whether ``link`` credits someone: a link within the site (a relative address, the
    author's page) right after the word "by", outside comments, asides, footers and
    figures ("Photo by …")."""
    href = (link.get("href") or "").strip()
    if not href or href.startswith(("http:", "https:", "//", "#", "mailto:", "javascript:")):
        return False
    node = link
    for _ in range(3):  # the text just before the link, or before its container
        previous = node.getprevious()
        parent = node.getparent()
        if parent is None:
            return False
        if previous is not None and not (previous.tail or "").strip():
            if previous.tag not in _LABEL_TAGS:
                return False
            # "by" as a label element of its own: <span>by</span> <h3><a>…</a></h3>
            before, in_line = _bounded_text(previous, 40) or "", False
        elif previous is not None:
            before, in_line = previous.tail or "", True
        elif (parent.text or "").strip():
            before, in_line = parent.text or "", True
        else:
            node = parent
            continue
        if len(before) > MAX_BYLINE_TEXT or not _BY_WORD.search(before):
            return False
        # "By" in running text: a byline is a short line of its own, and in a paragraph
        # "by" is the story's prose ("designed by <a>Tom Lee</a>, the engineer …").
        if in_line and _bounded_text(parent, MAX_BYLINE_TEXT) is None:
            return False
        break
    else:
        return False
    if not 2 < len(link.text_content().strip()) <= 60:
        return False
    return not any(
        ancestor.tag in ("footer", "figure", "figcaption") for ancestor in link.iterancestors()
    ) and not _in_comments(link)


_LABELLED_TAGS = frozenset(
    {"p", "div", "span", "em", "i", "strong", "b", "small", "li", "dt", "th", "label", "address"}
    | {"cite"}
    | {"br"}
)
# A label that says who wrote the story, then the names: "By", "Von", "Written by:",
# "Publicado por:", "Author:" (a bare label word needs its colon, or an element of its own).
_BY_LABEL = (
    r"(?:(?:written|posted|reported|submitted|added|created|geschrieben|verfasst|"
    r"veröffentlicht|gespeichert|hinzugefügt|erstellt|eingestellt|publicado|escrito|publié|"
    r"écrit|publicat)\s+)?(?:by|von|par|por|door|przez)"
)
_AUTHOR_LABEL = r"(?:authors?|autor(?:in|en|a|es)?(?:/in)?|auteurs?|verfasser(?:in)?)"
_PUBLISHED_LABEL = (
    r"(?:published|posted|veröffentlicht|erschienen|publié|publicado|pubblicato|date|datum|"
    r"fecha|data)(?:\s+(?:on|am|le|el|il|em|at))?"
)
# What may come before the label on the same line: up to three short parts (a weekday, a
# date, a place) each with its separator, then maybe a time ("Freitag | 14. Juni 2019 |
# 15:49 VON …"), or a date and time alone ("11.09.2011, 16:20 von …").
_DATE_AND_TIME = r"\d[\d.:/]*(?:,?\s+\d[\d.:/]*)*,?\s+"
_LINE_LEAD = (
    r"(?:[-–—]{1,2}\s*)?"  # a closing credit's dash: "-- By Ana Ruiz"
    rf"(?:(?:[^|•·]{{1,30}}?\s(?:[|•·–—-])\s+){{1,3}}(?:{_DATE_AND_TIME})?|{_DATE_AND_TIME})?"
)
_LABELLED_BYLINE = re.compile(
    rf"^{_LINE_LEAD}(?:{_BY_LABEL}\s*:?|{_AUTHOR_LABEL}\s*:)\s+(?P<names>\S.*)$", re.I
)
_LABELLED_DATE = re.compile(
    rf"^{_LINE_LEAD}{_PUBLISHED_LABEL}\s*:?\s+(?!(?:by|von|par|por|door|przez)\b)(?P<date>\S.*)$",
    re.I,
)
_BARE_LABEL = re.compile(
    rf"^\s*(?:(?P<by>{_BY_LABEL}|{_AUTHOR_LABEL})|(?P<date>{_PUBLISHED_LABEL}))\s*:?\s*$", re.I
)
_LABEL_LEAD = re.compile(
    rf"^\s*{_LINE_LEAD}(?:{_BY_LABEL}|{_AUTHOR_LABEL}|{_PUBLISHED_LABEL})\b", re.I
)
# The letters every label starts with, and the marks that separate a lead from a label: a
# cheap test before the label pattern, which most of a page's text does not pass.
_LABEL_INITIALS = frozenset("abcdefghprsvwé")
_LEAD_MARKS = ("|", "•", "·", " - ", " – ", " — ")
_INLINE_LEAD = frozenset({"b", "strong", "span", "time", "em", "i", "small"})
_LINE_BREAKS = frozenset({"br", "p", "div", "ul", "ol", "li", "table", "h1", "h2", "h3", "hr"})
MAX_LABELLED_LINE = 120


def _read_labelled_line(element: HtmlElement, signals: _Signals) -> None:
    """Read ``element`` as a labelled byline or date line, when its own text starts with a
    label ("Von …", "Author:", "Published on …") or is only a label followed by the value
    (``<strong>Author</strong> Ana Ruiz``). The line ends at a line break or block."""
    if element.tag == "br":
        # A line of its own after a break: "<br>Published on 7 June 2019".
        tail = element.tail or ""
        if _starts_with_label(tail) and not _in_chrome(element):
            _add_labelled(tail, signals)
        return
    own = element.text or ""
    lead = own
    if not own or own.isspace():
        first = element[0] if len(element) else None
        tail = first.tail if first is not None else None
        if not tail or tail.isspace() or first is None:
            return
        if first.tag in ("a", "img") and not first.text_content().strip():
            # "<cite><a><img alt=…></a> By Ana Ruiz<br>": the line starts after a picture.
            lead = tail
        elif first.tag in _INLINE_LEAD:
            # "<b>05/10/2018</b> - Publicado por: Ana Ruiz": the label follows a short date.
            lead = f"{_bounded_text(first, 30) or '-' * 61} {tail}"
        else:
            return
    if not _starts_with_label(lead) or _in_chrome(element):
        return
    if len(element) == 0 and _BARE_LABEL.match(own):
        # A label element of its own: the value is the text after it.
        _add_labelled(f"{own.strip().rstrip(':')}: {_line_after(element)}", signals)
        return
    _add_labelled(_line_of(element), signals)


def _starts_with_label(text: str) -> bool:
    """Whether ``text`` starts with a byline or date label, maybe after a short lead."""
    text = text.lstrip(" \t\n-–—")[:60]  # a closing credit's dash: "-- By Ana Ruiz"
    # A label after a short lead needs the separator between them.
    initial = bool(text) and (text[0].lower() in _LABEL_INITIALS or text[0].isdigit())
    if not initial and not any(mark in text for mark in _LEAD_MARKS):
        return False
    return _LABEL_LEAD.match(text) is not None


def _line_of(element: HtmlElement) -> str:
    """The element's text up to its first line break or block child, bounded."""
    parts = [element.text or ""]
    length = len(parts[0])
    for child in element:
        if not isinstance(child.tag, str) or child.tag in ("script", "style", "noscript"):
            parts.append(child.tail or "")  # a comment or a script: only its tail is text
            continue
        if child.tag in _LINE_BREAKS:
            break
        text = child.text_content() + (child.tail or "")
        length += len(text)
        if length > MAX_LABELLED_LINE * 2:
            return ""
        parts.append(text)
    return _clean(" ".join(parts)) or ""


def _line_after(element: HtmlElement) -> str:
    """The text that follows a label element: its tail, else its next sibling's text."""
    tail = (element.tail or "").strip()
    if tail:
        return tail
    following = element.getnext()
    if following is None or not isinstance(following.tag, str) or following.tag in _LINE_BREAKS:
        return ""
    return _bounded_text(following, MAX_LABELLED_LINE) or ""


def _add_labelled(line: str, signals: _Signals) -> None:
    line = _clean(line) or ""
    if not line or len(line) > MAX_LABELLED_LINE:
        return
    date = _LABELLED_DATE.match(line)
    if date is not None and len(signals.labelled_dates) < MAX_BY_LINKS:
        signals.labelled_dates.append(date["date"])
    byline = _LABELLED_BYLINE.match(line)
    if (
        byline is not None
        and len(signals.labelled_bylines) < MAX_BY_LINKS
        and not _runs_into_text(byline["names"])
    ):
        signals.labelled_bylines.append(byline["names"])


MAX_CREDIT_WORDS = 12
_SENTENCE_BREAK = re.compile(r"[^\W\d_]{2}[.!?]\s+[^\W\d_]")


def _runs_into_text(names: str) -> bool:
    """Whether a labelled line's names run on into sentences: a teaser's excerpt ("Written
    by: Kim Lee China has announced a new plan. On January 19th, …"), not a byline."""
    return len(names.split()) > MAX_CREDIT_WORDS and _SENTENCE_BREAK.search(names) is not None


_CREDIT_TAGS = _LABELLED_TAGS | {"td", "font", "h2", "h3", "h4", "h5", "h6"}


def _read_cjk_credits(element: HtmlElement, signals: _Signals) -> None:
    """Read ``element`` as a line that credits writers in Chinese or Korean, or as running
    text with a Chinese credit in brackets, when its own text is not ASCII (the only test
    most of a page's elements get). A ``<br>`` gives the line after it."""
    if element.tag == "br":
        tail = element.tail or ""
        if not tail.isascii() and HANGUL_TEXT.search(tail) and not _in_chrome(element):
            _add_credit(hangul_credit(tail[:MAX_CREDIT_LINE]), signals)
        return
    own = [element.text or ""] + [child.tail or "" for child in element]
    if all(part.isascii() for part in own):
        return
    text = "".join(own)
    hangul = HANGUL_TEXT.search(text) is not None
    if not (hangul or HAN_TEXT.search(text)) or _in_chrome(element):
        return
    line = _bounded_text(element, MAX_CREDIT_LINE)
    if hangul:
        _add_credit(hangul_credit(line) if line else [], signals)
        return
    names = credited_names(line) if line else []
    if not names and ("(" in text or "（" in text or "【" in text):
        names = bracketed_credits(text[:MAX_BRACKET_SCAN])
    _add_credit(names, signals)


def _add_credit(names: list[str], signals: _Signals) -> None:
    if names:
        signals.cjk_credits.append(names)


def _elsewhere(element: HtmlElement) -> bool:
    """Whether ``element`` (a ``<time>``) dates something other than the story: a comment,
    a post embedded in a quotation (an Instagram or Twitter card), another story's teaser
    that links to it, an aside, a footer or a figure."""
    if _in_chrome(element):
        return True
    return any(
        ancestor.tag in ("a", "blockquote") or _is_sidebar(ancestor)
        for ancestor in element.iterancestors()
    )


def _is_sidebar(element: HtmlElement) -> bool:
    """Whether ``element`` is a sidebar or one of its widgets (WordPress writes
    ``<li class="widget widget_recent_entries">``): the dates there are other posts'.
    Page builders' ``elementor-widget-…`` classes and themes' ``content-sidebar-wrap``,
    which wrap the story too, are not."""
    if element.tag in ("html", "body"):
        return False  # layout classes ("one-sidebar sidebar-second"), not a sidebar
    names = [*(element.get("class") or "").lower().split(), (element.get("id") or "").lower()]
    return any(name == "widget" or name.startswith("sidebar") for name in names)


def _in_chrome(element: HtmlElement) -> bool:
    """Whether ``element`` is in a comment thread, an aside, a footer or a figure."""
    if _in_comments(element):
        return True
    return any(a.tag in ("footer", "figure", "figcaption") for a in element.iterancestors())


def _is_hcard_author(element: HtmlElement) -> bool:
    """Whether ``element`` is the name of an hCard inside an element marked as the author
    (hAtom's ``<span class="author vcard"><span class="fn">Ned Deily</span></span>``, which
    blog engines write): the page's own statement of who wrote it, outside comments."""
    classes = (element.get("class") or "").split()
    if "fn" not in classes and "nickname" not in classes:
        return False
    for depth, ancestor in enumerate(element.iterancestors()):
        if depth >= 3:
            return False
        if any("author" in name.lower() for name in (ancestor.get("class") or "").split()):
            return not _in_comments(element)
    return False


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


def _site_keys(
    signals: _Signals, articles: list[dict[str, Any]], url: str | None, *, chrome: bool = True
) -> set[str]:
    names = [value for key in _SITE_META for value in signals.meta.get(key, [])]
    publisher = _publisher_name(articles)
    if publisher:
        names.append(publisher)
    for item in signals.json_ld:
        types = _types(item)
        if types & {"organization", "newsmediaorganization", "website"} and "person" not in types:
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
