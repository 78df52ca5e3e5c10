from __future__ import annotations

from slack_sdk import WebClient

from handlers.roles import EditorDirectory
from standin.slack import SlackStandin


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_listed_editors_and_group_members(slack: SlackStandin) -> None:
    ana, ben, cat = slack.add_user("ana"), slack.add_user("ben"), slack.add_user("cat")
    group = slack.add_usergroup("desk-editors", [ben])
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    clock = Clock()
    editors = EditorDirectory(editor_ids=[ana], usergroup_id=group, client=client, clock=clock)
    assert editors.is_editor(ana)
    assert editors.is_editor(ben)
    assert not editors.is_editor(cat)
    assert not editors.is_editor(None)
    # Cached: one lookup for many checks within the cache time, a new one after it.
    editors.is_editor(cat)
    assert len(slack.calls("usergroups.users.list")) == 1
    clock.now += 500
    editors.is_editor(cat)
    assert len(slack.calls("usergroups.users.list")) == 2


def test_group_lookup_failure_fails_closed(slack: SlackStandin) -> None:
    ben = slack.add_user("ben")
    client = WebClient(token=slack.bot_token, base_url=slack.api_url)
    editors = EditorDirectory(editor_ids=[], usergroup_id="SMISSING", client=client)
    assert not editors.is_editor(ben)


def test_refusal_names_who_can() -> None:
    editors = EditorDirectory(editor_ids=["U2", "U1"], usergroup_id="S1", client=None)
    assert editors.refusal("publish stories") == (
        "Only editors can publish stories: ask <@U1>, <@U2> or members of the editors' user group."
    )
    nobody = EditorDirectory(editor_ids=[], usergroup_id=None, client=None)
    assert "set EDITORS" in nobody.refusal("publish stories")
