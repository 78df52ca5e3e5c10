"""Fetch the pages users share without letting them reach private networks.

Every hop is checked the same way: the URL must be http(s); the host is resolved once and
refused if any address it resolves to is private, loopback, link-local, multicast or otherwise
not a public Internet address; the connection then goes to the address that was checked (the
``Host`` header and TLS server name carry the hostname), so a second DNS answer cannot move it.
Redirects are followed by hand and checked again. Size, time and content type are capped.
"""

from __future__ import annotations

import codecs
import concurrent.futures
import contextvars
import functools
import http
import ipaddress
import re
import socket
import ssl
import threading
import time
import typing
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Final

import httpcore
import httpx
from httpcore._sync.http11 import HTTP11Connection

from news.errors import (
    BlockedAddress,
    ConnectionFailed,
    HttpStatusError,
    NotAnArticle,
    TimedOut,
    TooLarge,
    TooManyRedirects,
    UnsupportedUrl,
)

__all__ = [
    "ARTICLE_TYPES",
    "BLOCKED_NETWORKS",
    "FEED_TYPES",
    "WEB_PORTS",
    "FetchLimits",
    "FetchedPage",
    "Resolver",
    "SafeFetcher",
    "check_address",
    "decode_text",
    "resolve_with_getaddrinfo",
]

Resolver = Callable[[str, int], Sequence[str]]
"""Maps (hostname, port) to the IP addresses, as strings, that a connection may use."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ARTICLE_TYPES: Final[frozenset[str]] = frozenset(
    {"text/html", "application/xhtml+xml", "text/plain"}
)
FEED_TYPES: Final[frozenset[str]] = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/xml",
        "text/xml",
        "application/feed+json",
        "application/json",
    }
)

_net = ipaddress.ip_network

# Synapse's URL-preview IP blocklist (``url_preview_ip_range_blacklist`` in its configuration
# manual, plus ``0.0.0.0`` and ``::``, which Synapse always adds), followed by the rest of the
# IANA special-purpose registries that are not reachable public hosts. Order matters: the first
# network that contains an address names the reason.
BLOCKED_NETWORKS: Final[tuple[tuple[IPNetwork, str], ...]] = (
    # Synapse's list.
    (_net("127.0.0.0/8"), "a loopback address"),
    (_net("10.0.0.0/8"), "a private address"),
    (_net("172.16.0.0/12"), "a private address"),
    (_net("192.168.0.0/16"), "a private address"),
    (_net("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),
    (_net("192.0.0.0/24"), "an IETF protocol assignment address"),
    (_net("169.254.0.0/16"), "a link-local address"),
    (_net("192.88.99.0/24"), "a 6to4 relay address"),
    (_net("198.18.0.0/15"), "a benchmarking address"),
    (_net("192.0.2.0/24"), "a documentation (TEST-NET-1) address"),
    (_net("198.51.100.0/24"), "a documentation (TEST-NET-2) address"),
    (_net("203.0.113.0/24"), "a documentation (TEST-NET-3) address"),
    (_net("224.0.0.0/4"), "a multicast address"),
    (_net("::/128"), "an unspecified address"),
    (_net("::1/128"), "a loopback address"),
    (_net("fe80::/10"), "a link-local address"),
    (_net("fc00::/7"), "a private (unique local) address"),
    (_net("2001:db8::/32"), "a documentation address"),
    (_net("ff00::/8"), "a multicast address"),
    (_net("fec0::/10"), "a site-local address"),
    # Beyond Synapse's list.
    (_net("0.0.0.0/8"), "an unspecified address"),
    (_net("255.255.255.255/32"), "a broadcast address"),
    (_net("240.0.0.0/4"), "a reserved address"),
    (_net("::/96"), "an IPv4-compatible address"),
    (_net("64:ff9b:1::/48"), "a local-use NAT64 address"),
    (_net("100::/64"), "a discard-only address"),
    (_net("2001::/23"), "an IETF protocol assignment address"),
    (_net("3fff::/20"), "a documentation address"),
    (_net("5f00::/16"), "a reserved (SRv6) address"),
)

# IPv6 prefixes that carry an IPv4 address: judged by the IPv4 address inside.
_IPV4_MAPPED: Final = ipaddress.IPv6Network("::ffff:0:0/96")
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR: Final = ipaddress.IPv6Network("2002::/16")

_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_FORBIDDEN_REQUEST_HEADERS: Final = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}
)
_HOSTNAME_PATTERN: Final = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?\.?")
_CHUNK_SIZE: Final = 64 * 1024
# httpcore's HTTP/1.1 connection refuses a status line and headers larger than this.
_MAX_HEADER_BYTES: Final = HTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE
WEB_PORTS: Final = frozenset({80, 443})
_SNIFF_SIZE: Final = 2048
_WINDOWS_1252_ALIASES: Final = frozenset(
    {"ascii", "us-ascii", "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "cp819"}
)


@dataclass(frozen=True)
class FetchLimits:
    """Caps on one fetch; timeouts in seconds, ``total_timeout`` spans every hop and the body."""

    max_bytes: int = 5_000_000
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 20.0
    max_redirects: int = 5
    user_agent: str = "newsdesk/0.1 (+https://github.com/newsdesk/newsdesk)"


@dataclass(frozen=True)
class FetchedPage:
    """A fetched page: ``content`` is the body without transfer or content encoding."""

    requested_url: str
    url: str
    status: int
    content_type: str
    content: bytes
    text: str
    headers: Mapping[str, str]
    charset: str = "utf-8"


@dataclass(frozen=True)
class _Target:
    """One URL to request, already judged acceptable in form."""

    url: httpx.URL
    scheme: str
    host: str
    port: int
    address: IPAddress | None

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default_port = 443 if self.scheme == "https" else 80
        return host if self.port == default_port else f"{host}:{self.port}"


def check_address(address: str) -> None:
    """Raise BlockedAddress unless ``address`` is a public unicast IP address."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise BlockedAddress(f"blocked: {address!r} is not an IP address") from None
    kind = _describe_blocked(parsed)
    if kind is not None:
        raise BlockedAddress(f"blocked: {address} is {kind}")


