"""Article extraction from a fetched HTML page: body text and metadata, with trafilatura.

Nothing here touches the network: the page is already fetched, and trafilatura runs with
its extraction timeout disabled (its timeout relies on signals, which only work in the
main thread).
"""

from __future__ import annotations

import logging
import re
from configparser import ConfigParser
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from news.articles import ArticleDraft
from news.boilerplate import is_boilerplate
from news.dates import plausible_publication_time
from news.errors import NewsdeskError, NotAnArticle
from news.headlines import derive_headline
from news.metadata import PageMetadata, format_byline, read_metadata
from news.page_bounds import bound_markup, bound_tree
from news.urls import is_same_site, normalize_url, outlet_from_host, resolve_url

if TYPE_CHECKING:
    from lxml.html import HtmlElement

MIN_BODY_CHARS = 200
MIN_BODY_WORDS = 30
MAX_TAGS = 20
MIN_KEPT_PARAGRAPHS = 3
MAX_TRAILER_CHARS = 300
MAX_NOISE_CHARS = 160
MIN_CONTAINER_PARAGRAPH = 40
MIN_LINKED_HEADLINE_WORDS = 4
# A body this many times shorter than the page's article markup is not the whole story.
PROMISE_RATIO = 2.5
MAX_NOTICE_CHARS = 600
# Joined sibling containers replace the extracted text when they are this much longer and
# hold this share of its paragraphs.
SPLIT_RATIO = 1.8
CONTAINED_SHARE = 0.8

logger = logging.getLogger(__name__)

# Short closing paragraphs that are page furniture, not story: newsletter and follow
# prompts, contact lines, copyright notices.
_TRAILER = re.compile(
    r"subscribe|newsletter|sign up|follow (?:him|her|us|them|me)\b|may be reached at|"
    r"can be reached at|all rights reserved|©|copyright|click here|subscriptions?\b|"
    r"delivered (?:to|through) your",
    re.IGNORECASE,
)
# A paragraph that is only a date or time line ("Updated at 1:23 p.m.", "22 de janeiro de
# 2018 às 0:13", "05/10/2018 - Publicado por: …"): page metadata, not story.
_DATE_LINE = re.compile(
    r"\b\d{1,2}:\d{2}\b|\b\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}\b|"
    r"\b(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}\b"
)
_SENTENCE_END = re.compile(r"(?<![ap]\.m)[.!?\"”»。！？」』)]$", re.IGNORECASE)
MAX_DATE_LINE_CHARS = 80
MAX_CHROME_CHARS = 40
MAX_DATE_LINE_WORDS = 12
MAX_CHROME_WORDS = 5
# Short lines inside a story that are page furniture: share prompts, "Also on …" teasers, and
# teaser links labelled with a tag in capitals ("… [VIDEO]"); a bracketed name in mixed case
# ("[Reuters]") is a source a story cites, so the tag is matched case-sensitively.
_NOISE = re.compile(
    r"^(?:also on\b|also read\b|read more\b|read also\b|related:|more from\b|"
    r"recommended\b|see also\b|like this (?:story|article)|share (?:this|it)\b|"
    r"click here\b|advertisement$|follow us\b|see more\b|don'?t miss\b|most read\b|"
    r"trending\b)|(?-i:\[[A-Z][A-Z ]{2,}\])\W*$",
    re.IGNORECASE,
)
_LANGUAGE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]+)*$", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_UNSPACED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


