"""Shortcuts in the stand-in: a person picks a message shortcut from a message's menu, and
the app gets a ``message_action`` payload as Slack sends it (``SlackStandin.message_shortcut``)."""

from __future__ import annotations

import copy

from standin.workspace import Channel, Json, Workspace


def message_shortcut_payload(
    workspace: Workspace,
    place: Channel,
    person_id: str,
    message_ts: str,
    callback_id: str,
    *,
    team_id: str,
    verification_token: str,
    response_url: str,
) -> Json:
    """The ``message_action`` payload (the caller holds the workspace lock)."""
    person = workspace.users[person_id]
    stored = workspace.stored(place.id, message_ts)
    message = copy.deepcopy(workspace.public_message(stored))
    name = place.name
    if place.is_im:
        name = "directmessage"
    elif place.is_private:
        name = "privategroup"
    return {
        "type": "message_action",
        "token": verification_token,
        "action_ts": workspace.new_ts(),
        "team": {"id": team_id, "domain": workspace.team_domain},
        "user": {
            "id": person.id,
            "username": person.name,
            "name": person.name,
            "team_id": team_id,
        },
        "channel": {"id": place.id, "name": name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": workspace.new_trigger(person.id),
        "response_url": response_url,
        "message_ts": message_ts,
        "message": message,
    }
