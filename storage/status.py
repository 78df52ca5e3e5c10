"""What ``/news status`` reports: archive size, stories today, queue depth, worker heartbeat,
recent failures. Read-only; the caller owns the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.articles import count_articles
from storage.models import Feed
from storage.publishing import delivery_counts, recent_delivery_errors
from storage.queue import count_jobs_by_state, latest_heartbeat, recent_job_errors

ERRORS_SHOWN = 5


@dataclass(frozen=True)
class StatusReport:
    archive_size: int
    stories_today: int
    jobs: dict[str, int]
    deliveries: dict[str, int]
    job_errors: list[tuple[str, str, datetime]]
    dead_deliveries: list[tuple[str, str, str, datetime]]
    last_heartbeat: datetime | None
    feeds: int
    failing_feeds: int


def start_of_day(now: datetime, timezone: tzinfo) -> datetime:
    """Midnight of ``now``'s day in ``timezone``, in UTC."""
    local = now.astimezone(timezone)
    midnight = datetime.combine(local.date(), time(0), tzinfo=timezone)
    return midnight.astimezone(UTC)


def read_status(*, session: Session, now: datetime, timezone: tzinfo) -> StatusReport:
    """Everything ``/news status`` shows, read in one session."""
    feeds, failing = session.execute(
        select(func.count(), func.count().filter(Feed.consecutive_failures > 0))
    ).one()
    heartbeat = latest_heartbeat(session=session)
    return StatusReport(
        archive_size=count_articles(session=session),
        stories_today=count_articles(session=session, since=start_of_day(now, timezone)),
        jobs=count_jobs_by_state(session=session),
        deliveries=delivery_counts(session=session),
        job_errors=recent_job_errors(session=session, limit=ERRORS_SHOWN),
        dead_deliveries=recent_delivery_errors(session=session, limit=ERRORS_SHOWN),
        last_heartbeat=heartbeat,
        feeds=int(feeds or 0),
        failing_feeds=int(failing or 0),
    )
