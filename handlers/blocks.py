"""Block Kit messages built from small view objects: pure functions, no Slack calls.

Every string that comes from an article, a feed, a user or a search is escaped (mrkdwn)
or defused (plain_text) here, so ``<!channel>`` in a headline can never ping anyone.
Mentions are only written for user and channel ids that look like Slack's own. Every
builder keeps within Slack's limits: 50 blocks, 150 characters in a header, 3,000 in a
section, 75 in a button, 255 in an action id, 2,000 in a button value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from handlers.block_kit import (
    BUTTON_URL_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    Message,
    actions_row,
    button,
    context,
    fallback_text,
    header,
    pack_sections,
    section,
)
from handlers.mrkdwn import (
    clean_text,
    collapse_whitespace,
    escape_mrkdwn,
    link,
    measure,
    sanitize_url,
    truncate_words,
)
from news.dates import describe_relative, format_day

ANSWER_MORE_ACTION = "answer_more"
OPEN_STORY_ACTION = "open_story"
ANSWER_SIZE = 5

_HEADLINE_LIMIT = 300
_META_PART_LIMIT = 120
_TOPIC_LIMIT = 60
_TOPICS_SHOWN = 10
_LINE_LIMIT = 300
_REASON_LIMIT = 500
_SUMMARY_LIMIT = 2800
BYLINE_UNKNOWN = "byline unknown"
TEXT_NOT_EXTRACTED = (
    "The story text could not be extracted from this page; "
    "the headline, byline and date come from the page's metadata."
)
_FALLBACK_PART_LIMIT = 300
_LINK_LIMIT = 1800
_UNTITLED = "Untitled story"
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,63}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,63}")
_HIGHLIGHT = re.compile(r"([\x02\x03])")
_STATUS_LABELS = {"draft": "Draft", "published": "Published"}
_SHARE_SOURCES = {
    "cli": "first shared from the command line",
    "feed": "first shared by a feed",
    "webhook": "first shared by the CMS",
}


@dataclass(frozen=True)
class StoryView:
    """What a message shows of one story. All strings are untrusted."""

    article_id: int
    headline: str
    url: str | None
    outlet: str | None
    byline: str | None
    published_at: datetime | None
    summary: str
    topics: tuple[str, ...] = ()
    status: str = "draft"
    desk: str | None = None
    snippet: str | None = None
    """Search snippet with matches between ``\\x02`` and ``\\x03``; shown in bold."""
    reason: str | None = None
    """Why the story matched, or why a channel got it."""
    credit: str | None = None
    """An organisation or agency credited instead of people ("Reuters")."""
    text_extracted: bool = True
    """False when only the page's metadata could be read, not its story text."""


@dataclass(frozen=True)
class ShareView:
    """Who first shared a story, where and when; ids come from Slack but are still checked."""

    user_id: str | None
    channel_id: str | None
    source: str
    shared_at: datetime


@dataclass(frozen=True)
class CardAction:
    """A button a caller adds to an article card ("Publish", "More like this", …)."""

    action_id: str
    text: str
    value: str
    style: str | None = None


def build_article_card(
    story: StoryView,
    *,
    now: datetime,
    first_share: ShareView | None = None,
    already_archived: bool = False,
    actions: Sequence[CardAction] = (),
) -> Message:
    """The card for an archived story: linked headline, outlet · byline · day, summary, topics.

    With ``already_archived`` it says who first shared the story, where and when.
    ``actions`` are added as buttons after an "Open story" link button.
    Raises ValueError for buttons Slack would refuse (ids or values too long, duplicates).
    """
    blocks: list[dict[str, Any]] = [section(f"*{_headline_link(story)}*")]
    day = format_day(story.published_at, now=now) if story.published_at else None
    byline = story.byline or story.credit or BYLINE_UNKNOWN
    meta = _meta_line(replace(story, byline=byline), day)
    if meta:
        blocks.append(context(meta))
    summary = _fit(story.summary, _SUMMARY_LIMIT, one_line=False)
    if not story.text_extracted:
        blocks.append(context(TEXT_NOT_EXTRACTED))
    elif summary:
        blocks.append(section(summary))
    labels = _labels_line(story)
    if labels:
        blocks.append(context(labels))
    archived_line = None
    if already_archived:
        archived_line = _already_archived_line(first_share, now=now)
        blocks.append(context(archived_line))
    buttons = _story_buttons(story, "Open story")
    buttons.extend(_button(action) for action in actions)
    if buttons:
        blocks.append(actions_row(buttons))
    fallback = _plain_headline(story)
    outlet = _fit(story.outlet, _META_PART_LIMIT)
    if outlet:
        fallback += " — " + outlet
    if already_archived:
        fallback = "Already in the archive: " + fallback
    return Message(text=_fallback(fallback), blocks=blocks)


