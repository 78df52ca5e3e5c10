"""The one publish path and the delivery outbox behind publish alerts.

Every trigger (slash command, button, CLI, CMS webhook, feeds) calls ``publish_article``
inside its own transaction: the story is marked published and one ``Delivery`` row per
matching channel is written in the same commit, so an alert is never lost and, thanks to
the unique key (article, channel, kind, version), never queued twice.

Kinds: ``alert`` (the top-level card), ``update`` (a thread reply under a sent alert),
``unpublished`` (the alert is edited to say the story is gone) and ``digest`` (alerts over
a channel's hourly budget, rolled into one message).

States: ``pending`` → ``sending`` (claimed, leased) → ``sent``; ``dead`` after too many
failures (``retry_dead_deliveries`` re-queues them); ``digested`` (over budget, waiting for
or rolled into a digest, see ``digest_id``); ``cancelled`` (the story was unpublished before
the message went out; a cancelled alert comes back if the same version is published again;
``retry_dead_deliveries`` never touches it).

An alert is sent once per story and channel: a later version of an alerted story becomes
an ``update`` in the alert's thread. An update row exists once per story version and
channel; a further change to the same version (a correction note) re-arms it with only
the new lines, and ``ClaimedDelivery.metadata_key`` changes with every such round.

Deliveries are one table of the work engine (``storage.work``): claimed under a lease, paced
per channel (an advisory lock on PostgreSQL so two workers never post to one channel at
once): a claim batch holds at most one delivery per
channel and skips channels with a message sent in the last second or one in flight.

Noise control: when a pending alert is claimed for a channel that already had its budget
of alerts in the last hour (``ChannelSettings.alerts_per_hour``, else the worker's default),
every due pending alert of that channel becomes ``digested`` with ``next_attempt_at`` at the
end of the window (the moment the oldest alert of the last hour leaves it).
``roll_up_digests`` then turns a channel's waiting digested alerts into one ``digest``
delivery, claimed and sent like any other.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from news.aliases import AliasTable
from storage import work
from storage.articles import ArticleNotFound, ArticleRecord, to_article_record
from storage.database import insert_ignoring_conflicts
from storage.models import Article, ChannelSettings, Delivery, utc_now
from storage.states import ArticleStatus, DeliveryKind, DeliveryState
from storage.subscriptions import matching_subscriptions

DELIVERY_KINDS = tuple(DeliveryKind)
DELIVERY_STATES = tuple(DeliveryState)
PACING_INTERVAL = timedelta(seconds=1)
BUDGET_WINDOW = timedelta(hours=1)
DEFAULT_LEASE = timedelta(minutes=2)
DEFAULT_MAX_ATTEMPTS = 8
UNPUBLISHED_BEFORE_DELIVERY = "unpublished before delivery"
PUBLISHED_AGAIN = "Published again"
PRIVATE_STORY = (
    "this story was only shared in private conversations, so it is not sent to any channel"
)
# Advisory-lock namespace for "a worker is claiming for this channel" on PostgreSQL.
_CHANNEL_LOCK_NAMESPACE = 0x6E657773
_FIELD_NAMES = {
    "body": "body",
    "standfirst": "standfirst",
    "byline": "byline",
    "section": "desk",
    "published_at": "publication time",
}
_MAX_LINE = 500


DELIVERIES = work.WorkTable(
    model=Delivery,
    due=Delivery.next_attempt_at,
    states=DeliveryState,
    pending=DeliveryState.PENDING,
    claimed=DeliveryState.SENDING,
    done=DeliveryState.SENT,
    dead=DeliveryState.DEAD,
    finished_at=Delivery.sent_at,
)
# One message per channel per second, and never two in flight to one channel.
CHANNEL_PACING = work.Pacing(
    key=Delivery.channel_id,
    finished=Delivery.sent_at,
    interval=PACING_INTERVAL,
    lock_namespace=_CHANNEL_LOCK_NAMESPACE,
)


@dataclass(frozen=True)
class DeliveryPayload:
    """What a delivery row carries besides its columns (stored as JSON in ``payload``).

    ``lines`` are the thread lines still to post, ``announced`` those already posted in
    earlier rounds, ``followup`` what was added while the row was being sent (posted in the
    next round). Changed only by the pure functions below.
    """

    reasons: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    announced: tuple[str, ...] = ()
    round: int = 0
    restore_alert: bool = False
    followup: FollowUp | None = None
    article_ids: tuple[int, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DeliveryPayload:
        data = data or {}
        followup = data.get("followup") or {}
        return cls(
            reasons=tuple(str(r) for r in data.get("reasons", [])),
            lines=tuple(str(line) for line in data.get("lines", [])),
            announced=tuple(str(line) for line in data.get("announced", [])),
            round=int(data.get("round", 0)),
            restore_alert=bool(data.get("restore_alert")),
            followup=(
                FollowUp(
                    tuple(str(line) for line in followup.get("lines", [])),
                    bool(followup.get("restore_alert")),
                )
                if followup.get("pending")
                else None
            ),
            article_ids=tuple(int(i) for i in data.get("article_ids", [])),
        )

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.reasons:
            data["reasons"] = list(self.reasons)
        if self.article_ids:
            data["article_ids"] = list(self.article_ids)
        data.update(lines=list(self.lines), announced=list(self.announced), round=self.round)
        if self.restore_alert:
            data["restore_alert"] = True
        if self.followup is not None:
            data["followup"] = {
                "lines": list(self.followup.lines),
                "restore_alert": self.followup.restore_alert,
                "pending": True,
            }
        return data

    @property
    def known_lines(self) -> frozenset[str]:
        """Every line this row posted, will post, or will post next round."""
        later = self.followup.lines if self.followup is not None else ()
        return frozenset((*self.lines, *self.announced, *later))


@dataclass(frozen=True)
class FollowUp:
    """Lines (and a restore) recorded while the row was in flight, for its next round."""

    lines: tuple[str, ...] = ()
    restore_alert: bool = False


@dataclass(frozen=True)
class ThreadChange:
    payload: DeliveryPayload
    new_round: bool  # the row is re-armed (pending again, from scratch)


def add_thread_lines(
    payload: DeliveryPayload,
    lines: Sequence[str],
    *,
    state: DeliveryState,
    kind: DeliveryKind,
    restore_alert: bool,
) -> ThreadChange | None:
    """What a thread row becomes when ``lines`` (and maybe a restore) are to be said;
    None when that changes nothing.

    Pending: the lines join the ones still to go. Sending: they wait as the follow-up, for
    the round after this one. Sent, dead, digested or cancelled: a new round with what has
    not been said yet (a dead row's unsent lines kept).
    """
    new_lines = tuple(line for line in dict.fromkeys(lines) if line not in payload.known_lines)
    if state == DeliveryState.PENDING:
        if not new_lines and (not restore_alert or payload.restore_alert):
            return None
        extended = replace(
            payload,
            lines=(*payload.lines, *new_lines),
            restore_alert=payload.restore_alert or restore_alert,
        )
        return ThreadChange(extended, new_round=False)
    if state == DeliveryState.SENDING:
        if not new_lines and not restore_alert and kind == DeliveryKind.UPDATE:
            return None
        earlier = payload.followup or FollowUp()
        followup = FollowUp((*earlier.lines, *new_lines), earlier.restore_alert or restore_alert)
        return ThreadChange(replace(payload, followup=followup), new_round=False)
    if kind == DeliveryKind.UPDATE and not new_lines and not restore_alert:
        return None
    unsent = payload.lines if state == DeliveryState.DEAD else ()
    announced = (
        (*payload.announced, *payload.lines) if state == DeliveryState.SENT else payload.announced
    )
    again = replace(
        payload,
        lines=(*unsent, *new_lines),
        announced=announced,
        restore_alert=restore_alert,
        round=payload.round + 1,
    )
    return ThreadChange(again, new_round=True)


def start_followup(payload: DeliveryPayload) -> DeliveryPayload | None:
    """The next round of a row just sent, when lines came in while it was in flight."""
    if payload.followup is None:
        return None
    return replace(
        payload,
        announced=(*payload.announced, *payload.lines),
        lines=payload.followup.lines,
        restore_alert=payload.followup.restore_alert,
        round=payload.round + 1,
        followup=None,
    )


@dataclass(frozen=True)
class PublishResult:
    """What publishing did: new alerts queued (and where), or why nothing was sent."""

    article_id: int
    published: bool
    already_published: bool
    new_deliveries: int
    channels: tuple[str, ...]
    republished_channels: tuple[str, ...] = ()
    skipped_reason: str | None = None


@dataclass(frozen=True)
class ChangeResult:
    """Thread updates queued for a changed story, and channels whose alert is still to go."""

    article_id: int
    lines: tuple[str, ...]
    queued_channels: tuple[str, ...]
    waiting_channels: tuple[str, ...]
    skipped_reason: str | None = None


@dataclass(frozen=True)
class UnpublishResult:
    article_id: int
    was_published: bool
    edited_channels: tuple[str, ...]
    cancelled: int


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery a worker holds under lease, detached from the session."""

    id: int
    article_id: int
    channel_id: str
    kind: str
    reason: str
    reasons: tuple[str, ...]
    lines: tuple[str, ...]
    article_ids: tuple[int, ...]
    restore_alert: bool
    thread_ts: str | None
    article_version: int
    attempts: int
    round: int
    worker_id: str

    @property
    def metadata_key(self) -> str:
        """Identifies this message in Slack metadata, to find an earlier post after a crash."""
        return str(self.id) if self.round == 0 else f"{self.id}.{self.round}"


def _lock_article(article_id: int, *, session: Session) -> Article:
    article = session.get(Article, article_id, with_for_update=work.is_postgresql(session) or None)
    if article is None:
        raise ArticleNotFound(f"no story #{article_id} in the archive")
    return article


def _deliveries_of(
    article_id: int, kinds: Collection[str], *, session: Session, lock: bool = False
) -> list[Delivery]:
    statement = (
        select(Delivery)
        .where(Delivery.article_id == article_id, Delivery.kind.in_(kinds))
        .order_by(Delivery.id)
    )
    if lock:
        statement = work.locked(statement, session=session)
    return list(session.scalars(statement))


def _insert_delivery(session: Session, **values: Any) -> bool:
    values.setdefault("created_at", utc_now())
    values.setdefault("attempts", 0)
    values.setdefault("payload", {})
    values.setdefault("reason", "")
    return insert_ignoring_conflicts(session, Delivery, values)


def publish_article(
    article_id: int, *, session: Session, aliases: AliasTable, now: datetime | None = None
) -> PublishResult:
    """Mark a story published and queue one alert per matching channel, in the caller's
    transaction.

    A channel that already has an alert for the story (any version) gets no second one;
    publishing an unchanged story again queues nothing. A story published again after it
    was unpublished gets a "Published again" reply under alerts already sent. A story that
    is not public is left as it is and queues nothing (``skipped_reason`` says why).
    """
    now = now or utc_now()
    article = _lock_article(article_id, session=session)
    already = article.status == ArticleStatus.PUBLISHED
    if not article.is_public:
        return PublishResult(article.id, already, already, 0, (), (), PRIVATE_STORY)
    article.status = ArticleStatus.PUBLISHED
    if article.published_at is None:
        article.published_at = now
        article.sort_at = now
    deliveries = _deliveries_of(
        article.id, (DeliveryKind.ALERT, DeliveryKind.UNPUBLISHED), session=session, lock=True
    )
    republished = () if already else _restore_unpublished(article, deliveries, session, now)
    live_alert_channels = {
        d.channel_id
        for d in deliveries
        if d.kind == DeliveryKind.ALERT and d.state != DeliveryState.CANCELLED
    }
    cancelled_alerts = {
        d.channel_id: d
        for d in deliveries
        if d.kind == DeliveryKind.ALERT
        and d.state == DeliveryState.CANCELLED
        and d.article_version == article.version
    }
    queued: list[str] = []
    for channel_id, reasons in matching_subscriptions(
        article, aliases=aliases, session=session
    ).items():
        if channel_id in live_alert_channels:
            continue
        revived = cancelled_alerts.get(channel_id)
        if revived is not None:
            _rearm(revived, now)
            revived.reason = reasons[0]
            revived.payload = DeliveryPayload(reasons=tuple(reasons)).to_json()
            queued.append(channel_id)
        elif _insert_delivery(
            session,
            article_id=article.id,
            channel_id=channel_id,
            kind=DeliveryKind.ALERT,
            reason=reasons[0],
            payload=DeliveryPayload(reasons=tuple(reasons)).to_json(),
            state=DeliveryState.PENDING,
            next_attempt_at=now,
            article_version=article.version,
        ):
            queued.append(channel_id)
    session.flush()
    return PublishResult(article.id, True, already, len(queued), tuple(sorted(queued)), republished)


def _restore_unpublished(
    article: Article, deliveries: list[Delivery], session: Session, now: datetime
) -> tuple[str, ...]:
    """Cancel "unpublished" edits still to go; reply "Published again" where one went out."""
    restored = []
    sent_alerts = {
        d.channel_id: d
        for d in deliveries
        if d.kind == DeliveryKind.ALERT
        and d.state == DeliveryState.SENT
        and d.message_ts is not None
    }
    for delivery in deliveries:
        if delivery.kind != DeliveryKind.UNPUBLISHED:
            continue
        if delivery.state in (DeliveryState.PENDING, DeliveryState.DEAD):
            delivery.state = DeliveryState.CANCELLED
            delivery.locked_by = None
            delivery.locked_until = None
        elif delivery.state in (DeliveryState.SENT, DeliveryState.SENDING):
            alert = sent_alerts.get(delivery.channel_id)
            if alert is not None and alert.message_ts is not None:
                _queue_thread_message(
                    article,
                    alert.channel_id,
                    DeliveryKind.UPDATE,
                    thread_ts=alert.message_ts,
                    lines=[PUBLISHED_AGAIN],
                    restore_alert=True,
                    session=session,
                    now=now,
                )
                restored.append(alert.channel_id)
    return tuple(sorted(set(restored)))


def describe_changes(
    changes: Sequence[str], *, previous_headline: str | None, headline: str, note: str | None
) -> list[str]:
    """Thread lines for what changed: "Headline changed: old → new", "Story updated: body",
    "Correction appended: …"."""
    lines = []
    headline_described = bool(previous_headline) and previous_headline != headline
    if "headline" in changes and headline_described:
        lines.append(_fit(f"Headline changed: {previous_headline} → {headline}"))
    fields = [
        _FIELD_NAMES.get(name, name)
        for name in changes
        if name != "headline" or not headline_described
    ]
    if fields:
        lines.append(_fit("Story updated: " + ", ".join(dict.fromkeys(fields))))
    if note and note.strip():
        lines.append(_fit("Correction appended: " + " ".join(note.split())))
    return lines


def _fit(line: str) -> str:
    return line if len(line) <= _MAX_LINE else line[: _MAX_LINE - 1] + "…"


def record_story_change(
    article_id: int,
    *,
    changes: Sequence[str],
    previous_headline: str | None,
    note: str | None,
    session: Session,
    now: datetime | None = None,
) -> ChangeResult:
    """Queue a thread update under every sent alert of a published story that changed.

    Channels whose alert has not gone out yet get nothing extra: the alert shows the
    current version when it is sent. Never a new top-level alert.
    """
    now = now or utc_now()
    article = _lock_article(article_id, session=session)
    lines = describe_changes(
        changes, previous_headline=previous_headline, headline=article.headline, note=note
    )
    if article.status != ArticleStatus.PUBLISHED:
        return ChangeResult(article.id, tuple(lines), (), (), "the story is not published")
    if not lines:
        return ChangeResult(article.id, (), (), (), "nothing changed")
    queued, waiting = [], []
    for channel_id, alert in _alerts_by_channel(article.id, session=session).items():
        if alert.state == DeliveryState.SENT and alert.message_ts is not None:
            if _queue_thread_message(
                article,
                channel_id,
                DeliveryKind.UPDATE,
                thread_ts=alert.message_ts,
                lines=lines,
                session=session,
                now=now,
            ):
                queued.append(channel_id)
        elif alert.state in (DeliveryState.PENDING, DeliveryState.SENDING):
            waiting.append(channel_id)
    session.flush()
    return ChangeResult(article.id, tuple(lines), tuple(sorted(queued)), tuple(sorted(waiting)))


def _alerts_by_channel(article_id: int, *, session: Session) -> dict[str, Delivery]:
    """Each channel's alert for a story: the sent one if any, else the newest live one."""
    chosen: dict[str, Delivery] = {}
    for alert in _deliveries_of(article_id, (DeliveryKind.ALERT,), session=session):
        if alert.state == DeliveryState.CANCELLED:
            continue
        current = chosen.get(alert.channel_id)
        if current is None or current.state != DeliveryState.SENT:
            chosen[alert.channel_id] = alert
    return chosen


def _queue_thread_message(
    article: Article,
    channel_id: str,
    kind: DeliveryKind,
    *,
    thread_ts: str,
    lines: Sequence[str],
    session: Session,
    now: datetime,
    restore_alert: bool = False,
) -> bool:
    """Queue (or extend, or re-arm) the one ``kind`` row for this story version and channel.

    True when something new will be sent.
    """
    payload = DeliveryPayload(lines=tuple(lines), restore_alert=restore_alert)
    if _insert_delivery(
        session,
        article_id=article.id,
        channel_id=channel_id,
        kind=kind,
        payload=payload.to_json(),
        state=DeliveryState.PENDING,
        next_attempt_at=now,
        thread_ts=thread_ts,
        article_version=article.version,
    ):
        return True
    statement = select(Delivery).where(
        Delivery.article_id == article.id,
        Delivery.channel_id == channel_id,
        Delivery.kind == kind,
        Delivery.article_version == article.version,
    )
    statement = work.locked(statement, session=session)
    existing = session.scalars(statement.execution_options(populate_existing=True)).one()
    change = add_thread_lines(
        DeliveryPayload.from_json(existing.payload),
        lines,
        state=DeliveryState(existing.state),
        kind=kind,
        restore_alert=restore_alert,
    )
    if change is None:
        return False
    existing.payload = change.payload.to_json()
    if change.new_round:
        existing.thread_ts = thread_ts
        _rearm(existing, now)
    return True


def _rearm(delivery: Delivery, now: datetime) -> None:
    work.rearm(DELIVERIES, delivery, now=now)
    delivery.message_ts = None


def unpublish_article(
    article_id: int, *, session: Session, now: datetime | None = None
) -> UnpublishResult:
    """Take a story back to draft: edit its sent alerts, cancel whatever has not gone out.

    Pending (and digested, not yet rolled up) alerts and pending updates become
    ``cancelled`` with ``last_error`` "unpublished before delivery". An alert that is
    being sent right now is edited once it is recorded as sent (``mark_delivery_sent``).
    """
    now = now or utc_now()
    article = _lock_article(article_id, session=session)
    was_published = article.status == ArticleStatus.PUBLISHED
    article.status = ArticleStatus.DRAFT
    cancelled = 0
    for delivery in _deliveries_of(
        article.id, (DeliveryKind.ALERT, DeliveryKind.UPDATE), session=session, lock=True
    ):
        waiting_digest = delivery.state == DeliveryState.DIGESTED and delivery.digest_id is None
        if delivery.state == DeliveryState.PENDING or waiting_digest:
            delivery.state = DeliveryState.CANCELLED
            delivery.last_error = UNPUBLISHED_BEFORE_DELIVERY
            cancelled += 1
    edited: list[str] = []
    if was_published:
        for channel_id, alert in _alerts_by_channel(article.id, session=session).items():
            if alert.state == DeliveryState.SENT and alert.message_ts is not None:
                _queue_thread_message(
                    article,
                    channel_id,
                    DeliveryKind.UNPUBLISHED,
                    thread_ts=alert.message_ts,
                    lines=[],
                    session=session,
                    now=now,
                )
                edited.append(channel_id)
    session.flush()
    return UnpublishResult(article.id, was_published, tuple(sorted(edited)), cancelled)


def claim_deliveries(
    *,
    session: Session,
    worker_id: str,
    limit: int = 10,
    lease: timedelta = DEFAULT_LEASE,
    now: datetime | None = None,
    paced_channels: Collection[str] = frozenset(),
    default_alerts_per_hour: int | None = None,
) -> list[ClaimedDelivery]:
    """Take up to ``limit`` due deliveries, at most one per channel, under a lease.

    ``paced_channels`` are skipped (the worker knows Slack asked it to wait, a 429).
    Pending alerts beyond a channel's hourly budget become ``digested`` instead.
    """

    def pick(channel_id: str, now: datetime) -> Delivery | None:
        return _next_for_channel(
            channel_id, session=session, now=now, default_alerts_per_hour=default_alerts_per_hour
        )

    rows = work.claim_paced(
        DELIVERIES,
        CHANNEL_PACING,
        session=session,
        worker_id=worker_id,
        now=now,
        hold=lease,
        limit=limit,
        skip_keys=paced_channels,
        pick=pick,
    )
    return [_to_claimed(delivery, worker_id) for delivery in rows]


def _next_for_channel(
    channel_id: str, *, session: Session, now: datetime, default_alerts_per_hour: int | None
) -> Delivery | None:
    """The channel's next due delivery; over budget, its due alerts are digested first."""
    delivery: Delivery | None = work.next_due(
        DELIVERIES, CHANNEL_PACING, channel_id, session=session, now=now
    )
    if (
        delivery is None
        or delivery.kind != DeliveryKind.ALERT
        or delivery.state != DeliveryState.PENDING
    ):
        return delivery
    budget = _alert_budget(channel_id, session=session, default=default_alerts_per_hour)
    if budget is None:
        return delivery
    if alerts_sent_since(channel_id, now - BUDGET_WINDOW, session=session) < budget:
        return delivery
    window_end = _budget_window_end(channel_id, session=session, now=now)
    session.flush()
    session.execute(
        update(Delivery)
        .where(
            Delivery.channel_id == channel_id,
            Delivery.kind == DeliveryKind.ALERT,
            Delivery.state == DeliveryState.PENDING,
            Delivery.next_attempt_at <= now,
        )
        .values(state=DeliveryState.DIGESTED, next_attempt_at=window_end)
        .execution_options(synchronize_session="fetch")
    )
    # Every due pending alert of the channel is digested now: what is left is a thread
    # reply, a digest, or an alert whose sender's lease ran out.
    found: Delivery | None = work.next_due(
        DELIVERIES, CHANNEL_PACING, channel_id, session=session, now=now
    )
    return found


def _alert_budget(channel_id: str, *, session: Session, default: int | None) -> int | None:
    settings = session.get(ChannelSettings, channel_id)
    if settings is not None and settings.alerts_per_hour is not None:
        return settings.alerts_per_hour
    return default


def _budget_window_end(channel_id: str, *, session: Session, now: datetime) -> datetime:
    """When the digest of an over-budget channel goes out: the end of the current window."""
    waiting = session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.channel_id == channel_id,
            Delivery.state == DeliveryState.DIGESTED,
            Delivery.digest_id.is_(None),
        )
    )
    if waiting is not None:
        return waiting
    oldest = session.scalar(
        select(func.min(Delivery.sent_at)).where(
            Delivery.channel_id == channel_id,
            Delivery.kind == DeliveryKind.ALERT,
            Delivery.state == DeliveryState.SENT,
            Delivery.sent_at >= now - BUDGET_WINDOW,
        )
    )
    return (oldest or now) + BUDGET_WINDOW


