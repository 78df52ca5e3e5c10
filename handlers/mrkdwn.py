"""Untrusted text made safe for Slack: mrkdwn escaping, links, truncation, plain_text objects.

Slack reads ``&``, ``<`` and ``>`` as control characters in mrkdwn: ``<!channel>``,
``<@U123>``, ``<#C123>`` and ``<url|label>`` are all built from them. Escaping the three
characters as HTML entities is enough to make a string inert. Lengths are counted in
UTF-16 code units (an emoji outside the Basic Multilingual Plane counts twice), which
is never less than Python's ``len``, so a result fits Slack's limits however they count.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

ELLIPSIS = "…"

_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
# Unicode categories Cc (except the newline) and Cs: C0 and C1 controls, DEL, surrogates;
# and the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which
# make text display in another order than it reads ("gpj.exe" shown as "exe.jpg").
_UNWANTED = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
# Something a reader takes for a web address: a scheme, a "www." host, or a dotted host name
# ending in a label of letters (checked against the public suffix list), or an IPv4 address.
_ADDRESS_LIKE = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*:/+)?(?P<host>(?:[\w-]+\.)+[\w-]*[^\W\d_][\w-]*"
    r"|\d{1,3}(?:\.\d{1,3}){3})(?![\w-])(?P<rest>(?::\d+)?[/?#]\S*)?",
    re.IGNORECASE,
)
# Not anchored at a word end: "@here0" cut to "@here…" must stay broken.
_BROADCAST_WORDS = re.compile(r"@(?=channel|here|everyone)", re.IGNORECASE)
_WORD_JOINER = "\u2060"
# In plain_text Slack parses nothing; a zero-width space after "<" still keeps anything
# that looks like a control sequence from ever reading as one.
_PLAIN_CONTROL_START = re.compile(r"<(?=[!@#]|[A-Za-z][A-Za-z0-9+.-]*:)")
_ZERO_WIDTH_SPACE = "\u200b"
_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")
_URL_SAFE = "/:@!$&'()*+,;=-._~%?"
_MIN_WORD_CUT = 0.5


def clean_text(text: str) -> str:
    """``text`` without NUL, control characters and lone surrogates; line breaks become ``\\n``.

    Tabs become spaces. Bidi embeddings, overrides and isolates are removed; other format
    characters (zero-width joiners in emoji, right-to-left marks) are kept.
    """
    if text.isprintable():
        return text
    text = _LINE_BREAKS.sub("\n", text).replace("\t", " ")
    return _UNWANTED.sub("", text)


def escape_mrkdwn(text: str) -> str:
    """``text`` made inert for mrkdwn: ``&``, ``<``, ``>`` as entities, control characters gone.

    A word joiner after the ``@`` of ``@channel``, ``@here`` or ``@everyone`` (also
    as the start of a longer word, which truncation might shorten) keeps Slack's
    automatic parsing from reading them as broadcasts; it is invisible.
    """
    text = clean_text(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST_WORDS.sub("@" + _WORD_JOINER, text)


def defuse_plain_text(text: str) -> str:
    """``text`` for a ``plain_text`` object: control characters gone, no ``<…>`` sequence left."""
    text = clean_text(text)
    text = _PLAIN_CONTROL_START.sub("<" + _ZERO_WIDTH_SPACE, text)
    return _BROADCAST_WORDS.sub("@" + _WORD_JOINER, text)


def sanitize_url(url: str | None) -> str | None:
    """``url`` as a link target, or None when it is not an http(s) URL with a host.

    Characters outside the URL grammar (spaces, ``|``, ``<``, ``>``, quotes, non-ASCII)
    are percent-encoded; non-ASCII host names are IDNA-encoded. URLs carrying a user
    name or password are refused.
    """
    if not url:
        return None
    url = url.strip()
    if _UNWANTED.search(url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    if any(char in ascii_host for char in " <>|\"'`\\^{}"):
        return None
    if ":" in ascii_host:
        ascii_host = f"[{ascii_host}]"
    netloc = ascii_host if port is None else f"{ascii_host}:{port}"
    return urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            quote(parts.path, safe=_URL_SAFE),
            quote(parts.query, safe=_URL_SAFE),
            quote(parts.fragment, safe=_URL_SAFE + "#"),
        )
    )


def link(url: str | None, label: str, *, label_limit: int | None = None) -> str:
    """A mrkdwn link ``<url|label>``; only the escaped label when ``url`` is not a safe http(s) URL.

    The label is escaped, kept on one line and, given ``label_limit``, truncated to it;
    with an empty label the URL itself shows. A link is never disguised: a label that names
    another site's address is not used as the link's label. A label that is only an address
    gives way to the real target (``<url>``); one that names an address among other words
    is shown as text, followed by the real target's host as the link.
    """
    safe = sanitize_url(url)
    text = collapse_whitespace(escape_mrkdwn(label))
    if label_limit is not None:
        text = truncate_words(text, label_limit)
    if safe is None:
        return text
    target = safe.replace("&", "&amp;")
    if not text:
        return f"<{target}>"
    whole = _ADDRESS_LIKE.fullmatch(text.rstrip(ELLIPSIS + " ."))
    if whole is not None and _is_address(whole):
        return f"<{target}>"
    if _foreign_addresses(text, safe):
        return f"{text} (<{target}|{_display_host(safe)}>)"
    return f"<{target}|{text}>"


def _display_host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def _foreign_addresses(text: str, target: str) -> list[re.Match[str]]:
    """The web addresses named in ``text`` that are not on ``target``'s site."""
    from news.urls import is_same_site

    return [
        match
        for match in _ADDRESS_LIKE.finditer(text)
        if _is_address(match) and not is_same_site(f"http://{match['host'].lower()}/", target)
    ]


