"""What the assistant panel suggests, read from the archive: the topic of the day and a byline
people have been reading. Only stories shared in public channels (``is_public``) are used, so a
suggestion never names a story that is private to a channel or DM."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Article

RECENT_STORIES = 200
TOPIC_WINDOW = timedelta(hours=36)


@dataclass(frozen=True)
class PromptMaterial:
    topic: str | None
    byline: str | None


def find_prompt_material(*, session: Session, now: datetime) -> PromptMaterial:
    """The most frequent topic among recent public stories, and the latest byline."""
    rows = session.execute(
        select(Article.topics, Article.byline, Article.sort_at)
        .where(Article.is_public.is_(True))
        .order_by(Article.sort_at.desc(), Article.id.desc())
        .limit(RECENT_STORIES)
    ).all()
    recent = [row for row in rows if _aware(row.sort_at) >= now - TOPIC_WINDOW] or rows[:20]
    counts: Counter[str] = Counter()
    for row in recent:
        for topic in dict.fromkeys(row.topics or []):
            counts[topic] += 1
    topic = min(counts, key=lambda name: (-counts[name], name)) if counts else None
    byline = next((row.byline for row in rows if row.byline), None)
    return PromptMaterial(topic=topic, byline=_first_name_in(byline))


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _first_name_in(byline: str | None) -> str | None:
    """One person from a byline ("By Ana Lima and Ben Roe" → "Ana Lima")."""
    if not byline:
        return None
    text = byline.strip()
    if text.lower().startswith("by "):
        text = text[3:]
    for separator in (" and ", ",", ";", " & ", "|"):
        text = text.split(separator, 1)[0]
    text = " ".join(text.split())
    return text[:60] or None
