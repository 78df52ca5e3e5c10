"""The article as the domain sees it, before it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ArticleDraft:
    """An extracted or parsed story, ready to be summarised, tagged and stored.

    ``published_at`` is timezone-aware (UTC) when known.
    """

    body: str
    url: str | None = None
    canonical_url: str | None = None
    headline: str | None = None
    standfirst: str | None = None
    byline: str | None = None
    outlet: str | None = None
    section: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