def build_answer(
    question_text: str,
    stories: Sequence[StoryView],
    *,
    now: datetime,
    more_value: str | None,
) -> Message:
    """The answer to a question: up to five stories, newest first as given, and a "More" button.

    Each story shows its linked headline, outlet · byline · how long ago, and the search
    snippet (matches in bold) or a one-line summary. ``more_value`` is an opaque paging
    token put in the ``answer_more`` button; None leaves the button out.
    """
    question = _fit(question_text, _LINE_LIMIT) or "your question"
    shown = list(stories[:ANSWER_SIZE])
    if not shown:
        sentence = f"Nothing found for {question}."
        return Message(text=_fallback(sentence), blocks=[section(sentence)])
    count = "1 story" if len(shown) == 1 else f"{len(shown)} stories"
    blocks = [context(f"{count} on *{question}*")]
    for story in shown:
        when = describe_relative(story.published_at, now=now) if story.published_at else None
        lines = [f"*{_headline_link(story)}*"]
        meta = _meta_line(story, when)
        if meta:
            lines.append(meta)
        gist = _render_snippet(story.snippet, _LINE_LIMIT) if story.snippet else ""
        if not gist:
            gist = _fit(story.summary, _LINE_LIMIT)
        if gist:
            lines.append(gist)
        if story.reason:
            why = _fit(story.reason, _LINE_LIMIT)
            if why:
                lines.append(f"_{why}_")
        blocks.append(section("\n".join(lines)))
    if more_value is not None:
        blocks.append(actions_row([_more_button(more_value)]))
    headlines = "; ".join(_plain_headline(story) for story in shown)
    return Message(text=_fallback(f"{count} on {question}: {headlines}"), blocks=blocks)


def build_nothing_found(description: str, since: datetime | None, *, now: datetime) -> Message:
    """ "Nothing on Ukraine since 6 Jan." (or "… in the archive." without a start day)."""
    subject = _fit(description, _LINE_LIMIT) or "that"
    if since is not None:
        sentence = f"Nothing on {subject} since {format_day(since, now=now)}."
    else:
        sentence = f"Nothing on {subject} in the archive."
    return Message(text=_fallback(sentence), blocks=[section(sentence)])


def build_failure(reason: str, *, action: str = "Couldn't archive that link") -> Message:
    """A one-line thread reply: ":warning: Couldn't archive that link: <reason>"."""
    first_line = next((line for line in clean_text(reason).split("\n") if line.strip()), "")
    why = _fit(first_line, _REASON_LIMIT) or "something went wrong"
    sentence = f"{_fit(action, _LINE_LIMIT)}: {why}"
    return Message(text=_fallback(sentence), blocks=[section(f":warning: {sentence}")])


def build_help(examples: Sequence[tuple[str, str]]) -> Message:
    """What the bot understands: each example as code with what it does."""
    lines = [f"`{_code(example)}` — {_fit(meaning, _LINE_LIMIT)}" for example, meaning in examples]
    blocks: list[dict[str, Any]] = [
        header("What I understand"),
        section(
            "Share a link and I archive it and reply with a summary. "
            "Mention me or message me directly to ask about the archive:"
        ),
    ]
    blocks.extend(pack_sections(lines, MESSAGE_BLOCK_LIMIT - len(blocks)))
    plain = "; ".join(_fit(example, _LINE_LIMIT) for example, _ in examples)
    text = "What I understand. Share a link to archive it, or ask"
    return Message(text=_fallback(f"{text}: {plain}" if plain else text), blocks=blocks)


def build_alert(story: StoryView, *, reason: str, now: datetime) -> Message:
    """A publish alert: headline, summary, outlet · byline · time, topics, "Read story", why.

    ``reason`` may use mrkdwn emphasis ("You follow *Ukraine*"); it is escaped all the same.
    """
    blocks: list[dict[str, Any]] = [header(_headline_text(story))]
    summary = _fit(story.summary, _SUMMARY_LIMIT, one_line=False)
    if summary:
        blocks.append(section(summary))
    when = describe_relative(story.published_at, now=now) if story.published_at else None
    meta = _meta_line(story, when)
    if meta:
        blocks.append(context(meta))
    topics = _topics_text(story.topics)
    if topics:
        blocks.append(context(f"Topics: {topics}"))
    buttons = _story_buttons(story, "Read story")
    if buttons:
        blocks.append(actions_row(buttons))
    why = _fit(reason, _REASON_LIMIT)
    if why:
        blocks.append(context(f"Why: {why}"))
    fallback = _plain_headline(story)
    if summary:
        fallback += " — " + _fit(story.summary, _FALLBACK_PART_LIMIT)
    return Message(text=_fallback(fallback), blocks=blocks)


