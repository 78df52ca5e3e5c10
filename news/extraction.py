"""Article extraction from a fetched HTML page: body text and metadata, with trafilatura.

Nothing here touches the network: the page is already fetched, and trafilatura runs with
its extraction timeout disabled (its timeout relies on signals, which only work in the
main thread).
"""

from __future__ import annotations

import json
import re
from configparser import ConfigParser
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from news.articles import ArticleDraft
from news.errors import NewsdeskError, NotAnArticle
from news.page_bounds import bound_markup, bound_tree
from news.urls import is_same_site, normalize_url, outlet_from_host, resolve_url
from news.wire_copy import parse_date_text

if TYPE_CHECKING:
    from lxml.html import HtmlElement

MIN_BODY_CHARS = 200
MIN_BODY_WORDS = 30
MAX_TAGS = 20
MIN_KEPT_PARAGRAPHS = 3
MAX_TRAILER_CHARS = 300

_PUBLISHED_META_NAMES = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "dcterms.issued",
    "parsely-pub-date",
    "sailthru.date",
)
# Short closing paragraphs that are page furniture, not story: newsletter and follow
# prompts, contact lines, copyright notices.
_TRAILER = re.compile(
    r"subscribe|newsletter|sign up|follow (?:him|her|us|them|me)\b|may be reached at|"
    r"can be reached at|all rights reserved|©|copyright|click here",
    re.IGNORECASE,
)
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ")
_LANGUAGE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]+)*$", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_UNSPACED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


def extract_article(html: str, *, url: str | None) -> ArticleDraft:
    """The article in ``html`` fetched from ``url``: body text and whatever metadata it has.

    ``canonical_url`` is the page's own ``<link rel=canonical>`` (else ``og:url``), resolved,
    normalised and kept only when it stays on the same registrable domain and is not the
    bare home page; otherwise None. ``url`` is the normalised page URL.
    A saved page (``url=None``) is named by the absolute canonical link it declares, if any.
    Raises NotAnArticle when the page has no article text, UnsupportedUrl for a bad ``url``.
    """
    tree = bound_tree(_load_tree(bound_markup(html)))
    if tree is None:
        raise NotAnArticle("not an article: no article text found")
    if url is not None:
        page_url: str | None = normalize_url(url)
    else:
        page_url = _declared_url(tree)
    document, body = None, ""
    for favor_precision in (True, False):
        document = _run_trafilatura(tree, page_url, favor_precision=favor_precision)
        body = _clean_body(document.text or "") if document is not None else ""
        if _is_article_text(body):
            break
    if document is None or not _is_article_text(body):
        raise NotAnArticle("not an article: no article text found")

    outlet = _clean_text(document.sitename) or (outlet_from_host(page_url) if page_url else None)
    headline = _clean_headline(document.title, outlet=outlet)
    body = _drop_leading_headline(body, titles=(headline, document.title))
    categories = _clean_list((document.categories or []) + (document.tags or []))
    return ArticleDraft(
        body=body,
        url=page_url,
        canonical_url=find_canonical_url(tree, page_url=page_url) if page_url else None,
        headline=headline,
        standfirst=_clean_text(document.description),
        byline=_clean_byline(document.author),
        outlet=outlet,
        section=_clean_text(document.categories[0]) if document.categories else None,
        language=find_language(tree),
        published_at=find_published_at(tree) or _parse_day(document.date),
        tags=categories[:MAX_TAGS],
        image_url=_resolve_image(document.image, page_url=page_url),
    )


def _declared_url(tree: HtmlElement) -> str | None:
    """The absolute http(s) URL a saved page declares for itself (canonical, then og:url)."""
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            declared = _absolute_url(link.get("href"))
            if declared:
                return declared
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url":
            declared = _absolute_url(meta.get("content"))
            if declared:
                return declared
    return None


def _absolute_url(value: str | None) -> str | None:
    if not value or not value.strip().lower().startswith(("http://", "https://")):
        return None
    try:
        return normalize_url(value.strip())
    except NewsdeskError:
        return None


def find_canonical_url(tree: HtmlElement, *, page_url: str) -> str | None:
    """The page's canonical URL (``<link rel=canonical>``, then ``og:url``), if trustworthy.

    A canonical on another registrable domain is ignored: the archive dedupes on it, and a
    page must not be able to claim another site's story. A canonical that is just the
    site's home page (a common CMS misconfiguration) is ignored for an article page.
    """
    candidates: list[str] = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel and link.get("href"):
            candidates.append(link.get("href") or "")
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url":
            candidates.append(meta.get("content") or "")
    page_is_root = urlsplit(page_url).path in {"", "/"}
    for candidate in candidates:
        resolved = resolve_url(candidate, base=page_url)
        if resolved is None or not is_same_site(resolved, page_url):
            continue
        if urlsplit(resolved).path in {"", "/"} and not page_is_root:
            continue
        return resolved
    return None


def find_published_at(tree: HtmlElement) -> datetime | None:
    """The publication time declared in meta tags, ``<time itemprop>`` or JSON-LD, in UTC."""
    for value in _published_candidates(tree):
        parsed = parse_date_text(value)
        if parsed is not None:
            return parsed
    return None