def extract_article(html: str, *, url: str | None) -> ArticleDraft:
    """The article in ``html`` fetched from ``url``: body text and whatever metadata it has.

    ``canonical_url`` is the page's own ``<link rel=canonical>`` (else ``og:url``), resolved,
    normalised and kept only when it stays on the same registrable domain and is not the
    bare home page; otherwise None. ``url`` is the normalised page URL.
    A saved page (``url=None``) is named by the absolute canonical link it declares, if any.

    The story text is the first candidate that is article text and not boilerplate, nor
    far shorter than the page's own article markup promises: trafilatura in precision
    mode, then its balanced and recall modes, then the page's JSON-LD ``articleBody``, then
    the paragraphs of the page's repeated article containers joined. When none is, a page
    that declares itself an article (JSON-LD/OpenGraph type, or a headline with a byline or
    date) gives a draft with ``text_extracted=False`` and an empty body, so its card can
    show the metadata and say the text could not be extracted.
    Raises NotAnArticle when the page has neither story text nor article metadata,
    UnsupportedUrl for a bad ``url``.
    """
    tree = bound_tree(_load_tree(bound_markup(html)))
    if tree is None:
        raise NotAnArticle("not an article: no article text found")
    if url is not None:
        page_url: str | None = normalize_url(url)
    else:
        page_url = _declared_url(tree)
    metadata = read_metadata(tree, url=page_url)
    canonical = find_canonical_url(tree, page_url=page_url) if page_url else None
    language = find_language(tree)
    outlet = metadata.site_name or (outlet_from_host(page_url) if page_url else None)
    body = find_story_text(tree, page_url, metadata)
    if metadata.published_at is None:
        metadata.published_at = _htmldate(tree, page_url)
    headline = metadata.headline
    text_extracted = body is not None
    if body is None:
        if not _declares_article(tree, metadata):
            raise NotAnArticle("not an article: no article text found")
        body = ""
    else:
        body = _drop_leading_headline(body, titles=(headline,))
    if not headline and body:
        headline = derive_headline(body) or None
    return ArticleDraft(
        body=body,
        url=page_url,
        canonical_url=canonical,
        headline=headline,
        standfirst=metadata.description,
        byline=format_byline(metadata.authors),
        outlet=outlet,
        section=metadata.section,
        language=language,
        published_at=metadata.published_at,
        tags=_clean_list([*([metadata.section] if metadata.section else []), *metadata.keywords])[
            :MAX_TAGS
        ],
        image_url=_resolve_image(metadata.image, page_url=page_url),
        authors=list(metadata.authors),
        credit=metadata.credit,
        modified_at=metadata.modified_at,
        text_extracted=text_extracted,
    )


def extract_metadata(html: str, *, url: str | None) -> PageMetadata | None:
    """The reconciled metadata of a page, without its story text (None for no page)."""
    tree = bound_tree(_load_tree(bound_markup(html)))
    if tree is None:
        return None
    return read_metadata(tree, url=normalize_url(url) if url else _declared_url(tree))


def find_story_text(tree: HtmlElement, page_url: str | None, metadata: PageMetadata) -> str | None:
    """The story's text by the first method that gives the story (see extract_article)."""
    promised = _promised_length(tree, metadata)
    _drop_link_cards(tree)
    headlines: set[str] | None = None
    for method in _TEXT_METHODS:
        raw = _run_method(method, tree, page_url, metadata)
        if not raw:
            continue
        body = _clean_body(raw)
        if headlines is None:
            headlines = _linked_headlines(tree)
        body = _without_closing_links(body, headlines)
        reason = reject_story_text(body, promised=promised)
        if reason is None:
            return _completed(body, tree) if method != "containers" else body
        logger.debug("story text from %s rejected: %s", method, reason)
    return None


def _linked_headlines(tree: HtmlElement) -> set[str]:
    """The texts of the page's links of a few words or more: other stories' headlines."""
    found: set[str] = set()
    for link in tree.iter("a"):
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        text = " ".join(link.text_content().split())
        if len(text.split()) >= MIN_LINKED_HEADLINE_WORDS:
            found.add(text)
    return found


def _without_closing_links(body: str, headlines: set[str]) -> str:
    """``body`` without the list of links to other stories it ends with: two or more last
    paragraphs that are each, whole, the text of a link on the page ("Milan Design Week
    2018 | FLOS pays tribute to …"). A story's own closing line is no link."""
    paragraphs = body.split("\n\n")
    end = len(paragraphs)
    while end > MIN_KEPT_PARAGRAPHS and paragraphs[end - 1] in headlines:
        end -= 1
    if len(paragraphs) - end < 2:
        return body
    return "\n\n".join(paragraphs[:end])


