"""The feed poller's thread, and the local deployment polling feeds on demand (what a poll
does is tested in tests/storage/test_feed_polls.py)."""

from __future__ import annotations

import threading

from bot.feed_poller import FeedPoller
from bot.local import LocalDeployment
from storage.feeds import add_feed
from tests.pageserver import PageServer
from tests.storage.test_feed_polls import Desk, desk, feed_settings, localize

__all__ = ["desk"]  # the fixture used below


def test_the_poller_thread_polls_until_stopped(desk: Desk) -> None:
    desk.pages.add(
        "/nbc.xml",
        localize("rss_2.0_nbcny.xml", ["www.nbcnewyork.com"], desk.pages.base_url),
        content_type="application/rss+xml",
    )
    feed_id = desk.add_feed("/nbc.xml")
    poller = FeedPoller(desk.services, desk.fetcher, interval=0.05).start()
    done = threading.Event()
    try:
        for _ in range(200):
            if desk.health(feed_id).initialised:
                done.set()
                break
            done.wait(0.05)
    finally:
        poller.stop()
    assert done.is_set()
    assert len(desk.pages.requests_to("/nbc.xml")) == 1


def test_the_local_deployment_polls_feeds_on_demand(database_url: str) -> None:
    with PageServer() as pages, LocalDeployment(feed_settings(database_url)) as local:
        pages.add(
            "/nbc.xml",
            localize("rss_2.0_nbcny.xml", ["www.nbcnewyork.com"], pages.base_url),
            content_type="application/rss+xml",
        )
        assert local.services is not None
        with local.services.session_factory.begin() as session:
            add_feed(pages.url("/nbc.xml"), added_by="U1", session=session)
        [result] = local.poll_feeds_once().feeds
        assert (result.status, result.first_poll, result.recorded) == ("ok", True, 1)
        assert local.poll_feeds_once().feeds == ()
