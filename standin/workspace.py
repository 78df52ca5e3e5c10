"""The stand-in's Slack workspace: users, channels, messages, threads, views, kept in memory.

Every Web API method is a ``api_<method>`` function taking decoded arguments and returning the
response body, or raising :class:`SlackMethodError` with Slack's error code. One lock guards
all state; callers get copies.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from standin.blockkit import (
    MESSAGE_BLOCK_LIMIT,
    MESSAGE_TEXT_LIMIT,
    find_block_problems,
    find_view_problems,
)

TRIGGER_LIFETIME = 3.0
Arguments = dict[str, Any]
Json = dict[str, Any]


class SlackMethodError(Exception):
    """A Web API call Slack would refuse: ``code`` is Slack's ``error`` value."""

    def __init__(self, code: str, *, errors: list[str] | None = None, status: int = 200) -> None:
        super().__init__(code)
        self.code = code
        self.errors = errors or []
        self.status = status

    def body(self) -> Json:
        body: Json = {"ok": False, "error": self.code}
        if self.errors:
            body["errors"] = self.errors
            body["response_metadata"] = {"messages": [f"[ERROR] {e}" for e in self.errors]}
        return body


@dataclass
class User:
    id: str
    name: str
    real_name: str
    is_bot: bool = False
    bot_id: str | None = None

    def to_json(self, team_id: str) -> Json:
        profile = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "team": team_id,
        }
        if self.bot_id:
            profile["bot_id"] = self.bot_id
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": False,
            "is_admin": False,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "tz": "UTC",
            "tz_label": "Coordinated Universal Time",
            "tz_offset": 0,
            "profile": profile,
        }


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    im_user: str | None = None
    members: set[str] = field(default_factory=set)
    created: int = 0

    @property
    def channel_type(self) -> str:
        """The ``channel_type`` of message events: channel, group or im."""
        if self.is_im:
            return "im"
        return "group" if self.is_private else "channel"


@dataclass
class StoredMessage:
    channel: str
    ts: str
    body: Json
    replies: list[str] = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Trigger:
    user: str
    issued_at: float
    used: bool = False


def text_argument(arguments: Arguments, name: str) -> str | None:
    value = arguments.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def bool_argument(arguments: Arguments, name: str) -> bool:
    value = arguments.get(name)
    if isinstance(value, str):
        return value.lower() in {"1", "true", "yes"}
    return bool(value)


def int_argument(arguments: Arguments, name: str, default: int) -> int:
    value = arguments.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise SlackMethodError("invalid_arguments", errors=[f"{name} must be a number"]) from error


def json_argument(arguments: Arguments, name: str, error_code: str) -> Any:
    """A JSON argument sent as a string (form bodies) or as JSON (JSON bodies)."""
    value = arguments.get(name)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise SlackMethodError(error_code) from error
    return value


def require(arguments: Arguments, name: str, code: str = "invalid_arguments") -> str:
    value = text_argument(arguments, name)
    if value is None:
        raise SlackMethodError(code, errors=[f"missing required field: {name}"])
    return value


def assign_ids(blocks: Any) -> Any:
    """Blocks with the ``block_id`` and ``action_id`` values Slack fills in when missing."""
    if not isinstance(blocks, list):
        return blocks
    filled = copy.deepcopy(blocks)
    for block in filled:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", uuid.uuid4().hex[:5])
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        elements += [
            block[key] for key in ("accessory", "element") if isinstance(block.get(key), dict)
        ]
        for element in elements:
            if isinstance(element, dict) and element.get("type") != "image":
                element.setdefault("action_id", uuid.uuid4().hex[:5])
    return filled


def ts_to_micros(ts: str) -> int:
    seconds, _, fraction = ts.partition(".")
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])