def find_language(tree: HtmlElement) -> str | None:
    """The primary language subtag (``en``) from ``<html lang>``, Content-Language or og:locale."""
    candidates = [tree.get("lang"), tree.get("xml:lang")]
    for meta in tree.iter("meta"):
        key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if key in {"content-language", "og:locale", "language", "dc.language"}:
            candidates.append(meta.get("content"))
    for candidate in candidates:
        match = _LANGUAGE.match((candidate or "").strip().split(",")[0].strip())
        if match:
            return match.group(1).lower()
    return None


@lru_cache(maxsize=1)
def _trafilatura_config() -> ConfigParser:
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    return config


def _load_tree(html: str) -> HtmlElement | None:
    if not isinstance(html, str) or not html.strip():
        return None
    from trafilatura.utils import load_html

    try:
        tree = load_html(html)
    except (TypeError, ValueError):
        return None
    return tree if tree is not None and len(tree) else None


def _run_trafilatura(tree: HtmlElement, page_url: str | None, *, favor_precision: bool) -> Any:
    """trafilatura's Document for the page, or None.

    Precision mode first: on the extraction benchmark it raises both precision and
    recall over the balanced default (see docs/benchmarks.md).
    """
    from trafilatura import bare_extraction

    try:
        return bare_extraction(
            tree,
            url=page_url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_precision=favor_precision,
            config=_trafilatura_config(),
        )
    except (TypeError, ValueError, AttributeError):
        return None


def _published_candidates(tree: HtmlElement) -> list[str]:
    values: list[str] = []
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in _PUBLISHED_META_NAMES and meta.get("content"):
            values.append(meta.get("content") or "")
    for element in tree.iter("time"):
        if (element.get("itemprop") or "").lower() == "datepublished":
            values.append(element.get("datetime") or element.text_content())
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json":
            values.extend(_json_ld_dates(script.text_content()))
    ordered = sorted(values, key=lambda value: not bool(re.search(r"\d{1,2}:\d{2}", value)))
    return ordered


def _json_ld_dates(text: str) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return re.findall(r'"datePublished"\s*:\s*"([^"]{6,40})"', text)
    found: list[str] = []
    pending: list[Any] = [data]
    while pending and len(found) < 5:
        item = pending.pop()
        if isinstance(item, dict):
            value = item.get("datePublished")
            if isinstance(value, str):
                found.append(value)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found


def _parse_day(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = parse_date_text(value)
    if parsed is None or parsed > datetime.now(UTC):
        return None
    return parsed


def _clean_body(text: str) -> str:
    """Paragraphs separated by blank lines, without trailing newsletter/copyright lines."""
    paragraphs = [" ".join(line.split()) for line in text.splitlines()]
    paragraphs = [paragraph for paragraph in paragraphs if paragraph]
    while (
        len(paragraphs) > MIN_KEPT_PARAGRAPHS
        and len(paragraphs[-1]) < MAX_TRAILER_CHARS
        and _TRAILER.search(paragraphs[-1])
    ):
        paragraphs.pop()
    return "\n\n".join(paragraphs)


def _drop_leading_headline(body: str, *, titles: tuple[str | None, ...]) -> str:
    """The body without a first paragraph that only repeats the headline."""
    first, separator, rest = body.partition("\n\n")
    keys = {" ".join(title.lower().split()) for title in titles if title}
    if separator and " ".join(first.lower().split()) in keys and _is_article_text(rest):
        return rest
    return body


def _is_article_text(body: str) -> bool:
    if len(body) < MIN_BODY_CHARS:
        return False
    if len(_WORD.findall(body)) >= MIN_BODY_WORDS:
        return True
    return len(_UNSPACED_SCRIPT.findall(body)) >= MIN_BODY_CHARS // 2


def _clean_text(value: str | None) -> str | None:
    if not value:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _clean_list(values: list[str]) -> list[str]:
    """Distinct values in order, comma-separated keyword strings split into their parts."""
    seen: dict[str, str] = {}
    for part in (part for value in values for part in value.split(",")):
        cleaned = _clean_text(part)
        if cleaned and cleaned.lower() not in seen:
            seen[cleaned.lower()] = cleaned
    return list(seen.values())


def _clean_headline(title: str | None, *, outlet: str | None) -> str | None:
    """The title without a trailing `` | Site name`` when it names the outlet."""
    headline = _clean_text(title)
    if headline is None or not outlet:
        return headline
    outlet_key = outlet.lower()
    for separator in _TITLE_SEPARATORS:
        head, found, tail = headline.rpartition(separator)
        if found and head and tail.strip().lower() in {outlet_key, outlet_key.removeprefix("the ")}:
            return head.strip()
    return headline


def _clean_byline(author: str | None) -> str | None:
    byline = _clean_text(author)
    if byline is None:
        return None
    byline = re.sub(r"^by\s+", "", byline, flags=re.IGNORECASE)
    names = [name.strip() for name in byline.split(";") if name.strip()]
    return ", ".join(names) or None


def _resolve_image(image: str | None, *, page_url: str | None) -> str | None:
    if not image:
        return None
    resolved = urljoin(page_url or "", image.strip())
    return resolved if urlsplit(resolved).scheme in {"http", "https"} else None
