"""The assistant panel through the stand-in: prompts from the archive, answers in the thread
with the same search and cards, a status while working; on both engines."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.local import LocalDeployment
from storage.models import Article
from tests.articles import add_article
from tests.pageserver import PageServer

LEAK = """<!doctype html><html lang="en"><head><title>Port bribery inquiry {number}</title>
<link rel="canonical" href="{url}"></head><body><article><h1>Port bribery inquiry {number}</h1>
<p>Prosecutors in Odesa opened an inquiry on Tuesday into bribes said to have been paid to port
officials by shipping agents, the regional prosecutor's office said in a statement.</p>
<p>The Odesa inquiry covers contracts signed over three years, and investigators searched the
offices of two shipping agents and the port authority, according to the statement.</p>
</article></body></html>"""


def thread_replies(local: LocalDeployment, channel: str, ts: str) -> list[dict[str, Any]]:
    return [m for m in local.slack.replies(channel, ts) if m.get("bot_id") and m["ts"] != ts]


def test_assistant_thread_gets_prompts_from_the_archive_and_answers_with_cards(
    local: LocalDeployment, pages: PageServer
) -> None:
    slack = local.slack
    ana, ben = slack.add_user("ana"), slack.add_user("ben")
    world = slack.add_channel("world", members=[ana, ben])
    secret = slack.add_channel("investigations", is_private=True, members=[ana])
    slack.post_message(ana, world, add_article(pages, "/grain", "Grain crossing to reopen"))
    slack.post_message(ana, world, add_article(pages, "/grain2", "Ukraine grain exports rise"))
    for number in range(3):
        path = f"/leak{number}"
        pages.add(path, LEAK.format(number=number, url=pages.url(path)), content_type="text/html")
        slack.post_message(ana, secret, pages.url(path))
    assert local.wait_until_idle()
    assert local.services is not None
    with local.services.session_factory() as session:
        articles = session.scalars(select(Article)).all()
        public = [set(a.topics) for a in articles if a.is_public]
        private_only = set().union(*(a.topics for a in articles if not a.is_public)) - set().union(
            *public
        )
    assert len(public) == 2
    assert private_only  # the private stories have topics of their own, three times over

    dm, thread = slack.open_assistant_thread(ben, context_channel=world)
    assert local.wait_until_idle()
    state = slack.assistant.threads[(dm, thread)]
    titles = [prompt["title"] for prompt in state.prompts]
    topic = titles[0].removeprefix("Latest on ")
    assert all(topic in topics for topics in public)
    assert topic not in private_only  # suggestions never come from private stories
    assert "Stories by Ana Lima" in titles
    assert "What did we publish today?" in titles
    [greeting] = thread_replies(local, dm, thread)
    assert "Ask me about the archive" in greeting["text"]

    asked = slack.ask_in_assistant_thread(ben, dm, thread, state.prompts[0]["message"])
    assert asked.status == 200
    assert local.wait_until_idle()
    assert state.statuses == ["is searching the archive…"]
    answer = thread_replies(local, dm, thread)[-1]
    shown = json.dumps(answer["blocks"])
    assert "Grain crossing to reopen" in shown
    assert "Ukraine grain exports rise" in shown
    assert "port bribes" not in shown  # private to #investigations
    # The question went to the assistant, not to the plain DM path: one answer only.
    assert len(thread_replies(local, dm, thread)) == 2


def test_a_link_posted_in_the_assistant_thread_is_archived(
    local: LocalDeployment, pages: PageServer
) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    dm, thread = slack.open_assistant_thread(ana)
    assert local.wait_until_idle()
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    sent = slack.ask_in_assistant_thread(ana, dm, thread, f"save this {url}")
    assert local.wait_until_idle()
    card = thread_replies(local, dm, thread)[-1]
    assert "Grain crossing to reopen" in json.dumps(card["blocks"])
    assert sent.event["thread_ts"] == thread


def test_an_empty_archive_still_suggests_prompts(local: LocalDeployment) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    dm, thread = slack.open_assistant_thread(ana)
    assert local.wait_until_idle()
    titles = [prompt["title"] for prompt in slack.assistant.threads[(dm, thread)].prompts]
    assert titles == ["What did we publish today?", "This week's stories"]


def test_a_file_posted_in_the_assistant_thread_is_archived_privately(
    local: LocalDeployment,
) -> None:
    from tests.documents import make_docx, wire_copy_paragraphs

    slack = local.slack
    ana = slack.add_user("ana")
    dm, thread = slack.open_assistant_thread(ana)
    assert local.wait_until_idle()
    slack.upload_file(ana, dm, "grain.docx", make_docx(wire_copy_paragraphs()), thread_ts=thread)
    assert local.wait_until_idle()
    card = thread_replies(local, dm, thread)[-1]
    assert "Ukraine and Poland agree" in json.dumps(card["blocks"])
    assert local.services is not None
    with local.services.session_factory() as session:
        [article] = session.scalars(select(Article)).all()
        assert not article.is_public
