"""The headline as the page displays it, confirmed by its metadata titles, or the first
metadata title without the parts that name the site.
"""

from __future__ import annotations

import re
from typing import Any

from news.metadata.cjk_credits import HAN_TEXT, is_outlet_name
from news.metadata.signals import _clean, _first, _itemprop_text, _key, _ld_text, _Signals

MIN_HEADLINE_WORDS = 3
MAX_KICKER_WORDS = 3
OVERLAP = 0.5
# Where a title's parts meet: " | ", " - ", " — ", " ‹ " (WordPress themes), "_" (Chinese CMS
# titles) and the space before a trailing bracketed part ("… 【Site】"). Not a colon: in a
# headline it introduces the subject ("Brexit: MPs vote …"), and its halves are not the
# site and the story; not "«" either, which opens a quotation in French.
_SEPARATOR = re.compile(
    r"\s+(?:\||-|–|—|::|·|»|‹|›|•|/|\\)\s+|\s*_\s*|\s+(?=[<＜【\[][^>＞】\]]+[>＞】\]]$)"
    # Between Han characters a hyphen needs no spaces ("…影响交通-新华网").
    r"|(?<=[\u4e00-\u9fff])-{1,2}(?=[\u4e00-\u9fff])"
)
# A trailing title part in Han script this short that ends as an outlet's name does
# ("新华网", "中国载人航天官方网站") names the site, whatever the site calls itself elsewhere.
MAX_HAN_SITE_PART = 12
# A date run into a heading from markup inside it ("Jun 17", "17.06."): a day and a month.
_DATE_LIKE = re.compile(
    r"\d{1,2}[./-]\d{1,2}|(?:\b\d{1,2}\.?\s*)?\b(?:jan|feb|mar|m[äa]r|apr|may|mai|jun|jul|aug|"
    r"sep|oct|okt|nov|dec|dez|ene|abr|ago|dic|juin|juil|ao[uû]t|f[ée]v|d[ée]c)[a-zé]*\.?\s*\d{1,2}\b"
    r"|\b\d{1,2}\.?\s+(?:jan|feb|mar|m[äa]r|apr|may|mai|jun|jul|aug|sep|oct|okt|nov|dec|dez)",
    re.IGNORECASE,
)


def _choose_headline(
    signals: _Signals, articles: list[dict[str, Any]], site_keys: set[str]
) -> str | None:
    references = [
        value
        for value in (
            _ld_text(articles, "headline"),
            _first(signals.meta, ("og:title",)),
            _first(signals.meta, ("twitter:title",)),
            _ld_text(articles, "name"),
            _itemprop_text(signals, "headline"),
            signals.title,
            _first(signals.meta, ("dc.title", "title", "headline", "sailthru.title")),
        )
        if value
    ]
    references = [_clean(reference) or "" for reference in references]
    confirmed = _confirmed_display_headline(signals, references, site_keys)
    if confirmed:
        return confirmed
    lone = [h1 for h1 in signals.h1s if not _names_site(h1, site_keys)]
    title_parts = len(_SEPARATOR.split(signals.title)) if signals.title else 0
    if len(lone) == 1 and len(references) == (1 if signals.title else 0) and title_parts <= 1:
        # No headline metadata beyond <title> (often the site's or section's title): the
        # page's one headline is what a reader sees.
        return lone[0]
    for reference in references:
        headline = strip_site_name(reference, site_keys)
        if headline and not _only_site(headline, site_keys):
            return headline
    # Every metadata title names only the site (a blog's <title>): the heading the page's
    # markup calls its title, else its first <h1>.
    for heading in [*signals.titled_headings, *signals.h1s]:
        if not _names_site(heading, site_keys):
            return heading
    return signals.h1s[0] if signals.h1s else None


