"""Files shared in Slack: their records in events, and reading one into a story.

``SlackFileReader`` looks a file up with ``files.info``, downloads its
``url_private_download`` with the bot token (scope ``files:read``), streamed, with the same
size and time limits as fetched pages, and reads it (``news.documents``). A file of a kind
newsdesk never reads is refused from its record, before anything is downloaded.

The token is sent only to Slack's file host (``files.slack.com``, or the host of
``SLACK_API_URL`` when that points at a stand-in); redirects are never followed, because
Slack answers a download it refuses with a redirect to its sign-in page. The body is read
raw (``Accept-Encoding: identity``), so a small compressed answer cannot inflate in memory.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from news.articles import ArticleDraft
from news.documents import READABLE_SUFFIXES, DocumentLimits, document_kind_for_name, read_document
from news.errors import ConnectionFailed, NewsdeskError, TimedOut, TooLarge
from news.fetching import FetchLimits
from storage.articles import NewShare
from storage.ingest import IngestResult, StoryOverrides
from storage.services import Services

MAX_FILES_PER_MESSAGE = 10
FILE_FIELDS = ("id", "name", "title", "size", "mimetype", "filetype", "mode", "file_access")
SLACK_FILE_HOSTS = frozenset({"files.slack.com", "files.slack-gov.com"})
# Slack's filetype names for the kinds we read, when a file has no telling suffix.
READABLE_FILETYPES = {
    "text": ".txt",
    "markdown": ".md",
    "html": ".html",
    "docx": ".docx",
    "pdf": ".pdf",
    "rtf": ".rtf",
    "odt": ".odt",
}


def file_record(data: Mapping[str, Any]) -> dict[str, Any]:
    """The few fields of a Slack file object a job needs; the rest is looked up later."""
    return {name: data[name] for name in FILE_FIELDS if name in data}


def shared_files(event: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The file objects of a ``message`` event (or a shortcut's message)."""
    files = event.get("files")
    if not isinstance(files, list):
        return []
    return [item for item in files if isinstance(item, Mapping) and item.get("id")]


class FileRefused(NewsdeskError):
    """A shared file we will not download: too large, a kind we do not read, not visible."""


@dataclass(frozen=True)
class SharedFile:
    """What we need of a Slack file record."""

    id: str
    name: str
    size: int | None
    mimetype: str
    filetype: str
    download_url: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SharedFile:
        size = data.get("size")
        return cls(
            id=str(data.get("id") or ""),
            name=str(data.get("name") or data.get("title") or "the file"),
            size=int(size) if isinstance(size, int | float) else None,
            mimetype=str(data.get("mimetype") or ""),
            filetype=str(data.get("filetype") or ""),
            download_url=str(data.get("url_private_download") or data.get("url_private") or "")
            or None,
        )

    @property
    def reading_name(self) -> str:
        """The name to read the file by: its own, or with the suffix Slack's filetype names."""
        if document_kind_for_name(self.name) is not None:
            return self.name
        suffix = READABLE_FILETYPES.get(self.filetype)
        return f"{self.name}{suffix}" if suffix else self.name


def describe_unreadable_kind(shared: SharedFile) -> str | None:
    """The reason a file is of a kind we never read, decided before downloading it."""
    if document_kind_for_name(shared.reading_name) is not None:
        return None
    if shared.mimetype.startswith(("image/", "video/", "audio/")):
        kind = shared.mimetype.split("/", 1)[0]
        article = "an" if kind == "image" else "a"
        return f"{shared.name} is {article} {kind} file: newsdesk reads text, not {kind}s"
    readable = ", ".join(sorted(set(READABLE_SUFFIXES)))
    return f"{shared.name} is not a kind newsdesk reads (it reads {readable})"


