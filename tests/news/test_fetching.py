"""SafeFetcher against real HTTP(S) servers on 127.0.0.1 (allow-listed)."""

from __future__ import annotations

import codecs
import gzip
import ssl
import threading
import tracemalloc
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import trustme

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
from news.fetching import (
    ARTICLE_TYPES,
    FEED_TYPES,
    FetchLimits,
    SafeFetcher,
    decode_text,
)
from tests.pageserver import PageServer, RecordedRequest, Reply, find_closed_port, page_server

__all__ = ["page_server"]

ARTICLE = (
    "<html><head><title>Budget vote</title></head><body><p>The council voted.</p></body></html>"
)


class CountingResolver:
    """Answers from a script, one answer list per call, and records every lookup."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append((host, port))
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


@pytest.fixture
def fetcher() -> Iterator[SafeFetcher]:
    with SafeFetcher(allowed_hosts={"127.0.0.1"}) as safe_fetcher:
        yield safe_fetcher


def make_fetcher(**limits: Any) -> SafeFetcher:
    return SafeFetcher(FetchLimits(**limits), allowed_hosts={"127.0.0.1"})


def test_fetches_an_article_page(page_server: PageServer, fetcher: SafeFetcher) -> None:
    page_server.add("/story", ARTICLE)

    page = fetcher.fetch(page_server.url("/story"))

    assert page.status == 200
    assert page.url == page.requested_url == page_server.url("/story")
    assert page.content_type == "text/html"
    assert page.content == ARTICLE.encode()
    assert page.text == ARTICLE
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    (request,) = page_server.requests
    assert request.headers["host"] == f"127.0.0.1:{page_server.port}"
    assert request.headers["user-agent"].startswith("newsdesk/")
    assert request.headers["accept-encoding"] == "gzip, deflate"
    assert "text/html" in request.headers["accept"]


def test_keeps_the_query_string(page_server: PageServer, fetcher: SafeFetcher) -> None:
    page_server.add("/search", "results", content_type="text/plain")

    fetcher.fetch(page_server.url("/search?q=budget%20vote&page=2"))

    (request,) = page_server.requests
    assert request.target == "/search?q=budget%20vote&page=2"


@pytest.mark.parametrize(
    ("content_type", "body", "expected_text", "expected_charset"),
    [
        pytest.param(
            "text/html; charset=ISO-8859-1",
            "<p>Café crème</p>".encode("latin-1"),
            "<p>Café crème</p>",
            "cp1252",
            id="header-latin-1",
        ),
        pytest.param(
            "text/html; charset=koi8-r",
            "<p>Новости</p>".encode("koi8-r"),
            "<p>Новости</p>",
            "koi8-r",
            id="header-koi8-r",
        ),
        pytest.param(
            "text/html",
            '<meta charset="windows-1252"><p>“Quote” – dash</p>'.encode("cp1252"),
            '<meta charset="windows-1252"><p>“Quote” – dash</p>',
            "cp1252",
            id="meta-charset",
        ),
        pytest.param(
            "text/html",
            (
                '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15">'
                "<p>Prix : 5 €</p>"
            ).encode("iso-8859-15"),
            (
                '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15">'
                "<p>Prix : 5 €</p>"
            ),
            "iso8859-15",
            id="meta-http-equiv",
        ),
        pytest.param(
            "text/html; charset=iso-8859-1",
            b"\xef\xbb\xbf<p>Z\xc3\xbcrich</p>",
            "<p>Zürich</p>",
            "utf-8-sig",
            id="utf-8-bom-beats-header",
        ),
        pytest.param(
            "text/plain",
            "Zürich".encode("utf-16"),
            "Zürich",
            "utf-16",
            id="utf-16-bom",
        ),
        pytest.param(
            "text/html",
            "<p>Zürich</p>".encode(),
            "<p>Zürich</p>",
            "utf-8",
            id="undeclared-utf-8",
        ),
        pytest.param(
            "text/html",
            "<p>Zürich – “quoted”</p>".encode("cp1252"),
            "<p>Zürich – “quoted”</p>",
            "cp1252",
            id="undeclared-latin-fallback",
        ),
        pytest.param(
            "text/html; charset=no-such-charset",
            "<p>naïve</p>".encode(),
            "<p>naïve</p>",
            "utf-8",
            id="unknown-charset-ignored",
        ),
        pytest.param(
            "text/html; charset=utf-8",
            b"<p>broken \xff\xfe bytes</p>",
            "<p>broken \ufffd\ufffd bytes</p>",
            "utf-8",
            id="bad-bytes-replaced",
        ),
    ],
)
def test_decodes_text_with_the_right_charset(
    page_server: PageServer,
    fetcher: SafeFetcher,
    content_type: str,
    body: bytes,
    expected_text: str,
    expected_charset: str,
) -> None:
    page_server.add("/page", body, content_type=content_type)

    page = fetcher.fetch(page_server.url("/page"))

    assert page.content == body
    assert page.text == expected_text
    assert page.charset == expected_charset


def test_reads_the_encoding_of_an_xml_feed(page_server: PageServer, fetcher: SafeFetcher) -> None:
    feed = '<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>Café</title></rss>'
    page_server.add("/feed", feed.encode("latin-1"), content_type="application/rss+xml")

    page = fetcher.fetch(page_server.url("/feed"), accept=FEED_TYPES)

    assert page.content_type == "application/rss+xml"
    assert page.text == feed


def test_meta_declaring_utf_16_in_an_ascii_document_means_utf_8() -> None:
    text, charset = decode_text('<meta charset="utf-16"><p>Zürich</p>'.encode(), "text/html")

    assert (text, charset) == ('<meta charset="utf-16"><p>Zürich</p>', "utf-8")


@pytest.mark.parametrize(
    ("declared", "content_type"),
    [
        ('<meta charset="iso-8859-15">', "text/html"),
        ('<meta charset="gb2312">', "text/html"),
        ("", "text/html; charset=windows-1252"),
    ],
)
def test_a_body_declared_in_a_legacy_charset_but_valid_utf_8_is_read_as_utf_8(
    declared: str, content_type: str
) -> None:
    page = f"{declared}<h1>Zürich: 北京的记者 écrit</h1>"

    text, charset = decode_text(page.encode("utf-8"), content_type)

    assert (text, charset) == (page, "utf-8")


@pytest.mark.parametrize(
    ("codec", "declared"), [("iso-8859-15", "iso-8859-15"), ("gb2312", "gb2312")]
)
def test_a_body_really_in_its_declared_legacy_charset_is_read_as_declared(
    codec: str, declared: str
) -> None:
    words = "Zürich écrit" if codec == "iso-8859-15" else "北京的记者报道"
    page = f'<meta charset="{declared}"><h1>{words}</h1>'

    text, charset = decode_text(page.encode(codec), "text/html")

    assert text == page
    assert charset == codecs.lookup(codec).name


def test_a_byte_order_mark_still_beats_valid_utf_8_text() -> None:
    page = "<p>Zürich</p>"

    text, charset = decode_text(
        codecs.BOM_UTF8 + page.encode("utf-8"), "text/html; charset=latin-1"
    )

    assert (text, charset) == (page, "utf-8-sig")


def test_follows_redirects_and_reports_the_final_url(
    page_server: PageServer, fetcher: SafeFetcher
) -> None:
    page_server.add_redirect("/short", "/moved", status=301)
    page_server.add_redirect("/moved", page_server.url("/story?from=feed"), status=307)
    page_server.add("/story", ARTICLE)

    page = fetcher.fetch(page_server.url("/short"))

    assert page.requested_url == page_server.url("/short")
    assert page.url == page_server.url("/story?from=feed")
    assert page.text == ARTICLE
    assert [request.target for request in page_server.requests] == [
        "/short",
        "/moved",
        "/story?from=feed",
    ]


def test_checks_the_redirect_target_again(page_server: PageServer) -> None:
    resolver = CountingResolver(["192.168.1.20"])
    page_server.add_redirect("/out", "http://printer.lan/status")

    with (
        SafeFetcher(allowed_hosts={"127.0.0.1"}, resolver=resolver) as fetcher,
        pytest.raises(BlockedAddress) as refused,
    ):
        fetcher.fetch(page_server.url("/out"))

    assert refused.value.reason == (
        "blocked: printer.lan resolves to 192.168.1.20, a private address"
    )
    assert resolver.calls == [("printer.lan", 80)]
    assert len(page_server.requests) == 1


def test_follows_exactly_max_redirects(page_server: PageServer) -> None:
    for hop in range(3):
        page_server.add_redirect(f"/hop{hop}", f"/hop{hop + 1}")
    page_server.add("/hop3", ARTICLE)

    with make_fetcher(max_redirects=3) as fetcher:
        page = fetcher.fetch(page_server.url("/hop0"))

    assert page.url == page_server.url("/hop3")


def test_refuses_one_redirect_too_many(page_server: PageServer) -> None:
    for hop in range(6):
        page_server.add_redirect(f"/hop{hop}", f"/hop{hop + 1}")
    page_server.add("/hop6", ARTICLE)

    with (
        SafeFetcher(allowed_hosts={"127.0.0.1"}) as fetcher,
        pytest.raises(TooManyRedirects) as refused,
    ):
        fetcher.fetch(page_server.url("/hop0"))

    assert refused.value.reason == "too many redirects (more than 5)"
    assert len(page_server.requests) == 6


def test_refuses_a_redirect_loop(page_server: PageServer, fetcher: SafeFetcher) -> None:
    page_server.add_redirect("/loop", "/loop")

    with pytest.raises(TooManyRedirects):
        fetcher.fetch(page_server.url("/loop"))


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (404, "the server answered 404 Not Found"),
        (410, "the server answered 410 Gone"),
        (500, "the server answered 500 Internal Server Error"),
        (503, "the server answered 503 Service Unavailable"),
        (599, "the server answered 599"),
    ],
)
def test_error_statuses_raise_with_the_status_line(
    page_server: PageServer, fetcher: SafeFetcher, status: int, reason: str
) -> None:
    page_server.add("/gone", "nope", status=status)

    with pytest.raises(HttpStatusError) as refused:
        fetcher.fetch(page_server.url("/gone"))

    assert refused.value.reason == reason


def test_unknown_path_is_a_404(page_server: PageServer, fetcher: SafeFetcher) -> None:
    with pytest.raises(HttpStatusError, match="404 Not Found"):
        fetcher.fetch(page_server.url("/missing"))


def test_refuses_a_content_type_the_caller_does_not_accept(
    page_server: PageServer, fetcher: SafeFetcher
) -> None:
    page_server.add("/report.pdf", b"%PDF-1.7", content_type="application/pdf")

    with pytest.raises(NotAnArticle) as refused:
        fetcher.fetch(page_server.url("/report.pdf"))

    assert refused.value.reason == "not an article: application/pdf"


def test_feed_types_are_not_articles_and_articles_are_not_feeds(
    page_server: PageServer, fetcher: SafeFetcher
) -> None:
    page_server.add("/feed", b"<rss/>", content_type="application/rss+xml; charset=utf-8")
    page_server.add("/story", ARTICLE)

    assert fetcher.fetch(page_server.url("/feed"), accept=FEED_TYPES).content == b"<rss/>"
    with pytest.raises(NotAnArticle, match="application/rss"):
        fetcher.fetch(page_server.url("/feed"), accept=ARTICLE_TYPES)
    with pytest.raises(NotAnArticle, match="text/html"):
        fetcher.fetch(page_server.url("/story"), accept=FEED_TYPES)


def test_sniffs_html_served_without_content_type(
    page_server: PageServer, fetcher: SafeFetcher
) -> None:
    page_server.add("/bare", "<!DOCTYPE html>" + ARTICLE, content_type=None)
    page_server.add("/blob", b"\x00\x01binary", content_type=None)

    assert fetcher.fetch(page_server.url("/bare")).content_type == "text/html"
    with pytest.raises(NotAnArticle, match="application/octet-stream"):
        fetcher.fetch(page_server.url("/blob"))


def test_refuses_a_declared_length_over_the_limit(page_server: PageServer) -> None:
    page_server.add("/big", b"x" * 2_000)

    with make_fetcher(max_bytes=1_000) as fetcher, pytest.raises(TooLarge) as refused:
        fetcher.fetch(page_server.url("/big"))

    assert refused.value.reason == "page larger than 1 KB"


def test_refuses_a_streamed_body_over_the_limit(page_server: PageServer) -> None:
    page_server.add_stream("/big", lambda: [b"x" * 600] * 4)

    with make_fetcher(max_bytes=2_000) as fetcher, pytest.raises(TooLarge):
        fetcher.fetch(page_server.url("/big"))


def test_a_body_exactly_at_the_limit_is_fine(page_server: PageServer) -> None:
    page_server.add_stream("/fits", lambda: [b"x" * 500] * 4)

    with make_fetcher(max_bytes=2_000) as fetcher:
        assert len(fetcher.fetch(page_server.url("/fits")).content) == 2_000


def test_the_default_limit_is_described_in_megabytes(page_server: PageServer) -> None:
    page_server.add("/huge", b"", headers={"Content-Length": "5000001"})

    with SafeFetcher(allowed_hosts={"127.0.0.1"}) as fetcher, pytest.raises(TooLarge) as refused:
        fetcher.fetch(page_server.url("/huge"))

    assert refused.value.reason == "page larger than 5 MB"


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),
    ],
    ids=["gzip", "x-gzip", "deflate-zlib", "deflate-raw"],
)
def test_decodes_compressed_pages(
    page_server: PageServer,
    fetcher: SafeFetcher,
    encoding: str,
    compress: object,
) -> None:
    body = (ARTICLE * 200).encode()
    assert callable(compress)
    page_server.add("/zipped", compress(body), headers={"Content-Encoding": encoding})

    page = fetcher.fetch(page_server.url("/zipped"))

    assert page.content == body


def test_decodes_multi_member_gzip(page_server: PageServer, fetcher: SafeFetcher) -> None:
    page_server.add(
        "/members",
        gzip.compress(b"<p>first</p>") + gzip.compress(b"<p>second</p>"),
        headers={"Content-Encoding": "gzip"},
    )

    assert fetcher.fetch(page_server.url("/members")).text == "<p>first</p><p>second</p>"


def make_gzip_bomb(decoded_size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1_000_000)
    parts = [compressor.compress(block) for _ in range(decoded_size // len(block))]
    return b"".join(parts) + compressor.flush()


def test_refuses_a_gzip_bomb_with_bounded_memory(page_server: PageServer) -> None:
    bomb = make_gzip_bomb(200_000_000)
    assert len(bomb) < 500_000
    page_server.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})

    with make_fetcher(max_bytes=1_000_000) as fetcher:
        tracemalloc.start()
        try:
            with pytest.raises(TooLarge):
                fetcher.fetch(page_server.url("/bomb"))
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert peak < 10_000_000


def test_refuses_an_unsupported_content_encoding(
    page_server: PageServer, fetcher: SafeFetcher
) -> None:
    page_server.add("/br", b"\x1b\x00", headers={"Content-Encoding": "br"})

    with pytest.raises(ConnectionFailed, match="unsupported content encoding: br"):
        fetcher.fetch(page_server.url("/br"))


def test_refuses_corrupt_gzip(page_server: PageServer, fetcher: SafeFetcher) -> None:
    page_server.add("/corrupt", b"\x1f\x8b\x08\x00garbage!", headers={"Content-Encoding": "gzip"})

    with pytest.raises(ConnectionFailed, match="not valid gzip"):
        fetcher.fetch(page_server.url("/corrupt"))


def test_a_never_ending_fast_stream_hits_the_size_limit(page_server: PageServer) -> None:
    page_server.add_stream("/endless", lambda: page_server.endless(b"x" * 4096))

    with make_fetcher(max_bytes=100_000) as fetcher, pytest.raises(TooLarge):
        fetcher.fetch(page_server.url("/endless"))


def test_a_never_ending_slow_stream_is_cut_by_the_deadline(page_server: PageServer) -> None:
    page_server.add_stream("/endless", lambda: page_server.endless(b"x" * 100, delay=0.02))

    with (
        make_fetcher(total_timeout=0.5, read_timeout=5) as fetcher,
        pytest.raises(TimedOut) as refused,
    ):
        fetcher.fetch(page_server.url("/endless"))

    assert refused.value.reason == "timed out after 0.5 s"


def test_a_trickling_response_is_cut_by_the_deadline(page_server: PageServer) -> None:
    page_server.add_stream("/trickle", lambda: page_server.trickle([b"a"] * 100, delay=0.1))

    with (
        make_fetcher(total_timeout=0.5, read_timeout=5) as fetcher,
        pytest.raises(TimedOut) as refused,
    ):
        fetcher.fetch(page_server.url("/trickle"))

    assert refused.value.reason == "timed out after 0.5 s"


def test_a_silent_server_hits_the_read_timeout(page_server: PageServer) -> None:
    page_server.add_stream("/silent", lambda: page_server.stall([b"<html>"]))

    with (
        make_fetcher(read_timeout=0.2, total_timeout=5) as fetcher,
        pytest.raises(TimedOut) as refused,
    ):
        fetcher.fetch(page_server.url("/silent"))

    assert refused.value.reason == "timed out after 0.2 s waiting for 127.0.0.1"


def test_the_deadline_cuts_a_read_shorter_than_the_read_timeout(page_server: PageServer) -> None:
    page_server.add_stream("/silent", lambda: page_server.stall([b"<html>"]))

    with (
        make_fetcher(read_timeout=30, total_timeout=0.3) as fetcher,
        pytest.raises(TimedOut) as refused,
    ):
        fetcher.fetch(page_server.url("/silent"))

    assert refused.value.reason == "timed out after 0.3 s"


def test_slow_headers_hit_the_read_timeout(page_server: PageServer) -> None:
    def answer_late(request: RecordedRequest) -> Reply:
        page_server.wait(5)
        return Reply(200, {"Content-Type": "text/html"}, b"late")

    page_server.add_handler("/late", answer_late)

    with (
        make_fetcher(read_timeout=0.2) as fetcher,
        pytest.raises(TimedOut, match=r"0\.2 s waiting"),
    ):
        fetcher.fetch(page_server.url("/late"))


def test_conditional_get_returns_304_as_a_page(
    page_server: PageServer, fetcher: SafeFetcher
) -> None:
    def answer_feed(request: RecordedRequest) -> Reply:
        if request.headers.get("if-none-match") == '"v7"':
            return Reply(304, {"ETag": '"v7"'}, b"")
        return Reply(200, {"Content-Type": "application/atom+xml", "ETag": '"v7"'}, b"<feed/>")

    page_server.add_handler("/feed", answer_feed)

    first = fetcher.fetch(page_server.url("/feed"), accept=FEED_TYPES)
    again = fetcher.fetch(
        page_server.url("/feed"),
        accept=FEED_TYPES,
        headers={"If-None-Match": first.headers["etag"], "If-Modified-Since": "Tue, 01 Jan 2030"},
    )

    assert (first.status, first.content) == (200, b"<feed/>")
    assert (again.status, again.content, again.text) == (304, b"", "")
    assert again.headers["ETag"] == '"v7"'
    assert page_server.requests[1].headers["if-modified-since"] == "Tue, 01 Jan 2030"


def test_refuses_to_let_callers_set_transport_headers(fetcher: SafeFetcher) -> None:
    with pytest.raises(ValueError, match="Host"):
        fetcher.fetch("http://127.0.0.1/", headers={"Host": "intranet"})


def test_connects_to_the_address_it_checked(page_server: PageServer) -> None:
    page_server.add("/story", ARTICLE)
    rebinding = CountingResolver(["127.0.0.1"], ["10.0.0.1"])
    url = f"http://news.example:{page_server.port}/story"

    with SafeFetcher(allowed_hosts={"127.0.0.1"}, resolver=rebinding) as fetcher:
        page = fetcher.fetch(url)

    assert page.url == url
    assert rebinding.calls == [("news.example", page_server.port)]
    (request,) = page_server.requests
    assert request.headers["host"] == f"news.example:{page_server.port}"


def test_resolves_once_per_hop(page_server: PageServer) -> None:
    page_server.add_redirect("/a", f"http://second.example:{page_server.port}/b")
    page_server.add("/b", ARTICLE)
    resolver = CountingResolver(["127.0.0.1"], ["127.0.0.1"], ["10.0.0.1"])

    with SafeFetcher(allowed_hosts={"127.0.0.1"}, resolver=resolver) as fetcher:
        fetcher.fetch(f"http://first.example:{page_server.port}/a")

    assert resolver.calls == [
        ("first.example", page_server.port),
        ("second.example", page_server.port),
    ]
    assert [request.headers["host"] for request in page_server.requests] == [
        f"first.example:{page_server.port}",
        f"second.example:{page_server.port}",
    ]


def test_tries_the_next_checked_address_when_one_refuses(page_server: PageServer) -> None:
    page_server.add("/story", ARTICLE)
    resolver = CountingResolver(["127.0.0.2", "127.0.0.1"])

    with SafeFetcher(allowed_hosts={"127.0.0.0/8"}, resolver=resolver) as fetcher:
        page = fetcher.fetch(f"http://two.example:{page_server.port}/story")

    assert page.text == ARTICLE
    assert len(resolver.calls) == 1


def test_a_refused_connection_is_a_connection_failure(fetcher: SafeFetcher) -> None:
    with pytest.raises(ConnectionFailed, match=r"could not connect to 127\.0\.0\.1"):
        fetcher.fetch(f"http://127.0.0.1:{find_closed_port()}/")


def test_an_unresolvable_host_is_a_connection_failure() -> None:
    def fail_to_resolve(host: str, port: int) -> Sequence[str]:
        raise OSError(-2, "Name or service not known")

    with (
        SafeFetcher(resolver=fail_to_resolve) as fetcher,
        pytest.raises(ConnectionFailed) as refused,
    ):
        fetcher.fetch("https://example.invalid/story")

    assert refused.value.reason == "could not resolve example.invalid"


def test_an_empty_answer_is_a_connection_failure() -> None:
    with (
        SafeFetcher(resolver=lambda host, port: []) as fetcher,
        pytest.raises(ConnectionFailed, match=r"could not resolve nothing\.example"),
    ):
        fetcher.fetch("http://nothing.example/")


def test_a_stalled_lookup_is_cut_by_the_deadline() -> None:
    released = threading.Event()

    def stall(host: str, port: int) -> Sequence[str]:
        released.wait(10)
        return ["93.184.216.34"]

    try:
        with (
            SafeFetcher(FetchLimits(total_timeout=0.2), resolver=stall) as fetcher,
            pytest.raises(TimedOut) as refused,
        ):
            fetcher.fetch("http://slow-dns.example/")
    finally:
        released.set()

    assert refused.value.reason == "timed out after 0.2 s"


def test_the_default_resolver_resolves_localhost() -> None:
    with SafeFetcher() as fetcher, pytest.raises(BlockedAddress, match="loopback"):
        fetcher.fetch("http://localhost/")


def test_one_fetcher_serves_many_threads(page_server: PageServer, fetcher: SafeFetcher) -> None:
    for number in range(8):
        page_server.add(f"/story{number}", f"<p>story {number}</p>")
    texts: dict[int, str] = {}

    def fetch_story(number: int) -> None:
        texts[number] = fetcher.fetch(page_server.url(f"/story{number}")).text

    threads = [threading.Thread(target=fetch_story, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert texts == {number: f"<p>story {number}</p>" for number in range(8)}


def test_a_closed_fetcher_refuses_work(page_server: PageServer) -> None:
    fetcher = SafeFetcher(allowed_hosts={"127.0.0.1"})
    fetcher.close()

    with pytest.raises(RuntimeError, match="closed"):
        fetcher.fetch(page_server.url("/"))


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


def start_tls_server(authority: trustme.CA, hostname: str) -> PageServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(hostname).configure_cert(context)
    server = PageServer(ssl_context=context).start()
    server.add("/story", ARTICLE)
    return server


def make_tls_fetcher(authority: trustme.CA, resolver: CountingResolver) -> SafeFetcher:
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    return SafeFetcher(allowed_hosts={"127.0.0.1"}, resolver=resolver, ssl_context=client_context)


def test_https_verifies_the_hostname_while_connecting_to_the_address(
    certificate_authority: trustme.CA,
) -> None:
    server = start_tls_server(certificate_authority, "news.example")
    resolver = CountingResolver(["127.0.0.1"], ["10.0.0.1"])
    try:
        with make_tls_fetcher(certificate_authority, resolver) as fetcher:
            page = fetcher.fetch(f"https://news.example:{server.port}/story")
    finally:
        server.stop()

    assert page.text == ARTICLE
    assert resolver.calls == [("news.example", server.port)]
    (request,) = server.requests
    assert request.server_name == "news.example"
    assert request.headers["host"] == f"news.example:{server.port}"


def test_https_refuses_a_certificate_for_another_name(certificate_authority: trustme.CA) -> None:
    server = start_tls_server(certificate_authority, "other.example")
    try:
        with (
            make_tls_fetcher(certificate_authority, CountingResolver(["127.0.0.1"])) as fetcher,
            pytest.raises(ConnectionFailed, match=r"could not connect to news\.example"),
        ):
            fetcher.fetch(f"https://news.example:{server.port}/story")
    finally:
        server.stop()

    assert server.requests == []


def test_unsupported_urls_are_refused_before_anything_else(fetcher: SafeFetcher) -> None:
    with pytest.raises(UnsupportedUrl, match="not a web address"):
        fetcher.fetch("story about budgets")
