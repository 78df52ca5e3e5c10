"""Feeds on both engines: adding, claiming for a poll, health and backoff, entries seen."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from news.errors import NewsdeskError
from storage.database import SessionFactory
from storage.feeds import (
    MAX_BACKOFF,
    add_feed,
    backoff_delay,
    claim_due_feeds,
    entry_article_id,
    link_entry_to_article,
    list_feeds,
    mark_initialised,
    record_not_modified,
    record_poll_failure,
    record_poll_success,
    remember_entries,
    remove_feed,
)
from storage.models import Article, utc_now

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=utc_now().tzinfo)
FEED = "https://News.Example.com/feed.xml?utm_source=x"


def test_add_list_and_remove(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        feed, created = add_feed(FEED, added_by="U1", session=session, now=T0)
        assert created
        assert feed.url == "https://news.example.com/feed.xml"
        again, created = add_feed(
            "<https://news.example.com/feed.xml>", added_by="U2", session=session
        )
        assert (again.id, created) == (feed.id, False)
        add_feed("https://other.example.org/atom", added_by="U1", session=session, now=T0)
    with session_factory.begin() as session:
        [first, second] = list_feeds(session=session)
        assert (first.url, first.added_by, first.next_poll_at, first.healthy) == (
            "https://news.example.com/feed.xml",
            "U1",
            T0,
            True,
        )
        assert remove_feed(f"#{first.id}", session=session)
        assert remove_feed("https://other.example.org/atom", session=session)
        assert not remove_feed(str(second.id), session=session)
        assert list_feeds(session=session) == []


def test_add_feed_refuses_what_is_not_a_web_address(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        for bad in ("ftp://example.com/feed", "not a url"):
            with pytest.raises(NewsdeskError) as raised:
                add_feed(bad, added_by="U1", session=session)
            assert "\n" not in raised.value.reason
        with pytest.raises(NewsdeskError, match="once a minute"):
            add_feed(FEED, added_by="U1", session=session, poll_interval=timedelta(seconds=5))


def test_claim_pushes_the_next_poll_forward(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        feed_id = add_feed(FEED, added_by="U1", session=session, now=T0)[0].id
    with session_factory.begin() as session:
        [feed] = claim_due_feeds(session=session, now=T0)
        assert feed.id == feed_id
        assert claim_due_feeds(session=session, now=T0 + timedelta(minutes=4)) == []
    with session_factory.begin() as session:
        # A poller that died: the feed is due again once the lease ran out.
        [feed] = claim_due_feeds(session=session, now=T0 + timedelta(minutes=5))
        record_poll_success(
            feed.id,
            etag='"v1"',
            last_modified="Mon, 02 Mar 2026 09:00:00 GMT",
            title="  Example   News ",
            session=session,
            now=T0 + timedelta(minutes=5),
        )
    with session_factory.begin() as session:
        [health] = list_feeds(session=session)
        assert (health.title, health.last_success_at) == ("Example News", T0 + timedelta(minutes=5))
        assert health.next_poll_at == T0 + timedelta(minutes=20)
        assert claim_due_feeds(session=session, now=T0 + timedelta(minutes=19)) == []
        [feed] = claim_due_feeds(session=session, now=T0 + timedelta(minutes=20))
        assert (feed.etag, feed.last_modified) == ('"v1"', "Mon, 02 Mar 2026 09:00:00 GMT")


def test_failures_back_off_exponentially_and_success_resets(
    session_factory: SessionFactory,
) -> None:
    with session_factory.begin() as session:
        feed_id = add_feed(FEED, added_by="U1", session=session, now=T0)[0].id
    delays = []
    for _ in range(3):
        with session_factory.begin() as session:
            next_poll = record_poll_failure(
                feed_id, "HTTP 503\nfrom server", session=session, now=T0
            )
            assert next_poll is not None
            delays.append(next_poll - T0)
    assert delays == [timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=60)]
    with session_factory.begin() as session:
        [health] = list_feeds(session=session)
        assert (health.consecutive_failures, health.last_error, health.healthy) == (
            3,
            "HTTP 503 from server",
            False,
        )
        record_not_modified(feed_id, session=session, now=T0)
        [health] = list_feeds(session=session)
        assert health.consecutive_failures == 0
        assert health.last_error == "HTTP 503 from server"  # kept for the health view
        assert record_poll_failure(10_000, "gone", session=session) is None
    assert backoff_delay(900, 30) == MAX_BACKOFF
    assert backoff_delay(60 * 60 * 24, 3) == timedelta(days=1)


def test_entries_are_new_once_per_feed(session_factory: SessionFactory) -> None:
    long_key = "https://news.example.com/" + "a" * 600
    with session_factory.begin() as session:
        feed_id = add_feed(FEED, added_by="U1", session=session)[0].id
        other_id = add_feed("https://other.example.org/rss", added_by="U1", session=session)[0].id
        first = remember_entries(
            feed_id,
            [
                ("guid-1", "https://x/1"),
                ("guid-2", None),
                ("guid-1", "https://x/1"),
                (long_key, None),
            ],
            session=session,
        )
        assert first == ["guid-1", "guid-2", long_key]
        assert mark_initialised(feed_id, session=session)
    with session_factory.begin() as session:
        assert remember_entries(
            feed_id, [("guid-2", None), ("guid-3", None), (long_key, None)], session=session
        ) == ["guid-3"]
        # Another feed with the same entry is a different entry.
        assert remember_entries(other_id, [("guid-1", None)], session=session) == ["guid-1"]
        article = Article(headline="h", body="b", content_hash="c")
        session.add(article)
        session.flush()
        assert link_entry_to_article(feed_id, long_key, article.id, session=session)
        assert not link_entry_to_article(feed_id, "unknown", article.id, session=session)
    with session_factory.begin() as session:
        assert entry_article_id(feed_id, long_key, session=session) == article.id
        assert entry_article_id(feed_id, "guid-1", session=session) is None
        health = {feed.id: feed for feed in list_feeds(session=session)}
        assert (health[feed_id].entries_seen, health[feed_id].initialised) == (4, True)
        assert remove_feed(feed_id, session=session)
        assert remember_entries(other_id, [("guid-1", None)], session=session) == []


def test_concurrent_pollers_never_take_the_same_feed(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        for number in range(20):
            add_feed(f"https://feeds.example.com/{number}", added_by="U1", session=session, now=T0)
    taken: list[int] = []
    lock = threading.Lock()

    def poll() -> None:
        while True:
            with session_factory.begin() as session:
                feeds = claim_due_feeds(session=session, now=T0, limit=2)
                ids = [feed.id for feed in feeds]
            if not ids:
                return
            with lock:
                taken.extend(ids)

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(set(taken))
    assert len(taken) == 20
