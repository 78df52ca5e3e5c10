"""Which entries of a polled feed are new: keys not remembered for the feed yet."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.feeds import entry_key_for_storage
from storage.models import FeedEntryRecord

_CHUNK = 200


def unseen_entry_keys(feed_id: int, keys: Sequence[str], *, session: Session) -> set[str]:
    """The keys among ``keys`` that ``remember_entries`` has not recorded for this feed."""
    stored = {key: entry_key_for_storage(key) for key in keys}
    values = list(dict.fromkeys(stored.values()))
    known: set[str] = set()
    for start in range(0, len(values), _CHUNK):
        known.update(
            session.scalars(
                select(FeedEntryRecord.entry_key).where(
                    FeedEntryRecord.feed_id == feed_id,
                    FeedEntryRecord.entry_key.in_(values[start : start + _CHUNK]),
                )
            )
        )
    return {key for key, value in stored.items() if value not in known}