def _to_claimed(delivery: Delivery, worker_id: str) -> ClaimedDelivery:
    payload = DeliveryPayload.from_json(delivery.payload)
    return ClaimedDelivery(
        id=delivery.id,
        article_id=delivery.article_id,
        channel_id=delivery.channel_id,
        kind=DeliveryKind(delivery.kind),
        reason=delivery.reason,
        reasons=payload.reasons or ((delivery.reason,) if delivery.reason else ()),
        lines=payload.lines,
        article_ids=payload.article_ids,
        restore_alert=payload.restore_alert,
        thread_ts=delivery.thread_ts,
        article_version=delivery.article_version,
        attempts=delivery.attempts,
        round=payload.round,
        worker_id=worker_id,
    )


def mark_delivery_sent(
    delivery_id: int,
    message_ts: str | None,
    *,
    session: Session,
    worker_id: str,
    now: datetime | None = None,
) -> bool:
    """Record that Slack accepted the message; False if the worker no longer holds it.

    A change recorded while an update was in flight is queued as the next round; an alert
    whose story was unpublished while it was in flight gets its "unpublished" edit queued.
    """
    now = now or utc_now()
    # Lock the story before the delivery, in the same order publishing and unpublishing do.
    article_id = session.scalar(select(Delivery.article_id).where(Delivery.id == delivery_id))
    if article_id is None:
        return False
    article = _lock_article(article_id, session=session)
    delivery = work.held(DELIVERIES, delivery_id, session=session, worker_id=worker_id)
    if delivery is None:
        return False
    work.complete(DELIVERIES, delivery, now=now)
    delivery.message_ts = message_ts
    next_round = start_followup(DeliveryPayload.from_json(delivery.payload))
    if next_round is not None:
        delivery.payload = next_round.to_json()
        _rearm(delivery, now)
    elif (
        delivery.kind == DeliveryKind.ALERT
        and message_ts is not None
        and article.status != ArticleStatus.PUBLISHED
    ):
        _queue_thread_message(
            article,
            delivery.channel_id,
            DeliveryKind.UNPUBLISHED,
            thread_ts=message_ts,
            lines=[],
            session=session,
            now=now,
        )
    session.flush()
    return True


