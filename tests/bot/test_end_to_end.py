"""The real app over signed HTTP, driven through the local Slack stand-in, on both engines."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from bot.local import LocalDeployment
from storage.articles import count_articles
from tests.articles import add_article
from tests.pageserver import PageServer


def bot_replies(local: LocalDeployment, channel: str, ts: str) -> list[dict[str, Any]]:
    return [m for m in local.slack.replies(channel, ts) if m.get("ts") != ts]


def test_shared_link_gets_card_in_thread_reaction_and_is_stored(
    local: LocalDeployment, pages: PageServer
) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    sent = slack.post_message(ana, world, f"worth a read {url}")
    assert sent.status == 200
    assert local.wait_until_idle()
    [reply] = bot_replies(local, world, sent.ts)
    assert "Grain crossing to reopen" in json.dumps(reply["blocks"])
    assert reply["text"]
    assert "newspaper" in slack.reactions(world, sent.ts)
    assert local.services is not None
    with local.services.session_factory() as session:
        assert count_articles(session=session) == 1


def test_second_share_says_already_archived_without_refetch(
    local: LocalDeployment, pages: PageServer
) -> None:
    slack = local.slack
    ana, ben = slack.add_user("ana"), slack.add_user("ben")
    world = slack.add_channel("world", members=[ana, ben, slack.bot_user_id])
    desk = slack.add_channel("desk", members=[ben, slack.bot_user_id])
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    slack.post_message(ana, world, url)
    assert local.wait_until_idle()
    again = slack.post_message(ben, desk, url)
    assert local.wait_until_idle()
    [reply] = bot_replies(local, desk, again.ts)
    text = json.dumps(reply["blocks"])
    assert "Already in the archive" in text
    assert f"<@{ana}>" in text
    assert len(pages.requests_to("/grain")) == 1


def test_retried_and_duplicated_events_reply_once(
    local: LocalDeployment, pages: PageServer
) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    sent = slack.post_message(ana, world, url)
    event = sent.deliveries[0].payload
    for retry in (1, 2, 3):
        retried = slack.send_event(event["event"], event_id=event["event_id"], retry_num=retry)
        assert retried.status == 200
    # The same message delivered under a new event id (a duplicate delivery) is deduped too.
    assert slack.send_event(event["event"]).status == 200
    assert local.wait_until_idle()
    assert len(bot_replies(local, world, sent.ts)) == 1
    assert len(pages.requests_to("/grain")) == 1


def test_failures_get_a_reason_in_thread(local: LocalDeployment, pages: PageServer) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    pages.add("/report.pdf", b"%PDF-1.4", content_type="application/pdf")
    cases = {
        "http://10.0.0.5/secret": "private address",
        pages.url("/report.pdf"): "not an article",
        pages.url("/missing"): "404",
    }
    sent = {url: slack.post_message(ana, world, url) for url in cases}
    assert local.wait_until_idle()
    for url, reason in cases.items():
        [reply] = bot_replies(local, world, sent[url].ts)
        assert reason in reply["text"] or reason in json.dumps(reply["blocks"])


def test_question_by_mention_and_dm(local: LocalDeployment, pages: PageServer) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    slack.post_message(ana, world, url)
    assert local.wait_until_idle()
    asked = slack.post_message(ana, world, f"<@{slack.bot_user_id}> latest on Kyiv", raw=True)
    assert local.wait_until_idle()
    [answer] = bot_replies(local, world, asked.ts)
    assert "Grain crossing to reopen" in json.dumps(answer["blocks"])
    dm = slack.open_dm(ana)
    nothing = slack.post_message(ana, dm, "latest on volcanoes")
    assert local.wait_until_idle()
    [empty] = bot_replies(local, dm, nothing.ts)
    assert "Nothing on" in empty["text"]


def test_private_story_is_not_shown_elsewhere(local: LocalDeployment, pages: PageServer) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    secret = slack.add_channel("investigations", is_private=True, members=[ana, slack.bot_user_id])
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    slack.post_message(ana, secret, url)
    assert local.wait_until_idle()
    inside = slack.post_message(ana, secret, f"<@{slack.bot_user_id}> latest on Ukraine", raw=True)
    outside = slack.post_message(ana, world, f"<@{slack.bot_user_id}> latest on Ukraine", raw=True)
    assert local.wait_until_idle()
    assert "Grain crossing" in json.dumps(bot_replies(local, secret, inside.ts))
    assert "Grain crossing" not in json.dumps(bot_replies(local, world, outside.ts))


def test_bad_or_stale_signature_is_refused_and_nothing_stored(local: LocalDeployment) -> None:
    slack = local.slack
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "EvForged",
            "event": {
                "type": "message",
                "channel": "C1",
                "user": "U1",
                "ts": "1.0",
                "text": "<https://example.com/x>",
                "channel_type": "channel",
            },
        }
    ).encode()
    stale = slack.sign_request(body, timestamp=int(time.time()) - 600)
    wrong = {**slack.sign_request(body), "X-Slack-Signature": "v0=" + "0" * 64}
    for headers in (stale, wrong, {}):
        response = httpx.post(
            f"{local.url}/slack/events",
            content=body,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 401
    assert local.services is not None
    from storage.queue import count_jobs_by_state

    with local.services.session_factory() as session:
        assert count_jobs_by_state(session=session) == {}


def test_health_endpoint_checks_the_database(local: LocalDeployment) -> None:
    response = httpx.get(f"{local.url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "database": "ok"}


def test_clicking_a_link_button_is_acknowledged(local: LocalDeployment, pages: PageServer) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    sent = slack.post_message(ana, world, url)
    assert local.wait_until_idle()
    [card] = bot_replies(local, world, sent.ts)
    card = {**card, "channel": world}
    assert slack.click(ana, card, "open_story").status == 200


def test_reply_whose_answer_was_lost_is_not_posted_twice(
    local: LocalDeployment, pages: PageServer
) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    # Slack posts the card but the answer never arrives: the job fails and is retried.
    fault = slack.inject_fault("chat.postMessage", kind="timeout", times=1)
    sent = slack.post_message(ana, world, url)
    assert local.wait_until_idle(timeout=30)
    assert fault.triggered == 1
    assert len(bot_replies(local, world, sent.ts)) == 1
    assert "newspaper" in slack.reactions(world, sent.ts)
