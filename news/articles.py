"""The article as the domain sees it, before it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class ArticleDraft:
    """An extracted or parsed story, ready to be summarised, tagged and stored.

    ``published_at`` and ``modified_at`` are timezone-aware (UTC) when known. ``authors``
    are the people credited (``byline`` is how a card shows them: "Ana Ruiz and Tom Lee");
    ``credit`` is an organisation or agency credited instead of, or beside, people.
    ``text_extracted`` is False for a page whose metadata was read but whose story text
    could not be extracted (``body`` is then empty).
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
    authors: list[str] = field(default_factory=list)
    credit: str | None = None
    modified_at: datetime | None = None
    text_extracted: bool = True
