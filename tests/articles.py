"""A realistic article page for tests that share links, served by ``tests.pageserver``."""

from __future__ import annotations

from tests.pageserver import PageServer

ARTICLE = """<!doctype html><html lang="en"><head><title>{headline}</title>
<link rel="canonical" href="{canonical}">
<meta property="og:site_name" content="The Harbour Gazette">
<meta name="author" content="Ana Lima">
<meta property="article:published_time" content="2025-01-06T09:30:00Z">
</head><body><article><h1>{headline}</h1>
<p>Ukraine and Poland agreed on Monday to reopen the Dorohusk rail crossing to grain freight from
next month, ending a dispute that had left thousands of wagons idle at the border.</p>
<p>Officials in Kyiv said the talks would continue next week, with ministers from both countries
expected to attend a meeting in Warsaw to settle the remaining questions about inspections.</p>
<p>{extra}</p>
</article></body></html>"""

DEFAULT_EXTRA = (
    "Farmers on both sides of the border have protested for months, blocking roads and "
    "demanding compensation for losses they blame on imports that reached the domestic market."
)


def article_page(headline: str, canonical: str, extra: str = DEFAULT_EXTRA) -> bytes:
    return ARTICLE.format(headline=headline, canonical=canonical, extra=extra).encode()


def harbour_page(number: int, canonical: str) -> bytes:
    """Article ``number`` of a series, each with its own headline and text."""
    return article_page(
        f"Harbour report {number}: berth {number} reopens",
        canonical,
        f"Engineers spent {number} days replacing damaged sections of berth {number}, and the "
        "port authority said the work came in under budget.",
    )


def add_article(pages: PageServer, path: str, headline: str, extra: str = DEFAULT_EXTRA) -> str:
    """Serve an article at ``path`` whose canonical link is its own URL; returns the URL."""
    url = pages.url(path)
    pages.add(path, article_page(headline, url, extra), content_type="text/html")
    return url