def _describe_blocked(address: IPAddress) -> str | None:
    """Name why ``address`` is not a public host, or None if it is one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded, wrapper = _embedded_ipv4(address)
        if embedded is not None:
            inner = _describe_blocked(embedded)
            return None if inner is None else f"{inner} ({wrapper} {embedded})"
    for network, kind in BLOCKED_NETWORKS:
        if address.version == network.version and address in network:
            return kind
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address | None, str]:
    """Return the IPv4 address an IPv4-mapped, NAT64 or 6to4 address stands for."""
    if address in _IPV4_MAPPED:
        return address.ipv4_mapped, "IPv4-mapped"
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64 for"
    if address in _SIX_TO_FOUR:
        return address.sixtofour, "6to4 for"
    return None, ""


def _parse_ipv4_number(part: str) -> int | None:
    """Read one part of an IPv4 host the way browsers do: 0x hex, leading-0 octal, decimal."""
    base = 10
    if part[:2] in ("0x", "0X"):
        part, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        part, base = part[1:], 8
    if part == "":
        return 0
    digits = {10: "0123456789", 8: "01234567", 16: "0123456789abcdefABCDEF"}[base]
    if not all(character in digits for character in part):
        return None
    return int(part, base)


def _ends_in_number(host: str) -> bool:
    """True for hosts the URL standard reads as IPv4 (the last label is numeric)."""
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if last and all(character in "0123456789" for character in last):
        return True
    return _parse_ipv4_number(last) is not None and last[:2] in ("0x", "0X")


def _parse_ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """Parse decimal, octal, hex and shortened IPv4 hosts (``2130706433``, ``0x7f.1``)."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4 or any(part == "" for part in parts):
        return None
    numbers = [_parse_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    values = typing.cast(list[int], numbers)
    if any(value > 255 for value in values[:-1]):
        return None
    if values[-1] >= 256 ** (5 - len(values)):
        return None
    result = values[-1]
    for index, value in enumerate(values[:-1]):
        result += value << (8 * (3 - index))
    return ipaddress.IPv4Address(result)


_AUTHORITY_PATTERN: Final = re.compile(
    r"^(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<authority>[^/?#]*)"
)


def _rewrite_numeric_host(url: str) -> str | None:
    """Rewrite a numeric IPv4 host that httpx refuses (``0177.0.0.1``) to dotted decimal."""
    match = _AUTHORITY_PATTERN.match(url)
    if match is None:
        return None
    userinfo, at, hostport = match["authority"].rpartition("@")
    host, colon, port = hostport.partition(":")
    if not host or not _ends_in_number(host):
        return None
    address = _parse_ipv4_host(host)
    if address is None:
        return None
    authority = f"{userinfo}{at}{address}{colon}{port}"
    return match["head"] + authority + url[match.end() :]


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse_target(url: str) -> _Target:
    """Parse ``url`` and refuse anything but an http(s) URL with a usable host."""
    url = url.strip()
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        rewritten = _rewrite_numeric_host(url)
        if rewritten is None:
            raise UnsupportedUrl(f"not a web address: {_shorten(url)}") from None
        try:
            parsed = httpx.URL(rewritten)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise UnsupportedUrl(f"not a web address: {_shorten(url)}") from None
    scheme = parsed.scheme
    if scheme not in ("http", "https"):
        if not scheme:
            raise UnsupportedUrl(f"not a web address: {_shorten(url)}")
        raise UnsupportedUrl(f"unsupported link type: {scheme}: (only http and https)")
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise UnsupportedUrl(f"no host in {_shorten(url)}")
    port = parsed.port if parsed.port is not None else (443 if scheme == "https" else 80)
    if not 0 < port < 65536:
        raise UnsupportedUrl(f"invalid port in {_shorten(url)}")
    address: IPAddress | None
    if ":" in host:
        try:
            address = ipaddress.IPv6Address(host.replace("%25", "%"))
        except ValueError:
            raise UnsupportedUrl(f"invalid IPv6 host in {_shorten(url)}") from None
        host = str(address)
    elif _ends_in_number(host):
        address = _parse_ipv4_host(host)
        if address is None:
            raise UnsupportedUrl(f"invalid IPv4 host in {_shorten(url)}")
        host = str(address)
    elif _HOSTNAME_PATTERN.fullmatch(host):
        address = None
    else:
        raise UnsupportedUrl(f"invalid host in {_shorten(url)}")
    if address is not None:
        parsed = parsed.copy_with(host=host)
    return _Target(url=parsed, scheme=scheme, host=host, port=port, address=address)


def resolve_with_getaddrinfo(host: str, port: int) -> list[str]:
    """Resolve ``host`` with the system resolver; every address, IPv4 and IPv6."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _canonical, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _format_size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:g} MB"
    if size >= 1_000:
        return f"{size / 1_000:g} KB"
    return f"{size} bytes"


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _charset_parameter(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


_META_CHARSET: Final = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.+-]+)""", re.IGNORECASE
)
_XML_ENCODING: Final = re.compile(
    rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_:.+-]+)["']""", re.IGNORECASE
)
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _known_codec(label: str | None) -> str | None:
    """Return a Python codec name for a charset label, mapping latin-1 aliases to cp1252."""
    if not label:
        return None
    label = label.strip().lower()
    if label in _WINDOWS_1252_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _detect_charset(content: bytes, content_type: str) -> str | None:
    """Find the declared charset: BOM, then Content-Type, then an in-document declaration."""
    for bom, bom_codec in _BOMS:
        if content.startswith(bom):
            return bom_codec
    declared = _known_codec(_charset_parameter(content_type))
    if declared is not None:
        return declared
    head = content[:_SNIFF_SIZE]
    media_type = _media_type(content_type)
    found: re.Match[bytes] | None = None
    if "xml" in media_type:
        found = _XML_ENCODING.search(head)
    if found is None and media_type in ("text/html", "application/xhtml+xml", ""):
        found = _META_CHARSET.search(head)
    if found is None:
        return None
    codec = _known_codec(found[1].decode("ascii"))
    if codec is not None and codec.startswith("utf-16"):
        # A document readable as ASCII to find the declaration cannot be UTF-16.
        return "utf-8"
    return codec


