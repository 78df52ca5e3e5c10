"""The work engine's storage half: one way to claim, lease, finish, fail and retry work.

Every kind of background work is a row in a table described by a ``WorkTable``: jobs
(``storage.queue``), alert deliveries (``storage.publishing``) and feed polls
(``storage.feeds``). A worker *claims* due rows under a *lease*; it then *completes* them,
or *fails* them with exponential *backoff* until they are *dead* after too many attempts
(``retry_dead`` puts them back). A row whose worker died is claimed again once its lease
runs out, so runners must be idempotent. Work that goes to a shared rate-limited place (a
Slack channel) is *paced*: ``claim_paced`` hands out at most one row per key, never a key
that had work finished within the pacing interval or has work in flight.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (this is the only module that does), so
any number of workers on any number of machines never take the same row; on SQLite,
``BEGIN IMMEDIATE`` (see ``storage.database``) serialises claims. Recurring work (a feed) has
no states: its lease is its next run time moved forward. Functions never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, text, update
from sqlalchemy.orm import Session

from storage.models import utc_now

LOST = "lost"  # what ``fail`` returns when the worker no longer holds the row
MAX_ERROR_LENGTH = 2000


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def locked(statement: Select[Any], *, session: Session, skip_locked: bool = False) -> Select[Any]:
    """``statement`` taking row locks on PostgreSQL (rows others hold are skipped when
    ``skip_locked``); SQLite's write transaction already excludes other writers."""
    if not is_postgresql(session):
        return statement
    return statement.with_for_update(skip_locked=skip_locked)


def skipping_locked(statement: Select[Any], *, session: Session) -> Select[Any]:
    """``statement`` taking row locks, passing over rows another transaction holds."""
    return locked(statement, session=session, skip_locked=True)


def backoff(attempts: int, *, first: timedelta, limit: timedelta) -> timedelta:
    """Exponential backoff after the ``attempts``-th failure: ``first``, twice that, … at
    most ``limit``."""
    exponent = max(0, min(attempts - 1, 20))
    return min(limit, first * 2**exponent)


@dataclass(frozen=True)
class WorkTable:
    """Which columns of a model hold the engine's bookkeeping, and what its states are.

    ``due`` is when a row may next be claimed. For a table of recurring work ``states`` is
    None: a row is due when ``due`` has passed, and its lease is ``due`` moved forward.
    """

    model: Any
    due: Any
    states: type[Any] | None = None
    pending: str | None = None
    claimed: str | None = None
    done: str | None = None
    dead: str | None = None
    failed: str | None = None  # a final failure that is not retried (None: dead)
    finished_at: Any = None  # set when a row reaches a final state, when the table has one

    def _column(self, name: str) -> Any:
        return getattr(self.model, name)

    @property
    def recurring(self) -> bool:
        return self.states is None


@dataclass(frozen=True)
class Pacing:
    """At most one row per ``key`` in flight, and none within ``interval`` of the last
    finished one (``finished`` is when a row of that key was last done)."""

    key: Any
    finished: Any
    interval: timedelta
    # Advisory-lock namespace on PostgreSQL for "a worker is claiming for this key".
    lock_namespace: int


def runnable(table: WorkTable, now: datetime) -> Any:
    """Due pending rows, and claimed rows whose lease ran out."""
    if table.recurring:
        return table.due <= now
    state, locked_until = table._column("state"), table._column("locked_until")
    return or_(
        and_(state == table.pending, table.due <= now),
        and_(state == table.claimed, locked_until < now),
    )


def lease(table: WorkTable, row: Any, *, worker_id: str, now: datetime, hold: timedelta) -> None:
    """Hand ``row`` to ``worker_id`` until ``now + hold``."""
    if table.recurring:
        setattr(row, table.due.key, now + hold)
        return
    row.state = table.claimed
    row.locked_by = worker_id
    row.locked_until = now + hold
    row.attempts += 1


def claim(
    table: WorkTable,
    *,
    session: Session,
    worker_id: str,
    now: datetime | None = None,
    hold: timedelta,
    limit: int = 1,
    where: Sequence[Any] = (),
) -> list[Any]:
    """Take up to ``limit`` runnable rows (oldest due first) under a lease of ``hold``."""
    now = now or utc_now()
    statement = (
        select(table.model)
        .where(runnable(table, now), *where)
        .order_by(table.due, table._column("id"))
        .limit(limit)
    )
    rows = list(session.scalars(skipping_locked(statement, session=session)))
    for row in rows:
        lease(table, row, worker_id=worker_id, now=now, hold=hold)
    session.flush()
    return rows


def _key_is_busy(table: WorkTable, pacing: Pacing, key: str | None, now: datetime) -> Any:
    """Work of this key (any key when None) finished within the interval, or in flight."""
    recent = or_(
        pacing.finished > now - pacing.interval,
        and_(table._column("state") == table.claimed, table._column("locked_until") >= now),
    )
    return recent if key is None else and_(pacing.key == key, recent)


def _lock_key(pacing: Pacing, key: str, *, session: Session) -> bool:
    """On PostgreSQL, take the key's claim lock for this transaction (False if taken)."""
    if not is_postgresql(session):
        return True
    taken = session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:namespace, hashtext(:key))"),
        {"namespace": pacing.lock_namespace, "key": key},
    )
    return bool(taken)


def next_due(
    table: WorkTable, pacing: Pacing, key: str, *, session: Session, now: datetime
) -> Any | None:
    """The key's oldest runnable row, locked (rows other workers hold are skipped)."""
    statement = (
        select(table.model)
        .where(pacing.key == key, runnable(table, now))
        .order_by(table.due, table._column("id"))
        .limit(1)
    )
    return session.scalars(skipping_locked(statement, session=session)).first()