def _drop_link_cards(tree: HtmlElement) -> None:
    """Remove the cards a paragraph hides inside it (a name's hover card with its photo
    and latest headlines): an element within a ``<p>`` that is almost all links and holds
    an image or three or more links. The innermost card goes first, so the link it hangs
    on and the prose around it are kept."""
    inner: list[tuple[int, HtmlElement]] = []
    for paragraph in tree.iter("p"):
        for element in paragraph.iterdescendants():
            if isinstance(element.tag, str) and element.tag not in ("a", "img", "br"):
                inner.append((sum(1 for _ in element.iterancestors()), element))
    for _, element in sorted(inner, key=lambda item: -item[0]):
        if element.getparent() is not None and _is_link_card(element):
            element.drop_tree()


def _is_link_card(element: HtmlElement) -> bool:
    links = list(element.iter("a"))
    if not links:
        return False
    text = len(" ".join(element.text_content().split()))
    link_text = sum(len(" ".join(link.text_content().split())) for link in links)
    if link_text < 0.8 * text:
        return False
    return len(links) >= 3 or any(True for _ in element.iter("img"))


def _completed(body: str, tree: HtmlElement) -> str:
    """``body``, or the page's joined article containers when ``body`` is only their first
    part: an article split over sibling containers that extraction stopped in."""
    joined = _joined_containers(tree)
    if not joined or len(joined) < SPLIT_RATIO * len(body):
        return body
    found = _paragraph_keys(joined)
    mine = _paragraph_keys(body)
    if mine and len(mine & found) >= CONTAINED_SHARE * len(mine):
        return _clean_body(joined)
    return body


def _paragraph_keys(text: str) -> set[str]:
    return {" ".join(_WORD.findall(p.lower())) for p in text.split("\n\n") if len(p) >= 40}


def reject_story_text(body: str, *, promised: int = 0) -> str | None:
    """Why ``body`` is not a story's text (too short, boilerplate, far shorter than the
    article markup promises), or None when it is."""
    if not _is_article_text(body):
        return "too short to be article text"
    # Notices are short: a long paragraph is story even when it mentions a cookie.
    paragraphs = body.split("\n\n")
    flags = [len(p) <= MAX_NOTICE_CHARS and is_boilerplate(p) for p in paragraphs]
    boiler = sum(len(p) for p, flag in zip(paragraphs, flags, strict=True) if flag)
    rest = "\n\n".join(p for p, flag in zip(paragraphs, flags, strict=True) if not flag)
    if boiler and (boiler * 2 >= len(body) or not _is_article_text(rest)):
        return "only boilerplate (reprint, copyright, cookie, paywall or newsletter text)"
    if promised and len(body) * PROMISE_RATIO < promised:
        return f"{len(body)} characters where the article markup holds {promised}"
    return None


_TEXT_METHODS = ("precision", "balanced", "recall", "json-ld", "containers")


def _run_method(
    method: str, tree: HtmlElement, page_url: str | None, metadata: PageMetadata
) -> str | None:
    if method == "json-ld":
        return metadata.article_body
    if method == "containers":
        return _joined_containers(tree)
    document = _run_trafilatura(
        tree,
        page_url,
        favor_precision=method == "precision",
        favor_recall=method == "recall",
    )
    return document.text if document is not None else None


def _promised_length(tree: HtmlElement, metadata: PageMetadata) -> int:
    """How long the page's own article markup says the story is (0 when it says nothing).

    The JSON-LD ``articleBody``, else the paragraphs inside ``itemprop=articleBody``.
    """
    if metadata.article_body and _is_article_text(metadata.article_body):
        return len(" ".join(metadata.article_body.split()))
    total = 0
    for element in tree.iterfind('.//*[@itemprop="articleBody"]'):
        total += sum(len(" ".join(p.text_content().split())) for p in element.iter("p"))
    return total


