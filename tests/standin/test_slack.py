"""The local Slack stand-in: Web API through a real WebClient, signed requests to an app."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from standin.slack import SlackStandin, StandinError, format_links

SECRET = "test-signing-secret"
STORY = "https://news.example.com/2024/story?id=1&utm=x"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    valid: bool

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))

    def payload(self) -> Any:
        return json.loads(self.form()["payload"])


@dataclass
class Receiver:
    """A tiny app endpoint: verifies Slack signatures, records requests, answers as told."""

    requests: list[Received] = field(default_factory=list)
    answer: tuple[int, str] = (200, "")
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/slack/events"

    def serve(self) -> None:
        receiver = self
        verifier = SignatureVerifier(SECRET)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers.items())
                valid = verifier.is_valid_request(body, headers)
                receiver.requests.append(Received(self.path, headers, body, valid))
                status, text = receiver.answer if valid else (401, "invalid signature")
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.serve()
    yield receiver
    assert receiver.server is not None
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def standin(receiver: Receiver) -> Iterator[SlackStandin]:
    with SlackStandin(
        app_url=receiver.url, signing_secret=SECRET, unfurl_domains=["example.com"]
    ) as running:
        yield running


@pytest.fixture
def client(standin: SlackStandin) -> WebClient:
    return WebClient(token=standin.bot_token, base_url=standin.api_url)


@pytest.fixture
def ana(standin: SlackStandin) -> str:
    return standin.add_user("ana", real_name="Ana Lima")


@pytest.fixture
def world(standin: SlackStandin, ana: str) -> str:
    return standin.add_channel("world", members=[ana])


def slack_error(call: Any, *args: Any, **kwargs: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def error_code(call: Any, *args: Any, **kwargs: Any) -> str:
    return str(slack_error(call, *args, **kwargs).response["error"])


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str, action_id: str = "go", value: str = "1") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


# ---- Web API: auth and request formats ----------------------------------------------------


def test_auth_test_names_the_bot_user_team_and_bot(
    standin: SlackStandin, client: WebClient
) -> None:
    response = client.auth_test()
    assert response["ok"] is True
    assert response["user_id"] == standin.bot_user_id
    assert response["bot_id"] == standin.bot_id
    assert response["team_id"] == standin.team_id
    assert response["user"] == "newsdesk"


def test_missing_token_is_not_authed_and_a_wrong_one_invalid_auth(standin: SlackStandin) -> None:
    assert error_code(WebClient(base_url=standin.api_url).auth_test) == "not_authed"
    wrong = WebClient(token="xoxb-wrong", base_url=standin.api_url)
    assert error_code(wrong.auth_test) == "invalid_auth"


def test_token_may_come_as_a_form_field_and_arguments_as_a_query(
    standin: SlackStandin, ana: str
) -> None:
    body = f"token={standin.bot_token}".encode()
    url = f"{standin.api_url}users.info?user={ana}"
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request) as response:
        answer = json.loads(response.read())
    assert answer["ok"] is True
    assert answer["user"]["real_name"] == "Ana Lima"


def test_unknown_method_is_reported(client: WebClient) -> None:
    assert error_code(client.api_call, "chat.fly") == "unknown_method"


def test_blocks_may_be_sent_as_a_json_string_in_a_form(
    standin: SlackStandin, client: WebClient, world: str
) -> None:
    blocks = [section("*Form* post")]
    response = client.api_call(
        "chat.postMessage", data={"channel": world, "text": "t", "blocks": json.dumps(blocks)}
    )
    assert response["message"]["blocks"][0]["text"]["text"] == "*Form* post"
    assert standin.calls("chat.postMessage")[0].arguments["blocks"] == blocks
    bad = {"channel": world, "text": "t", "blocks": "[{not json"}
    assert error_code(client.api_call, "chat.postMessage", data=bad) == "invalid_blocks_format"


# ---- chat.postMessage and Block Kit limits -------------------------------------------------


def test_post_message_answers_like_slack_and_stores_the_message(
    standin: SlackStandin, client: WebClient, world: str
) -> None:
    response = client.chat_postMessage(channel=world, text="Hello", blocks=[section("Hello")])
    assert response["channel"] == world
    message = response["message"]
    assert message["ts"] == response["ts"]
    assert message["bot_id"] == standin.bot_id
    assert message["user"] == standin.bot_user_id
    assert message["blocks"][0]["block_id"]  # filled in, as Slack does
    assert [m["text"] for m in standin.messages(world)] == ["Hello"]
    assert standin.messages("#world")[0]["ts"] == response["ts"]


def test_post_message_finds_channels_by_name_and_users_by_their_dm(
    standin: SlackStandin, client: WebClient, world: str, ana: str
) -> None:
    assert client.chat_postMessage(channel="#world", text="x")["channel"] == world
    dm = client.chat_postMessage(channel=ana, text="psst")["channel"]
    assert dm == standin.open_dm(ana)
    assert dm.startswith("D")


def test_timestamps_are_unique_and_increasing_under_concurrency(
    client: WebClient, world: str
) -> None:
    stamps: list[str] = []

    def post() -> None:
        for _ in range(10):
            stamps.append(client.chat_postMessage(channel=world, text="x")["ts"])

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(stamps)) == 40
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    history = client.conversations_history(channel=world)["messages"]
    ordered = [m["ts"] for m in history]
    assert ordered == sorted(ordered, key=float, reverse=True)


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"channel": "C999999999", "text": "x"}, "channel_not_found"),
        ({"channel": "#world"}, "no_text"),
        ({"channel": "#world", "text": "x" * 40_001}, "msg_too_long"),
        (
            {"channel": "#world", "text": "x", "metadata": {"event_payload": {}}},
            "invalid_metadata_format",
        ),
        ({"channel": "#world", "text": "x", "thread_ts": "1.000001"}, "thread_not_found"),
    ],
)
def test_post_message_errors(
    client: WebClient, world: str, arguments: dict[str, Any], code: str
) -> None:
    assert error_code(client.chat_postMessage, **arguments) == code


def test_posting_where_the_bot_is_not_a_member(standin: SlackStandin, client: WebClient) -> None:
    standin.add_channel("sport", bot_is_member=False)
    secret = standin.add_channel("secret", is_private=True, bot_is_member=False)
    assert error_code(client.chat_postMessage, channel="#sport", text="x") == "not_in_channel"
    assert error_code(client.chat_postMessage, channel=secret, text="x") == "channel_not_found"


INVALID_BLOCKS = {
    "too many blocks": [{"type": "divider"}] * 51,
    "long header": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
    "mrkdwn header": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
    "long section": [section("s" * 3001)],
    "empty section": [section("")],
    "eleven fields": [
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11},
    ],
    "long button": [{"type": "actions", "elements": [button("b" * 76)]}],
    "too many elements": [
        {"type": "actions", "elements": [button("b", f"a{i}") for i in range(26)]},
    ],
    "duplicate action ids": [{"type": "actions", "elements": [button("a"), button("b")]}],
    "long block id": [{**section("x"), "block_id": "b" * 256}],
    "long action id": [{"type": "actions", "elements": [button("b", "a" * 256)]}],
    "duplicate block ids": [
        {**section("x"), "block_id": "same"},
        {"type": "divider", "block_id": "same"},
    ],
    "unknown block": [{"type": "marquee", "text": "x"}],
    "unknown element": [{"type": "actions", "elements": [{"type": "slider", "action_id": "s"}]}],
}


@pytest.mark.parametrize("blocks", INVALID_BLOCKS.values(), ids=INVALID_BLOCKS.keys())
def test_block_kit_limits_are_invalid_blocks(
    client: WebClient, world: str, blocks: list[dict[str, Any]]
) -> None:
    error = slack_error(client.chat_postMessage, channel=world, text="x", blocks=blocks)
    assert error.response["error"] == "invalid_blocks"
    assert "json-pointer:/blocks" in error.response["errors"][0]


def test_blocks_at_the_limits_are_accepted(client: WebClient, world: str) -> None:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        section("s" * 3000),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 10},
        {"type": "actions", "elements": [button("b" * 75, f"a{i}") for i in range(25)]},
        {**section("x"), "block_id": "b" * 255},
    ]
    blocks += [{"type": "divider"}] * (50 - len(blocks))
    assert client.chat_postMessage(channel=world, text="x" * 40_000, blocks=blocks)["ok"]


# ---- threads, history, metadata --------------------------------------------------------------


def test_threads_count_replies_and_list_them_in_order(
    standin: SlackStandin, client: WebClient, world: str, ana: str
) -> None:
    parent = standin.post_message(ana, world, "parent").ts
    first = client.chat_postMessage(channel=world, thread_ts=parent, text="one")["ts"]
    client.chat_postMessage(channel=world, thread_ts=first, text="two")  # reply to a reply
    top = client.conversations_history(channel=world)["messages"]
    assert [m["text"] for m in top] == ["parent"]
    assert top[0]["reply_count"] == 2
    assert top[0]["reply_users"] == [standin.bot_user_id]
    thread = client.conversations_replies(channel=world, ts=parent)["messages"]
    assert [m["text"] for m in thread] == ["parent", "one", "two"]
    assert all(m["thread_ts"] == parent for m in thread)
    assert thread[1]["parent_user_id"] == ana
    assert [m["text"] for m in standin.replies(world, parent)] == ["one", "two"]
    assert error_code(client.conversations_replies, channel=world, ts="1.000001") == (
        "thread_not_found"
    )


def test_broadcast_replies_also_appear_in_the_channel(
    standin: SlackStandin, client: WebClient, world: str
) -> None:
    parent = client.chat_postMessage(channel=world, text="p")["ts"]
    client.chat_postMessage(channel=world, thread_ts=parent, text="b", reply_broadcast=True)
    shown = standin.messages(world)
    assert [m["text"] for m in shown] == ["p", "b"]
    assert shown[1]["subtype"] == "thread_broadcast"


def test_history_returns_metadata_only_when_asked(client: WebClient, world: str) -> None:
    metadata = {"event_type": "newsdesk_reply", "event_payload": {"job_id": 7}}
    client.chat_postMessage(channel=world, text="x", metadata=metadata)
    plain = client.conversations_history(channel=world)["messages"][0]
    assert "metadata" not in plain
    full = client.conversations_history(channel=world, include_all_metadata=True)["messages"][0]
    assert full["metadata"] == metadata
    replies = client.conversations_replies(channel=world, ts=full["ts"], include_all_metadata=True)[
        "messages"
    ]
    assert replies[0]["metadata"] == metadata


def test_history_honours_oldest_latest_limit_and_cursor(client: WebClient, world: str) -> None:
    stamps = [client.chat_postMessage(channel=world, text=str(i))["ts"] for i in range(5)]
    newer = client.conversations_history(channel=world, oldest=stamps[2])["messages"]
    assert [m["text"] for m in newer] == ["4", "3"]
    inclusive = client.conversations_history(channel=world, oldest=stamps[2], inclusive=True)
    assert [m["text"] for m in inclusive["messages"]] == ["4", "3", "2"]
    older = client.conversations_history(channel=world, latest=stamps[1])["messages"]
    assert [m["text"] for m in older] == ["0"]
    first = client.conversations_history(channel=world, limit=2)
    assert [m["text"] for m in first["messages"]] == ["4", "3"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel=world, limit=2, cursor=cursor)
    assert [m["text"] for m in second["messages"]] == ["2", "1"]


def test_history_needs_membership(standin: SlackStandin, client: WebClient) -> None:
    sport = standin.add_channel("sport", bot_is_member=False)
    assert error_code(client.conversations_history, channel=sport) == "not_in_channel"
    assert error_code(client.conversations_history, channel="C404") == "channel_not_found"


# ---- update, delete, permalink, ephemeral, unfurl, reactions --------------------------------


def test_update_replaces_text_and_blocks_and_marks_the_edit(
    standin: SlackStandin, client: WebClient, world: str, ana: str
) -> None:
    ts = client.chat_postMessage(channel=world, text="old")["ts"]
    response = client.chat_update(channel=world, ts=ts, text="new", blocks=[section("new")])
    assert response["ts"] == ts
    assert response["text"] == "new"
    message = standin.message(world, ts)
    assert message["blocks"][0]["text"]["text"] == "new"
    assert message["edited"]["user"] == standin.bot_user_id
    assert error_code(client.chat_update, channel=world, ts="1.000001", text="x") == (
        "message_not_found"
    )
    theirs = standin.post_message(ana, world, "mine").ts
    assert error_code(client.chat_update, channel=world, ts=theirs, text="x") == (
        "cant_update_message"
    )


def test_delete_removes_the_message_or_leaves_a_tombstone_over_a_thread(
    standin: SlackStandin, client: WebClient, world: str
) -> None:
    lone = client.chat_postMessage(channel=world, text="lone")["ts"]
    parent = client.chat_postMessage(channel=world, text="parent")["ts"]
    reply = client.chat_postMessage(channel=world, text="r", thread_ts=parent)["ts"]
    assert client.chat_delete(channel=world, ts=lone)["ts"] == lone
    client.chat_delete(channel=world, ts=parent)
    remaining = standin.messages(world)
    assert [m["subtype"] for m in remaining] == ["tombstone"]
    assert remaining[0]["reply_count"] == 1
    client.chat_delete(channel=world, ts=reply)
    assert error_code(client.chat_delete, channel=world, ts=lone) == "message_not_found"


def test_permalinks_point_at_messages_and_replies(
    standin: SlackStandin, client: WebClient, world: str
) -> None:
    parent = client.chat_postMessage(channel=world, text="p")["ts"]
    reply = client.chat_postMessage(channel=world, text="r", thread_ts=parent)["ts"]
    link = client.chat_getPermalink(channel=world, message_ts=parent)["permalink"]
    assert link == f"https://newsdesk-standin.slack.com/archives/{world}/p{parent.replace('.', '')}"
    reply_link = client.chat_getPermalink(channel=world, message_ts=reply)["permalink"]
    assert reply_link.endswith(f"?thread_ts={parent}&cid={world}")
    assert error_code(client.chat_getPermalink, channel=world, message_ts="1.1") == (
        "message_not_found"
    )


def test_ephemeral_messages_go_to_one_member(
    standin: SlackStandin, client: WebClient, world: str, ana: str
) -> None:
    response = client.chat_postEphemeral(channel=world, user=ana, text="only you")
    shown = standin.ephemeral(ana)
    assert [(m["text"], m["channel"], m["ts"]) for m in shown] == [
        ("only you", world, response["message_ts"])
    ]
    assert standin.messages(world) == []
    outsider = standin.add_user("bo")
    assert error_code(client.chat_postEphemeral, channel=world, user=outsider, text="x") == (
        "user_not_in_channel"
    )
    assert error_code(client.chat_postEphemeral, channel=world, user="U404", text="x") == (
        "user_not_found"
    )


def test_unfurls_attach_to_the_shared_message(
    standin: SlackStandin, client: WebClient, world: str, ana: str
) -> None:
    sent = standin.share_link(ana, world, STORY)
    unfurl = {"blocks": [section("*Story*")]}
    assert client.chat_unfurl(channel=world, ts=sent.ts, unfurls={STORY: unfurl})["ok"]
    assert standin.unfurls(world, sent.ts) == {STORY: unfurl}
    shared = next(
        d.payload["event"] for d in sent.deliveries if d.payload["event"]["type"] == "link_shared"
    )
    other = {"https://news.example.com/b": {"blocks": [section("B")]}}
    client.chat_unfurl(source=shared["source"], unfurl_id=shared["unfurl_id"], unfurls=other)
    assert set(standin.unfurls(world, sent.ts)) == {STORY, "https://news.example.com/b"}
    assert error_code(client.chat_unfurl, channel=world, ts="1.1", unfurls={STORY: unfurl}) == (
        "cannot_find_message"
    )


def test_reactions_are_recorded_once(
    standin: SlackStandin, client: WebClient, world: str, ana: str
) -> None:
    ts = standin.post_message(ana, world, "story").ts
    client.reactions_add(channel=world, timestamp=ts, name="newspaper")
    assert standin.reactions(world, ts) == {"newspaper": [standin.bot_user_id]}
    assert error_code(client.reactions_add, channel=world, timestamp=ts, name="newspaper") == (
        "already_reacted"
    )
    assert error_code(client.reactions_add, channel=world, timestamp="1.1", name="x") == (
        "message_not_found"
    )
    history = client.conversations_history(channel=world)["messages"]
    assert history[0]["reactions"] == [
        {"name": "newspaper", "users": [standin.bot_user_id], "count": 1}
    ]


# ---- conversations, users, usergroups ------------------------------------------------------


def test_conversation_info_by_kind(standin: SlackStandin, client: WebClient, ana: str) -> None:
    public = standin.add_channel("world", members=[ana])
    private = standin.add_channel("desk", is_private=True)
    info = client.conversations_info(channel=public, include_num_members=True)["channel"]
    assert (info["name"], info["is_channel"], info["is_private"]) == ("world", True, False)
    assert info["num_members"] == 2
    assert client.conversations_info(channel=private)["channel"]["is_private"] is True
    dm = client.conversations_info(channel=standin.open_dm(ana))["channel"]
    assert (dm["is_im"], dm["user"]) == (True, ana)
    assert error_code(client.conversations_info, channel="C404") == "channel_not_found"


def test_users_and_usergroups(standin: SlackStandin, client: WebClient, ana: str) -> None:
    user = client.users_info(user=ana)["user"]
    assert (user["id"], user["name"], user["profile"]["real_name"]) == (ana, "ana", "Ana Lima")
    assert client.users_info(user=standin.bot_user_id)["user"]["is_bot"] is True
    assert error_code(client.users_info, user="U404") == "user_not_found"
    editors = standin.add_usergroup("editors", [ana])
    assert editors.startswith("S")
    assert client.usergroups_users_list(usergroup=editors)["users"] == [ana]
    assert error_code(client.usergroups_users_list, usergroup="S404") == "no_such_subteam"


# ---- views --------------------------------------------------------------------------------

MODAL = {
    "type": "modal",
    "callback_id": "publish",
    "title": {"type": "plain_text", "text": "Publish"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "headline",
            "label": {"type": "plain_text", "text": "Headline"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "desk",
            "optional": True,
            "label": {"type": "plain_text", "text": "Desk"},
            "element": {
                "type": "static_select",
                "action_id": "choice",
                "options": [
                    {"text": {"type": "plain_text", "text": "World"}, "value": "world"},
                    {"text": {"type": "plain_text", "text": "Sport"}, "value": "sport"},
                ],
            },
        },
    ],
}


def trigger_for(standin: SlackStandin, receiver: Receiver, user: str, channel: str) -> str:
    standin.slash_command(user, channel, "/news", "publish")
    return str(receiver.requests[-1].form()["trigger_id"])


def test_views_open_takes_a_fresh_trigger_once(
    standin: SlackStandin, receiver: Receiver, client: WebClient, ana: str, world: str
) -> None:
    trigger = trigger_for(standin, receiver, ana, world)
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["id"].startswith("V")
    assert view["callback_id"] == "publish"
    assert view["state"] == {"values": {}}
    assert [v["id"] for v in standin.modals(ana)] == [view["id"]]
    assert error_code(client.views_open, trigger_id=trigger, view=MODAL) == "exchanged_trigger_id"
    assert error_code(client.views_open, trigger_id="1.2.3", view=MODAL) == "invalid_trigger_id"


def test_triggers_expire_after_three_seconds(receiver: Receiver) -> None:
    now = [1_700_000_000.0]
    with SlackStandin(app_url=receiver.url, signing_secret=SECRET, clock=lambda: now[0]) as standin:
        client = WebClient(token=standin.bot_token, base_url=standin.api_url)
        ana = standin.add_user("ana")
        world = standin.add_channel("world", members=[ana])
        receiver.answer = (200, "")
        # The receiver checks signatures against the real time, so only the trigger ages here.
        standin.app.clock = time.time
        trigger = trigger_for(standin, receiver, ana, world)
        now[0] += 3.5
        assert error_code(client.views_open, trigger_id=trigger, view=MODAL) == "expired_trigger_id"


def test_view_limits(
    standin: SlackStandin, receiver: Receiver, client: WebClient, ana: str, world: str
) -> None:
    too_many = {**MODAL, "blocks": [{"type": "divider"}] * 101}
    trigger = trigger_for(standin, receiver, ana, world)
    assert error_code(client.views_open, trigger_id=trigger, view=too_many) == "invalid_blocks"
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "t" * 25}}
    trigger = trigger_for(standin, receiver, ana, world)
    assert error_code(client.views_open, trigger_id=trigger, view=long_title) == (
        "invalid_arguments"
    )
    home = {"type": "home", "blocks": [{"type": "divider"}] * 100}
    assert client.views_publish(user_id=ana, view=home)["ok"]


def test_views_update_and_publish(
    standin: SlackStandin, receiver: Receiver, client: WebClient, ana: str, world: str
) -> None:
    view = client.views_open(trigger_id=trigger_for(standin, receiver, ana, world), view=MODAL)[
        "view"
    ]
    changed = {**MODAL, "title": {"type": "plain_text", "text": "Publishing…"}}
    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=changed)["view"]
    assert updated["id"] == view["id"]
    assert standin.modals(ana)[0]["title"]["text"] == "Publishing…"
    assert error_code(client.views_update, view_id=view["id"], hash=view["hash"], view=changed) == (
        "hash_conflict"
    )
    assert error_code(client.views_update, view_id="V404", view=changed) == "not_found"
    home = {"type": "home", "blocks": [section("Welcome")]}
    published = client.views_publish(user_id=ana, view=home)["view"]
    assert standin.home_view(ana)["id"] == published["id"]  # type: ignore[index]
    assert error_code(client.views_publish, user_id="U404", view=home) == "user_not_found"
    assert error_code(client.views_publish, user_id=ana, view=MODAL) == "invalid_arguments"


# ---- faults and latency ------------------------------------------------------------------


def test_rate_limit_is_a_429_with_retry_after(standin: SlackStandin, client: WebClient) -> None:
    fault = standin.inject_fault("auth.test", kind="rate_limited", times=1, retry_after=7)
    error = slack_error(client.auth_test)
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert client.auth_test()["ok"]  # only once
    assert fault.triggered == 1
    assert [c.status for c in standin.calls("auth.test")] == [429, 200]
    assert standin.calls("auth.test")[0].fault == "rate_limited"


def test_a_retrying_client_gets_through_a_rate_limit(standin: SlackStandin, world: str) -> None:
    retrying = WebClient(
        token=standin.bot_token,
        base_url=standin.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    standin.inject_fault("chat.postMessage", kind="rate_limited", times=1, retry_after=0)
    assert retrying.chat_postMessage(channel=world, text="x")["ok"]
    assert [c.status for c in standin.calls("chat.postMessage")] == [429, 200]
    assert len(standin.messages(world)) == 1  # the limited call stored nothing


def test_server_errors_hit_only_the_chosen_method(standin: SlackStandin, client: WebClient) -> None:
    standin.inject_fault("users.info", kind="server_error", status=503)
    assert client.auth_test()["ok"]
    error = slack_error(client.users_info, user=standin.bot_user_id)
    assert error.response.status_code == 503
    standin.clear_faults()
    assert client.users_info(user=standin.bot_user_id)["ok"]


def test_fault_rate_is_deterministic_for_a_seed() -> None:
    def pattern(seed: int) -> list[int]:
        with SlackStandin(seed=seed) as standin:
            client = WebClient(token=standin.bot_token, base_url=standin.api_url)
            standin.inject_fault(None, kind="server_error", rate=0.5)
            for _ in range(20):
                with contextlib.suppress(SlackApiError):
                    client.auth_test()
            return [c.status for c in standin.calls()]

    first = pattern(3)
    assert first == pattern(3)
    assert 0 < first.count(500) < 20
    assert first != pattern(4)


def test_a_timeout_drops_the_answer_after_doing_the_work(standin: SlackStandin, world: str) -> None:
    impatient = WebClient(token=standin.bot_token, base_url=standin.api_url, timeout=0.2)  # type: ignore[arg-type]
    standin.inject_fault("chat.postMessage", kind="timeout", times=1, delay=0.5)
    with pytest.raises((TimeoutError, urllib.error.URLError, OSError)):
        impatient.chat_postMessage(channel=world, text="maybe")
    # Slack may have posted it anyway: the bot must look before posting again.
    standin.wait_for(lambda: standin.calls("chat.postMessage"))
    assert [m["text"] for m in standin.messages(world)] == ["maybe"]


def test_slow_answers_still_arrive(standin: SlackStandin, client: WebClient) -> None:
    standin.inject_fault("auth.test", kind="slow", times=1, delay=0.05)
    assert client.auth_test()["ok"]
    assert standin.calls("auth.test")[0].fault == "slow"


def test_latency_beyond_the_client_timeout_fails_the_call(standin: SlackStandin) -> None:
    standin.set_latency(0.5, "auth.test")
    impatient = WebClient(token=standin.bot_token, base_url=standin.api_url, timeout=0.1)  # type: ignore[arg-type]
    with pytest.raises((TimeoutError, urllib.error.URLError, OSError)):
        impatient.auth_test()
    standin.set_latency(0.0, "auth.test")
    assert impatient.auth_test()["ok"]


# ---- requests to the app -----------------------------------------------------------------


def test_messages_arrive_as_signed_event_callbacks(
    standin: SlackStandin, receiver: Receiver, ana: str, world: str
) -> None:
    sent = standin.post_message(ana, world, f"read {STORY}")
    assert sent.status == 200
    request = receiver.requests[0]
    assert request.valid
    assert request.headers["Content-Type"] == "application/json"
    envelope = request.json()
    assert envelope["type"] == "event_callback"
    assert envelope["event_id"].startswith("Ev")
    assert envelope["team_id"] == standin.team_id
    assert envelope["api_app_id"] == standin.app_id
    assert envelope["authorizations"][0]["user_id"] == standin.bot_user_id
    event = envelope["event"]
    assert event["type"] == "message"
    assert event["text"] == "read <https://news.example.com/2024/story?id=1&amp;utm=x>"
    assert (event["user"], event["channel"], event["ts"]) == (ana, world, sent.ts)
    assert event["channel_type"] == "channel"
    assert event["event_ts"] == sent.ts
    link = event["blocks"][0]["elements"][0]["elements"][1]
    assert link == {"type": "link", "url": STORY}


def test_channel_types_follow_the_conversation(
    standin: SlackStandin, receiver: Receiver, ana: str
) -> None:
    private = standin.add_channel("desk", is_private=True, members=[ana])
    standin.post_message(ana, private, "hi")
    assert receiver.requests[-1].json()["event"]["channel_type"] == "group"
    standin.post_message(ana, standin.open_dm(ana), "hi")
    assert receiver.requests[-1].json()["event"]["channel_type"] == "im"


def test_mentions_also_deliver_app_mention(
    standin: SlackStandin, receiver: Receiver, ana: str, world: str
) -> None:
    sent = standin.post_message(ana, world, "@newsdesk latest on Ukraine")
    assert sent.text == f"<@{standin.bot_user_id}> latest on Ukraine"
    kinds = [r.json()["event"]["type"] for r in receiver.requests]
    assert kinds == ["message", "app_mention"]
    assert len(set(sent.event_ids)) == 2
    standin.post_message(ana, standin.open_dm(ana), "@newsdesk hi")
    assert [r.json()["event"]["type"] for r in receiver.requests][2:] == ["message"]


def test_channels_without_the_bot_deliver_nothing(
    standin: SlackStandin, receiver: Receiver, ana: str
) -> None:
    sport = standin.add_channel("sport", members=[ana], bot_is_member=False)
    sent = standin.post_message(ana, sport, "hello")
    assert sent.deliveries == ()
    assert receiver.requests == []
    assert [m["text"] for m in standin.messages(sport)] == ["hello"]


def test_link_shared_only_for_unfurl_domains(
    standin: SlackStandin, receiver: Receiver, ana: str, world: str
) -> None:
    standin.share_link(ana, world, "https://elsewhere.org/a")
    assert [r.json()["event"]["type"] for r in receiver.requests] == ["message"]
    sent = standin.share_link(ana, world, STORY)
    shared = receiver.requests[-1].json()["event"]
    assert shared["type"] == "link_shared"
    assert shared["links"] == [{"domain": "example.com", "url": STORY}]
    assert (shared["channel"], shared["message_ts"], shared["user"]) == (world, sent.ts, ana)
    assert shared["unfurl_id"]


def test_thread_replies_carry_thread_ts(
    standin: SlackStandin, receiver: Receiver, ana: str, world: str
) -> None:
    parent = standin.post_message(ana, world, "parent").ts
    standin.post_message(ana, world, "reply", thread_ts=parent)
    event = receiver.requests[-1].json()["event"]
    assert (event["thread_ts"], event["parent_user_id"]) == (parent, ana)
    with pytest.raises(StandinError):
        standin.post_message(ana, world, "x", thread_ts="1.000001")


def test_retried_events_carry_retry_headers(standin: SlackStandin, receiver: Receiver) -> None:
    event = {"type": "app_home_opened", "user": "U1", "tab": "home"}
    standin.send_event(event, event_id="Ev0001", retry_num=2, retry_reason="http_timeout")
    request = receiver.requests[-1]
    assert request.valid
    assert request.headers["X-Slack-Retry-Num"] == "2"
    assert request.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert request.json()["event_id"] == "Ev0001"


def test_stale_or_forged_signatures_fail_verification(standin: SlackStandin) -> None:
    verifier = SignatureVerifier(SECRET)
    body = b'{"type":"event_callback"}'
    assert verifier.is_valid_request(body, standin.sign_request(body))
    stale = standin.sign_request(body, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)
    assert not verifier.is_valid_request(body + b" ", standin.sign_request(body))
    assert not SignatureVerifier("other").is_valid_request(body, standin.sign_request(body))


def test_slash_commands_are_forms_like_slacks(
    standin: SlackStandin, receiver: Receiver, ana: str, world: str
) -> None:
    delivery = standin.slash_command(ana, world, "/news", "search ukraine")
    request = receiver.requests[-1]
    assert request.valid
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = request.form()
    assert set(form) == {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    }
    assert (form["command"], form["text"], form["user_id"], form["channel_name"]) == (
        "/news",
        "search ukraine",
        ana,
        "world",
    )
    assert form["response_url"].startswith(standin.base_url + "/response/")
    assert delivery.status == 200


def test_a_command_answer_in_the_ack_is_shown_to_the_user(
    standin: SlackStandin, receiver: Receiver, ana: str, world: str
) -> None:
    receiver.answer = (200, json.dumps({"text": "Searching…"}))
    standin.slash_command(ana, world, "/news", "x")
    assert [m["text"] for m in standin.ephemeral(ana)] == ["Searching…"]
    receiver.answer = (200, json.dumps({"text": "Published", "response_type": "in_channel"}))
    standin.slash_command(ana, world, "/news", "x")
    assert [m["text"] for m in standin.messages(world)] == ["Published"]


def test_response_urls_post_ephemeral_or_channel_messages(
    standin: SlackStandin, receiver: Receiver, ana: str, world: str
) -> None:
    standin.slash_command(ana, world, "/news", "x")
    hook = WebhookClient(receiver.requests[-1].form()["response_url"])
    assert hook.send(text="just you").status_code == 200
    assert hook.send(text="everyone", response_type="in_channel").status_code == 200
    assert [m["text"] for m in standin.ephemeral(ana)] == ["just you"]
    assert [m["text"] for m in standin.messages(world)] == ["everyone"]
    for _ in range(3):
        hook.send(text="again")
    assert hook.send(text="sixth").status_code == 404  # five uses, like Slack
    assert WebhookClient(standin.base_url + "/response/nope").send(text="x").status_code == 404


def test_clicks_send_block_actions_and_respond_replaces_the_message(
    standin: SlackStandin, receiver: Receiver, client: WebClient, ana: str, world: str
) -> None:
    blocks = [
        section("Story"),
        {"type": "actions", "block_id": "card", "elements": [button("Publish", "publish", "42")]},
    ]
    ts = client.chat_postMessage(channel=world, text="Story", blocks=blocks)["ts"]
    message = standin.messages(world)[0]
    delivery = standin.click(ana, message, "publish")
    assert delivery.status == 200
    request = receiver.requests[-1]
    assert request.valid
    payload = request.payload()
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == ana
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": world,
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": world, "name": "world"}
    assert payload["message"]["ts"] == ts
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"], action["type"]) == (
        "publish",
        "card",
        "42",
        "button",
    )
    assert payload["trigger_id"]
    hook = WebhookClient(payload["response_url"])
    hook.send(text="Published", blocks=[section("Published ✓")], replace_original=True)
    assert standin.message(world, ts)["blocks"][0]["text"]["text"] == "Published ✓"
    hook.send(text="", delete_original=True)
    assert standin.messages(world) == []


def test_clicks_on_ephemeral_messages_and_menus(
    standin: SlackStandin, receiver: Receiver, client: WebClient, ana: str, world: str
) -> None:
    menu = {
        "type": "static_select",
        "action_id": "desk",
        "options": [
            {"text": {"type": "plain_text", "text": "World"}, "value": "world"},
            {"text": {"type": "plain_text", "text": "Sport"}, "value": "sport"},
        ],
    }
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Desk?"}, "accessory": menu}]
    client.chat_postEphemeral(channel=world, user=ana, text="Desk?", blocks=blocks)
    standin.click(ana, standin.ephemeral(ana)[0], "desk", value="sport")
    payload = receiver.requests[-1].payload()
    assert payload["container"]["is_ephemeral"] is True
    assert "message" not in payload
    assert payload["actions"][0]["selected_option"]["value"] == "sport"
    with pytest.raises(StandinError):
        standin.click(ana, standin.ephemeral(ana)[0], "desk", value="weather")
    with pytest.raises(StandinError):
        standin.click(ana, standin.ephemeral(ana)[0], "missing")
    WebhookClient(payload["response_url"]).send(text="gone", delete_original=True)
    assert standin.ephemeral(ana) == []


def test_submitting_a_modal(
    standin: SlackStandin, receiver: Receiver, client: WebClient, ana: str, world: str
) -> None:
    trigger = trigger_for(standin, receiver, ana, world)
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    with pytest.raises(StandinError, match="Headline"):
        standin.submit_view(ana, view["id"], {})
    receiver.answer = (
        200,
        json.dumps({"response_action": "errors", "errors": {"headline": "Too short"}}),
    )
    standin.submit_view(ana, view["id"], {"value": "Hi", "choice": "world"})
    payload = receiver.requests[-1].payload()
    assert payload["type"] == "view_submission"
    assert payload["view"]["id"] == view["id"]
    assert payload["view"]["state"]["values"] == {
        "headline": {"value": {"type": "plain_text_input", "value": "Hi"}},
        "desk": {
            "choice": {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "World"},
                    "value": "world",
                },
            }
        },
    }
    assert standin.view_errors(view["id"]) == {"headline": "Too short"}
    assert len(standin.modals(ana)) == 1
    receiver.answer = (200, "")
    standin.submit_view(ana, view["id"], {"headline": "A real headline"})
    assert standin.modals(ana) == []


def test_home_tab_opening_and_clicks_in_views(
    standin: SlackStandin, receiver: Receiver, client: WebClient, ana: str
) -> None:
    standin.open_home(ana)
    event = receiver.requests[-1].json()["event"]
    assert (event["type"], event["user"], event["tab"]) == ("app_home_opened", ana, "home")
    assert "view" not in event
    home = {
        "type": "home",
        "blocks": [{"type": "actions", "elements": [button("Refresh", "refresh")]}],
    }
    client.views_publish(user_id=ana, view=home)
    standin.open_home(ana)
    assert receiver.requests[-1].json()["event"]["view"]["type"] == "home"
    standin.click(ana, standin.home_view(ana) or {}, "refresh")
    payload = receiver.requests[-1].payload()
    assert payload["container"]["type"] == "view"
    assert payload["view"]["id"] == standin.home_view(ana)["id"]  # type: ignore[index]
    assert "response_url" not in payload


def test_unreachable_app_is_a_clear_error(ana: str) -> None:
    with SlackStandin(app_url="http://127.0.0.1:9/slack/events") as standin:
        user = standin.add_user("bo")
        channel = standin.add_channel("world", members=[user])
        with pytest.raises(StandinError, match="cannot reach the app"):
            standin.post_message(user, channel, "hi")


def test_wait_for_returns_the_value_or_times_out(standin: SlackStandin) -> None:
    assert standin.wait_for(lambda: [1]) == [1]
    with pytest.raises(TimeoutError):
        standin.wait_for(lambda: None, timeout=0.05)


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("see https://a.example/x.", "see <https://a.example/x>."),
        ("(https://a.example/x)", "(<https://a.example/x>)"),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "<https://en.wikipedia.org/wiki/Foo_(bar)>"),
        ("AT&T <b> rises", "AT&amp;T &lt;b&gt; rises"),
        ("www.example.com now", "<http://www.example.com|www.example.com> now"),
        ("<https://a.example|A> stays", "<https://a.example|A> stays"),
        ("<@U123> and <!here>", "<@U123> and <!here>"),
        ("q?a=1&b=2 https://x.example/?a=1&b=2", "q?a=1&amp;b=2 <https://x.example/?a=1&amp;b=2>"),
    ],
)
def test_format_links_like_a_slack_client(typed: str, sent: str) -> None:
    assert format_links(typed) == sent


def test_format_text_turns_names_into_mentions(standin: SlackStandin, ana: str, world: str) -> None:
    text = standin.format_text("@ana see #world and @here, not @nobody or #nowhere")
    assert text == f"<@{ana}> see <#{world}|world> and <!here>, not @nobody or #nowhere"


# ---- the real Bolt app against the stand-in --------------------------------------------------


@pytest.fixture
def bolt_app(standin: SlackStandin) -> Iterator[App]:
    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    app = App(
        client=WebClient(token=standin.bot_token, base_url=standin.api_url),
        signing_secret=SECRET,
        process_before_response=True,
        token_verification_enabled=False,
    )
    server = make_server(
        "127.0.0.1", 0, SlackRequestHandler(app), server_class=Server, handler_class=Quiet
    )
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    standin.app_url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    yield app
    server.shutdown()
    server.server_close()


def test_a_bolt_app_hears_messages_and_answers_in_the_thread(
    standin: SlackStandin, bolt_app: App, ana: str, world: str
) -> None:
    @bolt_app.event("message")
    def echo(event: dict[str, Any], client: WebClient) -> None:
        if not event.get("bot_id"):
            client.chat_postMessage(channel=event["channel"], thread_ts=event["ts"], text="got it")

    @bolt_app.event("app_mention")
    def react(event: dict[str, Any], client: WebClient) -> None:
        client.reactions_add(channel=event["channel"], timestamp=event["ts"], name="eyes")

    sent = standin.post_message(ana, world, "@newsdesk hello")
    assert [d.status for d in sent.deliveries] == [200, 200]
    assert [m["text"] for m in standin.replies(world, sent.ts)] == ["got it"]
    assert standin.reactions(world, sent.ts) == {"eyes": [standin.bot_user_id]}


def test_a_bolt_app_rejects_a_bad_signature(standin: SlackStandin, bolt_app: App) -> None:
    body = json.dumps({"type": "event_callback", "event": {"type": "message"}}).encode()
    headers = standin.sign_request(body, timestamp=int(time.time()) - 600)
    headers["Content-Type"] = "application/json"
    assert standin.app_url is not None
    request = urllib.request.Request(standin.app_url, data=body, headers=headers, method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 401


def test_a_bolt_app_runs_commands_buttons_and_modals(
    standin: SlackStandin, bolt_app: App, ana: str, world: str
) -> None:
    @bolt_app.command("/news")
    def news(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        if body["text"] == "publish":
            client.views_open(trigger_id=body["trigger_id"], view=MODAL)
        else:
            blocks = [section("Found 1"), {"type": "actions", "elements": [button("More", "more")]}]
            respond(text="Found 1", blocks=blocks)

    @bolt_app.action("more")
    def more(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="Page 2", replace_original=True)

    @bolt_app.view("publish")
    def publish(ack: Ack, view: dict[str, Any], client: WebClient) -> None:
        headline = view["state"]["values"]["headline"]["value"]["value"]
        ack()
        client.chat_postMessage(channel=world, text=f"Published: {headline}")

    standin.slash_command(ana, world, "/news", "search x")
    shown = standin.ephemeral(ana)
    assert [m["text"] for m in shown] == ["Found 1"]
    standin.click(ana, shown[0], "more")
    assert [m["text"] for m in standin.ephemeral(ana)] == ["Page 2"]

    standin.slash_command(ana, world, "/news", "publish")
    modal = standin.modals(ana)[0]
    standin.submit_view(ana, modal["id"], {"value": "Rates rise"})
    assert standin.modals(ana) == []
    assert [m["text"] for m in standin.messages(world)] == ["Published: Rates rise"]