def claim_paced(
    table: WorkTable,
    pacing: Pacing,
    *,
    session: Session,
    worker_id: str,
    now: datetime | None = None,
    hold: timedelta,
    limit: int = 10,
    skip_keys: Collection[str] = frozenset(),
    pick: Callable[[str, datetime], Any | None] | None = None,
) -> list[Any]:
    """Take up to ``limit`` runnable rows under a lease, at most one per key.

    Keys with work in flight or finished within the pacing interval, and ``skip_keys``
    (the worker knows it must wait, e.g. Slack answered 429), are passed over. ``pick``
    chooses the key's row (default: ``next_due``); it may change rows first (budgets).
    """
    now = now or utc_now()
    busy = select(pacing.key).where(_key_is_busy(table, pacing, None, now))
    candidates = (
        select(pacing.key)
        .where(runnable(table, now), pacing.key.not_in(busy))
        .group_by(pacing.key)
        .order_by(func.min(table.due), pacing.key)
        .limit(limit * 2 + 4)
    )
    if skip_keys:
        candidates = candidates.where(pacing.key.not_in(list(skip_keys)))
    claimed: list[Any] = []
    for key in list(session.scalars(candidates)):
        if len(claimed) >= limit:
            break
        if not _lock_key(pacing, key, session=session):
            continue
        if session.scalar(select(exists().where(_key_is_busy(table, pacing, key, now)))):
            continue
        if pick is not None:
            row = pick(key, now)
        else:
            row = next_due(table, pacing, key, session=session, now=now)
        if row is None:
            continue
        lease(table, row, worker_id=worker_id, now=now, hold=hold)
        claimed.append(row)
    session.flush()
    return claimed


def _held_by(table: WorkTable, row_id: int, worker_id: str) -> tuple[ColumnElement[bool], ...]:
    """The row ``row_id`` as long as ``worker_id`` holds it: claimed by it, not finished."""
    return (
        table._column("id") == row_id,
        table._column("locked_by") == worker_id,
        table._column("state") == table.claimed,
    )


def _done_values(table: WorkTable, now: datetime) -> dict[str, Any]:
    """The columns of a row that is done."""
    values: dict[str, Any] = {"state": table.done, "locked_until": None, "last_error": None}
    if table.finished_at is not None:
        values[table.finished_at.key] = now
    return values


def held(table: WorkTable, row_id: int, *, session: Session, worker_id: str) -> Any | None:
    """The row, locked and fresh from the database, if ``worker_id`` still holds it."""
    statement = select(table.model).where(*_held_by(table, row_id, worker_id))
    statement = locked(statement, session=session).execution_options(populate_existing=True)
    return session.scalars(statement).first()


def complete(table: WorkTable, row: Any, *, now: datetime) -> None:
    """A held row is done."""
    for key, value in _done_values(table, now).items():
        setattr(row, key, value)


def complete_held(
    table: WorkTable, row_id: int, *, session: Session, worker_id: str, now: datetime
) -> bool:
    """The row is done if ``worker_id`` still holds it (False: it does not), in one
    conditional UPDATE: its WHERE is checked against the row as it is when the UPDATE gets
    the row's lock (PostgreSQL re-reads a row another transaction changed meanwhile;
    SQLite's write transaction excludes other writers), as ``held`` would have read it."""
    statement = (
        update(table.model)
        .where(*_held_by(table, row_id, worker_id))
        .values(_done_values(table, now))
    )
    return int(session.execute(statement).rowcount) == 1  # type: ignore[attr-defined]


def fail(
    table: WorkTable,
    row_id: int,
    error: str,
    *,
    session: Session,
    worker_id: str,
    retry_in: timedelta | None,
    max_attempts: int,
    count_attempt: bool = True,
    now: datetime | None = None,
) -> str:
    """Record a failed attempt: pending again after ``retry_in``; dead after
    ``max_attempts``; at once final when ``retry_in`` is None (``failed`` when the table
    has such a state, else dead). Returns the new state, or ``LOST`` when the worker no
    longer holds the row. ``count_attempt=False`` (told to slow down) uses up no attempt.
    """
    now = now or utc_now()
    row = held(table, row_id, session=session, worker_id=worker_id)
    if row is None:
        return LOST
    if not count_attempt:
        row.attempts = max(0, row.attempts - 1)
    row.last_error = error[:MAX_ERROR_LENGTH]
    row.locked_until = None
    if retry_in is not None and row.attempts < max_attempts:
        row.state = table.pending
        setattr(row, table.due.key, now + retry_in)
    else:
        row.state = table.dead if retry_in is not None or table.failed is None else table.failed
        if table.finished_at is not None:
            setattr(row, table.finished_at.key, now)
    session.flush()
    return str(row.state)


def rearm(table: WorkTable, row: Any, *, now: datetime) -> None:
    """Make a row pending again from scratch (a new round of the same work)."""
    row.state = table.pending
    row.attempts = 0
    setattr(row, table.due.key, now)
    row.locked_by = None
    row.locked_until = None
    row.last_error = None


def retry_dead(
    table: WorkTable, *, session: Session, where: Sequence[Any] = (), now: datetime | None = None
) -> int:
    """Put dead rows back in the queue (after the cause was fixed); how many."""
    values: dict[str, Any] = {
        "state": table.pending,
        "attempts": 0,
        table.due.key: now or utc_now(),
        "locked_by": None,
        "locked_until": None,
    }
    if table.finished_at is not None:
        values[table.finished_at.key] = None
    statement = (
        update(table.model)
        .where(table._column("state") == table.dead, *where)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def count_by_state(table: WorkTable, *, session: Session) -> dict[str, int]:
    state = table._column("state")
    rows = session.execute(select(state, func.count()).group_by(state))
    return {str(name): int(count) for name, count in rows}