def build_alert_update(change_lines: Sequence[str]) -> Message:
    """A thread reply under an alert listing what changed ("Correction appended", …)."""
    lines = [_fit(line, _REASON_LIMIT) for line in change_lines]
    lines = [line for line in lines if line]
    if not lines:
        sentence = ":pencil2: The story was updated."
        return Message(text=_fallback("The story was updated."), blocks=[section(sentence)])
    blocks = [section(":pencil2: *Updated*")]
    blocks.extend(pack_sections([f"• {line}" for line in lines], MESSAGE_BLOCK_LIMIT - 1))
    return Message(text=_fallback("Updated: " + "; ".join(lines)), blocks=blocks)


def build_alert_unpublished(story: StoryView) -> Message:
    """A thread reply under an alert saying the story was taken down."""
    headline = _fit(story.headline, _HEADLINE_LIMIT) or _UNTITLED
    sentence = f"*{headline}* was unpublished and is no longer available."
    return Message(
        text=_fallback(f"Unpublished: {headline}"),
        blocks=[section(f":no_entry_sign: {sentence}")],
    )


def build_digest(title: str, stories: Sequence[StoryView], *, now: datetime) -> Message:
    """Many stories in one message, grouped by desk, within 50 blocks ("and 12 more")."""
    blocks: list[dict[str, Any]] = [header(clean_text(title).strip() or "Digest")]
    if not stories:
        blocks.append(section("No new stories."))
        return Message(
            text=_fallback(f"{_fit(title, _LINE_LIMIT)}: no new stories."), blocks=blocks
        )
    room = MESSAGE_BLOCK_LIMIT - len(blocks) - 1  # one block kept for "and N more"
    grouped = _group_by_desk(stories)
    show_desks = len(grouped) > 1 or grouped[0][0] is not None
    shown: list[StoryView] = []
    for desk, members in grouped:
        if show_desks:
            if room < 2:
                break
            blocks.append(context(f"*{_fit(desk or 'Other', _META_PART_LIMIT) or 'Other'}*"))
            room -= 1
        for story in members:
            if room < 1:
                break
            blocks.append(section(_digest_entry(story, now=now)))
            shown.append(story)
            room -= 1
    left = len(stories) - len(shown)
    if left:
        blocks.append(context(f"and {left} more"))
    headlines = "; ".join(_plain_headline(story) for story in shown)
    more = f"; and {left} more" if left else ""
    return Message(text=_fallback(f"{_fit(title, _LINE_LIMIT)}: {headlines}{more}"), blocks=blocks)


# -- pieces ------------------------------------------------------------------------------


def _fit(text: str | None, limit: int, *, one_line: bool = True) -> str:
    """Untrusted ``text`` escaped for mrkdwn and cut to ``limit`` on a word boundary."""
    if not text:
        return ""
    cleaned = clean_text(text)
    cleaned = collapse_whitespace(cleaned) if one_line else _trim_lines(cleaned)
    return truncate_words(escape_mrkdwn(cleaned[: limit + 1]), limit)


