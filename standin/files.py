"""Files in the stand-in: a person shares a file (``SlackStandin.upload_file``), the app
reads its record with ``files.info`` and downloads it from ``url_private_download`` with the
bot token, as in Slack. A download without the right token is redirected to the sign-in page,
like Slack does; a file is visible to the bot only through a conversation the bot is a member
of.
"""

from __future__ import annotations

import copy
import mimetypes
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import PurePath
from typing import Any
from urllib.parse import quote, unquote

from standin.workspace import Arguments, Channel, Json, SlackMethodError, Workspace, require

DOWNLOAD_PREFIX = "/files-pri/"
FILETYPES = {
    ".txt": ("text", "Plain Text", "text/plain"),
    ".md": ("markdown", "Markdown (raw)", "text/plain"),
    ".html": ("html", "HTML", "text/html"),
    ".htm": ("html", "HTML", "text/html"),
    ".pdf": ("pdf", "PDF", "application/pdf"),
    ".docx": (
        "docx",
        "Word Document",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ".rtf": ("rtf", "Rich Text", "text/rtf"),
    ".odt": ("odt", "OpenDocument Text", "application/vnd.oasis.opendocument.text"),
    ".png": ("png", "PNG", "image/png"),
    ".jpg": ("jpg", "JPEG", "image/jpeg"),
}


@dataclass
class StoredFile:
    id: str
    name: str
    user: str
    content: bytes
    filetype: str
    pretty_type: str
    mimetype: str
    created: int
    channels: set[str] = field(default_factory=set)
    shares: dict[str, list[str]] = field(default_factory=dict)  # channel → message ts
    # Uploaded into an app's form (file_input): the app may read it without a channel.
    shared_with_app: bool = False


class FileStore:
    """The workspace's files; ``files.info`` and downloads are answered from here."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, StoredFile] = {}
        self.base_url = ""
        self.team_id = ""
        self.downloads: list[tuple[str, bool]] = []  # (file id, authorised)

    def add(self, file_id: str, name: str, user: str, content: bytes, created: int) -> StoredFile:
        suffix = PurePath(name).suffix.lower()
        guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
        filetype, pretty, mimetype = FILETYPES.get(suffix, ("binary", "Binary", guessed))
        stored = StoredFile(file_id, name, user, content, filetype, pretty, mimetype, created)
        with self.lock:
            self.files[file_id] = stored
        return stored

    def download_url(self, stored: StoredFile) -> str:
        key = f"{self.team_id}-{stored.id}"
        return f"{self.base_url}{DOWNLOAD_PREFIX}{key}/download/{quote(stored.name)}"

    def file_json(self, stored: StoredFile, *, is_private: bool) -> Json:
        """A file object as Slack puts it in events and ``files.info``."""
        private = f"{self.base_url}{DOWNLOAD_PREFIX}{self.team_id}-{stored.id}/{quote(stored.name)}"
        return {
            "id": stored.id,
            "created": stored.created,
            "timestamp": stored.created,
            "name": stored.name,
            "title": stored.name,
            "mimetype": stored.mimetype,
            "filetype": stored.filetype,
            "pretty_type": stored.pretty_type,
            "user": stored.user,
            "user_team": self.team_id,
            "editable": False,
            "size": len(stored.content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": not is_private,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": private,
            "url_private_download": self.download_url(stored),
            "permalink": f"{self.base_url}/files/{stored.user}/{stored.id}/{quote(stored.name)}",
            "file_access": "visible",
            "has_rich_preview": False,
        }

    def visible_to(self, stored: StoredFile, member_of: set[str]) -> bool:
        return stored.shared_with_app or bool(stored.channels & member_of)


def api_files_info(store: FileStore, workspace: Workspace, arguments: Arguments) -> Json:
    """``files.info``: the file's record, if the bot can see it through a conversation."""
    file_id = require(arguments, "file")
    with store.lock:
        stored = store.files.get(file_id)
    bot = workspace.bot_user_id
    member_of = {cid for cid, channel in workspace.channels.items() if bot in channel.members}
    if stored is None or not store.visible_to(stored, member_of):
        raise SlackMethodError("file_not_found")
    is_private = any(
        workspace.channels[cid].is_private or workspace.channels[cid].is_im
        for cid in stored.channels
        if cid in workspace.channels
    )
    info = store.file_json(stored, is_private=is_private)
    info["shares"] = {
        "private" if is_private else "public": {
            cid: [{"ts": ts} for ts in stamps] for cid, stamps in stored.shares.items()
        }
    }
    info["channels"] = sorted(stored.channels)
    return {"ok": True, "file": info, "comments": [], "response_metadata": {"next_cursor": ""}}


def serve_download(
    store: FileStore, bot_token: str, request: BaseHTTPRequestHandler, path: str
) -> None:
    """GET ``/files-pri/T-F/download/name``: the bytes with the bot token, else a redirect."""
    rest = path.removeprefix(DOWNLOAD_PREFIX)
    key = unquote(rest.split("/", 1)[0])
    file_id = key.split("-", 1)[1] if "-" in key else key
    with store.lock:
        stored = store.files.get(file_id)
    authorization = request.headers.get("Authorization") or ""
    authorised = authorization.removeprefix("Bearer ").strip() == bot_token
    with store.lock:
        store.downloads.append((file_id, authorised))
    if not authorised:
        request.send_response(302)
        request.send_header("Location", f"{store.base_url}/?redir={quote(path)}")
        request.send_header("Content-Length", "0")
        request.end_headers()
        return
    if stored is None:
        body = b"Not found"
        request.send_response(404)
        request.send_header("Content-Type", "text/plain")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
        return
    request.send_response(200)
    request.send_header("Content-Type", stored.mimetype)
    request.send_header("Content-Length", str(len(stored.content)))
    request.send_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(stored.name)}")
    request.end_headers()
    request.wfile.write(stored.content)


def store_file_share(
    store: FileStore,
    workspace: Workspace,
    place: Channel,
    person: str,
    name: str,
    content: bytes,
    *,
    text: str,
    blocks: list[Json] | None,
    thread_ts: str | None,
) -> dict[str, Any]:
    """``person`` uploads ``name`` into ``place`` (the caller holds the workspace lock): the
    message is stored with its ``files``; returns the ``message``/``file_share`` event."""
    place.members.add(person)
    stored_file = store.add(workspace.new_id("F"), name, person, content, int(workspace.clock()))
    file_object = store.file_json(stored_file, is_private=place.is_private or place.is_im)
    body: Json = {
        "subtype": "file_share",
        "user": person,
        "team": store.team_id,
        "text": text,
        "files": [file_object],
        "upload": True,
        "display_as_bot": False,
    }
    if blocks:
        body["blocks"] = blocks
    stored = workspace.store_message(place, body, thread_ts=thread_ts)
    stored_file.channels.add(place.id)
    stored_file.shares.setdefault(place.id, []).append(stored.ts)
    event: dict[str, Any] = {**copy.deepcopy(stored.body), "channel": place.id}
    event.update(event_ts=stored.ts, channel_type=place.channel_type)
    return event


def attach_file(
    store: FileStore, workspace: Workspace, person: str, name: str, content: bytes
) -> Json:
    """``person`` picks a file in a modal's ``file_input``: the file object the view's state
    reports (the file is uploaded, shared nowhere, readable by the app)."""
    stored = store.add(workspace.new_id("F"), name, person, content, int(workspace.clock()))
    stored.shared_with_app = True
    return store.file_json(stored, is_private=True)
