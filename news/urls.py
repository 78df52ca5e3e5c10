"""URL normalisation for dedupe, and small helpers about the site a URL belongs to."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, unquote_plus, urljoin, urlsplit, urlunsplit

from news.errors import UnsupportedUrl

SUPPORTED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 4096

TRACKING_PARAMETERS = frozenset(
    {
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "__twitter_impression",
        "at_campaign",
        "at_medium",
        "cmp",
        "cmpid",
        "dclid",
        "fbclid",
        "gclid",
        "gclsrc",
        "icid",
        "igshid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "msclkid",
        "ncid",
        "ocid",
        "oly_anon_id",
        "oly_enc_id",
        "ref_src",
        "ref_url",
        "s_cid",
        "smid",
        "sr_share",
        "ttclid",
        "twclid",
        "vero_id",
        "wt.mc_id",
        "wt_mc",
        "wt_zmc",
        "yclid",
    }
)
"""Query parameters that only track where a click came from (compared case-insensitively)."""

TRACKING_PREFIXES = ("utm_",)

_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are in a path or query; everything else is percent-encoded.
_PATH_SAFE = frozenset("/:@!$&'()*+,;=-._~%") | _UNRESERVED
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_WWW_PREFIXES = ("www.", "m.", "amp.", "mobile.")


def normalize_url(url: str) -> str:
    """The form of an http(s) URL used to recognise the same link shared twice.

    Lower-cases scheme and host, converts the host to IDNA, drops default ports, the
    fragment (except ``#!`` routes), tracking parameters and empty query pairs, sorts
    the remaining parameters by name (keeping the order of repeated names), resolves
    ``.``/``..`` segments and normalises percent-escapes. Path case, duplicate slashes
    and a trailing slash are kept: servers may treat them differently.
    Raises UnsupportedUrl for anything that is not a usable http(s) URL.
    """
    parts = _split_url(url)
    scheme = parts.scheme.lower()
    host = _normalize_host(parts.hostname or "")
    port = _read_port(parts)
    netloc = host if port is None or port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _normalize_path(parts.path)
    query = _normalize_query(parts.query)
    fragment = parts.fragment if parts.fragment.startswith("!") else ""
    return urlunsplit((scheme, netloc, path, query, _quote(fragment, _QUERY_SAFE)))


def resolve_url(href: str, *, base: str) -> str | None:
    """``href`` resolved against ``base`` and normalised, or None when it is not http(s)."""
    href = href.strip()
    if not href:
        return None
    try:
        return normalize_url(urljoin(base, href))
    except (UnsupportedUrl, ValueError):
        return None


def registrable_domain(url: str) -> str | None:
    """The domain a registrant controls (``news.bbc.co.uk`` → ``bbc.co.uk``), if it has one.

    Only for http(s) URLs. Uses the public suffix list bundled with the ``tld`` package;
    IP addresses and single-label hosts have none.
    """
    from tld import get_fld

    try:
        host = _host_of(url)
    except UnsupportedUrl:
        return None
    if host.startswith("["):
        return None
    domain = get_fld(host, fix_protocol=True, fail_silently=True)
    return str(domain) if domain else None


def is_same_site(first: str, second: str) -> bool:
    """True when both URLs belong to the same registrable domain (or the same host)."""
    first_domain, second_domain = registrable_domain(first), registrable_domain(second)
    if first_domain is not None and second_domain is not None:
        return first_domain == second_domain
    try:
        return _host_of(first) == _host_of(second)
    except UnsupportedUrl:
        return False


def outlet_from_host(url: str) -> str:
    """A readable site name for a URL when the page names none, such as ``example.com``.

    Uses the registrable domain, or the host without a ``www.``/``m.`` prefix.
    """
    host = _host_of(url)
    domain = registrable_domain(url)
    if domain is not None:
        return _decode_idna(domain)
    for prefix in _WWW_PREFIXES:
        if host.startswith(prefix) and len(host) > len(prefix):
            host = host[len(prefix) :]
            break
    return _decode_idna(host)


def _host_of(url: str) -> str:
    parts = _split_url(url)
    return _normalize_host(parts.hostname or "")


def _split_url(url: str) -> SplitResult:
    if not isinstance(url, str):
        raise UnsupportedUrl("not a link: expected text")
    text = url.strip()
    if not text:
        raise UnsupportedUrl("not a link: the address is empty")
    if len(text) > MAX_URL_LENGTH:
        raise UnsupportedUrl(f"link too long: more than {MAX_URL_LENGTH} characters")
    if any(ord(character) < 32 or ord(character) == 127 for character in text):
        raise UnsupportedUrl("not a link: the address contains control characters")
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise UnsupportedUrl(f"not a link: {error}") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise UnsupportedUrl("not a link: the address has no http:// or https:// scheme")
    if scheme not in SUPPORTED_SCHEMES:
        raise UnsupportedUrl(f"unsupported link: only http and https are fetched, not {scheme}:")
    if not parts.netloc:
        raise UnsupportedUrl("not a link: the address has no host name")
    if parts.username is not None or parts.password is not None:
        raise UnsupportedUrl("unsupported link: addresses with a user name or password")
    return parts


def _read_port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        raise UnsupportedUrl("not a link: the port is not a number from 1 to 65535") from None
    if port == 0:
        raise UnsupportedUrl("not a link: the port is not a number from 1 to 65535")
    return port


def _normalize_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    if not host:
        raise UnsupportedUrl("not a link: the address has no host name")
    if ":" in host:  # an IPv6 literal; urlsplit has already removed the brackets
        if not re.fullmatch(r"[0-9a-f:.]+(%[0-9a-z._~-]+)?", host):
            raise UnsupportedUrl("not a link: the IPv6 address is malformed")
        return f"[{host}]"
    ascii_host = _encode_idna(host)
    labels = ascii_host.split(".")
    if any(not _HOST_LABEL.match(label) for label in labels):
        raise UnsupportedUrl(f"not a link: {host!r} is not a valid host name")
    return ascii_host


def _encode_idna(host: str) -> str:
    if host.isascii():
        return host
    import idna

    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise UnsupportedUrl(f"not a link: {host!r} is not a valid host name") from None


def _decode_idna(host: str) -> str:
    if "xn--" not in host:
        return host
    import idna

    try:
        return str(idna.decode(host))
    except (idna.IDNAError, UnicodeError):
        return host


def _normalize_path(path: str) -> str:
    if not path:
        return "/"
    path = _normalize_escapes(_quote(path, _PATH_SAFE))
    return _remove_dot_segments(path)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, applied to an absolute path."""
    segments = path.split("/")
    output: list[str] = []
    for index, segment in enumerate(segments):
        is_last = index == len(segments) - 1
        if segment == ".":
            if is_last:
                output.append("")
            continue
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if is_last:
                output.append("")
            continue
        output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def _normalize_query(query: str) -> str:
    kept: list[tuple[str, str]] = []
    for pair in query.split("&"):
        if not pair:
            continue
        raw_name = pair.split("=", 1)[0]
        name = unquote_plus(raw_name).strip().lower()
        if not name and "=" not in pair:
            continue
        if name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES):
            continue
        kept.append((unquote_plus(raw_name), _normalize_escapes(_quote(pair, _QUERY_SAFE))))
    kept.sort(key=lambda item: item[0])
    return "&".join(pair for _, pair in kept)


def _quote(text: str, safe: frozenset[str]) -> str:
    """Percent-encode (as UTF-8) every character outside ``safe``; existing escapes stay."""
    if all(character in safe for character in text):
        return text
    pieces: list[str] = []
    for character in text:
        if character in safe:
            pieces.append(character)
        else:
            pieces.extend(f"%{byte:02X}" for byte in character.encode("utf-8", "surrogatepass"))
    return "".join(pieces)


def _normalize_escapes(text: str) -> str:
    """Upper-case percent-escapes and decode those of unreserved characters."""

    def replace(match: re.Match[str]) -> str:
        character = chr(int(match.group(1), 16))
        return character if character in _UNRESERVED else f"%{match.group(1).upper()}"

    return _PERCENT_ESCAPE.sub(replace, text)
