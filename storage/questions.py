"""Questions kept server-side for an answer's "More" button (the button carries the key).

The key is a digest of the channel and the question, so asking the same question again in the
same channel reuses its row: the common case ("/news latest harbour" every few minutes) is one
indexed read and no write. A row is written when a question is new to a channel, and its age
is refreshed at most once a day, so a key stays valid for ``KEEP_DAYS`` after it was last asked.
"""

from __future__ import annotations

import hashlib
from base64 import urlsafe_b64encode
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.database import insert_ignoring_conflicts
from storage.models import StoredQuestion
from storage.queue import without_lone_surrogates

KEEP_DAYS = 30
REFRESH_AFTER = timedelta(days=1)
MAX_STORED_CHARS = 4000  # the parser reads 500 characters; this bounds what is kept
KEY_CHARS = 22  # 132 bits of the digest, URL-safe


def question_key(question: str, *, channel_id: str) -> str:
    """The stable key of ``question`` in ``channel_id``: the same question gives the same key."""
    digest = hashlib.sha256(f"{channel_id}\x00{question}".encode()).digest()
    return urlsafe_b64encode(digest).decode("ascii")[:KEY_CHARS]


def _stored_form(question: str, channel_id: str) -> tuple[str, str]:
    # A lone surrogate (Slack passes them through) cannot be stored or hashed as UTF-8.
    return without_lone_surrogates(question[:MAX_STORED_CHARS]), channel_id[:50]


def kept_question_key(
    question: str, *, channel_id: str, now: datetime, session: Session
) -> str | None:
    """The key of ``question`` when it is kept already and needs no write (its age was
    refreshed within ``REFRESH_AFTER``): one indexed read, so a read-only session will do.
    None when ``remember_question`` has something to write."""
    question, channel_id = _stored_form(question, channel_id)
    key = question_key(question, channel_id=channel_id)
    stored_at = session.scalar(select(StoredQuestion.created_at).where(StoredQuestion.key == key))
    return key if stored_at is not None and stored_at >= now - REFRESH_AFTER else None


def remember_question(question: str, *, channel_id: str, now: datetime, session: Session) -> str:
    """Keep ``question`` asked in ``channel_id``; returns its key. Drops expired rows on write."""
    question, channel_id = _stored_form(question, channel_id)
    key = question_key(question, channel_id=channel_id)
    stored_at = session.scalar(select(StoredQuestion.created_at).where(StoredQuestion.key == key))
    if stored_at is not None:
        if stored_at < now - REFRESH_AFTER:
            session.execute(
                update(StoredQuestion).where(StoredQuestion.key == key).values(created_at=now)
            )
        return key
    session.execute(
        delete(StoredQuestion).where(StoredQuestion.created_at < now - timedelta(days=KEEP_DAYS))
    )
    # Another process may store the same question at the same moment: the row is the same.
    insert_ignoring_conflicts(
        session,
        StoredQuestion,
        {"key": key, "channel_id": channel_id, "question": question, "created_at": now},
    )
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
