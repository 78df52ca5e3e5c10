"""What ``/news status`` reports: archive size, stories today, queue depth, worker heartbeat,
recent failures. Read-only; the caller owns the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.articles import count_articles
from storage.models import Delivery, Feed, Job, WorkerHeartbeat
from storage.publishing import delivery_counts, recent_delivery_errors
from storage.queue import count_jobs_by_state, latest_heartbeat, recent_job_errors
from storage.states import DeliveryState, JobState

ERRORS_SHOWN = 5
WORKER_ALIVE_WITHIN = timedelta(seconds=60)


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


@dataclass(frozen=True)
class MetricsReport:
    """What ``/metrics`` reads from the database on each scrape."""

    unfinished_jobs: dict[tuple[str, str], int]  # (kind, state) -> count, done ones left out
    oldest_due_job: datetime | None
    unsent_deliveries: dict[str, int]  # state -> count, sent ones left out
    sent_last_hour: int
    oldest_due_delivery: datetime | None
    articles: int
    articles_last_hour: int
    feeds: int
    failing_feeds: int
    workers_alive: int
    last_heartbeat: datetime | None


def read_metrics(*, session: Session, now: datetime) -> MetricsReport:
    """Everything ``/metrics`` shows of the archive and its queues, read in one session."""
    hour_ago = now - timedelta(hours=1)
    jobs = session.execute(
        select(Job.kind, Job.state, func.count())
        .where(Job.state != JobState.DONE)
        .group_by(Job.kind, Job.state)
    )
    deliveries = session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.state != DeliveryState.SENT)
        .group_by(Delivery.state)
    )
    feeds, failing = session.execute(
        select(func.count(), func.count().filter(Feed.consecutive_failures > 0))
    ).one()
    return MetricsReport(
        unfinished_jobs={(str(kind), str(state)): int(count) for kind, state, count in jobs},
        oldest_due_job=session.scalar(
            select(func.min(Job.run_after)).where(
                Job.state == JobState.PENDING, Job.run_after <= now
            )
        ),
        unsent_deliveries={str(state): int(count) for state, count in deliveries},
        sent_last_hour=int(
            session.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.sent_at >= hour_ago)
            )
            or 0
        ),
        oldest_due_delivery=session.scalar(
            select(func.min(Delivery.next_attempt_at)).where(
                Delivery.state == DeliveryState.PENDING, Delivery.next_attempt_at <= now
            )
        ),
        articles=count_articles(session=session),
        articles_last_hour=count_articles(session=session, since=hour_ago),
        feeds=int(feeds or 0),
        failing_feeds=int(failing or 0),
        workers_alive=int(
            session.scalar(
                select(func.count())
                .select_from(WorkerHeartbeat)
                .where(WorkerHeartbeat.beat_at >= now - WORKER_ALIVE_WITHIN)
            )
            or 0
        ),
        last_heartbeat=latest_heartbeat(session=session),
    )
