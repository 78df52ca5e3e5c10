"""Redirect wrappers: links that only bounce the reader on to another address.

Google Alerts and Google News, mail scanners (Outlook Safe Links, Proofpoint), social sites
and Slack itself wrap the story's address in their own. When the target is written in the
link, ``unwrap_redirect`` reads it out, so the story is fetched from the site itself and
archived under its own address: the same story shared through two wrappers is one story.
When the target is not in the link (FeedBurner's ``feedproxy`` links, URL shorteners),
``is_redirector`` says so and the address the fetch ends at names the story instead.

Only a target that is itself an http(s) URL is taken; a wrapper without one is left as it is,
and the fetcher checks the target like any other link (private addresses stay blocked).
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["is_redirector", "unwrap_redirect"]

MAX_UNWRAPS = 4

# host (after "www.") → query parameters that carry the target, first found wins.
_QUERY_WRAPPERS: dict[str, tuple[str, ...]] = {
    "l.facebook.com": ("u",),
    "lm.facebook.com": ("u",),
    "facebook.com": ("u",),
    "m.facebook.com": ("u",),
    "l.instagram.com": ("u",),
    "l.messenger.com": ("u",),
    "slack-redir.net": ("url",),
    "t.umblr.com": ("z",),
    "href.li": (),
    "duckduckgo.com": ("uddg",),
    "linkedin.com": ("url",),
    "youtube.com": ("q",),
    "out.reddit.com": ("url",),
    "exit.sc": ("url",),
    "vk.com": ("to",),
    "away.vk.com": ("to",),
    "steamcommunity.com": ("url",),
    "news.url.google.com": ("url",),
}
# Paths that must match for a wrapper host that also serves ordinary pages.
_WRAPPER_PATHS: dict[str, re.Pattern[str]] = {
    "facebook.com": re.compile(r"^/(?:l|flx/warn)(?:\.php)?/?$"),
    "m.facebook.com": re.compile(r"^/(?:l|flx/warn)(?:\.php)?/?$"),
    "linkedin.com": re.compile(r"^/redir/redirect/?$"),
    "youtube.com": re.compile(r"^/redirect/?$"),
    "duckduckgo.com": re.compile(r"^/l/?$"),
    "vk.com": re.compile(r"^/away\.php$"),
    "steamcommunity.com": re.compile(r"^/linkfilter/?$"),
}
_GOOGLE_HOST = re.compile(r"^(?:www\.)?google\.(?:[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})$")
_SAFELINKS_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*safelinks\.protection\.outlook\.com$")
_PROOFPOINT_HOST = re.compile(r"^urldefense(?:\.proofpoint)?\.com$")
_BING_HOST = re.compile(r"^(?:www\.)?bing\.com$")
_YAHOO_TARGET = re.compile(r"/RU=(?P<url>[^/]+)/R[KS]=")
# Hosts whose links never carry their target: the fetch follows the redirect, and the page it
# ends at names the story.
_REDIRECTORS = frozenset(
    {
        "feedproxy.google.com",
        "feeds.feedburner.com",
        "feeds2.feedburner.com",
        "t.co",
        "bit.ly",
        "bitly.com",
        "buff.ly",
        "dlvr.it",
        "ow.ly",
        "lnkd.in",
        "tinyurl.com",
        "trib.al",
        "ift.tt",
        "fb.me",
        "wp.me",
        "goo.gl",
        "shorturl.at",
        "rebrand.ly",
        "t.ly",
        "is.gd",
        "apple.news",
        "flip.it",
        "amzn.to",
        "spoti.fi",
        "youtu.be",
    }
)
_NEWS_GOOGLE_ARTICLE = re.compile(r"^/(?:rss/)?articles/(?P<id>[A-Za-z0-9_-]+)")


def unwrap_redirect(url: str) -> str:
    """The address a wrapper link leads to when it is written in the link, else ``url``.

    Nested wrappers (a Safe Links address around a Google Alerts one) are unwrapped in turn.
    """
    current = url.strip()
    for _ in range(MAX_UNWRAPS):
        target = _target_of(current)
        if target is None or target == current:
            return current
        current = target
    return current


def is_redirector(url: str) -> bool:
    """True for links whose target is not in the link: shorteners and FeedBurner's proxy."""
    host = _host(url)
    if host is None:
        return False
    return host in _REDIRECTORS or (host.startswith("www.") and host[4:] in _REDIRECTORS)


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def _target_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = (parts.hostname or "").rstrip(".").lower()
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if _GOOGLE_HOST.match(host):
        return _google_target(parts.path, query)
    if host == "news.google.com":
        return _google_news_target(parts.path, query)
    if _SAFELINKS_HOST.match(host):
        return _http_url(query.get("url"))
    if _PROOFPOINT_HOST.match(host):
        return _proofpoint_target(url, parts.path, query)
    if _BING_HOST.match(host) and parts.path.startswith("/ck/a"):
        return _bing_target(query.get("u"))
    if host.endswith("search.yahoo.com"):
        match = _YAHOO_TARGET.search(parts.path)
        return _http_url(unquote(match.group("url"))) if match else None
    bare = host[4:] if host.startswith("www.") else host
    names = _QUERY_WRAPPERS.get(bare)
    if names is None:
        return None
    path_rule = _WRAPPER_PATHS.get(bare)
    if path_rule is not None and not path_rule.match(parts.path):
        return None
    if bare == "href.li":
        return _http_url(parts.query)
    for name in names:
        target = _http_url(query.get(name))
        if target is not None:
            return target
    return None


