"""Every state a stored row can be in, named once.

The values are what the database holds (a ``StrEnum`` member *is* its string, so rows
written before these names existed read the same). Code compares and assigns these
members; no module spells a state as a bare string.
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    """A background job (``jobs``): link ingestion, answers, App Home, CMS pages, briefings."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # can never succeed: recorded, not retried
    DEAD = "dead"  # failed too often; ``retry_dead_jobs`` puts it back


class DeliveryState(StrEnum):
    """An alert delivery (``deliveries``, the outbox)."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker, under lease
    SENT = "sent"
    DEAD = "dead"  # failed too often; ``retry_dead_deliveries`` puts it back
    DIGESTED = "digested"  # over the channel's hourly budget; rolled into a digest
    CANCELLED = "cancelled"  # unpublished before it went out


class DeliveryKind(StrEnum):
    """What a delivery posts: a top-level alert, a thread update, an edit, a digest."""

    ALERT = "alert"
    UPDATE = "update"
    UNPUBLISHED = "unpublished"
    DIGEST = "digest"


class WebhookEventState(StrEnum):
    """A CMS webhook event (``webhook_events``)."""

    QUEUED = "queued"  # the story's page is being fetched by a job
    DONE = "done"
    FAILED = "failed"


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class FeedPollStatus(StrEnum):
    """How one poll of one feed went."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    FAILED = "failed"