def _undeclared_utf8(content: bytes, codec: str) -> str | None:
    """The body as UTF-8 text if, declared as the legacy ``codec``, it really is UTF-8.

    A byte-order mark is never overruled: ``_detect_charset`` gives it as a UTF codec.
    """
    if codec.startswith(("utf-8", "utf-16", "utf-32")) or content.isascii():
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_text(content: bytes, content_type: str = "") -> tuple[str, str]:
    """Decode a body to text; return ``(text, codec)``. Never raises on bad bytes.

    A byte-order mark wins (as in browsers), then the Content-Type charset, then
    ``<meta charset>``/``http-equiv`` or the XML declaration in the first 2 KB, then UTF-8,
    then Windows-1252 (which browsers use for ``latin-1``).

    One exception to the declaration: a body declared in a legacy charset whose bytes hold
    non-ASCII text and are valid UTF-8 is UTF-8. Text in a legacy charset almost never forms
    valid multi-byte UTF-8 sequences by chance, while pages re-saved as UTF-8 that keep an
    old ``<meta charset>`` (or a server's default header) are common; decoding them as
    declared turns every accented or CJK character into mojibake.
    """
    codec = _detect_charset(content, content_type)
    if codec is not None:
        utf8_text = _undeclared_utf8(content, codec)
        if utf8_text is not None:
            return utf8_text, "utf-8"
        return content.decode(codec, errors="replace"), codec
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace"), "cp1252"


