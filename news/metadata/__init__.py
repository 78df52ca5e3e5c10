"""A page's metadata from every signal it carries, reconciled by general rules.

Signals are read in one pass over the parsed page (``signals``): JSON-LD, microdata
(``itemprop``), OpenGraph and other ``<meta>`` tags, ``<time>`` elements, byline markup
(``rel=author``, elements whose class or id names a byline or author), ``<h1>``/``<h2>``
headings, ``<title>`` and the URL. Each field then has its own module of rules, none of
them about any one site:

- ``headline``: the page's displayed headline (an ``<h1>``, else an ``<h2>``) when the
  metadata confirms it (it equals a metadata title, its main ``|``/``-`` separated part, or
  the title without its trailing parts), so the page's own capitalisation is kept;
  otherwise the first metadata title with the parts that name the site (matching
  ``og:site_name``, the publisher or the host name) cut off.
- ``byline``: the people credited, from the first source that names people in this order:
  the article's JSON-LD ``author``, microdata ``author`` (of one item), ``<meta
  name=author>``-like tags, ``rel=author`` links, hCard names in author markup, byline
  elements (their class in English, German, Spanish, Polish or French), links after "By",
  then a wire story's
  "(Reporting by …)" line; names in comment threads and asides are not the story's. A
  credit that names an organisation (the site itself, a wire agency, "Staff", "… News") is
  kept apart as ``credit``.
- ``dates``: machine-readable publication times keep their UTC offset and are stored in
  UTC; a time given with its zone wins over one without; a bare date is taken as noon UTC,
  so it shows as the same calendar day in any zone from UTC-11 to UTC+11, and so is a
  time of exactly midnight (a date field written as a time); a date found in the URL is
  used when nothing else is (for a page with no date at all, ``news.extraction`` then
  asks htmldate: its markup search, then its search of the text).
- ``archive``: the same rules applied to the fields an older version stored.

Names with a leading underscore are shared between these modules only; the public API is
what this package exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from news.metadata.archive import CardFields, rederive_card_fields
from news.metadata.byline import _choose_authors, format_byline, split_byline
from news.metadata.dates import (
    Moment,
    _choose_modified,
    _choose_published,
    drop_implausible,
    parse_moment,
    parse_visible_date,
)
from news.metadata.headline import _choose_headline, strip_site_name
from news.metadata.signals import (
    _ARTICLE_TYPES,
    _PAGE_TYPES,
    _SITE_META,
    _clean,
    _collect,
    _first,
    _host_keys,
    _key,
    _keywords,
    _ld_text,
    _publisher_name,
    _site_keys,
    _types,
)

if TYPE_CHECKING:
    from datetime import datetime

    from lxml.html import HtmlElement

__all__ = [
    "CardFields",
    "Moment",
    "PageMetadata",
    "drop_implausible",
    "format_byline",
    "parse_moment",
    "parse_visible_date",
    "read_metadata",
    "rederive_card_fields",
    "split_byline",
    "strip_site_name",
]


@dataclass
class PageMetadata:
    """What a page says about itself, reconciled."""

    headline: str | None = None
    authors: list[str] = field(default_factory=list)
    credit: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    site_name: str | None = None
    description: str | None = None
    image: str | None = None
    section: str | None = None
    keywords: list[str] = field(default_factory=list)
    article_body: str | None = None
    date_source: str | None = None


def read_metadata(tree: HtmlElement, *, url: str | None) -> PageMetadata:
    """The reconciled metadata of the parsed page ``tree`` fetched from ``url``."""
    signals = _collect(tree)
    # An article, or any creative work that gives the page a headline (a "MedicalWebPage").
    articles = [
        item
        for item in signals.json_ld
        if _types(item) & _ARTICLE_TYPES or isinstance(item.get("headline"), str)
    ]
    pages = [item for item in signals.json_ld if _types(item) & _PAGE_TYPES]
    site_keys = _site_keys(signals, articles, url)
    site_name = _first(signals.meta, _SITE_META) or _publisher_name(articles)
    metadata = PageMetadata(site_name=_clean(site_name))
    # A person-shaped credit that only matches the host is a person (a personal blog's
    # owner): host names decide for one-word credits only.
    # (Chrome names stay out: a personal blog's copyright line names its author.)
    name_keys = _site_keys(signals, articles, None, chrome=False)
    credit_keys = name_keys | {f"host:{key}" for key in _host_keys(url)}
    metadata.authors, metadata.credit = _choose_authors(signals, articles, credit_keys)
    title_keys = site_keys | {_key(name) for name in metadata.authors}
    metadata.headline = _choose_headline(signals, articles, title_keys)
    published = _choose_published(signals, articles, pages, url)
    if published is not None:
        metadata.published_at, metadata.date_source = published.at, published.source
    modified = _choose_modified(signals, articles, pages)
    if modified is not None:
        metadata.modified_at = modified.at
    metadata.description = _clean(
        _first(signals.meta, ("og:description", "description", "twitter:description"))
        or _ld_text(articles, "description")
    )
    metadata.image = _first(signals.meta, ("og:image", "twitter:image", "twitter:image:src"))
    metadata.section = _clean(
        _first(signals.meta, ("article:section", "parsely-section"))
        or _ld_text(articles, "articleSection")
    )
    metadata.keywords = _keywords(signals, articles)
    body = _ld_text(articles, "articleBody")
    metadata.article_body = body.strip() if body else None
    return metadata