class Workspace:
    """In-memory workspace state and the Web API methods over it."""

    def __init__(
        self,
        *,
        bot_token: str,
        team_name: str = "Newsdesk Stand-in",
        team_domain: str = "newsdesk-standin",
        bot_name: str = "newsdesk",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.bot_token = bot_token
        self.team_name = team_name
        self.team_domain = team_domain
        self._counters: dict[str, itertools.count[int]] = {}
        self.team_id = self.new_id("T")
        self.enterprise_id: str | None = None
        self.app_id = self.new_id("A")
        self.bot_id = self.new_id("B")
        self.users: dict[str, User] = {}
        self.bot_user_id = self.add_user(bot_name, real_name=bot_name, is_bot=True)
        self.users[self.bot_user_id].bot_id = self.bot_id
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, tuple[str, list[str]]] = {}
        self.messages: dict[str, StoredMessage] = {}
        self.history: dict[str, list[str]] = {}
        self.ephemerals: dict[str, list[Json]] = {}
        self.home_views: dict[str, Json] = {}
        self.modals: dict[str, list[Json]] = {}
        self.view_errors: dict[str, dict[str, str]] = {}
        self.unfurls: dict[tuple[str, str], Json] = {}
        self.unfurl_ids: dict[str, tuple[str, str]] = {}
        self.triggers: dict[str, Trigger] = {}
        self._last_micros = 0

    # ---- ids and timestamps ------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        with self.lock:
            counter = self._counters.setdefault(prefix, itertools.count(1))
            return f"{prefix}{next(counter):09d}"

    def new_ts(self) -> str:
        """A message timestamp, unique and increasing, like ``1700000000.000100``."""
        with self.lock:
            micros = max(int(self.clock() * 1_000_000), self._last_micros + 1)
            self._last_micros = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_trigger(self, user: str) -> str:
        with self.lock:
            number = next(self._counters.setdefault("trigger", itertools.count(1)))
            trigger_id = f"{number}.{int(self.clock())}.{uuid.uuid4().hex}"
            self.triggers[trigger_id] = Trigger(user=user, issued_at=self.clock())
            return trigger_id

    # ---- workspace set-up --------------------------------------------------------------

    def add_user(self, name: str, *, real_name: str | None = None, is_bot: bool = False) -> str:
        with self.lock:
            user_id = self.new_id("U")
            self.users[user_id] = User(user_id, name, real_name or name, is_bot=is_bot)
            return user_id

    def add_channel(
        self,
        name: str,
        *,
        is_private: bool = False,
        members: Iterable[str] = (),
        bot_is_member: bool = True,
    ) -> str:
        with self.lock:
            if any(c.name == name and not c.is_im for c in self.channels.values()):
                raise ValueError(f"channel #{name} already exists")
            channel_id = self.new_id("G" if is_private else "C")
            member_set = set(members)
            if bot_is_member:
                member_set.add(self.bot_user_id)
            self.channels[channel_id] = Channel(
                channel_id, name, is_private, members=member_set, created=int(self.clock())
            )
            self.history[channel_id] = []
            return channel_id

    def join_channel(self, channel: str, user: str) -> None:
        with self.lock:
            self.channel(channel).members.add(user)

    def open_dm(self, user: str) -> str:
        """The DM between ``user`` and the bot (created on first use)."""
        with self.lock:
            self.user(user)
            for channel in self.channels.values():
                if channel.is_im and channel.im_user == user:
                    return channel.id
            channel_id = self.new_id("D")
            self.channels[channel_id] = Channel(
                channel_id,
                user,
                is_private=True,
                is_im=True,
                im_user=user,
                members={user, self.bot_user_id},
                created=int(self.clock()),
            )
            self.history[channel_id] = []
            return channel_id

    def add_usergroup(self, handle: str, user_ids: Iterable[str]) -> str:
        with self.lock:
            group_id = self.new_id("S")
            self.usergroups[group_id] = (handle, list(user_ids))
            return group_id

    # ---- lookups -----------------------------------------------------------------------

    def user(self, user_id: str) -> User:
        found = self.users.get(user_id)
        if found is None:
            raise SlackMethodError("user_not_found")
        return found

    def channel(self, channel_id: str) -> Channel:
        found = self.channels.get(channel_id)
        if found is None:
            raise SlackMethodError("channel_not_found")
        return found

    def resolve_channel(self, value: str) -> Channel:
        """A channel by id, ``#name``/name, or a user id (their DM with the bot)."""
        if value in self.channels:
            return self.channels[value]
        if value in self.users:
            return self.channels[self.open_dm(value)]
        name = value.removeprefix("#")
        for channel in self.channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        raise SlackMethodError("channel_not_found")

    def visible_channel(self, value: str) -> Channel:
        """A channel the bot can see: private channels it is not in do not exist for it."""
        channel = self.resolve_channel(value)
        if channel.is_private and self.bot_user_id not in channel.members:
            raise SlackMethodError("channel_not_found")
        return channel

    def stored(self, channel: str, ts: str) -> StoredMessage:
        found = self.messages.get(ts)
        if found is None or found.channel != channel:
            raise SlackMethodError("message_not_found")
        return found

    def public_message(self, stored: StoredMessage, *, include_metadata: bool = True) -> Json:
        body = copy.deepcopy(stored.body)
        if not include_metadata:
            body.pop("metadata", None)
        if stored.replies:
            replies = [self.messages[ts] for ts in stored.replies]
            users = list(dict.fromkeys(r.body.get("user", "") for r in replies))
            body.update(
                thread_ts=stored.ts,
                reply_count=len(replies),
                reply_users=users,
                reply_users_count=len(users),
                latest_reply=replies[-1].ts,
            )
        if stored.reactions:
            body["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in stored.reactions.items()
            ]
        return body

    # ---- storing messages (used by the Web API and by people's messages) ---------------

    def store_message(
        self,
        channel: Channel,
        body: Json,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> StoredMessage:
        with self.lock:
            ts = self.new_ts()
            body = {"type": "message", **body, "ts": ts}
            parent: StoredMessage | None = None
            if thread_ts:
                parent = self.messages.get(thread_ts)
                if parent is None or parent.channel != channel.id:
                    raise SlackMethodError("thread_not_found")
                root_ts = parent.body.get("thread_ts", parent.ts)
                parent = self.messages[root_ts]
                body["thread_ts"] = parent.ts
                body["parent_user_id"] = parent.body.get("user", "")
                if broadcast:
                    body["subtype"] = "thread_broadcast"
            stored = StoredMessage(channel.id, ts, body)
            self.messages[ts] = stored
            if parent is not None:
                parent.replies.append(ts)
            if parent is None or broadcast:
                self.history[channel.id].append(ts)
            return stored

    def bot_message(self, text: str | None, blocks: Any, metadata: Any) -> Json:
        body: Json = {
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": text or "",
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.users[self.bot_user_id].name,
                "team_id": self.team_id,
                "deleted": False,
            },
        }
        if blocks:
            body["blocks"] = assign_ids(blocks)
        if metadata:
            body["metadata"] = metadata
        return body

    def message_content(
        self, arguments: Arguments, *, require_text: bool = True
    ) -> tuple[str | None, Any, Any]:
        """Text, blocks and metadata of a message, checked against Slack's limits."""
        text = text_argument(arguments, "text")
        blocks = json_argument(arguments, "blocks", "invalid_blocks_format")
        attachments = json_argument(arguments, "attachments", "invalid_attachments")
        metadata = json_argument(arguments, "metadata", "invalid_metadata_format")
        if blocks is not None:
            problems = find_block_problems(blocks, limit=MESSAGE_BLOCK_LIMIT)
            if problems:
                raise SlackMethodError("invalid_blocks", errors=problems)
        if require_text and text is None and not blocks and not attachments:
            raise SlackMethodError("no_text")
        if text is not None and len(text) > MESSAGE_TEXT_LIMIT:
            raise SlackMethodError("msg_too_long")
        if metadata is not None and (
            not isinstance(metadata, dict)
            or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload", {}), dict)
        ):
            raise SlackMethodError("invalid_metadata_format")
        return text, blocks, metadata

    def writable_channel(self, value: str) -> Channel:
        channel = self.visible_channel(value)
        if self.bot_user_id not in channel.members:
            raise SlackMethodError("not_in_channel")
        return channel

    def check_trigger(self, trigger_id: str | None) -> Trigger:
        if trigger_id is None:
            raise SlackMethodError(
                "invalid_arguments", errors=["missing required field: trigger_id"]
            )
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise SlackMethodError("invalid_trigger_id")
        if trigger.used:
            raise SlackMethodError("exchanged_trigger_id")
        if self.clock() - trigger.issued_at > TRIGGER_LIFETIME:
            raise SlackMethodError("expired_trigger_id")
        trigger.used = True
        return trigger

    def checked_view(self, arguments: Arguments, kinds: frozenset[str]) -> Json:
        view = json_argument(arguments, "view", "invalid_arguments")
        if view is None:
            raise SlackMethodError("invalid_arguments", errors=["missing required field: view"])
        problems = find_view_problems(view, kinds=kinds)
        if problems:
            code = (
                "invalid_blocks"
                if all("/view/blocks" in p for p in problems)
                else "invalid_arguments"
            )
            raise SlackMethodError(code, errors=problems)
        return dict(view)

    def stamp_view(
        self, view: Json, *, view_id: str | None = None, root: str | None = None
    ) -> Json:
        view_id = view_id or self.new_id("V")
        stamped: Json = {
            "id": view_id,
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "app_installed_team_id": self.team_id,
            "callback_id": "",
            "external_id": "",
            "private_metadata": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "submit_disabled": False,
            "previous_view_id": None,
            **view,
            "state": {"values": {}},
            "hash": f"{int(self.clock())}.{uuid.uuid4().hex[:8]}",
            "root_view_id": root or view_id,
        }
        stamped["blocks"] = assign_ids(stamped.get("blocks") or [])
        return stamped

    def find_view(self, view_id: str | None, external_id: str | None) -> tuple[str, Json]:
        """(owner user, view) for a modal or Home tab by id or external id."""
        for user, stack in self.modals.items():
            for view in stack:
                if view["id"] == view_id or (
                    external_id and view.get("external_id") == external_id
                ):
                    return user, view
        for user, view in self.home_views.items():
            if view["id"] == view_id or (external_id and view.get("external_id") == external_id):
                return user, view
        raise SlackMethodError("not_found")

    def replace_view(self, user: str, old: Json, new: Json) -> None:
        if self.home_views.get(user) is old:
            self.home_views[user] = new
            return
        stack = self.modals.get(user, [])
        for index, view in enumerate(stack):
            if view is old:
                stack[index] = new

    # ---- Web API methods ----------------------------------------------------------------

    def api_auth_test(self, arguments: Arguments) -> Json:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.users[self.bot_user_id].name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "is_enterprise_install": False,
        }

    def api_chat_post_message(self, arguments: Arguments) -> Json:
        channel = self.writable_channel(require(arguments, "channel", "channel_not_found"))
        text, blocks, metadata = self.message_content(arguments)
        stored = self.store_message(
            channel,
            self.bot_message(text, blocks, metadata),
            thread_ts=text_argument(arguments, "thread_ts"),
            broadcast=bool_argument(arguments, "reply_broadcast"),
        )
        return {
            "ok": True,
            "channel": channel.id,
            "ts": stored.ts,
            "message": self.public_message(stored),
        }

    def api_chat_post_ephemeral(self, arguments: Arguments) -> Json:
        channel = self.writable_channel(require(arguments, "channel", "channel_not_found"))
        user = self.user(require(arguments, "user", "user_not_found"))
        if user.id not in channel.members:
            raise SlackMethodError("user_not_in_channel")
        text, blocks, _ = self.message_content(arguments)
        ts = self.add_ephemeral(
            user.id, channel.id, text, blocks, thread_ts=text_argument(arguments, "thread_ts")
        )
        return {"ok": True, "message_ts": ts}

    def add_ephemeral(
        self,
        user: str,
        channel: str,
        text: str | None,
        blocks: Any,
        *,
        thread_ts: str | None = None,
    ) -> str:
        with self.lock:
            ts = self.new_ts()
            message = self.bot_message(text, blocks, None)
            message.update(type="message", ts=ts, channel=channel, is_ephemeral=True)
            if thread_ts:
                message["thread_ts"] = thread_ts
            self.ephemerals.setdefault(user, []).append(message)
            return ts

    def api_chat_update(self, arguments: Arguments) -> Json:
        channel = self.visible_channel(require(arguments, "channel", "channel_not_found"))
        stored = self.stored(channel.id, require(arguments, "ts", "message_not_found"))
        if stored.body.get("bot_id") != self.bot_id:
            raise SlackMethodError("cant_update_message")
        text, blocks, metadata = self.message_content(arguments)
        with self.lock:
            stored.body["text"] = text or ""
            if blocks is not None:
                stored.body["blocks"] = assign_ids(blocks)
            if metadata is not None:
                stored.body["metadata"] = metadata
            stored.body["edited"] = {"user": self.bot_user_id, "ts": self.new_ts()}
        message = self.public_message(stored)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": stored.ts,
            "text": message.get("text", ""),
            "message": message,
        }

    def api_chat_delete(self, arguments: Arguments) -> Json:
        channel = self.visible_channel(require(arguments, "channel", "channel_not_found"))
        stored = self.stored(channel.id, require(arguments, "ts", "message_not_found"))
        if stored.body.get("bot_id") != self.bot_id:
            raise SlackMethodError("cant_delete_message")
        self.remove_message(stored)
        return {"ok": True, "channel": channel.id, "ts": stored.ts}

    def remove_message(self, stored: StoredMessage) -> None:
        with self.lock:
            if stored.replies:
                stored.body.update(
                    subtype="tombstone", text="This message was deleted.", hidden=True
                )
                stored.body.pop("blocks", None)
                return
            del self.messages[stored.ts]
            history = self.history[stored.channel]
            if stored.ts in history:
                history.remove(stored.ts)
            parent_ts = stored.body.get("thread_ts")
            if parent_ts and parent_ts != stored.ts and parent_ts in self.messages:
                self.messages[parent_ts].replies.remove(stored.ts)

    def api_chat_get_permalink(self, arguments: Arguments) -> Json:
        channel = self.visible_channel(require(arguments, "channel", "channel_not_found"))
        stored = self.stored(channel.id, require(arguments, "message_ts", "message_not_found"))
        link = (
            f"https://{self.team_domain}.slack.com/archives/{channel.id}/"
            f"p{stored.ts.replace('.', '')}"
        )
        thread_ts = stored.body.get("thread_ts")
        if thread_ts and thread_ts != stored.ts:
            link += f"?thread_ts={thread_ts}&cid={channel.id}"
        return {"ok": True, "channel": channel.id, "permalink": link}

    def api_chat_unfurl(self, arguments: Arguments) -> Json:
        unfurls = json_argument(arguments, "unfurls", "invalid_unfurls_format")
        if not isinstance(unfurls, dict) or not unfurls:
            raise SlackMethodError("invalid_unfurls_format")
        for url, unfurl in unfurls.items():
            if not isinstance(unfurl, dict):
                raise SlackMethodError("invalid_unfurls_format")
            if "blocks" in unfurl:
                problems = find_block_problems(
                    unfurl["blocks"], limit=MESSAGE_BLOCK_LIMIT, root=f"/unfurls/{url}/blocks"
                )
                if problems:
                    raise SlackMethodError("invalid_blocks", errors=problems)
        source, unfurl_id = (
            text_argument(arguments, "source"),
            text_argument(arguments, "unfurl_id"),
        )
        channel_id, ts = text_argument(arguments, "channel"), text_argument(arguments, "ts")
        with self.lock:
            if source and unfurl_id:
                key = self.unfurl_ids.get(unfurl_id)
                if key is None:
                    raise SlackMethodError("cannot_find_message")
            elif channel_id and ts:
                channel = self.visible_channel(channel_id)
                if ts not in self.messages or self.messages[ts].channel != channel.id:
                    raise SlackMethodError("cannot_find_message")
                key = (channel.id, ts)
            else:
                raise SlackMethodError(
                    "invalid_arguments", errors=["provide channel and ts, or source and unfurl_id"]
                )
            self.unfurls.setdefault(key, {}).update(copy.deepcopy(unfurls))
        return {"ok": True}

    def api_reactions_add(self, arguments: Arguments) -> Json:
        channel = self.visible_channel(require(arguments, "channel", "channel_not_found"))
        stored = self.stored(channel.id, require(arguments, "timestamp", "message_not_found"))
        name = require(arguments, "name", "invalid_name").strip(":")
        if not name or any(c.isspace() for c in name):
            raise SlackMethodError("invalid_name")
        with self.lock:
            users = stored.reactions.setdefault(name, [])
            if self.bot_user_id in users:
                raise SlackMethodError("already_reacted")
            users.append(self.bot_user_id)
        return {"ok": True}

    def api_conversations_info(self, arguments: Arguments) -> Json:
        channel = self.visible_channel(require(arguments, "channel", "channel_not_found"))
        info: Json = {
            "id": channel.id,
            "created": channel.created,
            "is_archived": False,
            "is_channel": not channel.is_im and not channel.is_private,
            "is_group": channel.is_private and not channel.is_im,
            "is_im": channel.is_im,
            "is_mpim": False,
            "is_private": channel.is_private,
            "is_member": self.bot_user_id in channel.members,
            "is_ext_shared": False,
            "is_shared": False,
        }
        if channel.is_im:
            info["user"] = channel.im_user
        else:
            info.update(name=channel.name, name_normalized=channel.name)
            info["topic"] = {"value": "", "creator": "", "last_set": 0}
            info["purpose"] = {"value": "", "creator": "", "last_set": 0}
        if bool_argument(arguments, "include_num_members"):
            info["num_members"] = len(channel.members)
        return {"ok": True, "channel": info}

    def api_conversations_open(self, arguments: Arguments) -> Json:
        users = [u for u in (text_argument(arguments, "users") or "").split(",") if u]
        if len(users) != 1:
            raise SlackMethodError("invalid_arguments", errors=["provide exactly one user"])
        channel_id = self.open_dm(users[0])
        return {"ok": True, "channel": {"id": channel_id}}

    def page(self, stamps: list[str], arguments: Arguments, *, newest_first: bool) -> Json:
        """Filter by oldest/latest/inclusive, then one page by limit and cursor."""
        oldest = ts_to_micros(text_argument(arguments, "oldest") or "0")
        latest_value = text_argument(arguments, "latest")
        latest = ts_to_micros(latest_value) if latest_value else None
        inclusive = bool_argument(arguments, "inclusive")
        chosen = []
        for ts in stamps:
            micros = ts_to_micros(ts)
            low_ok = micros >= oldest if inclusive else micros > oldest
            high_ok = latest is None or (micros <= latest if inclusive else micros < latest)
            if low_ok and high_ok:
                chosen.append(ts)
        if newest_first:
            chosen.reverse()
        limit = max(1, min(int_argument(arguments, "limit", 100), 999))
        cursor = text_argument(arguments, "cursor")
        start = 0
        if cursor:
            try:
                start = int(cursor.removeprefix("next_ts:"))
            except ValueError as error:
                raise SlackMethodError("invalid_cursor") from error
        window = chosen[start : start + limit]
        include_metadata = bool_argument(arguments, "include_all_metadata")
        has_more = start + limit < len(chosen)
        return {
            "ok": True,
            "messages": [
                self.public_message(self.messages[ts], include_metadata=include_metadata)
                for ts in window
            ],
            "has_more": has_more,
            "response_metadata": {"next_cursor": f"next_ts:{start + limit}" if has_more else ""},
        }

    def readable_channel(self, arguments: Arguments) -> Channel:
        channel = self.visible_channel(require(arguments, "channel", "channel_not_found"))
        if self.bot_user_id not in channel.members:
            raise SlackMethodError("not_in_channel")
        return channel

    def api_conversations_history(self, arguments: Arguments) -> Json:
        channel = self.readable_channel(arguments)
        with self.lock:
            response = self.page(list(self.history[channel.id]), arguments, newest_first=True)
        response["pin_count"] = 0
        return response

    def api_conversations_replies(self, arguments: Arguments) -> Json:
        channel = self.readable_channel(arguments)
        ts = require(arguments, "ts", "thread_not_found")
        with self.lock:
            stored = self.messages.get(ts)
            if stored is None or stored.channel != channel.id:
                raise SlackMethodError("thread_not_found")
            root = self.messages.get(stored.body.get("thread_ts", stored.ts), stored)
            return self.page([root.ts, *root.replies], arguments, newest_first=False)

    def api_users_info(self, arguments: Arguments) -> Json:
        user = self.user(require(arguments, "user", "user_not_found"))
        return {"ok": True, "user": user.to_json(self.team_id)}

    def api_usergroups_users_list(self, arguments: Arguments) -> Json:
        group_id = require(arguments, "usergroup", "no_such_subteam")
        group = self.usergroups.get(group_id)
        if group is None:
            raise SlackMethodError("no_such_subteam")
        return {"ok": True, "users": list(group[1])}

    def api_views_open(self, arguments: Arguments) -> Json:
        view = self.checked_view(arguments, frozenset({"modal"}))
        trigger = self.check_trigger(text_argument(arguments, "trigger_id"))
        with self.lock:
            stack = self.modals.setdefault(trigger.user, [])
            stack.clear()
            stamped = self.stamp_view(view)
            stack.append(stamped)
        return {"ok": True, "view": copy.deepcopy(stamped)}

    def api_views_push(self, arguments: Arguments) -> Json:
        view = self.checked_view(arguments, frozenset({"modal"}))
        trigger = self.check_trigger(text_argument(arguments, "trigger_id"))
        with self.lock:
            stack = self.modals.get(trigger.user)
            if not stack:
                raise SlackMethodError("not_found")
            if len(stack) >= 3:
                raise SlackMethodError("push_limit_reached")
            stamped = self.stamp_view(view, root=stack[0]["id"])
            stamped["previous_view_id"] = stack[-1]["id"]
            stack.append(stamped)
        return {"ok": True, "view": copy.deepcopy(stamped)}

    def api_views_update(self, arguments: Arguments) -> Json:
        view = self.checked_view(arguments, frozenset({"modal", "home"}))
        view_id = text_argument(arguments, "view_id")
        external_id = text_argument(arguments, "external_id")
        if view_id is None and external_id is None:
            raise SlackMethodError("invalid_arguments", errors=["provide view_id or external_id"])
        with self.lock:
            user, old = self.find_view(view_id, external_id)
            expected = text_argument(arguments, "hash")
            if expected is not None and expected != old["hash"]:
                raise SlackMethodError("hash_conflict")
            stamped = self.stamp_view(view, view_id=old["id"], root=old["root_view_id"])
            stamped["previous_view_id"] = old.get("previous_view_id")
            self.replace_view(user, old, stamped)
        return {"ok": True, "view": copy.deepcopy(stamped)}

    def api_views_publish(self, arguments: Arguments) -> Json:
        user = self.user(require(arguments, "user_id", "user_not_found"))
        view = self.checked_view(arguments, frozenset({"home"}))
        with self.lock:
            old = self.home_views.get(user.id)
            expected = text_argument(arguments, "hash")
            if old is not None and expected is not None and expected != old["hash"]:
                raise SlackMethodError("hash_conflict")
            stamped = self.stamp_view(view, view_id=old["id"] if old else None)
            self.home_views[user.id] = stamped
        return {"ok": True, "view": copy.deepcopy(stamped)}

    def method(self, name: str) -> Callable[[Arguments], Json] | None:
        """The implementation of Web API method ``name`` (e.g. ``chat.postMessage``)."""
        methods: dict[str, Callable[[Arguments], Json]] = {
            "auth.test": self.api_auth_test,
            "chat.postMessage": self.api_chat_post_message,
            "chat.postEphemeral": self.api_chat_post_ephemeral,
            "chat.update": self.api_chat_update,
            "chat.delete": self.api_chat_delete,
            "chat.getPermalink": self.api_chat_get_permalink,
            "chat.unfurl": self.api_chat_unfurl,
            "reactions.add": self.api_reactions_add,
            "conversations.info": self.api_conversations_info,
            "conversations.open": self.api_conversations_open,
            "conversations.history": self.api_conversations_history,
            "conversations.replies": self.api_conversations_replies,
            "users.info": self.api_users_info,
            "usergroups.users.list": self.api_usergroups_users_list,
            "views.open": self.api_views_open,
            "views.push": self.api_views_push,
            "views.update": self.api_views_update,
            "views.publish": self.api_views_publish,
        }
        return methods.get(name)
