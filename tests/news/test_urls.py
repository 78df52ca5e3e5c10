from __future__ import annotations

import pytest

from news.errors import UnsupportedUrl
from news.urls import (
    TRACKING_PARAMETERS,
    is_same_site,
    normalize_url,
    outlet_from_host,
    registrable_domain,
    resolve_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://WWW.Example.COM/News/Story", "https://www.example.com/News/Story"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com?", "http://example.com/"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/#!/story/12", "https://example.com/#!/story/12"),
        ("https://example.com/a/", "https://example.com/a/"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a%7eb%2fc", "https://example.com/a~b%2Fc"),
        ("https://example.com/caf\u00e9", "https://example.com/caf%C3%A9"),
        ("https://example.com./a", "https://example.com/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
        (
            "https://web.archive.org/web/2020//https://example.com/",
            "https://web.archive.org/web/2020//https://example.com/",
        ),
        ("https://b\u00fccher.example/a", "https://xn--bcher-kva.example/a"),
        ("https://xn--bcher-kva.example/a", "https://xn--bcher-kva.example/a"),
        ("https://\u4f8b\u3048.jp/", "https://xn--r8jz45g.jp/"),
        ("http://[2001:DB8::1]:8080/a", "http://[2001:db8::1]:8080/a"),
        ("http://192.0.2.7/a", "http://192.0.2.7/a"),
    ],
)
def test_normalize_url_canonical_forms(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://example.com/a?utm_source=tw&utm_medium=social&id=7",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?fbclid=IwAR0&gclid=x&msclkid=y", "https://example.com/a"),
        ("https://example.com/a?UTM_Campaign=spring&b=2", "https://example.com/a?b=2"),
        ("https://example.com/a?mc_cid=1&mc_eid=2&igshid=3&_ga=4", "https://example.com/a"),
        ("https://example.com/a?ref_src=twsrc&cmpid=rss&dclid=9", "https://example.com/a"),
        ("https://example.com/a?z=1&a=2&m=3", "https://example.com/a?a=2&m=3&z=1"),
        ("https://example.com/a?tag=b&x=1&tag=a", "https://example.com/a?tag=b&tag=a&x=1"),
        ("https://example.com/a?&&b=2&&", "https://example.com/a?b=2"),
        (
            "https://example.com/a?q=hello+world&page=2",
            "https://example.com/a?page=2&q=hello+world",
        ),
        ("https://example.com/a?flag", "https://example.com/a?flag"),
        ("https://example.com/a?q=%e2%82%ac", "https://example.com/a?q=%E2%82%AC"),
        ("https://example.com/a?q=\u00e4", "https://example.com/a?q=%C3%A4"),
    ],
)
def test_normalize_url_query_parameters(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_tracking_parameters_are_a_named_frozenset() -> None:
    assert isinstance(TRACKING_PARAMETERS, frozenset)
    assert {"fbclid", "gclid", "dclid", "msclkid", "igshid", "_ga"} <= TRACKING_PARAMETERS


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/a?utm_source=x#top",
        "HTTPS://www.EXAMPLE.com:443/a",
        "https://www.example.com/a?",
        "https://www.example.com/b/../a",
    ],
)
def test_variants_of_one_link_normalise_to_the_same_string(url: str) -> None:
    assert normalize_url(url) == "https://www.example.com/a"


def test_normalize_url_is_idempotent() -> None:
    once = normalize_url("HTTP://B\u00fccher.Example:80/x y/%7e?b=2&a=%c3%a4&utm_term=z#f")
    assert normalize_url(once) == once


@pytest.mark.parametrize(
    ("url", "reason_fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ftp://example.com/file", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("mailto:desk@example.com", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("example.com/story", "no http:// or https:// scheme"),
        ("http://", "no host name"),
        ("http:///path", "no host name"),
        ("http://exa mple.com/", "not a valid host name"),
        ("http://example.com:99999/", "port"),
        ("http://example.com:0/", "port"),
        ("http://example.com:abc/", "port"),
        ("http://user:secret@example.com/", "user name or password"),
        ("http://[::1/", "not a link"),
        ("http://example.com/\x00", "control characters"),
        ("https://example.com/" + "a" * 5000, "too long"),
        ("http://-bad-.example.com/", "not a valid host name"),
    ],
)
def test_normalize_url_rejects_unusable_links(url: str, reason_fragment: str) -> None:
    with pytest.raises(UnsupportedUrl) as caught:
        normalize_url(url)
    assert reason_fragment in caught.value.reason
    assert "\n" not in caught.value.reason


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/b/c?utm_source=x", "https://example.com/b/c"),
        ("c", "https://example.com/a/c"),
        ("//cdn.example.com/x", "https://cdn.example.com/x"),
        ("https://other.example.org/x", "https://other.example.org/x"),
        ("javascript:void(0)", None),
        ("", None),
        ("   ", None),
    ],
)
def test_resolve_url_against_a_base(href: str, expected: str | None) -> None:
    assert resolve_url(href, base="https://example.com/a/b") == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.bbc.co.uk/story", "bbc.co.uk"),
        ("https://www.example.com/", "example.com"),
        ("https://alice.blogspot.com/", "alice.blogspot.com"),
        ("http://127.0.0.1:8000/", None),
        ("http://localhost/", None),
        ("not a url", None),
    ],
)
def test_registrable_domain(url: str, expected: str | None) -> None:
    assert registrable_domain(url) == expected


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("https://www.example.co.uk/a", "https://amp.example.co.uk/b", True),
        ("https://www.example.co.uk/a", "https://www.example.com/a", False),
        ("https://alice.blogspot.com/", "https://bob.blogspot.com/", False),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/b", True),
        ("http://127.0.0.1/a", "http://127.0.0.2/a", False),
        ("ftp://example.com/", "https://example.com/", False),
    ],
)
def test_is_same_site(first: str, second: str, expected: bool) -> None:
    assert is_same_site(first, second) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.com/story", "example.com"),
        ("https://edition.example.co.uk/story", "example.co.uk"),
        ("https://xn--bcher-kva.de/a", "b\u00fccher.de"),
        ("http://www.intranet/a", "intranet"),
        ("http://127.0.0.1:8000/a", "127.0.0.1"),
    ],
)
def test_outlet_from_host(url: str, expected: str) -> None:
    assert outlet_from_host(url) == expected


def test_outlet_from_host_rejects_non_http() -> None:
    with pytest.raises(UnsupportedUrl):
        outlet_from_host("gopher://example.com/")
