"""``newsdesk run`` end to end over Socket Mode: a local server speaking Slack's protocol
(``apps.connections.open``, ``hello``, envelopes, acks, ``disconnect`` and reconnect) drives
the real process; replies go out through the stand-in's Web API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from standin.slack import SlackStandin
from tests.articles import add_article
from tests.pageserver import PageServer
from tests.processes import NewsdeskProcess
from tests.socket_mode import SocketModeServer

pytestmark = pytest.mark.slow


def bot_replies(slack: SlackStandin, channel: str, ts: str) -> list[dict[str, Any]]:
    return [m for m in slack.replies(channel, ts) if m.get("bot_id")]


def test_run_acks_envelopes_replies_once_reconnects_and_stops_on_sigterm(
    database_url: str, slack: SlackStandin, pages: PageServer, tmp_path: Path
) -> None:
    with SocketModeServer(slack) as socket:
        variables = {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_APP_TOKEN": socket.app_token,
            "SLACK_API_URL": slack.api_url,
            "FETCH_ALLOWED_HOSTS": "127.0.0.1",
            "FETCH_TOTAL_TIMEOUT": "5",
            "LOG_LEVEL": "WARNING",
        }
        with NewsdeskProcess(["run"], variables, cwd=tmp_path) as bot:
            try:
                socket.wait_for(lambda: socket.connections, timeout=60)
            except TimeoutError:
                pytest.fail(f"newsdesk run never connected:\n{bot.output()}")
            assert socket.opens == 1
            assert socket.refused_opens == 0

            ana = slack.add_user("ana")
            world = slack.add_channel("world", members=[ana])
            url = add_article(pages, "/grain", "Grain crossing to reopen")
            sent = slack.post_message(ana, world, f"worth a read {url}")
            assert sent.deliveries == ()  # no request URL: events go over the socket only

            first = socket.send_event(sent.event, event_id="Ev0SOCKET01")
            socket.wait_for(lambda: socket.acked(first))
            slack.wait_for(lambda: bot_replies(slack, world, sent.ts), timeout=20)
            [card] = bot_replies(slack, world, sent.ts)
            assert "Grain crossing to reopen" in json.dumps(card["blocks"])
            assert slack.calls("chat.postMessage")

            # Slack redelivers the same event (its ack was late): acked, never answered twice.
            again = socket.send_event(
                sent.event, event_id="Ev0SOCKET01", retry_attempt=1, retry_reason="timeout"
            )
            socket.wait_for(lambda: socket.acked(again))

            # Slack asks the client to move: it opens a new connection and carries on there.
            socket.disconnect()
            socket.wait_for(lambda: socket.opens == 2 and len(socket.connections) == 2)
            dm = slack.open_dm(ana)
            asked = slack.post_message(ana, dm, "latest on Ukraine")
            third = socket.send_event(asked.event, event_id="Ev0SOCKET02")
            socket.wait_for(lambda: socket.acked(third))
            assert socket.acked(third)[0].connection == 2
            slack.wait_for(lambda: bot_replies(slack, dm, asked.ts), timeout=20)
            [answer] = bot_replies(slack, dm, asked.ts)
            assert "Grain crossing to reopen" in json.dumps(answer["blocks"])

            # The redelivered event, processed before the question, got no second reply.
            assert len(bot_replies(slack, world, sent.ts)) == 1
            assert len(pages.requests_to("/grain")) == 1

            assert bot.terminate() == 0, bot.output()