def mark_delivery_failed(
    delivery_id: int,
    error: str,
    *,
    retry_in: timedelta | None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    session: Session,
    worker_id: str,
    count_attempt: bool = True,
    now: datetime | None = None,
) -> str:
    """Record a failed send: ``pending`` again after ``retry_in``, or ``dead`` after
    ``max_attempts`` (or at once when ``retry_in`` is None). Returns the new state,
    or "lost" when the worker no longer holds the delivery.

    ``count_attempt=False`` (Slack said "slow down", a 429) does not use up an attempt.
    """
    return work.fail(
        DELIVERIES,
        delivery_id,
        error,
        session=session,
        worker_id=worker_id,
        retry_in=retry_in,
        max_attempts=max_attempts,
        count_attempt=count_attempt,
        now=now,
    )


def retry_dead_deliveries(
    *, session: Session, channel_id: str | None = None, now: datetime | None = None
) -> int:
    """Put dead deliveries back in the outbox (after the cause was fixed)."""
    where = [] if channel_id is None else [Delivery.channel_id == channel_id]
    return work.retry_dead(DELIVERIES, session=session, where=where, now=now)


def delivery_counts(*, session: Session) -> dict[str, int]:
    return work.count_by_state(DELIVERIES, session=session)


def deliveries_waiting(*, session: Session, now: datetime) -> int:
    """Deliveries due or in flight, and digested alerts whose digest is due."""
    return int(
        session.scalar(
            select(func.count()).where(
                or_(
                    Delivery.state.in_((DeliveryState.PENDING, DeliveryState.SENDING)),
                    and_(
                        Delivery.state == DeliveryState.DIGESTED,
                        Delivery.digest_id.is_(None),
                        Delivery.next_attempt_at <= now,
                    ),
                )
            )
        )
        or 0
    )