class SlackFileDownloader:
    """Looks a file up with ``files.info`` and downloads it within the fetch limits."""

    def __init__(
        self,
        client: WebClient,
        limits: FetchLimits,
        *,
        extra_hosts: Collection[str] = (),
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = client
        self._limits = limits
        self._hosts = SLACK_FILE_HOSTS | {host.lower() for host in extra_hosts}
        self._transport = transport

    @staticmethod
    def hosts_for_api_url(api_url: str | None) -> tuple[str, ...]:
        """The stand-in's host:port when SLACK_API_URL points at one, else nothing extra."""
        if not api_url:
            return ()
        parts = urlsplit(api_url)
        host = (parts.hostname or "").lower()
        if not host or host == "slack.com" or host.endswith(".slack.com"):
            return ()
        return (f"{host}:{parts.port}" if parts.port else host,)

    def look_up(self, file_id: str) -> SharedFile:
        try:
            response = self._client.files_info(file=file_id)
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            if code in ("file_not_found", "file_deleted"):
                raise FileRefused("the file is gone or not visible to newsdesk") from None
            if code in ("missing_scope", "not_allowed_token_type"):
                raise FileRefused("newsdesk may not read files: add the files:read scope") from None
            raise
        data = response.get("file")
        if not isinstance(data, Mapping):
            raise FileRefused("Slack sent no file record")
        return SharedFile.from_json(data)

    def download(self, shared: SharedFile) -> bytes:
        """The file's bytes; raises a NewsdeskError with the reason when refused."""
        limit = self._limits.max_bytes
        if shared.size is not None and shared.size > limit:
            raise TooLarge(f"{shared.name} is larger than {_format_size(limit)}")
        url = shared.download_url
        if not url:
            raise FileRefused(f"{shared.name} has no download link (an external file?)")
        parts = urlsplit(url)
        netloc = (parts.netloc or "").lower()
        host = (parts.hostname or "").lower()
        if netloc not in self._hosts and host not in self._hosts:
            raise FileRefused(f"{shared.name} is not stored on Slack's file host")
        if host in SLACK_FILE_HOSTS and parts.scheme != "https":
            raise FileRefused(f"{shared.name} has a download link that is not https")
        token = self._client.token or ""
        timeout = httpx.Timeout(
            self._limits.read_timeout, connect=self._limits.connect_timeout, pool=None
        )
        deadline = time.monotonic() + self._limits.total_timeout
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept-Encoding": "identity",
            "User-Agent": self._limits.user_agent,
        }
        try:
            with (
                httpx.Client(
                    timeout=timeout, follow_redirects=False, transport=self._transport
                ) as http,
                http.stream("GET", url, headers=headers) as response,
            ):
                return self._read(shared, response, deadline)
        except httpx.TimeoutException:
            raise TimedOut(f"downloading {shared.name} timed out") from None
        except httpx.TransportError as error:
            raise ConnectionFailed(f"could not download {shared.name}: {error}") from None

    def _read(self, shared: SharedFile, response: httpx.Response, deadline: float) -> bytes:
        limit = self._limits.max_bytes
        if response.is_redirect or response.status_code in (401, 403):
            raise FileRefused(
                f"Slack refused to hand over {shared.name}: newsdesk needs the files:read scope"
            )
        if response.status_code == 404:
            raise FileRefused(f"{shared.name} is gone from Slack")
        if response.status_code >= 300:
            raise ConnectionFailed(f"Slack answered {response.status_code} for {shared.name}")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise ConnectionFailed(f"Slack sent {shared.name} with an unexpected encoding")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise TooLarge(f"{shared.name} is larger than {_format_size(limit)}")
        body = bytearray()
        for chunk in response.iter_raw():
            body += chunk
            if len(body) > limit:
                raise TooLarge(f"{shared.name} is larger than {_format_size(limit)}")
            if time.monotonic() > deadline:
                raise TimedOut(
                    f"downloading {shared.name} took longer than {self._limits.total_timeout:g} s"
                )
        return bytes(body)


def _format_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:g} MB"
    return f"{size // 1_000} kB"


@dataclass(frozen=True)
class FileLimits:
    """How much of a shared file is downloaded and read, and where it may come from."""

    fetch: FetchLimits = field(default_factory=FetchLimits)
    document: DocumentLimits = field(default_factory=DocumentLimits)
    # Hosts besides Slack's file host that get the token (a stand-in's, from SLACK_API_URL).
    extra_hosts: tuple[str, ...] = ()


class SlackFileReader:
    """Reads a shared file into a story, and stores it with its share."""

    def __init__(
        self,
        services: Services,
        client: WebClient,
        limits: FileLimits,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._services = services
        self._downloader = SlackFileDownloader(
            client, limits.fetch, extra_hosts=limits.extra_hosts, transport=transport
        )
        self._limits = limits.document

    def read(self, shared: SharedFile) -> ArticleDraft:
        """The story in ``shared``; raises a NewsdeskError with the reason it is refused."""
        # A kind we never read is refused from the event's record, without a download.
        reason = describe_unreadable_kind(shared) if shared.name != "the file" else None
        if reason is not None:
            raise FileRefused(reason)
        found = self._downloader.look_up(shared.id)
        reason = describe_unreadable_kind(found)
        if reason is not None:
            raise FileRefused(reason)
        data = self._downloader.download(found)
        return read_document(data, filename=found.reading_name, limits=self._limits)

    def store(
        self, shared: SharedFile, share: NewShare, *, overrides: StoryOverrides | None = None
    ) -> IngestResult:
        """Read the file (outside any transaction) and store the story with its share (in
        one): a file that cannot be read stores nothing."""
        return self._services.ingest.store(self.read(shared), share, overrides=overrides)