class _BodyDecoder:
    """Undo a gzip or deflate content encoding in bounded pieces, so bombs cost no memory."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._decompressor: typing.Any = None
        self._fed = False
        if encoding == "gzip":
            self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._encoding == "identity":
            if data:
                yield data
            return
        self._fed = self._fed or bool(data)
        if self._decompressor is None:
            if not data:
                return
            # "deflate" is meant to be zlib-wrapped, but some servers send raw deflate.
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._decompressor = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        pending = data
        while True:
            try:
                piece = self._decompressor.decompress(pending, _CHUNK_SIZE)
            except zlib.error as error:
                raise ConnectionFailed(f"the page is not valid {self._encoding}: {error}") from None
            if piece:
                yield piece
            if self._decompressor.eof:
                rest = self._decompressor.unused_data
                if self._encoding == "gzip" and rest.strip(b"\0"):
                    self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    pending = rest
                    continue
                return
            pending = self._decompressor.unconsumed_tail
            if not pending and len(piece) < _CHUNK_SIZE:
                return

    def finish(self) -> None:
        """Raise if the compressed stream stopped before its end."""
        if self._fed and not self._decompressor.eof:
            raise ConnectionFailed(f"the page is not valid {self._encoding}: it is cut short")


_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "newsdesk_fetch_deadline", default=None
)


def _clamp_timeout(timeout: float | None, error: type[Exception]) -> float | None:
    """Shorten ``timeout`` to what is left before the current fetch's deadline."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the total deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write ends by the fetch's total deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp_timeout(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp_timeout(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp_timeout(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects only to IP literals (never resolves a name) and honours the total deadline."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise httpcore.ConnectError(f"refusing to resolve {host} a second time") from None
        timeout = _clamp_timeout(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")


class _AllowList:
    """Hostnames, addresses and networks that may be private."""

    def __init__(self, entries: Collection[str]) -> None:
        self.names: set[str] = set()
        self.networks: list[IPNetwork] = []
        for entry in entries:
            cleaned = entry.strip().lower().rstrip(".")
            try:
                self.networks.append(ipaddress.ip_network(cleaned, strict=False))
            except ValueError:
                self.names.add(cleaned)

    def allows_name(self, host: str) -> bool:
        return host.rstrip(".") in self.names

    def allows_address(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.networks
        )


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """Certificate-verifying TLS context with httpx's CA bundle, built once and shared."""
    return httpx.create_ssl_context()


class SafeFetcher:
    """Fetch shared links safely; one instance may be shared by worker threads."""

    def __init__(
        self,
        limits: FetchLimits = FetchLimits(),
        *,
        allowed_hosts: Collection[str] = (),
        allowed_ports: Collection[int] = (),
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.limits = limits
        self._allowed = _AllowList(allowed_hosts)
        self._ports = frozenset(WEB_PORTS | set(allowed_ports))
        self._resolver: Resolver = resolver or resolve_with_getaddrinfo
        self._lookups = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="newsdesk-resolve"
        )
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context or _default_ssl_context(),
            max_connections=32,
            # No reuse: a pooled connection is keyed by IP, and sites sharing an IP
            # must not share a TLS session made for another name.
            max_keepalive_connections=0,
            http1=True,
            http2=False,
            network_backend=_PinnedBackend(),
        )
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> SafeFetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every open connection; the fetcher cannot be used afterwards."""
        with self._lock:
            self._closed = True
        self._pool.close()
        self._lookups.shutdown(wait=False, cancel_futures=True)

    def fetch(
        self,
        url: str,
        *,
        accept: Collection[str] = ARTICLE_TYPES,
        headers: Mapping[str, str] | None = None,
    ) -> FetchedPage:
        """Fetch ``url``, following redirects; raise a NewsdeskError subclass when refused.

        ``accept`` lists the media types wanted (``*/*`` takes anything); ``headers`` adds
        request headers such as ``If-None-Match``. A 304 answer comes back as a page with
        status 304 and no content.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the fetcher is closed")
        request_headers = self._build_headers(accept, headers)
        deadline = time.monotonic() + self.limits.total_timeout
        token = _DEADLINE.set(deadline)
        try:
            return self._fetch(url, frozenset(accept), request_headers, deadline)
        finally:
            _DEADLINE.reset(token)

    def _build_headers(
        self, accept: Collection[str], extra: Mapping[str, str] | None
    ) -> list[tuple[str, str]]:
        headers = {
            "user-agent": self.limits.user_agent,
            "accept": ", ".join(sorted(accept)) or "*/*",
            "accept-encoding": "gzip, deflate",
        }
        for name, value in (extra or {}).items():
            if name.lower() in _FORBIDDEN_REQUEST_HEADERS:
                raise ValueError(f"the fetcher sets the {name} header itself")
            headers[name.lower()] = value
        return list(headers.items())

    def _fetch(
        self,
        url: str,
        accept: frozenset[str],
        request_headers: list[tuple[str, str]],
        deadline: float,
    ) -> FetchedPage:
        target = _parse_target(url)
        redirects = 0
        while True:
            addresses = self._resolve_checked(target, deadline)
            response = self._send(target, addresses, request_headers, deadline)
            try:
                location = _header(response, "location")
                if response.status in _REDIRECT_STATUSES and location:
                    if redirects >= self.limits.max_redirects:
                        raise TooManyRedirects(
                            f"too many redirects (more than {self.limits.max_redirects})"
                        )
                    redirects += 1
                    target = self._redirect_target(target, location)
                    continue
                return self._read_page(url, target, response, accept, deadline)
            finally:
                response.close()

    @staticmethod
    def _redirect_target(current: _Target, location: str) -> _Target:
        try:
            joined = current.url.join(location.strip())
        except (httpx.InvalidURL, TypeError, ValueError):
            raise UnsupportedUrl(f"redirect to an invalid address: {_shorten(location)}") from None
        return _parse_target(str(joined))

    def _resolve(self, target: _Target, deadline: float) -> list[str]:
        """Run the resolver in a helper thread so a stalled lookup cannot outlast the deadline."""
        lookup = self._lookups.submit(self._resolver, target.host, target.port)
        try:
            return list(lookup.result(timeout=max(deadline - time.monotonic(), 0.0)))
        except concurrent.futures.TimeoutError:
            lookup.cancel()
            raise TimedOut(f"timed out after {self.limits.total_timeout:g} s") from None
        except (OSError, UnicodeError):
            raise ConnectionFailed(f"could not resolve {target.host}") from None

    def _resolve_checked(self, target: _Target, deadline: float) -> list[IPAddress]:
        """Resolve once and refuse if any address is not public (unless allow-listed).

        Only ports 80, 443 and ``allowed_ports`` are fetched, except on allow-listed hosts.
        """
        port_allowed = target.port in self._ports or self._allowed.allows_name(target.host)
        if not port_allowed and not self._allowed.networks:
            raise self._port_refused(target.port)
        if target.address is not None:
            addresses: list[IPAddress] = [target.address]
        else:
            answers = self._resolve(target, deadline)
            if not answers:
                raise ConnectionFailed(f"could not resolve {target.host}")
            addresses = []
            for answer in answers:
                try:
                    addresses.append(ipaddress.ip_address(answer))
                except ValueError:
                    raise BlockedAddress(
                        f"blocked: {target.host} resolved to {answer!r}, not an IP address"
                    ) from None
        if self._allowed.allows_name(target.host):
            return addresses
        if not port_allowed and not all(map(self._allowed.allows_address, addresses)):
            raise self._port_refused(target.port)
        for address in addresses:
            if self._allowed.allows_address(address):
                continue
            kind = _describe_blocked(address)
            if kind is not None:
                if target.address is None:
                    raise BlockedAddress(f"blocked: {target.host} resolves to {address}, {kind}")
                raise BlockedAddress(f"blocked: {address} is {kind}")
        return addresses

    def _port_refused(self, port: int) -> BlockedAddress:
        ports = sorted(self._ports)
        listed = ", ".join(map(str, ports[:-1])) + f" and {ports[-1]}"
        return BlockedAddress(f"blocked: port {port} is not fetched (only {listed})")

    def _send(
        self,
        target: _Target,
        addresses: Sequence[IPAddress],
        request_headers: list[tuple[str, str]],
        deadline: float,
    ) -> httpcore.Response:
        """Send the request to the checked addresses in turn until one accepts."""
        limits = self.limits
        headers = [("host", target.host_header), *request_headers]
        extensions: dict[str, typing.Any] = {
            "timeout": {
                "connect": limits.connect_timeout,
                "read": limits.read_timeout,
                "write": limits.read_timeout,
                "pool": limits.connect_timeout,
            }
        }
        if target.scheme == "https" and target.address is None:
            extensions["sni_hostname"] = target.host.rstrip(".")
        failure: ConnectionFailed | TimedOut | None = None
        for address in addresses:
            request = httpcore.Request(
                "GET",
                httpcore.URL(
                    scheme=target.scheme.encode("ascii"),
                    host=str(address).encode("ascii"),
                    port=target.port,
                    target=target.url.raw_path,
                ),
                headers=headers,
                extensions=extensions,
            )
            try:
                return self._pool.handle_request(request)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = self._explain(error, target, deadline)
                if time.monotonic() >= deadline:
                    break
            except (
                httpcore.TimeoutException,
                httpcore.NetworkError,
                httpcore.ProtocolError,
            ) as error:
                raise self._explain(error, target, deadline) from None
        assert failure is not None
        raise failure

    def _explain(
        self, error: Exception, target: _Target, deadline: float
    ) -> ConnectionFailed | TimedOut:
        limits = self.limits
        if isinstance(error, httpcore.TimeoutException):
            if time.monotonic() >= deadline:
                return TimedOut(f"timed out after {limits.total_timeout:g} s")
            if isinstance(error, httpcore.ConnectTimeout):
                return TimedOut(
                    f"timed out after {limits.connect_timeout:g} s connecting to {target.host}"
                )
            return TimedOut(f"timed out after {limits.read_timeout:g} s waiting for {target.host}")
        if isinstance(error, httpcore.ConnectError):
            detail = _shorten(str(error) or type(error).__name__, 120)
            return ConnectionFailed(f"could not connect to {target.host}: {detail}")
        if isinstance(error, httpcore.RemoteProtocolError):
            return ConnectionFailed(_describe_broken_answer(str(error), target.host))
        return ConnectionFailed(f"the connection to {target.host} broke off")

    def _read_page(
        self,
        requested_url: str,
        target: _Target,
        response: httpcore.Response,
        accept: frozenset[str],
        deadline: float,
    ) -> FetchedPage:
        status = response.status
        headers = httpx.Headers(response.headers)
        content_type = headers.get("content-type", "")
        media_type = _media_type(content_type)
        final_url = str(target.url)
        if status == 304:
            return FetchedPage(requested_url, final_url, 304, media_type, b"", "", headers)
        if status >= 300:
            raise HttpStatusError(f"the server answered {_status_line(response)}")
        if media_type and "*/*" not in accept and media_type not in accept:
            raise NotAnArticle(f"not an article: {media_type}")
        content = self._read_body(target, response, headers, deadline)
        if not media_type:
            media_type = _sniff_media_type(content)
            if "*/*" not in accept and media_type not in accept:
                raise NotAnArticle(f"not an article: {media_type}")
        text, charset = decode_text(content, content_type or media_type)
        return FetchedPage(
            requested_url, final_url, status, media_type, content, text, headers, charset
        )

    def _read_body(
        self,
        target: _Target,
        response: httpcore.Response,
        headers: httpx.Headers,
        deadline: float,
    ) -> bytes:
        limit = self.limits.max_bytes
        too_large = TooLarge(f"page larger than {_format_size(limit)}")
        encodings = [
            token.strip().lower()
            for token in headers.get("content-encoding", "").split(",")
            if token.strip() and token.strip().lower() != "identity"
        ]
        if len(encodings) > 1 or (encodings and encodings[0] not in ("gzip", "x-gzip", "deflate")):
            raise ConnectionFailed(
                f"{target.host} sent an unsupported content encoding: {', '.join(encodings)}"
            )
        encoding = {"x-gzip": "gzip"}.get(encodings[0], encodings[0]) if encodings else "identity"
        declared_length = headers.get("content-length", "")
        declared_too_large = declared_length.strip().isdigit() and int(declared_length) > limit
        if encoding == "identity" and declared_too_large:
            raise too_large
        decoder = _BodyDecoder(encoding)
        body = bytearray()
        received = 0
        try:
            for raw in typing.cast(Iterable[bytes], response.stream):
                received += len(raw)
                if received > limit:
                    raise too_large
                for piece in decoder.feed(raw):
                    body += piece
                    if len(body) > limit:
                        raise too_large
                if time.monotonic() >= deadline:
                    raise TimedOut(f"timed out after {self.limits.total_timeout:g} s")
            decoder.finish()
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as error:
            raise self._explain(error, target, deadline) from None
        return bytes(body)


# What h11 (under httpcore) says about a broken answer, and how we say it.
_BROKEN_ANSWERS: Final = (
    (
        re.compile(r"without sending complete message body \(received (\d+) bytes, expected (\d+)"),
        "{host} sent {0} bytes of the {1} its Content-Length announced",
    ),
    (re.compile(r"^bad Content-Length"), "{host} sent an invalid Content-Length header"),
    (re.compile(r"conflicting Content-Length"), "{host} sent conflicting Content-Length headers"),
    (
        re.compile(r"^Receive buffer too long"),
        "{host} sent headers larger than " + _format_size(_MAX_HEADER_BYTES),
    ),
    (re.compile(r"chunk"), "{host} sent a broken chunked body"),
    (
        re.compile(r"^Server disconnected without sending a response"),
        "{host} closed the connection without an HTTP answer",
    ),
    (re.compile(r"status line|HTTP version"), "{host} did not answer in HTTP"),
)


def _describe_broken_answer(detail: str, host: str) -> str:
    """A one-line reason for an answer that breaks HTTP's rules."""
    for pattern, reason in _BROKEN_ANSWERS:
        found = pattern.search(detail)
        if found is not None:
            return reason.format(*found.groups(), host=host)
    return f"{host} sent a broken HTTP answer: {_shorten(detail or 'no detail', 120)}"


def _header(response: httpcore.Response, name: str) -> str | None:
    wanted = name.encode("ascii")
    for key, value in response.headers:
        if key.lower() == wanted:
            return value.decode("latin-1")
    return None


def _status_line(response: httpcore.Response) -> str:
    try:
        phrase = http.HTTPStatus(response.status).phrase
    except ValueError:
        reason = response.extensions.get("reason_phrase", b"")
        phrase = reason.decode("latin-1", errors="replace") if isinstance(reason, bytes) else ""
    return f"{response.status} {phrase}".strip()


def _sniff_media_type(content: bytes) -> str:
    """Guess a media type for a body served without Content-Type."""
    head = content[:_SNIFF_SIZE].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "text/html"
    if head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed")):
        return "application/xml"
    return "application/octet-stream"
