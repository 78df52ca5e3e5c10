"""What a parsed question is: its intent, term groups, filters and time window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

MAX_QUESTION_CHARS = 500
MAX_LIMIT = 50
MAX_GROUPS = 12
MAX_EXCLUDED = 10
MAX_TERM_CHARS = 100
MAX_NAME_CHARS = 100
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


class Intent(StrEnum):
    LATEST = "latest"  # newest relevant first
    SEARCH = "search"  # most relevant first
    HELP = "help"  # "help", "?", "what can you do"


@dataclass(frozen=True)
class TermGroup:
    """One concept the story must match: any of the alternatives (words or multi-word phrases)."""

    label: str
    alternatives: tuple[str, ...]
    phrase: bool = False
    # A hedge word ("market", "figures"): ranks the stories that use it higher, but a story
    # need not contain it.
    optional: bool = False
    # Not typed: what the typed subject means ("the peseta" asks about exchange rates). The
    # broader question, read when nothing matches, ranks by it instead of requiring it.
    implied: bool = False


@dataclass(frozen=True)
class Question:
    """A parsed question; datetimes are aware and in UTC, ``period`` says them in words."""

    raw: str
    intent: Intent
    topic: str = ""
    groups: tuple[TermGroup, ...] = ()
    excluded: tuple[str, ...] = ()
    outlet: str | None = None
    byline: str | None = None
    desk: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    period: str = ""
    # Adjacent plain words as typed ("money supply"): a story using them together ranks
    # higher; each word is still its own group.
    phrases: tuple[str, ...] = ()
    # An intent was asked in words ("what's new", "search"): with no subject, the newest
    # stories are the answer; without it, a question of only filler has no subject.
    asked: bool = False
    # "from <name>" read as an outlet when the parser cannot tell: the same question with
    # the name read as part of the subject instead ("news from Peking" when no outlet is
    # called Peking). Search takes it when the archive has no such outlet.
    as_subject: Question | None = None
    # The same question with its plain words ranking rather than required, when it also
    # names a subject ("ghana cocoa harvest": Ghana and cocoa stay required, "harvest"
    # ranks). Search takes it only when nothing matches every word.
    broader: Question | None = None

    @property
    def has_subject(self) -> bool:
        """Whether anything narrows the archive: terms, exclusions, filters or dates."""
        return bool(
            self.groups
            or self.excluded
            or self.outlet
            or self.byline
            or self.desk
            or self.status
            or self.since
            or self.until
        )

    def describe(self) -> str:
        """A phrase for replies: ``Ukraine since 6 Jan``, ``stories by Jane Doe this week``."""
        if self.intent is Intent.HELP:
            return "help"
        status_noun = {"published": "published stories", "draft": "drafts"}.get(self.status or "")
        if self.topic:
            subject = f"{status_noun} on {self.topic}" if status_noun else self.topic
        elif status_noun:
            subject = status_noun
        elif self.byline or self.outlet or self.desk or self.excluded or self.since or self.until:
            subject = "stories"
        else:
            subject = "everything"
        parts = [subject]
        if self.byline:
            parts.append(f"by {self.byline}")
        if self.outlet:
            parts.append(f"from {self.outlet}")
        if self.desk:
            parts.append(f"from the {self.desk} desk")
        if self.excluded:
            parts.append("without " + ", ".join(self.excluded))
        period = self.period or _describe_dates(self.since, self.until)
        if period:
            parts.append(period)
        return " ".join(parts)


def _describe_dates(since: datetime | None, until: datetime | None) -> str:
    if since and until:
        return f"from {since:%Y-%m-%d} to {until:%Y-%m-%d}"
    if since:
        return f"since {since:%Y-%m-%d}"
    if until:
        return f"until {until:%Y-%m-%d}"
    return ""


@dataclass
class _Builder:
    """What the rules have found so far, before it becomes a Question."""

    intent: Intent | None = None
    intent_hint: Intent | None = None
    windows: list[tuple[datetime | None, datetime | None, str]] = field(default_factory=list)
    outlet: str | None = None
    byline: str | None = None
    desk: str | None = None
    status: str | None = None
    limit: int | None = None
    excluded: list[str] = field(default_factory=list)
