"""Subscriptions on both engines: parsing what editors type, storing, routing stories."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from news.aliases import AliasTable
from news.errors import NewsdeskError
from storage.database import SessionFactory
from storage.models import Article
from storage.subscriptions import (
    EVERYTHING_REASON,
    channel_settings,
    list_subscriptions,
    matching_subscriptions,
    parse_subscription_target,
    set_alert_budget,
    set_digest_time,
    subscribe,
    unsubscribe,
)

ALIASES = AliasTable(
    {
        "Ukraine": ("Ukrainian", "Kyiv", "Kiev"),
        "US": ("United States", "America"),
    }
)


def add_story(session: Session, **fields: Any) -> Article:
    values: dict[str, Any] = {
        "headline": "Council approves budget",
        "body": "Text.",
        "content_hash": f"hash-{fields.get('headline', '')}",
        "status": "draft",
        "is_public": True,
        "topics": [],
    }
    values.update(fields)
    article = Article(**values)
    session.add(article)
    session.flush()
    return article


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ukraine", ("topic", "Ukraine")),
        ("  climate   change ", ("topic", "climate change")),
        ("topic:Ukraine", ("topic", "Ukraine")),
        ("Topic: Ukraine", ("topic", "Ukraine")),
        ("desk:politics", ("desk", "politics")),
        ("outlet:The Harbour Gazette", ("outlet", "The Harbour Gazette")),
        ('author: "Jane Doe"', ("author", "Jane Doe")),
        ("*Ukraine*", ("topic", "Ukraine")),
        ("all", ("all", "all")),
        ("ALL", ("all", "all")),
    ],
)
def test_parse_subscription_target(text: str, expected: tuple[str, str]) -> None:
    assert parse_subscription_target(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "say what to follow"),
        ("   ", "say what to follow"),
        ("desk:", "say which desk to follow"),
        ("dsek:politics", "unknown kind “dsek:”"),
        ("topic:" + "x" * 201, "too long"),
    ],
)
def test_parse_subscription_target_refuses_with_one_line(text: str, message: str) -> None:
    with pytest.raises(NewsdeskError, match=message) as raised:
        parse_subscription_target(text)
    assert "\n" not in raised.value.reason


def test_subscribe_list_unsubscribe(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        first, created = subscribe(
            "C1", "topic", "Kyiv", created_by="U1", aliases=ALIASES, session=session
        )
        assert created
        assert (first.value, first.value_key) == ("Kyiv", "ukraine")
        # Another name of the same topic is the same subscription.
        again, created = subscribe(
            "C1", "topic", "UKRAINE", created_by="U2", aliases=ALIASES, session=session
        )
        assert not created
        assert again.id == first.id
        subscribe("C1", "desk", "Politics", created_by="U1", aliases=ALIASES, session=session)
        subscribe("C2", "all", "all", created_by="U1", aliases=ALIASES, session=session)
    with session_factory() as session:
        assert [
            (s.kind, s.value) for s in list_subscriptions(session=session, channel_id="C1")
        ] == [
            ("topic", "Kyiv"),
            ("desk", "Politics"),
        ]
        assert len(list_subscriptions(session=session)) == 3
    with session_factory.begin() as session:
        assert unsubscribe("C1", "topic", "ukrainian", aliases=ALIASES, session=session)
        assert not unsubscribe("C1", "topic", "Ukraine", aliases=ALIASES, session=session)
        assert not unsubscribe("C2", "desk", "politics", aliases=ALIASES, session=session)
    with session_factory() as session:
        assert [s.kind for s in list_subscriptions(session=session, channel_id="C1")] == ["desk"]


def test_subscribe_refuses_unknown_kind_and_empty_value(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        with pytest.raises(NewsdeskError, match="unknown kind"):
            subscribe("C1", "tag", "x", created_by=None, aliases=ALIASES, session=session)
        with pytest.raises(NewsdeskError, match="say which topic"):
            subscribe("C1", "topic", "  ", created_by=None, aliases=ALIASES, session=session)


def test_alias_in_headline_matches_topic_subscription(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        subscribe("C1", "topic", "Ukraine", created_by="U1", aliases=ALIASES, session=session)
        kyiv = add_story(session, headline="Power cuts across Kyiv as winter nears")
        standfirst = add_story(
            session, headline="Grain deal talks", standfirst="Ukrainian officials said on Monday"
        )
        tagged = add_story(session, headline="Talks resume", topics=["Kiev"])
        # Whole words only: "Kyivstar" is not "Kyiv".
        other = add_story(session, headline="Kyivstar shares rise")
        assert matching_subscriptions(kyiv, aliases=ALIASES, session=session) == {
            "C1": ["You follow *Ukraine*"]
        }
        assert "C1" in matching_subscriptions(standfirst, aliases=ALIASES, session=session)
        assert "C1" in matching_subscriptions(tagged, aliases=ALIASES, session=session)
        assert matching_subscriptions(other, aliases=ALIASES, session=session) == {}


def test_short_capital_names_match_only_in_capitals(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        subscribe("C1", "topic", "US", created_by="U1", aliases=ALIASES, session=session)
        plain = add_story(session, headline="Tell us what you think of the budget")
        capital = add_story(session, headline="US lawmakers pass the budget")
        named = add_story(session, headline="The United States budget passes")
        assert matching_subscriptions(plain, aliases=ALIASES, session=session) == {}
        assert "C1" in matching_subscriptions(capital, aliases=ALIASES, session=session)
        assert "C1" in matching_subscriptions(named, aliases=ALIASES, session=session)


def test_desk_outlet_author_and_all(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        subscribe("CD", "desk", "Politics", created_by="U1", aliases=ALIASES, session=session)
        subscribe(
            "CO", "outlet", "the harbour gazette", created_by="U1", aliases=ALIASES, session=session
        )
        subscribe("CA", "author", "Jane Doe", created_by="U1", aliases=ALIASES, session=session)
        subscribe("CE", "all", "all", created_by="U1", aliases=ALIASES, session=session)
        story = add_story(
            session,
            section="politics",
            outlet="The Harbour Gazette",
            byline="By JANE DOE and Sam Lee",
        )
        elsewhere = add_story(
            session, headline="Other", section="sport", outlet="Daily", byline="Jane Doerr"
        )
        assert matching_subscriptions(story, aliases=ALIASES, session=session) == {
            "CD": ["You follow the *Politics* desk"],
            "CO": ["You follow *the harbour gazette*"],
            "CA": ["You follow *Jane Doe*"],
            "CE": [EVERYTHING_REASON],
        }
        assert matching_subscriptions(elsewhere, aliases=ALIASES, session=session) == {
            "CE": [EVERYTHING_REASON]
        }


def test_several_subscriptions_of_a_channel_give_one_entry(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        subscribe("C1", "all", "all", created_by="U1", aliases=ALIASES, session=session)
        subscribe("C1", "desk", "world", created_by="U1", aliases=ALIASES, session=session)
        subscribe("C1", "topic", "Ukraine", created_by="U1", aliases=ALIASES, session=session)
        subscribe("C2", "topic", "Kyiv", created_by="U1", aliases=ALIASES, session=session)
        story = add_story(session, headline="Kyiv talks", section="World", topics=["Ukraine"])
        matches = matching_subscriptions(story, aliases=ALIASES, session=session)
    assert matches == {
        "C1": ["You follow *Ukraine*", "You follow the *world* desk", EVERYTHING_REASON],
        "C2": ["You follow *Kyiv*"],
    }


def test_alert_budget_and_digest_time(session_factory: SessionFactory) -> None:
    with session_factory.begin() as session:
        assert channel_settings("C1", session=session) is None
        set_alert_budget("C1", 5, session=session, updated_by="U1")
        set_digest_time("C1", "7:30", session=session, updated_by="U2")
    with session_factory.begin() as session:
        settings = channel_settings("C1", session=session)
        assert settings is not None
        assert (settings.alerts_per_hour, settings.digest_time, settings.updated_by) == (
            5,
            "07:30",
            "U2",
        )
        set_alert_budget("C1", None, session=session)
        with pytest.raises(NewsdeskError, match="between 0 and"):
            set_alert_budget("C1", -1, session=session)
        with pytest.raises(NewsdeskError, match="is not a time"):
            set_digest_time("C1", "25:00", session=session)
    with session_factory() as session:
        settings = channel_settings("C1", session=session)
        assert settings is not None
        assert settings.alerts_per_hour is None