def _trim_lines(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    joined = "\n".join(lines)
    while "\n\n\n" in joined:
        joined = joined.replace("\n\n\n", "\n\n")
    return joined.strip()


def _headline_text(story: StoryView) -> str:
    return collapse_whitespace(clean_text(story.headline)) or _UNTITLED


def _plain_headline(story: StoryView) -> str:
    return _fit(story.headline, _FALLBACK_PART_LIMIT) or _UNTITLED


def _headline_link(story: StoryView) -> str:
    label = _headline_text(story)
    linked = link(story.url, label, label_limit=_HEADLINE_LIMIT)
    if measure(linked) > _LINK_LIMIT:
        return _fit(label, _HEADLINE_LIMIT)
    return linked


def _meta_line(story: StoryView, when: str | None) -> str:
    parts = [_fit(story.outlet, _META_PART_LIMIT), _fit(story.byline, _META_PART_LIMIT)]
    if when:
        parts.append(when)
    return " · ".join(part for part in parts if part)


def _topics_text(topics: Sequence[str]) -> str:
    names = [_fit(topic, _TOPIC_LIMIT) for topic in topics[:_TOPICS_SHOWN]]
    text = ", ".join(name for name in names if name)
    if text and len(topics) > _TOPICS_SHOWN:
        text += f" and {len(topics) - _TOPICS_SHOWN} more"
    return text


def _labels_line(story: StoryView) -> str:
    parts = []
    topics = _topics_text(story.topics)
    if topics:
        parts.append(f"Topics: {topics}")
    desk = _fit(story.desk, _META_PART_LIMIT)
    if desk:
        parts.append(f"Desk: {desk}")
    status = _STATUS_LABELS.get(story.status) or _fit(story.status, _META_PART_LIMIT)
    if status:
        parts.append(status)
    return " · ".join(parts)


def _already_archived_line(share: ShareView | None, *, now: datetime) -> str:
    line = ":file_cabinet: Already in the archive"
    if share is None:
        return line
    day = format_day(share.shared_at, now=now)
    if share.source == "slack":
        words = ["first shared"]
        if share.user_id:
            words.append(f"by {_mention(share.user_id, _USER_ID, '@')}")
        if share.channel_id:
            words.append(f"in {_mention(share.channel_id, _CHANNEL_ID, '#')}")
        origin = " ".join(words)
    elif share.source in _SHARE_SOURCES:
        origin = _SHARE_SOURCES[share.source]
    else:
        origin = f"first shared via {_fit(share.source, _META_PART_LIMIT) or 'another source'}"
    return f"{line} — {origin}, {day}"


def _mention(slack_id: str, pattern: re.Pattern[str], sigil: str) -> str:
    """A real mention for an id shaped like Slack's own; anything else as escaped text."""
    if pattern.fullmatch(slack_id):
        return f"<{sigil}{slack_id}>"
    return _fit(slack_id, _META_PART_LIMIT) or "someone"


def _render_snippet(snippet: str, limit: int) -> str:
    """A search snippet with the engine's ``\\x02``…``\\x03`` marks as bold, cut to ``limit``."""
    pieces: list[str] = []
    used = 0
    bold = False
    for part in _HIGHLIGHT.split(collapse_whitespace(snippet.replace("\n", " "))):
        if part in ("\x02", "\x03"):
            bold = part == "\x02"
            continue
        text = escape_mrkdwn(part[: limit + 1])
        lead = ""
        if bold and text.strip():
            lead = " " if text[0].isspace() else ""
            tail = " " if text[-1].isspace() else ""
            text = f"{lead}*{text.strip()}*{tail}"
        room = limit - used
        if measure(text) > room:
            if bold:
                inner = truncate_words(escape_mrkdwn(part.strip()), room - 3, ellipsis="")
                text = f"{lead}*{inner}*…" if inner else ""
            else:
                text = truncate_words(text, room)
            pieces.append(text)
            break
        pieces.append(text)
        used += measure(text)
    return collapse_whitespace("".join(pieces))


def _digest_entry(story: StoryView, *, now: datetime) -> str:
    day = format_day(story.published_at, now=now) if story.published_at else None
    lines = [f"*{_headline_link(story)}*"]
    meta = _meta_line(story, day)
    if meta:
        lines.append(meta)
    gist = _fit(story.summary, _LINE_LIMIT)
    if gist:
        lines.append(gist)
    return "\n".join(lines)


def _group_by_desk(stories: Sequence[StoryView]) -> list[tuple[str | None, list[StoryView]]]:
    """Stories by desk in order of first appearance; stories without a desk last."""
    groups: dict[str | None, list[StoryView]] = {}
    for story in stories:
        desk = collapse_whitespace(clean_text(story.desk)) if story.desk else None
        groups.setdefault(desk or None, []).append(story)
    ordered: list[tuple[str | None, list[StoryView]]] = [
        (desk, members) for desk, members in groups.items() if desk is not None
    ]
    if None in groups:
        ordered.append((None, groups[None]))
    return ordered


def _code(text: str) -> str:
    return _fit(text.replace("`", "'"), _LINE_LIMIT) or "…"


def _fallback(text: str) -> str:
    return fallback_text(text, empty=_UNTITLED)


# -- Block Kit JSON ----------------------------------------------------------------------


def _story_buttons(story: StoryView, label: str) -> list[dict[str, Any]]:
    url = sanitize_url(story.url)
    if url is None or len(url) > BUTTON_URL_LIMIT:
        return []
    return [button(OPEN_STORY_ACTION, label, str(story.article_id), url=url)]


def _more_button(value: str) -> dict[str, Any]:
    return _button(CardAction(action_id=ANSWER_MORE_ACTION, text="More", value=value))


def _button(action: CardAction) -> dict[str, Any]:
    return button(action.action_id, action.text, action.value, style=action.style)