def _joined_containers(tree: HtmlElement) -> str | None:
    """The paragraphs of the page's main article container and its repeated siblings.

    Paragraphs are grouped by their parent's tag and class; the group with the most text is
    the article, however many sibling containers the page split it over.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    sizes: dict[tuple[str, str], int] = {}
    for paragraph in tree.iter("p"):
        parent = paragraph.getparent()
        if parent is None or _in_chrome(paragraph):
            continue
        text = " ".join(paragraph.text_content().split())
        if len(text) < MIN_CONTAINER_PARAGRAPH:
            continue
        key = (str(parent.tag), parent.get("class") or "")
        groups.setdefault(key, []).append(text)
        sizes[key] = sizes.get(key, 0) + len(text)
    if not sizes:
        return None
    best = max(sizes, key=lambda key: sizes[key])
    return "\n\n".join(groups[best])


def _in_chrome(element: HtmlElement) -> bool:
    for ancestor in element.iterancestors():
        if ancestor.tag in ("nav", "footer", "aside", "header", "form"):
            return True
    return False


def _htmldate(tree: HtmlElement, page_url: str | None) -> datetime | None:
    """htmldate's reading of the page, as the last resort (noon UTC).

    Its quick search over markup and URL first; when that finds nothing, its extensive
    search over the page's text, which reads the dates a page writes only in prose or
    in unmarked elements ("Posted on 24.03.2004"). Only pages without any date signal
    pay for the second search. A 1 January result is dropped: it is what htmldate gives
    for a bare year (a copyright line).
    """
    from htmldate import find_date

    found = None
    for extensive in (False, True):
        try:
            found = find_date(tree, url=page_url, original_date=True, extensive_search=extensive)
        except (ValueError, TypeError):
            return None
        if found:
            break
    if not found or found[5:10] == "01-01":
        return None
    try:
        day = datetime.fromisoformat(found[:10])
    except ValueError:
        return None
    when = day.replace(hour=12, tzinfo=UTC)
    return when if plausible_publication_time(when, now=datetime.now(UTC)) else None


def _declares_article(tree: HtmlElement, metadata: PageMetadata) -> bool:
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").lower()
        if key == "og:type" and (meta.get("content") or "").strip().lower() == "article":
            return True
    if metadata.article_body is not None:
        return True
    return bool(metadata.headline and (metadata.authors or metadata.published_at))


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


def _run_trafilatura(
    tree: HtmlElement, page_url: str | None, *, favor_precision: bool, favor_recall: bool = False
) -> Any:
    """trafilatura's Document for the page (text only: we read the metadata), or None.

    Precision mode first: on the extraction benchmark it raises both precision and
    recall over the balanced default (see docs/benchmarks.md).
    """
    from trafilatura import bare_extraction

    try:
        return bare_extraction(
            tree,
            url=page_url,
            with_metadata=False,
            favor_recall=favor_recall,
            include_comments=False,
            include_tables=True,
            favor_precision=favor_precision,
            config=_trafilatura_config(),
        )
    except (TypeError, ValueError, AttributeError):
        return None


def _clean_body(text: str) -> str:
    """Paragraphs separated by blank lines, without trailing newsletter/copyright lines."""
    paragraphs = [" ".join(line.split()) for line in text.splitlines()]
    paragraphs = [
        paragraph
        for paragraph in paragraphs
        if paragraph
        and not (len(paragraph) <= MAX_NOISE_CHARS and _NOISE.search(paragraph))
        and not _is_date_line(paragraph)
    ]
    while len(paragraphs) > MIN_KEPT_PARAGRAPHS and (
        (len(paragraphs[-1]) < MAX_TRAILER_CHARS and _TRAILER.search(paragraphs[-1]))
        or _is_chrome_line(paragraphs[-1])
    ):
        paragraphs.pop()
    return "\n\n".join(paragraphs)


def _is_date_line(paragraph: str) -> bool:
    words = paragraph.split()
    return (
        len(words) <= MAX_DATE_LINE_WORDS
        and len(paragraph) <= MAX_DATE_LINE_CHARS
        and bool(_DATE_LINE.search(paragraph))
        and not _SENTENCE_END.search(paragraph)
    )


def _is_chrome_line(paragraph: str) -> bool:
    """A closing line of a few words that is no sentence: "comments", "Tags", "Tell us what
    YOU think..." — or a comma-separated keyword list."""
    words = paragraph.split()
    if (
        len(words) <= MAX_CHROME_WORDS
        and len(paragraph) <= MAX_CHROME_CHARS
        and (not _SENTENCE_END.search(paragraph) or paragraph.endswith("..."))
    ):
        return True
    return paragraph.count(",") >= MAX_CHROME_WORDS and not _SENTENCE_END.search(paragraph)


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


def _resolve_image(image: str | None, *, page_url: str | None) -> str | None:
    if not image:
        return None
    resolved = urljoin(page_url or "", image.strip())
    return resolved if urlsplit(resolved).scheme in {"http", "https"} else None
