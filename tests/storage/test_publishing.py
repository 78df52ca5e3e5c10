"""The publish path and the delivery outbox on both engines."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from news.aliases import AliasTable
from storage.database import SessionFactory
from storage.models import Article, Delivery, utc_now
from storage.publishing import (
    PRIVATE_STORY,
    UNPUBLISHED_BEFORE_DELIVERY,
    ClaimedDelivery,
    alerts_sent_since,
    claim_deliveries,
    delivery_counts,
    mark_delivery_failed,
    mark_delivery_sent,
    pending_digest,
    publish_article,
    recent_delivery_errors,
    record_story_change,
    retry_dead_deliveries,
    roll_up_digests,
    sent_alert_for,
    unpublish_article,
)
from storage.subscriptions import set_alert_budget, subscribe

ALIASES = AliasTable({"Ukraine": ("Ukrainian", "Kyiv")})
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=utc_now().tzinfo)


def add_story(session: Session, **fields: Any) -> Article:
    values: dict[str, Any] = {
        "headline": "Power cuts across Kyiv",
        "body": "Text.",
        "content_hash": "hash",
        "status": "draft",
        "is_public": True,
        "topics": ["Ukraine"],
    }
    values.update(fields)
    article = Article(**values)
    session.add(article)
    session.flush()
    return article


def follow(session: Session, *channels: str, topic: str = "Ukraine") -> None:
    for channel in channels:
        subscribe(channel, "topic", topic, created_by="U1", aliases=ALIASES, session=session)


def deliveries(session: Session) -> list[Delivery]:
    return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def send_all(
    session_factory: SessionFactory, now: datetime, worker: str = "w"
) -> list[ClaimedDelivery]:
    """Claim and mark sent every due delivery (one per channel per claim)."""
    sent: list[ClaimedDelivery] = []
    while True:
        with session_factory.begin() as session:
            claimed = claim_deliveries(session=session, worker_id=worker, now=now, limit=50)
            for delivery in claimed:
                ts = f"{delivery.channel_id}.{delivery.id}.{delivery.round}"
                assert mark_delivery_sent(
                    delivery.id, ts, session=session, worker_id=worker, now=now
                )
        if not claimed:
            return sent
        sent.extend(claimed)
        now += timedelta(seconds=2)


def test_publish_writes_one_alert_per_channel_once(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        follow(session, "C1", "C2")
        subscribe("C1", "all", "all", created_by="U1", aliases=ALIASES, session=session)
        article_id = add_story(session).id
    with session_factory.begin() as session:
        result = publish_article(article_id, session=session, aliases=ALIASES, now=T0)
        assert (result.new_deliveries, result.channels) == (2, ("C1", "C2"))
        assert not result.already_published
    with session_factory.begin() as session:
        again = publish_article(article_id, session=session, aliases=ALIASES, now=T0)
        assert (again.new_deliveries, again.already_published) == (0, True)
        rows = deliveries(session)
        article = session.get(Article, article_id)
        assert article is not None
        assert (article.status, article.published_at) == ("published", T0)
    assert [(d.channel_id, d.kind, d.state, d.article_version) for d in rows] == [
        ("C1", "alert", "pending", 1),
        ("C2", "alert", "pending", 1),
    ]
    assert rows[0].reason == "You follow *Ukraine*"
    assert rows[0].payload["reasons"] == [
        "You follow *Ukraine*",
        "This channel gets every published story",
    ]


def test_private_story_is_never_delivered(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        follow(session, "C1")
        article_id = add_story(session, is_public=False).id
    with session_factory.begin() as session:
        result = publish_article(article_id, session=session, aliases=ALIASES, now=T0)
        assert (result.new_deliveries, result.skipped_reason) == (0, PRIVATE_STORY)
        assert deliveries(session) == []
        article = session.get(Article, article_id)
        assert article is not None
        assert article.status == "draft"


def test_new_version_of_alerted_story_goes_in_the_thread(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        follow(session, "C1", "C2")
        article_id = add_story(session).id
        publish_article(article_id, session=session, aliases=ALIASES, now=T0)
    [first] = [d for d in send_all(session_factory, T0) if d.channel_id == "C1"]
    with session_factory.begin() as session:
        alert = sent_alert_for(article_id, "C1", session=session)
        assert alert is not None
        assert alert.message_ts == f"C1.{first.id}.0"
        article = session.get(Article, article_id)
        assert article is not None
        article.headline, article.version = "Power restored in Kyiv", 2
        change = record_story_change(
            article_id,
            changes=["headline", "body"],
            previous_headline="Power cuts across Kyiv",
            note=None,
            session=session,
            now=T0,
        )
        assert change.lines == (
            "Headline changed: Power cuts across Kyiv → Power restored in Kyiv",
            "Story updated: body",
        )
        assert change.queued_channels == ("C1", "C2")
        # Publishing the new version again adds no top-level alert.
        assert (
            publish_article(article_id, session=session, aliases=ALIASES, now=T0).new_deliveries
            == 0
        )
    later = T0 + timedelta(minutes=1)
    sent = send_all(session_factory, later)
    assert sorted((d.channel_id, d.kind) for d in sent) == [("C1", "update"), ("C2", "update")]
    update = next(d for d in sent if d.channel_id == "C1")
    assert update.thread_ts == f"C1.{first.id}.0"
    assert update.lines == change.lines


def test_change_before_the_alert_went_out_adds_nothing(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        follow(session, "C1")
        article_id = add_story(session).id
        publish_article(article_id, session=session, aliases=ALIASES, now=T0)
        result = record_story_change(
            article_id, changes=["body"], previous_headline=None, note=None, session=session, now=T0
        )
        assert (result.queued_channels, result.waiting_channels) == ((), ("C1",))
        assert [d.kind for d in deliveries(session)] == ["alert"]


def test_correction_on_a_version_already_announced_is_a_new_round(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        follow(session, "C1")
        article_id = add_story(session).id
        publish_article(article_id, session=session, aliases=ALIASES, now=T0)
    send_all(session_factory, T0)
    with session_factory.begin() as session:
        record_story_change(
            article_id, changes=["body"], previous_headline=None, note=None, session=session, now=T0
        )
    [first] = send_all(session_factory, T0 + timedelta(seconds=5))
    with session_factory.begin() as session:
        # The same change again is not news.
        again = record_story_change(
            article_id, changes=["body"], previous_headline=None, note=None, session=session, now=T0
        )
        assert again.queued_channels == ()
        note = record_story_change(
            article_id,
            changes=[],
            previous_headline=None,
            note="The mayor's name was misspelt.",
            session=session,
            now=T0,
        )
        assert note.queued_channels == ("C1",)
    [second] = send_all(session_factory, T0 + timedelta(seconds=10))
    assert second.id == first.id
    assert second.lines == ("Correction appended: The mayor's name was misspelt.",)
    assert first.metadata_key != second.metadata_key


def test_unpublish_edits_sent_alerts_and_cancels_pending(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        follow(session, "C1", "C2")
        article_id = add_story(session).id
        publish_article(article_id, session=session, aliases=ALIASES, now=T0)
    with session_factory.begin() as session:
        [claimed] = claim_deliveries(session=session, worker_id="w", now=T0, limit=1)
        mark_delivery_sent(claimed.id, "1.1", session=session, worker_id="w", now=T0)
    with session_factory.begin() as session:
        result = unpublish_article(article_id, session=session, now=T0)
        assert result.was_published
        assert result.edited_channels == (claimed.channel_id,)
        assert result.cancelled == 1
        rows = {(d.channel_id, d.kind): d for d in deliveries(session)}
    other = "C2" if claimed.channel_id == "C1" else "C1"
    assert rows[(other, "alert")].state == "cancelled"
    assert rows[(other, "alert")].last_error == UNPUBLISHED_BEFORE_DELIVERY
    assert rows[(claimed.channel_id, "unpublished")].thread_ts == "1.1"
    with session_factory.begin() as session:
        # Unpublishing twice changes nothing; cancelled alerts are not "dead".
        assert unpublish_article(article_id, session=session, now=T0).edited_channels == ()
        assert retry_dead_deliveries(session=session) == 0
    sent = send_all(session_factory, T0 + timedelta(seconds=5))
    assert [(d.channel_id, d.kind) for d in sent] == [(claimed.channel_id, "unpublished")]
    with session_factory.begin() as session:
        back = publish_article(article_id, session=session, aliases=ALIASES, now=T0)
        # The cancelled alert comes back; the edited one gets "Published again".
        assert back.channels == (other,)
        assert back.republished_channels == (claimed.channel_id,)
    sent = send_all(session_factory, T0 + timedelta(seconds=10))
    assert sorted((d.channel_id, d.kind, d.restore_alert) for d in sent) == sorted(
        [(other, "alert", False), (claimed.channel_id, "update", True)]
    )


def test_alert_sent_while_story_was_unpublished_gets_edited(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        follow(session, "C1")
        article_id = add_story(session).id
        publish_article(article_id, session=session, aliases=ALIASES, now=T0)
    with session_factory.begin() as session:
        [claimed] = claim_deliveries(session=session, worker_id="w", now=T0)
    with session_factory.begin() as session:
        assert unpublish_article(article_id, session=session, now=T0).cancelled == 0
    with session_factory.begin() as session:
        assert mark_delivery_sent(claimed.id, "9.9", session=session, worker_id="w", now=T0)
        kinds = [(d.kind, d.state, d.thread_ts) for d in deliveries(session)]
    assert kinds == [("alert", "sent", None), ("unpublished", "pending", "9.9")]


def test_one_message_per_channel_per_second(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        follow(session, "C1", "C2")
        ids = [add_story(session, content_hash=f"h{n}").id for n in range(3)]
        for article_id in ids:
            publish_article(article_id, session=session, aliases=ALIASES, now=T0)
    with session_factory.begin() as session:
        batch = claim_deliveries(session=session, worker_id="w", now=T0, limit=10)
        assert sorted(d.channel_id for d in batch) == ["C1", "C2"]
        # While those are in flight, nothing more for either channel.
        assert claim_deliveries(session=session, worker_id="w2", now=T0, limit=10) == []
        for delivery in batch:
            mark_delivery_sent(delivery.id, "ts", session=session, worker_id="w", now=T0)
    with session_factory.begin() as session:
        soon = T0 + timedelta(milliseconds=500)
        assert claim_deliveries(session=session, worker_id="w", now=soon, limit=10) == []
        assert (
            claim_deliveries(
                session=session,
                worker_id="w",
                now=T0 + timedelta(seconds=1, milliseconds=1),
                paced_channels={"C1"},
            )[0].channel_id
            == "C2"
        )


def test_over_budget_alerts_roll_into_one_digest(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        follow(session, "C1")
        set_alert_budget("C1", 2, session=session)
        ids = [add_story(session, content_hash=f"h{n}").id for n in range(5)]
        for article_id in ids:
            publish_article(article_id, session=session, aliases=ALIASES, now=T0)
    sent = send_all(session_factory, T0)
    assert [d.article_id for d in sent] == ids[:2]
    with session_factory.begin() as session:
        assert alerts_sent_since("C1", T0 - timedelta(hours=1), session=session) == 2
        assert delivery_counts(session=session) == {"sent": 2, "digested": 3}
        window_end = T0 + timedelta(hours=1)
        assert pending_digest("C1", window_end - timedelta(seconds=1), session=session) == []
        assert pending_digest("C1", window_end, session=session) == ids[2:]
        assert roll_up_digests(session=session, now=T0 + timedelta(minutes=59)) == []
        [digest_id] = roll_up_digests(session=session, now=window_end)
        assert roll_up_digests(session=session, now=window_end) == []
    [digest] = send_all(session_factory, window_end)
    assert (digest.id, digest.kind, digest.article_ids) == (digest_id, "digest", tuple(ids[2:]))


def test_a_channel_with_no_budget_set_uses_the_default(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        follow(session, "C1")
        article_id = add_story(session).id
        publish_article(article_id, session=session, aliases=ALIASES, now=T0)
    with session_factory.begin() as session:
        assert (
            claim_deliveries(session=session, worker_id="w", now=T0, default_alerts_per_hour=0)
            == []
        )
        assert delivery_counts(session=session) == {"digested": 1}


def test_failures_back_off_then_die_and_can_be_retried(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        follow(session, "C1")
        publish_article(add_story(session).id, session=session, aliases=ALIASES, now=T0)
    now = T0
    states = []
    for _ in range(3):
        with session_factory.begin() as session:
            [claimed] = claim_deliveries(session=session, worker_id="w", now=now)
            states.append(
                mark_delivery_failed(
                    claimed.id,
                    "ratelimited",
                    retry_in=timedelta(seconds=30),
                    max_attempts=3,
                    session=session,
                    worker_id="w",
                    now=now,
                )
            )
            # Not due again before retry_in.
            assert (
                claim_deliveries(session=session, worker_id="w", now=now + timedelta(seconds=29))
                == []
            )
        now += timedelta(seconds=30)
    assert states == ["pending", "pending", "dead"]
    with session_factory.begin() as session:
        assert recent_delivery_errors(session=session)[0][:3] == ("C1", "alert", "ratelimited")
        assert retry_dead_deliveries(session=session, now=now) == 1
        [claimed] = claim_deliveries(session=session, worker_id="w", now=now)
        assert claimed.attempts == 1
        # A 429 does not use up an attempt.
        mark_delivery_failed(
            claimed.id,
            "429",
            retry_in=timedelta(seconds=1),
            max_attempts=1,
            session=session,
            worker_id="w",
            now=now,
            count_attempt=False,
        )
        assert delivery_counts(session=session) == {"pending": 1}


def test_expired_lease_is_claimed_again_and_the_old_worker_is_refused(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        follow(session, "C1")
        publish_article(add_story(session).id, session=session, aliases=ALIASES, now=T0)
    with session_factory.begin() as session:
        [first] = claim_deliveries(
            session=session, worker_id="dead", now=T0, lease=timedelta(seconds=10)
        )
    later = T0 + timedelta(seconds=11)
    with session_factory.begin() as session:
        [again] = claim_deliveries(session=session, worker_id="alive", now=later)
        assert (again.id, again.attempts) == (first.id, 2)
        assert not mark_delivery_sent(first.id, "x", session=session, worker_id="dead", now=later)
        assert (
            mark_delivery_failed(first.id, "x", retry_in=None, session=session, worker_id="dead")
            == "lost"
        )
        assert mark_delivery_sent(again.id, "y", session=session, worker_id="alive", now=later)


def test_concurrent_workers_never_share_a_delivery(session_factory: SessionFactory) -> None:
    channels = [f"C{n}" for n in range(6)]
    with session_factory.begin() as session:
        follow(session, *channels)
        for n in range(5):
            publish_article(
                add_story(session, content_hash=f"h{n}").id,
                session=session,
                aliases=ALIASES,
                now=T0,
            )
    taken: list[int] = []
    lock = threading.Lock()
    clock = {"now": T0}

    def work(worker_id: str) -> None:
        idle = 0
        while idle < 30:
            with lock:
                now = clock["now"]
            with session_factory.begin() as session:
                claimed = claim_deliveries(session=session, worker_id=worker_id, now=now, limit=3)
            with lock:
                taken.extend(d.id for d in claimed)
            for delivery in claimed:
                with session_factory.begin() as session:
                    assert mark_delivery_sent(
                        delivery.id, "ts", session=session, worker_id=worker_id, now=now
                    )
            with lock:
                clock["now"] += timedelta(milliseconds=300)
            idle = 0 if claimed else idle + 1

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(set(taken))
    assert len(taken) == 30
    with session_factory() as session:
        assert delivery_counts(session=session) == {"sent": 30}
        # Pacing held: per channel, sends are at least a second apart.
        for channel in channels:
            times = sorted(
                d.sent_at for d in deliveries(session) if d.channel_id == channel and d.sent_at
            )
            assert all(b - a >= timedelta(seconds=1) for a, b in itertools.pairwise(times))