def _is_address(match: re.Match[str]) -> bool:
    """True when a reader would take ``match`` for a web address ("Node.js" is not one)."""
    from news.urls import registrable_domain

    host = match["host"].lower()
    if match["scheme"] or host.startswith("www.") or host[0].isdigit():
        return True
    return registrable_domain(f"http://{host}/") is not None


def collapse_whitespace(text: str) -> str:
    """``text`` on one line, runs of whitespace as one space, no leading or trailing space."""
    return " ".join(text.split())


def measure(text: str) -> int:
    """The length of ``text`` in UTF-16 code units, as Slack's clients count it."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def truncate_words(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """``text`` cut to at most ``limit`` (UTF-16 units), on a word boundary, ending in ``ellipsis``.

    Text that fits is returned unchanged. The cut never splits an entity such as
    ``&amp;``; a single word longer than half the room is cut inside the word.
    """
    if limit <= 0:
        return ""
    if measure(text) <= limit:
        return text
    room = limit - measure(ellipsis)
    if room <= 0:
        return _cut_to(ellipsis, limit)
    head = _cut_to(text, room)
    following = text[len(head)] if len(head) < len(text) else " "
    if not following.isspace():
        space = max(head.rfind(" "), head.rfind("\n"))
        if space >= room * _MIN_WORD_CUT:
            head = head[:space]
    head = _ENTITY_TAIL.sub("", head).rstrip()
    return head + ellipsis


def plain_text(text: str, limit: int) -> dict[str, Any]:
    """A ``plain_text`` object holding ``text`` truncated to ``limit``.

    Slack renders plain_text literally (no mentions, links or formatting), so no
    escaping is needed; control characters are removed and anything shaped like a
    control sequence is broken up with a zero-width space all the same.
    Raises ValueError when nothing printable is left: Slack refuses empty text.
    """
    value = truncate_words(defuse_plain_text(text).strip(), limit)
    if not value.strip():
        raise ValueError("plain_text needs at least one visible character")
    return {"type": "plain_text", "text": value, "emoji": True}


def _cut_to(text: str, limit: int) -> str:
    """The longest prefix of ``text`` measuring at most ``limit`` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text
