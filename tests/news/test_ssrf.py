"""Hostile URLs a user might share: each is refused before any connection is made."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Any

import pytest

from news.errors import BlockedAddress, ConnectionFailed, FetchError, UnsupportedUrl
from news.fetching import BLOCKED_NETWORKS, SafeFetcher, check_address
from tests.pageserver import PageServer, page_server

__all__ = ["page_server"]

# Names the test resolver knows; everything else fails to resolve.
DNS: dict[str, list[str]] = {
    "localhost": ["127.0.0.1", "::1"],
    "internal.example": ["10.20.30.40"],
    "metadata.example": ["169.254.169.254"],
    "router.example": ["192.168.0.1"],
    "cgnat.example": ["100.64.12.34"],
    "mixed.example": ["93.184.216.34", "10.0.0.5"],
    "mixed-last.example": ["93.184.216.34", "2606:4700::1111", "172.16.5.4"],
    "mixed6.example": ["2606:4700::1111", "::1"],
    "ula.example": ["fd00:ec2::254"],
    "mapped.example": ["::ffff:192.168.1.1"],
    "nat64.example": ["64:ff9b::a9fe:a9fe"],
    "zero.example": ["0.0.0.0"],
    "multicast.example": ["239.255.255.250"],
    "garbage.example": ["not-an-address"],
    "public.example": ["93.184.216.34"],
    "public6.example": ["2606:4700::1111"],
    "cms.internal": ["10.0.0.7"],
}

HOSTILE_URLS = [
    # Schemes other than http(s), and things that are not URLs at all.
    pytest.param("file:///etc/passwd", UnsupportedUrl, id="file-scheme"),
    pytest.param("file://localhost/etc/passwd", UnsupportedUrl, id="file-localhost"),
    pytest.param("gopher://127.0.0.1:6379/_FLUSHALL", UnsupportedUrl, id="gopher-redis"),
    pytest.param("ftp://internal.example/secret.txt", UnsupportedUrl, id="ftp-scheme"),
    pytest.param("dict://127.0.0.1:11211/stats", UnsupportedUrl, id="dict-scheme"),
    pytest.param("ldap://127.0.0.1/dc=example", UnsupportedUrl, id="ldap-scheme"),
    pytest.param("javascript:alert(1)", UnsupportedUrl, id="javascript-scheme"),
    pytest.param("data:text/html,<script>x</script>", UnsupportedUrl, id="data-scheme"),
    pytest.param("http:///etc/passwd", UnsupportedUrl, id="missing-host"),
    pytest.param("//internal.example/", UnsupportedUrl, id="scheme-relative"),
    pytest.param("see the budget story", UnsupportedUrl, id="plain-words"),
    pytest.param("http://[::1", UnsupportedUrl, id="broken-ipv6-literal"),
    pytest.param("http://256.0.0.1/", UnsupportedUrl, id="ipv4-octet-too-big"),
    pytest.param("http://1.2.3.4.5/", UnsupportedUrl, id="ipv4-five-parts"),
    pytest.param("http://%31%32%37.0.0.1/", UnsupportedUrl, id="percent-encoded-host"),
    pytest.param("http://example.com:99999/", UnsupportedUrl, id="port-out-of-range"),
    # Loopback, private and other special IPv4 ranges, as literals.
    pytest.param("http://127.0.0.1/", BlockedAddress, id="loopback"),
    pytest.param("http://127.255.255.254:8080/admin", BlockedAddress, id="loopback-top"),
    pytest.param("http://0.0.0.0/", BlockedAddress, id="unspecified-v4"),
    pytest.param("http://0.1.2.3/", BlockedAddress, id="this-network"),
    pytest.param("http://10.0.0.5/", BlockedAddress, id="private-10"),
    pytest.param("http://172.16.0.1/", BlockedAddress, id="private-172-16"),
    pytest.param("http://172.31.255.255/", BlockedAddress, id="private-172-31"),
    pytest.param("http://192.168.1.1/", BlockedAddress, id="private-192-168"),
    pytest.param("http://169.254.169.254/latest/meta-data/", BlockedAddress, id="cloud-metadata"),
    pytest.param("http://100.64.0.1/", BlockedAddress, id="shared-cgnat-low"),
    pytest.param("http://100.127.255.254/", BlockedAddress, id="shared-cgnat-high"),
    pytest.param("http://198.18.0.1/", BlockedAddress, id="benchmarking-low"),
    pytest.param("http://198.19.255.254/", BlockedAddress, id="benchmarking-high"),
    pytest.param("http://192.0.2.10/", BlockedAddress, id="test-net-1"),
    pytest.param("http://198.51.100.7/", BlockedAddress, id="test-net-2"),
    pytest.param("http://203.0.113.9/", BlockedAddress, id="test-net-3"),
    pytest.param("http://192.0.0.8/", BlockedAddress, id="ietf-192-0-0"),
    pytest.param("http://192.88.99.1/", BlockedAddress, id="6to4-relay-anycast"),
    pytest.param("http://224.0.0.1/", BlockedAddress, id="multicast-v4"),
    pytest.param("http://239.255.255.250:1900/", BlockedAddress, id="multicast-ssdp"),
    pytest.param("http://240.0.0.1/", BlockedAddress, id="reserved-240"),
    pytest.param("http://255.255.255.255/", BlockedAddress, id="broadcast"),
    # IPv6 literals.
    pytest.param("http://[::1]/", BlockedAddress, id="loopback-v6"),
    pytest.param("http://[::]/", BlockedAddress, id="unspecified-v6"),
    pytest.param("http://[fc00::1]/", BlockedAddress, id="unique-local-fc"),
    pytest.param("http://[fd12:3456:789a::1]/", BlockedAddress, id="unique-local-fd"),
    pytest.param("http://[fe80::1]/", BlockedAddress, id="link-local-v6"),
    pytest.param("http://[fe80::1%25eth0]/", BlockedAddress, id="link-local-v6-zone"),
    pytest.param("http://[fec0::1]/", BlockedAddress, id="site-local-v6"),
    pytest.param("http://[ff02::1]/", BlockedAddress, id="multicast-v6"),
    pytest.param("http://[2001:db8::1]/", BlockedAddress, id="documentation-v6"),
    pytest.param("http://[100::1]/", BlockedAddress, id="discard-only-v6"),
    pytest.param("http://[2001::1]/", BlockedAddress, id="teredo"),
    pytest.param("http://[64:ff9b:1::a00:1]/", BlockedAddress, id="local-nat64"),
    # IPv6 forms that wrap a private IPv4 address.
    pytest.param("http://[::ffff:127.0.0.1]/", BlockedAddress, id="mapped-loopback"),
    pytest.param("http://[::ffff:7f00:1]/", BlockedAddress, id="mapped-loopback-hex"),
    pytest.param("http://[::ffff:169.254.169.254]/", BlockedAddress, id="mapped-metadata"),
    pytest.param("http://[::ffff:10.0.0.1]:8080/", BlockedAddress, id="mapped-private"),
    pytest.param("http://[::127.0.0.1]/", BlockedAddress, id="ipv4-compatible"),
    pytest.param("http://[64:ff9b::127.0.0.1]/", BlockedAddress, id="nat64-loopback"),
    pytest.param("http://[64:ff9b::a9fe:a9fe]/", BlockedAddress, id="nat64-metadata"),
    pytest.param("http://[2002:7f00:1::]/", BlockedAddress, id="6to4-loopback"),
    pytest.param("http://[2002:c0a8:101::1]/", BlockedAddress, id="6to4-private"),
    # Decimal, octal, hex and shortened IPv4 hosts.
    pytest.param("http://2130706433/", BlockedAddress, id="decimal-loopback"),
    pytest.param("http://0x7f000001/", BlockedAddress, id="hex-loopback"),
    pytest.param("http://0x7f.1/", BlockedAddress, id="hex-short-loopback"),
    pytest.param("http://0177.0.0.1/", BlockedAddress, id="octal-loopback"),
    pytest.param("http://017700000001/", BlockedAddress, id="octal-whole-loopback"),
    pytest.param("http://127.1/", BlockedAddress, id="short-loopback"),
    pytest.param("http://0/", BlockedAddress, id="zero"),
    pytest.param("http://0x0a.0.0.5/", BlockedAddress, id="hex-octet-private"),
    pytest.param("http://10.1/", BlockedAddress, id="short-private"),
    pytest.param("http://0300.0250.0.1/", BlockedAddress, id="octal-private"),
    pytest.param("http://2852039166/", BlockedAddress, id="decimal-metadata"),
    pytest.param("http://127.0.0.1./", BlockedAddress, id="trailing-dot"),
    pytest.param("HTTP://127.0.0.1/", BlockedAddress, id="upper-case-scheme"),
    # Userinfo that dresses a private host up as a public one.
    pytest.param("http://example.com@127.0.0.1/", BlockedAddress, id="userinfo-loopback"),
    pytest.param("http://public.example@10.0.0.1/", BlockedAddress, id="userinfo-private"),
    pytest.param("http://user:pass@169.254.169.254/", BlockedAddress, id="userinfo-metadata"),
    pytest.param("http://93.184.216.34@[::1]/", BlockedAddress, id="userinfo-ipv6"),
    pytest.param("http://a@b@internal.example/", BlockedAddress, id="double-at"),
    # Names that resolve to addresses that are not public.
    pytest.param("http://localhost/", BlockedAddress, id="name-localhost"),
    pytest.param("http://LOCALHOST./", BlockedAddress, id="name-localhost-dot-upper"),
    pytest.param("http://internal.example/", BlockedAddress, id="name-private"),
    pytest.param("https://metadata.example/", BlockedAddress, id="name-metadata"),
    pytest.param("http://router.example:8080/", BlockedAddress, id="name-router"),
    pytest.param("http://cgnat.example/", BlockedAddress, id="name-cgnat"),
    pytest.param("http://mixed.example/", BlockedAddress, id="name-one-of-two-private"),
    pytest.param("http://mixed-last.example/", BlockedAddress, id="name-last-of-three-private"),
    pytest.param("http://mixed6.example/", BlockedAddress, id="name-v6-one-loopback"),
    pytest.param("http://ula.example/", BlockedAddress, id="name-unique-local"),
    pytest.param("http://mapped.example/", BlockedAddress, id="name-mapped-private"),
    pytest.param("http://nat64.example/", BlockedAddress, id="name-nat64-metadata"),
    pytest.param("http://zero.example/", BlockedAddress, id="name-zero"),
    pytest.param("http://multicast.example/", BlockedAddress, id="name-multicast"),
    pytest.param("http://garbage.example/", BlockedAddress, id="name-garbage-answer"),
    pytest.param("http://example@public.example@10.0.0.1/", BlockedAddress, id="double-userinfo"),
    pytest.param("http://unknown.example/", ConnectionFailed, id="name-unresolvable"),
]


class RecordingResolver:
    """Answers from DNS and records every lookup."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append(host)
        if host.rstrip(".") not in DNS:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return DNS[host.rstrip(".")]


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record every outgoing TCP connection; let through only those to 127.0.0.1."""
    attempts: list[tuple[str, int]] = []
    real_create_connection = socket.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        attempts.append((address[0], address[1]))
        if address[0] == "127.0.0.1":
            return real_create_connection(address, *args, **kwargs)
        raise ConnectionRefusedError(111, "Connection refused (test network)")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return attempts


@pytest.fixture
def resolver() -> RecordingResolver:
    return RecordingResolver()


def test_the_table_is_large_enough() -> None:
    assert len(HOSTILE_URLS) >= 50


@pytest.mark.parametrize(("url", "error"), HOSTILE_URLS)
def test_refuses_hostile_url_without_connecting(
    url: str,
    error: type[FetchError],
    resolver: RecordingResolver,
    connections: list[tuple[str, int]],
) -> None:
    with SafeFetcher(resolver=resolver) as fetcher, pytest.raises(error) as refused:
        fetcher.fetch(url)

    assert type(refused.value) is error
    assert refused.value.reason
    assert "\n" not in refused.value.reason
    assert connections == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://localhost/", "http://10.0.0.1/", "http://2130706433/"]
)
def test_does_not_resolve_what_needs_no_resolving(url: str, resolver: RecordingResolver) -> None:
    with SafeFetcher(resolver=resolver) as fetcher, pytest.raises(FetchError):
        fetcher.fetch(url)

    assert resolver.calls == []


def test_userinfo_is_judged_by_the_real_host(resolver: RecordingResolver) -> None:
    with SafeFetcher(resolver=resolver) as fetcher, pytest.raises(BlockedAddress) as refused:
        fetcher.fetch("http://public.example@10.0.0.1/")

    assert refused.value.reason == "blocked: 10.0.0.1 is a private address"
    assert resolver.calls == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.5/", "blocked: 10.0.0.5 is a private address"),
        ("http://0x7f.1/", "blocked: 127.0.0.1 is a loopback address"),
        ("http://[::1]/", "blocked: ::1 is a loopback address"),
        (
            "http://mixed.example/",
            "blocked: mixed.example resolves to 10.0.0.5, a private address",
        ),
        (
            "http://nat64.example/",
            "blocked: nat64.example resolves to 64:ff9b::a9fe:a9fe, "
            "a link-local address (NAT64 for 169.254.169.254)",
        ),
        ("gopher://localhost/", "unsupported link type: gopher: (only http and https)"),
    ],
)
def test_reasons_name_the_address_and_the_range(
    url: str, reason: str, resolver: RecordingResolver
) -> None:
    with SafeFetcher(resolver=resolver) as fetcher, pytest.raises(FetchError) as refused:
        fetcher.fetch(url)

    assert refused.value.reason == reason


REDIRECT_TARGETS = [
    pytest.param("http://10.0.0.5/admin", BlockedAddress, id="private"),
    pytest.param("http://169.254.169.254/latest/meta-data/", BlockedAddress, id="metadata"),
    pytest.param("http://127.0.0.2:{port}/", BlockedAddress, id="other-loopback"),
    pytest.param("http://[::1]:{port}/", BlockedAddress, id="loopback-v6"),
    pytest.param("http://[::ffff:192.168.0.1]/", BlockedAddress, id="mapped-private"),
    pytest.param("http://2130706434:{port}/", BlockedAddress, id="decimal-loopback"),
    pytest.param("http://internal.example/", BlockedAddress, id="name-private"),
    pytest.param("http://mixed.example/", BlockedAddress, id="name-partly-private"),
    pytest.param("file:///etc/passwd", UnsupportedUrl, id="file"),
    pytest.param("gopher://127.0.0.1:{port}/_x", UnsupportedUrl, id="gopher"),
]


@pytest.mark.parametrize(
    ("target", "error", "status"),
    [
        *[pytest.param(*case.values, 302, id=case.id) for case in REDIRECT_TARGETS],
        *[
            pytest.param("http://10.0.0.5/", BlockedAddress, status, id=f"status-{status}")
            for status in (301, 303, 307, 308)
        ],
    ],
)
def test_refuses_redirects_from_an_allowed_server_into_private_space(
    page_server: PageServer,
    resolver: RecordingResolver,
    connections: list[tuple[str, int]],
    target: str,
    error: type[FetchError],
    status: int,
) -> None:
    page_server.add_redirect("/jump", target.format(port=page_server.port), status=status)

    with (
        SafeFetcher(allowed_hosts={"127.0.0.1"}, resolver=resolver) as fetcher,
        pytest.raises(error),
    ):
        fetcher.fetch(page_server.url("/jump"))

    assert [request.path for request in page_server.requests] == ["/jump"]
    assert connections == [("127.0.0.1", page_server.port)]


def test_a_public_name_is_connected_to_at_its_checked_address(
    resolver: RecordingResolver, connections: list[tuple[str, int]]
) -> None:
    with SafeFetcher(resolver=resolver) as fetcher, pytest.raises(ConnectionFailed):
        fetcher.fetch("https://public.example/story")

    assert resolver.calls == ["public.example"]
    assert connections == [("93.184.216.34", 443)]


def test_a_public_ipv6_name_is_connected_to_at_its_checked_address(
    resolver: RecordingResolver, connections: list[tuple[str, int]]
) -> None:
    with (
        SafeFetcher(resolver=resolver, allowed_ports={8080}) as fetcher,
        pytest.raises(ConnectionFailed),
    ):
        fetcher.fetch("http://public6.example:8080/story")

    assert connections == [("2606:4700::1111", 8080)]


def test_an_allowed_hostname_may_be_private(
    resolver: RecordingResolver, connections: list[tuple[str, int]]
) -> None:
    with (
        SafeFetcher(allowed_hosts={"CMS.internal"}, resolver=resolver) as fetcher,
        pytest.raises(ConnectionFailed),
    ):
        fetcher.fetch("http://cms.internal/api/story/1")

    assert connections == [("10.0.0.7", 80)]


def test_an_allowed_network_admits_only_its_own_addresses(
    resolver: RecordingResolver, connections: list[tuple[str, int]]
) -> None:
    with SafeFetcher(allowed_hosts={"10.0.0.0/8"}, resolver=resolver) as fetcher:
        with pytest.raises(ConnectionFailed):
            fetcher.fetch("http://internal.example/")
        with pytest.raises(BlockedAddress):
            fetcher.fetch("http://router.example/")
        with pytest.raises(BlockedAddress):
            fetcher.fetch("http://127.0.0.1/")

    assert connections == [("10.20.30.40", 80)]


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "1.1.1.1",
        "11.0.0.1",
        "100.63.255.255",
        "100.128.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
        "2606:4700::1111",
        "2001:4860:4860::8888",
        "2a00:1450:4001:80b::200e",
        "::ffff:93.184.216.34",
        "64:ff9b::5db8:d822",
        "2002:5db8:d822::1",
    ],
)
def test_public_addresses_pass(address: str) -> None:
    check_address(address)


@pytest.mark.parametrize(
    ("network", "kind"),
    [pytest.param(network, kind, id=str(network)) for network, kind in BLOCKED_NETWORKS],
)
def test_every_listed_network_is_blocked_from_end_to_end(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network, kind: str
) -> None:
    for address in (network.network_address, network.broadcast_address):
        with pytest.raises(BlockedAddress, match="is "):
            check_address(str(address))


def test_the_list_contains_synapses_url_preview_blocklist() -> None:
    synapse = {
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "192.0.0.0/24",
        "169.254.0.0/16",
        "192.88.99.0/24",
        "198.18.0.0/15",
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "::1/128",
        "fe80::/10",
        "fc00::/7",
        "2001:db8::/32",
        "ff00::/8",
        "fec0::/10",
    }

    assert synapse <= {str(network) for network, _kind in BLOCKED_NETWORKS}


def test_check_address_refuses_what_is_not_an_address() -> None:
    with pytest.raises(BlockedAddress, match="not an IP address"):
        check_address("example.com")
