"""The "Save to newsdesk" message shortcut, through the stand-in, on both engines."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.local import LocalDeployment
from handlers.shortcuts import SAVE_SHORTCUT
from storage.articles import count_articles
from storage.models import Share
from tests.articles import add_article
from tests.documents import make_docx, wire_copy_paragraphs
from tests.pageserver import PageServer

WIRE = "\n\n".join(wire_copy_paragraphs())


def stories(local: LocalDeployment) -> int:
    assert local.services is not None
    with local.services.session_factory() as session:
        return count_articles(session=session)


def test_saving_a_colleagues_message_with_a_link_answers_only_the_saver(
    local: LocalDeployment, pages: PageServer
) -> None:
    slack = local.slack
    ana, ben = slack.add_user("ana"), slack.add_user("ben")
    # The bot is not in #desk: it never heard the message, the shortcut brings it.
    desk = slack.add_channel("desk", members=[ana, ben], bot_is_member=False)
    url = add_article(pages, "/grain", "Grain crossing to reopen")
    sent = slack.post_message(ana, desk, f"have a look {url}")
    assert sent.deliveries == ()
    delivery = slack.message_shortcut(ben, desk, sent.ts, SAVE_SHORTCUT)
    assert delivery.status == 200
    assert local.wait_until_idle()
    # Not in the channel, the ephemeral fails with not_in_channel: ben gets a DM.
    dm = slack.open_dm(ben)
    [answer] = [m for m in slack.messages(dm) if m.get("bot_id")]
    assert "Saved 1 story to newsdesk" in answer["text"]
    assert "Grain crossing to reopen" in json.dumps(answer["blocks"])
    assert [m for m in slack.messages(desk) if m.get("bot_id")] == []  # nothing public
    assert local.services is not None
    with local.services.session_factory() as session:
        [share] = session.scalars(select(Share)).all()
        assert (share.user_id, share.channel_id, share.message_ts) == (ben, desk, sent.ts)


def test_saving_pasted_copy_and_a_file(local: LocalDeployment) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana])
    pasted = slack.post_message(ana, world, WIRE)
    assert local.wait_until_idle()
    slack.message_shortcut(ana, world, pasted.ts, SAVE_SHORTCUT)
    assert local.wait_until_idle()
    [answer] = slack.ephemeral(ana)
    assert "Saved 1 story" in answer["text"]
    assert "Ukraine and Poland agree" in json.dumps(answer["blocks"])

    shared = slack.upload_file(ana, world, "grain.docx", make_docx(wire_copy_paragraphs()))
    assert local.wait_until_idle()
    slack.message_shortcut(ana, world, shared.ts, SAVE_SHORTCUT)
    assert local.wait_until_idle()
    second = slack.ephemeral(ana)[-1]
    assert "Saved 1 story" in second["text"]
    assert "Already in the archive" in json.dumps(second["blocks"])
    assert stories(local) == 1


def test_a_message_with_nothing_to_save_gets_the_reason(local: LocalDeployment) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana])
    sent = slack.post_message(ana, world, "lunch?")
    assert local.wait_until_idle()
    slack.message_shortcut(ana, world, sent.ts, SAVE_SHORTCUT)
    assert local.wait_until_idle()
    [answer] = slack.ephemeral(ana)
    assert answer["text"].startswith("Couldn't save: the message has no link, file or story text")
    assert stories(local) == 0
