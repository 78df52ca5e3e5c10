"""Shortcuts in the stand-in: a person picks a message shortcut from a message's menu, and
the app gets a ``message_action`` payload as Slack sends it."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING

from bot.standin.delivery import Delivery
from bot.standin.webapi import ResponseTarget
from bot.standin.workspace import Json

if TYPE_CHECKING:
    from bot.slack_standin import SlackStandin


def message_shortcut_payload(
    standin: SlackStandin, user: str, channel: str, message_ts: str, callback_id: str
) -> Json:
    workspace = standin.workspace
    person = workspace.users[standin._user(user)]
    with workspace.lock:
        place = standin._channel(channel)
        stored = workspace.stored(place.id, message_ts)
        message = copy.deepcopy(workspace.public_message(stored))
        name = place.name
        if place.is_im:
            name = "directmessage"
        elif place.is_private:
            name = "privategroup"
        return {
            "type": "message_action",
            "token": standin.verification_token,
            "action_ts": workspace.new_ts(),
            "team": {"id": standin.team_id, "domain": workspace.team_domain},
            "user": {
                "id": person.id,
                "username": person.name,
                "name": person.name,
                "team_id": standin.team_id,
            },
            "channel": {"id": place.id, "name": name},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": workspace.new_trigger(person.id),
            "response_url": standin.api.new_response_url(
                ResponseTarget(person.id, place.id, is_ephemeral=True)
            ),
            "message_ts": message_ts,
            "message": message,
        }


def use_message_shortcut(
    standin: SlackStandin, user: str, channel: str, message_ts: str, callback_id: str
) -> Delivery:
    """``user`` runs the message shortcut ``callback_id`` on a message."""
    payload = message_shortcut_payload(standin, user, channel, message_ts, callback_id)
    return standin.app.post_form({"payload": json.dumps(payload)}, payload)
