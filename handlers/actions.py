"""Buttons on the bot's messages."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from handlers.answers import answer_more
from handlers.blocks import OPEN_STORY_ACTION
from handlers.slack_services import SlackServices


def register(app: App, services: SlackServices) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def show_more(body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        # The channel comes from Slack's own payload, never from the button's value, so a
        # crafted value cannot reveal stories private to another conversation.
        channel_id = str((body.get("channel") or {}).get("id") or "")
        try:
            reply = answer_more(services, str(action.get("value", "")), channel_id=channel_id)
        except (ValueError, KeyError, TypeError):
            reply = None
        if reply is None:
            respond(text="That button has expired: ask again.", replace_original=False)
            return
        respond(text=reply.text, blocks=reply.blocks, replace_original=True)

    app.action("answer_more")(ack=acknowledge, lazy=[show_more])
    # Link buttons open the story in the browser; Slack still reports the click, which only
    # needs acknowledging so it does not show as an error.
    app.action(OPEN_STORY_ACTION)(acknowledge)
