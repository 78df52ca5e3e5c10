"""Questions kept server-side for an answer's "More" button (the button carries the key)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import StoredQuestion

KEEP_DAYS = 30
MAX_STORED_CHARS = 4000  # the parser reads 500 characters; this bounds what is kept


def remember_question(question: str, *, channel_id: str, now: datetime, session: Session) -> str:
    """Store ``question`` asked in ``channel_id``; returns its key. Drops expired rows."""
    session.execute(
        delete(StoredQuestion).where(StoredQuestion.created_at < now - timedelta(days=KEEP_DAYS))
    )
    key = secrets.token_urlsafe(12)
    session.add(
        StoredQuestion(
            key=key,
            channel_id=channel_id[:50],
            question=question[:MAX_STORED_CHARS],
            created_at=now,
        )
    )
    session.flush()
    return key


def recall_question(key: str, *, channel_id: str, session: Session) -> str | None:
    """The question stored under ``key`` for this channel, or None (unknown or expired)."""
    if not key or len(key) > 32:
        return None
    return session.scalar(
        select(StoredQuestion.question).where(
            StoredQuestion.key == key, StoredQuestion.channel_id == channel_id
        )
    )
