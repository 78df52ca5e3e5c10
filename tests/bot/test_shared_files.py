"""Files shared in Slack are downloaded with the bot token, read and archived, or answered
with the reason; the real app over signed HTTP through the stand-in, on both engines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.local import LocalDeployment
from bot.settings import Settings
from storage.articles import count_articles
from storage.models import Article, Share
from tests.bot.test_cli_documents import REPORT
from tests.documents import (
    encrypt_pdf,
    make_docx,
    make_docx_bomb,
    make_pdf,
    wire_copy_paragraphs,
)


@pytest.fixture
def local(database_url: str) -> Iterator[LocalDeployment]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg, unused-ignore]
        database_url=database_url,
        fetch_total_timeout=5,
        fetch_max_bytes=2_000_000,
        worker_threads=2,
    )
    with LocalDeployment(settings) as deployment:
        yield deployment


def replies(local: LocalDeployment, channel: str, ts: str) -> list[dict[str, Any]]:
    return [m for m in local.slack.replies(channel, ts) if m.get("ts") != ts]


def reply_text(local: LocalDeployment, channel: str, ts: str) -> str:
    [reply] = replies(local, channel, ts)
    return str(reply["text"]) + json.dumps(reply.get("blocks", []))


def stories(local: LocalDeployment) -> int:
    assert local.services is not None
    with local.services.session_factory() as session:
        return count_articles(session=session)


def test_docx_and_pdf_shared_in_a_channel_are_archived_and_answer_questions(
    local: LocalDeployment,
) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    wire = slack.upload_file(ana, world, "grain.docx", make_docx(wire_copy_paragraphs()))
    report = slack.upload_file(ana, world, "energy.pdf", make_pdf(REPORT), comment="the report")
    assert wire.status == 200
    assert report.status == 200
    assert local.wait_until_idle()
    assert "Ukraine and Poland agree to reopen" in reply_text(local, world, wire.ts)
    assert "repairs to grid" in reply_text(local, world, report.ts)
    assert "newspaper" in slack.reactions(world, wire.ts)
    assert stories(local) == 2
    # Both were read through files.info and downloaded with the bot's token.
    assert [c.arguments["file"] for c in slack.calls("files.info")] == [
        wire.event["files"][0]["id"],
        report.event["files"][0]["id"],
    ]
    assert all(authorised for _, authorised in slack.files.downloads)

    asked = slack.post_message(ana, world, f"<@{slack.bot_user_id}> latest on Ukraine", raw=True)
    assert local.wait_until_idle()
    answer = reply_text(local, world, asked.ts)
    assert "Dorohusk" in answer
    assert "grid" in answer


def test_the_same_file_shared_again_is_recognised(local: LocalDeployment) -> None:
    slack = local.slack
    ana, ben = slack.add_user("ana"), slack.add_user("ben")
    world = slack.add_channel("world", members=[ana, ben, slack.bot_user_id])
    data = make_docx(wire_copy_paragraphs())
    slack.upload_file(ana, world, "grain.docx", data)
    assert local.wait_until_idle()
    again = slack.upload_file(ben, world, "grain-copy.docx", data)
    assert local.wait_until_idle()
    assert "Already in the archive" in reply_text(local, world, again.ts)
    assert stories(local) == 1


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("huge.pdf", make_pdf(["x " * 40] * 2) + b"%" * 2_100_000, "larger than 2 MB"),
        ("secret.pdf", encrypt_pdf(make_pdf(REPORT), user_password="pw"), "password-protected"),
        ("scan.pdf", make_pdf(REPORT, with_text=False), "no text layer"),
        ("bomb.docx", make_docx_bomb(), "zip bomb"),
        ("page.pdf", b"<!doctype html><html><body>Sign in</body></html>", "not a real PDF"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(100), "an image file"),
        ("budget.xlsx", b"PK\x03\x04" + bytes(100), "not a kind newsdesk reads"),
    ],
)
def test_bad_files_get_a_one_line_reason_and_store_nothing(
    local: LocalDeployment, name: str, content: bytes, reason: str
) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    sent = slack.upload_file(ana, world, name, content)
    assert local.wait_until_idle()
    [reply] = replies(local, world, sent.ts)
    assert "Couldn't archive that file" in reply["text"]
    assert reason in reply["text"]
    assert "\n" not in reply["text"]
    assert stories(local) == 0


def test_file_shared_in_a_dm_stays_private(local: LocalDeployment) -> None:
    slack = local.slack
    ana, ben = slack.add_user("ana"), slack.add_user("ben")
    dm = slack.open_dm(ana)
    world = slack.add_channel("world", members=[ana, ben, slack.bot_user_id])
    sent = slack.upload_file(ana, dm, "grain.docx", make_docx(wire_copy_paragraphs()))
    assert local.wait_until_idle()
    assert "Ukraine and Poland agree" in reply_text(local, dm, sent.ts)
    assert local.services is not None
    with local.services.session_factory() as session:
        [share] = session.scalars(select(Share)).all()
        assert share.is_private
        [article] = session.scalars(select(Article)).all()
        assert not article.is_public
    asked = slack.post_message(ben, world, f"<@{slack.bot_user_id}> latest on Ukraine", raw=True)
    assert local.wait_until_idle()
    assert "Dorohusk" not in reply_text(local, world, asked.ts)


def test_file_in_a_thread_is_answered_in_that_thread(local: LocalDeployment) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    parent = slack.post_message(ana, world, "copy coming up")
    assert local.wait_until_idle()
    sent = slack.upload_file(
        ana, world, "grain.docx", make_docx(wire_copy_paragraphs()), thread_ts=parent.ts
    )
    assert local.wait_until_idle()
    thread = [m for m in slack.replies(world, parent.ts) if m.get("bot_id")]
    assert len(thread) == 1
    assert "Ukraine and Poland agree" in json.dumps(thread[0]["blocks"])
    assert sent.event["thread_ts"] == parent.ts


def test_download_without_the_token_is_refused_by_the_stand_in(local: LocalDeployment) -> None:
    import httpx

    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana], bot_is_member=False)
    sent = slack.upload_file(ana, world, "grain.docx", make_docx(wire_copy_paragraphs()))
    url = sent.event["files"][0]["url_private_download"]
    assert httpx.get(url).status_code == 302
    wrong = httpx.get(url, headers={"Authorization": "Bearer xoxb-wrong"})
    assert wrong.status_code == 302
    right = httpx.get(url, headers={"Authorization": f"Bearer {slack.bot_token}"})
    assert right.status_code == 200
    assert right.content.startswith(b"PK")
    # files.info does not show a file shared only where the bot is not.
    client = httpx.post(
        f"{slack.api_url}files.info",
        data={"file": sent.event["files"][0]["id"]},
        headers={"Authorization": f"Bearer {slack.bot_token}"},
    )
    assert client.json() == {"ok": False, "error": "file_not_found"}
    assert stories(local) == 0