def _google_target(path: str, query: dict[str, str]) -> str | None:
    if path in ("/url", "/url/", "/link"):
        return _http_url(query.get("url")) or _http_url(query.get("q"))
    if path.startswith("/amp/s/"):
        return _http_url("https://" + path[len("/amp/s/") :])
    if path.startswith("/amp/"):
        return _http_url(path[len("/amp/") :]) or _http_url("http://" + path[len("/amp/") :])
    return None


def _google_news_target(path: str, query: dict[str, str]) -> str | None:
    """Google News article ids of the older kind hold the target in base64-encoded protobuf."""
    if query.get("url"):
        return _http_url(query["url"])
    match = _NEWS_GOOGLE_ARTICLE.match(path)
    if not match:
        return None
    encoded = match.group("id")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return None
    start = raw.find(b"http")
    if start < 1:
        return None  # newer ids need a request to Google; the fetch follows it instead
    # The URL is a protobuf string field: a varint length just before it says where it ends.
    if raw[start - 1] < 0x80:
        length = raw[start - 1]
    elif start >= 2 and raw[start - 2] >= 0x80 and raw[start - 1] < 0x80:
        length = (raw[start - 2] & 0x7F) | (raw[start - 1] << 7)
    else:
        return None
    try:
        return _http_url(raw[start : start + length].decode("ascii"))
    except UnicodeDecodeError:
        return None


def _proofpoint_target(url: str, path: str, query: dict[str, str]) -> str | None:
    marker = "/v3/__"
    if path.startswith(marker):
        rest = url[url.index(marker) + len(marker) :]
        end = rest.find("__;")
        return _http_url(rest[:end]) if end > 0 else None
    if path.startswith(("/v1/url", "/v2/url")):
        encoded = query.get("u", "")
        if path.startswith("/v2/"):
            encoded = encoded.replace("-", "%").replace("_", "/")
        return _http_url(unquote(encoded))
    return None


def _bing_target(value: str | None) -> str | None:
    if not value or not value.startswith("a1"):
        return None
    encoded = value[2:]
    try:
        decoded = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return _http_url(decoded)


def _http_url(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if re.match(r"(?i)^https?%3A", value):
        value = unquote(value)
    if not re.match(r"(?i)^https?://[^/\s]", value):
        return None
    if any(ord(character) < 33 for character in value):
        return None
    return value
