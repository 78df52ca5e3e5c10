"""``/news submit`` with a file attached (``file_input``): long copy beyond the 3,000 characters
a Slack text input takes, read with the form's headline, desk and topics; bad files refused."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Article, Job
from tests.bot.test_news_command import Newsroom, newsroom, open_submit_modal
from tests.documents import encrypt_pdf, make_docx, make_pdf, wire_copy_paragraphs

__all__ = ["newsroom"]  # the fixture used below

LONG_REPORT = [
    "Published: 20 March 2025",
    *(
        f"Section {n}: the ministry said grain exports through the Danube ports rose again, "
        "with barges loading around the clock and inspections moved inland to speed them up."
        for n in range(40)
    ),
]


def test_a_long_docx_is_archived_with_the_forms_fields(newsroom: Newsroom) -> None:
    room = newsroom
    data = make_docx(LONG_REPORT)
    assert sum(len(p) for p in LONG_REPORT) > 3_000
    attached = room.slack.attach_to_form(room.reporter, "danube.docx", data)
    modal = open_submit_modal(room, room.reporter, room.world)
    answer = room.slack.submit_view(
        room.reporter,
        modal["id"],
        {"file": [attached], "headline": "Danube grain exports rise", "desk": "Business"},
    )
    assert answer.json() == {"response_action": "clear"}
    assert room.local.wait_until_idle()
    reply = room.slack.ephemeral(room.reporter)[-1]
    assert "Archived #1 “Danube grain exports rise” as a draft." in reply["text"]
    with room.services.session_factory() as session:
        [article] = session.scalars(select(Article)).all()
        assert article.section == "Business"
        assert article.body.count("\n\n") == 39  # every paragraph kept
        [share] = article.shares
        assert (share.user_id, share.channel_id) == (room.reporter, room.world)


def test_an_editor_publishes_a_pdf_of_wire_copy(newsroom: Newsroom) -> None:
    room = newsroom
    attached = room.slack.attach_to_form(room.editor, "grain.pdf", make_pdf(wire_copy_paragraphs()))
    modal = open_submit_modal(room, room.editor, room.desk)
    room.slack.submit_view(room.editor, modal["id"], {"file": [attached], "status": "published"})
    assert room.local.wait_until_idle()
    reply = room.slack.ephemeral(room.editor)[-1]
    assert "and published it" in reply["text"]
    with room.services.session_factory() as session:
        [article] = session.scalars(select(Article)).all()
        assert article.status == "published"
        assert article.outlet == "The Harbour Gazette"


def test_bad_attachments_are_refused_in_the_field_or_with_the_reason(newsroom: Newsroom) -> None:
    room = newsroom
    modal = open_submit_modal(room, room.reporter, room.world)
    image = room.slack.attach_to_form(room.reporter, "photo.png", b"\x89PNG\r\n\x1a\n" + bytes(50))
    answer = room.slack.submit_view(room.reporter, modal["id"], {"file": [image]})
    assert answer.json()["response_action"] == "errors"
    assert (
        "Newsdesk does not read files like photo.png" in room.slack.view_errors(modal["id"])["file"]
    )
    both = room.slack.attach_to_form(room.reporter, "grain.docx", make_docx(wire_copy_paragraphs()))
    answer = room.slack.submit_view(
        room.reporter, modal["id"], {"file": [both], "url": "https://example.com/a"}
    )
    assert "not both" in room.slack.view_errors(modal["id"])["file"]
    assert room.scalar(select(func.count()).select_from(Job)) == 0

    locked = room.slack.attach_to_form(
        room.reporter,
        "locked.pdf",
        encrypt_pdf(make_pdf(LONG_REPORT), user_password="x"),
    )
    answer = room.slack.submit_view(room.reporter, modal["id"], {"file": [locked], "url": ""})
    assert answer.json() == {"response_action": "clear"}
    assert room.local.wait_until_idle()
    reply = room.slack.ephemeral(room.reporter)[-1]
    assert reply["text"].startswith(
        "Couldn't archive your submission: locked.pdf is password-protected"
    )
    with room.services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 0