@dataclass(frozen=True)
class DeliverySubject:
    """What a claimed delivery needs from the archive before it is sent."""

    created_at: datetime
    tried_before: bool  # an earlier attempt left an error
    article: ArticleRecord


def load_delivery_subject(
    delivery_id: int, article_id: int, *, session: Session
) -> DeliverySubject | None:
    """The delivery's queue time and story; None when either is gone."""
    row = session.get(Delivery, delivery_id)
    article = session.get(Article, article_id)
    if row is None or article is None:
        return None
    return DeliverySubject(row.created_at, row.last_error is not None, to_article_record(article))


def published_public_stories(
    article_ids: Sequence[int], *, session: Session
) -> list[ArticleRecord]:
    """The stories of ``article_ids`` that are public and published, in the order given."""
    articles = {
        a.id: a for a in session.scalars(select(Article).where(Article.id.in_(article_ids)))
    }
    return [
        to_article_record(articles[i])
        for i in article_ids
        if i in articles and articles[i].is_public and articles[i].status == ArticleStatus.PUBLISHED
    ]


def recent_delivery_errors(
    *, session: Session, limit: int = 5
) -> list[tuple[str, str, str, datetime]]:
    """The latest dead deliveries: (channel id, kind, error, when queued)."""
    statement = (
        select(Delivery.channel_id, Delivery.kind, Delivery.last_error, Delivery.created_at)
        .where(Delivery.state == DeliveryState.DEAD)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    return [
        (channel_id, kind, error or "", when)
        for channel_id, kind, error, when in session.execute(statement)
    ]


def sent_alert_for(article_id: int, channel_id: str, *, session: Session) -> Delivery | None:
    """The alert about this story that went out in this channel, if any."""
    statement = (
        select(Delivery)
        .where(
            Delivery.article_id == article_id,
            Delivery.channel_id == channel_id,
            Delivery.kind == DeliveryKind.ALERT,
            Delivery.state == DeliveryState.SENT,
        )
        .order_by(Delivery.sent_at.desc(), Delivery.id.desc())
        .limit(1)
    )
    return session.scalars(statement).first()


def alerts_sent_since(channel_id: str, since: datetime, *, session: Session) -> int:
    """Alerts posted in the channel at or after ``since`` (digests and replies not counted)."""
    return int(
        session.scalar(
            select(func.count()).where(
                Delivery.channel_id == channel_id,
                Delivery.kind == DeliveryKind.ALERT,
                Delivery.state == DeliveryState.SENT,
                Delivery.sent_at >= since,
            )
        )
        or 0
    )


def pending_digest(channel_id: str, window_end: datetime, *, session: Session) -> list[int]:
    """Stories over the channel's budget waiting for the digest due by ``window_end``."""
    statement = (
        select(Delivery.article_id)
        .where(
            Delivery.channel_id == channel_id,
            Delivery.state == DeliveryState.DIGESTED,
            Delivery.digest_id.is_(None),
            Delivery.next_attempt_at <= window_end,
        )
        .order_by(Delivery.id)
    )
    return list(dict.fromkeys(session.scalars(statement)))


def roll_up_digests(*, session: Session, now: datetime | None = None, limit: int = 50) -> list[int]:
    """Turn each channel's due digested alerts into one pending ``digest`` delivery.

    Returns the new digest delivery ids; ``ClaimedDelivery.article_ids`` lists the stories.
    """
    now = now or utc_now()
    due_channels = (
        select(Delivery.channel_id)
        .where(
            Delivery.state == DeliveryState.DIGESTED,
            Delivery.digest_id.is_(None),
            Delivery.next_attempt_at <= now,
        )
        .group_by(Delivery.channel_id)
        .order_by(Delivery.channel_id)
        .limit(limit)
    )
    digests = []
    for channel_id in list(session.scalars(due_channels)):
        waiting = (
            select(Delivery)
            .where(
                Delivery.channel_id == channel_id,
                Delivery.state == DeliveryState.DIGESTED,
                Delivery.digest_id.is_(None),
            )
            .order_by(Delivery.id)
        )
        alerts = list(session.scalars(work.skipping_locked(waiting, session=session)))
        if not alerts:
            continue
        digest = _queue_digest(channel_id, alerts, session=session, now=now)
        digests.append(digest.id)
    session.flush()
    return digests


def _queue_digest(
    channel_id: str, alerts: Sequence[Delivery], *, session: Session, now: datetime
) -> Delivery:
    article_ids = list(dict.fromkeys(alert.article_id for alert in alerts))
    digest = Delivery(
        article_id=alerts[0].article_id,
        channel_id=channel_id,
        kind=DeliveryKind.DIGEST,
        reason=f"{len(article_ids)} stories beyond this channel's hourly alert budget",
        payload=DeliveryPayload(article_ids=tuple(article_ids)).to_json(),
        state=DeliveryState.PENDING,
        attempts=0,
        next_attempt_at=now,
        article_version=alerts[0].article_version,
        created_at=now,
    )
    session.add(digest)
    session.flush()
    for alert in alerts:
        alert.digest_id = digest.id
    return digest


def articles_alerted_between(
    channel_id: str, start: datetime, end: datetime, *, session: Session
) -> list[int]:
    """Stories alerted in the channel (sent, or rolled into a digest) in ``[start, end)``,
    newest first: the material of a daily briefing."""
    when = func.coalesce(Delivery.sent_at, Delivery.next_attempt_at)
    statement = (
        select(Delivery.article_id, func.max(when))
        .where(
            Delivery.channel_id == channel_id,
            Delivery.kind == DeliveryKind.ALERT,
            Delivery.state.in_((DeliveryState.SENT, DeliveryState.DIGESTED)),
            when >= start,
            when < end,
        )
        .group_by(Delivery.article_id)
        .order_by(func.max(when).desc())
    )
    return [article_id for article_id, _ in session.execute(statement)]