def _confirmed_display_headline(
    signals: _Signals, references: list[str], site_keys: set[str]
) -> str | None:
    """The first on-page headline that a metadata title repeats: in whole, or its main
    part (the longest part that does not name the site; never a site or section part)."""
    keys: set[str] = set()
    whole: set[str] = set()  # the metadata titles as given, whole
    prefixes: list[str] = []
    leading: set[str] = set()
    for reference in references:
        if _only_site(reference, site_keys):
            continue
        keys.add(_key(reference))
        whole.add(_key(reference))
        parts = [part for part in _SEPARATOR.split(reference) if part.strip()]
        # The title without its trailing parts ("Headline | Blog | Author" → "Headline").
        leading.update(_key(" ".join(parts[:end])) for end in range(1, len(parts)))
        own = [part for part in parts if not _names_site(part, site_keys)]
        if own:
            keys.add(_key(max(own, key=len)))
        if reference.endswith(("…", "...")):
            prefixes.append(_key(reference.rstrip(".… ")))
    keys.discard("")
    candidates = list(signals.h1s)
    candidates += [_clean(e.text_content()) or "" for e in signals.itemprops.get("headline", [])]
    # A heading that is a kicker and the metadata title ("Topic: <og:title>"): the site
    # itself gives the headline without its kicker.
    for candidate in candidates:
        kicker, colon, rest = candidate.partition(": ")
        short_kicker = colon and len(kicker.split()) <= MAX_KICKER_WORDS
        if short_kicker and len(rest.split()) >= MIN_HEADLINE_WORDS and _key(rest) in whole:
            return rest
    # And the other way round: a metadata title that is a blog's or section's name and the
    # heading the page titles its story with ("Python Insider: <post title>").
    headings = [*candidates, *signals.titled_headings]
    for reference in references:
        kicker, colon, rest = reference.partition(": ")
        if not colon or len(kicker.split()) > MAX_KICKER_WORDS:
            continue
        for heading in headings:
            if len(heading.split()) >= MIN_HEADLINE_WORDS and _key(heading) == _key(rest):
                return heading
    # A heading that is a metadata title with a few words more run in from markup inside
    # it (a date, a kicker, a badge: "Jun 17 <title>", "<title> Abonnés", "Wow!<title>"):
    # the metadata title, as the heading writes it.
    titles = [
        t for t in _title_texts(references, site_keys) if len(t.split()) >= MIN_HEADLINE_WORDS
    ]
    for candidate in candidates:
        folded = candidate.casefold()
        for title in titles:
            at = folded.find(title.casefold())
            if at < 0 or len(title) == len(candidate):
                continue
            end = at + len(title)
            if at > 0 and end < len(candidate):
                continue  # words on both sides: another headline that quotes the title
            extra = (candidate[:at] + candidate[end:]).strip()
            seam = candidate[at - 1 : at + 1] if at else candidate[end - 1 : end + 1]
            run_in = len(seam) == 2 and not any(c.isspace() for c in seam)
            dated = len(extra.split()) <= 3 and _DATE_LIKE.search(extra) is not None
            if run_in or dated:
                return candidate[at:end]
    # An <h2> is a candidate after the <h1>s: some pages give the <h1> to the site's banner.
    for candidate in [*candidates, *signals.h2s]:
        key = _key(candidate)
        if not key:
            continue
        if key in keys or any(len(p) > 20 and key.startswith(p) for p in prefixes):
            return candidate
    # Else the first heading that is a metadata title without its trailing parts, when
    # that leaves a headline-sized text (not a one-word section name).
    for candidate in [*candidates, *signals.titled_headings, *signals.h2s]:
        if len(candidate.split()) >= MIN_HEADLINE_WORDS and _key(candidate) in leading:
            return candidate
    # Else the first on-page headline that shares most of its words with a metadata title:
    # sites often give search engines a shorter or reworded title than the one they show.
    # Of several such headings (a section's heading beside the story's), the one closest
    # to a metadata title in words.
    reference_words = [_words(reference) for reference in references]
    best: tuple[float, str] | None = None
    for candidate in candidates:
        words = _words(candidate)
        if len(words) < MIN_HEADLINE_WORDS:
            continue
        for other in reference_words:
            shared = len(words & other)
            if other and shared >= OVERLAP * min(len(words), len(other)):
                closeness = shared / len(words | other)
                if best is None or closeness > best[0]:
                    best = (closeness, candidate)
    return best[1] if best else None


def _title_texts(references: list[str], site_keys: set[str]) -> list[str]:
    """The metadata titles whole, and each one's main part (its longest part that does not
    name the site)."""
    texts: list[str] = []
    for reference in references:
        if not reference or _only_site(reference, site_keys):
            continue
        texts.append(reference)
        parts = [p.strip() for p in _SEPARATOR.split(reference) if p.strip()]
        own = [p for p in parts if not _names_site(p, site_keys)]
        if len(parts) > 1 and own:
            texts.append(max(own, key=len))
    return list(dict.fromkeys(texts))


def _words(text: str) -> set[str]:
    return {word for word in re.findall(r"\w+", text.lower()) if len(word) > 2}


def strip_site_name(title: str, site_keys: set[str]) -> str | None:
    """``title`` without leading or trailing parts that name the site ("… | CBC News")."""
    parts = [part.strip() for part in _SEPARATOR.split(title) if part.strip()]
    if not parts:
        return None
    while len(parts) > 1 and (
        _names_site(_unbracketed(parts[-1]), site_keys) or _names_han_outlet(parts[-1])
    ):
        parts.pop()
    while len(parts) > 1 and _names_site(_unbracketed(parts[0]), site_keys):
        parts.pop(0)
    if len(parts) == 1:
        return parts[0]
    # Rebuild with the page's own separators between the parts that are left.
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    kept = title[start:end].strip() if 0 <= start < end else " - ".join(parts)
    return kept or None


def _names_han_outlet(part: str) -> bool:
    return (
        len(part) <= MAX_HAN_SITE_PART
        and HAN_TEXT.search(part) is not None
        and is_outlet_name(part)
    )


def _unbracketed(part: str) -> str:
    """A title part without the brackets some sites put around their name ("【Site】")."""
    return part.strip("<>＜＞【】[]").strip() if part[:1] in "<＜【[" else part


def _only_site(title: str, site_keys: set[str]) -> bool:
    """Whether every part of ``title`` names the site (a blog's "<title>My Blog</title>")."""
    parts = [part for part in _SEPARATOR.split(title) if part.strip()]
    return bool(parts) and all(_names_site(part, site_keys) for part in parts)


def _names_site(part: str, site_keys: set[str]) -> bool:
    key = _key(part)
    if not key or len(part.split()) > 6:
        return False
    for site in site_keys:
        if len(site) < 3:
            continue
        if key == site or (len(key) >= 3 and (key in site or site in key)):
            return True
    return False
