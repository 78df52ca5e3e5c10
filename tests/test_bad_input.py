"""Bad input through the command line and through Slack: malformed wire copy, binary files,
multi-megabyte text, NUL bytes, invalid UTF-8, right-to-left text and emoji, absurd dates.

Each bad item gets a clear one-line error, nothing is half-stored (articles, shares and
versions are counted before and after), and the bot keeps answering afterwards. Good input
in unusual scripts is stored as it was written.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.cli import app
from bot.local import LocalDeployment
from bot.server import LocalServer
from bot.settings import Settings
from bot.webhook import PUBLISH_PATH, PublishWebhook
from news.webhooks import sign_payload
from storage.database import create_database_engine, upgrade_database
from storage.models import Article
from tests.pageserver import PageServer

RUNNER = CliRunner()
COUNTED_TABLES = ("articles", "shares", "article_versions")

GOOD_COPY = """Published: 06 January 2025
Europe Desk
The Harbour Gazette

Ukraine and Poland agree to reopen the Dorohusk rail crossing to grain freight from next month, ending a dispute that had left thousands of wagons idle at the border.

The agreement follows weeks of talks between the two transport ministries and pressure from farmers on both sides.
"""

RTL_COPY = """Published: 07 January 2025
صحيفة الميناء

‏توقفت الرافعات في الميناء الشرقي بعد إضراب عمال الرصيف 🚢 احتجاجاً على نوبات الليل، وبقيت عشرات السفن في انتظار الرسو خارج حاجز الأمواج.

וְהַשִּׁבְתָּה נִמְשֶׁכֶת: רָשׁוּת הַנָּמָל אָמְרָה שֶׁהִיא מְקַוָּה לְחַדֵּשׁ אֶת הַשִּׂיחוֹת לִפְנֵי סוֹף הַשָּׁבוּעַ 🇮🇱🇵🇸 👩🏽‍🔧.
"""

ARTICLE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{headline}</title>
<link rel="canonical" href="{canonical}">
<meta property="og:site_name" content="The Harbour Gazette">
<meta property="article:published_time" content="{published}">
</head><body><article><h1>{headline}</h1>
<p>{first}</p>
<p>The port authority said it hoped talks with the union would resume before the weekend,
when two large container ships are due to arrive from Rotterdam with grain and steel.</p>
<p>Farmers and hauliers on both sides of the border have protested for months, blocking
roads and demanding compensation for losses they blame on the long queues at the port.</p>
</article></body></html>"""

FIRST = (
    "Dock workers at the eastern harbour walked out on Tuesday in a dispute over night shifts, "
    "leaving cranes idle and a dozen ships waiting at anchor outside the breakwater."
)


def article_page(
    url: str,
    headline: str = "Harbour cranes stand idle",
    *,
    first: str = FIRST,
    published: str = "2025-01-06T09:30:00Z",
    lang: str = "en",
) -> str:
    return ARTICLE.format(
        headline=headline, canonical=url, first=first, published=published, lang=lang
    )


def count_rows(url: str) -> dict[str, int]:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: int(
                    connection.execute(
                        sa.select(sa.func.count()).select_from(sa.table(table))
                    ).scalar_one()
                )
                for table in COUNTED_TABLES
            }
    finally:
        engine.dispose()


def stored_articles(url: str) -> list[Article]:
    engine = create_database_engine(url)
    try:
        with sa.orm.Session(engine) as session:
            return list(session.scalars(sa.select(Article).order_by(Article.id)))
    finally:
        engine.dispose()


def assert_sane_dates(article: Article) -> None:
    """No date before newsrooms had websites, none in the future: a story dated 9999 would
    stay first in every 'latest' answer forever."""
    now = datetime.now(UTC)
    if article.published_at is not None:
        assert datetime(1990, 1, 1, tzinfo=UTC) < article.published_at < now + timedelta(days=2)
    assert article.sort_at < now + timedelta(days=2)


def random_bytes(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


# -- the command line -----------------------------------------------------------------------


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite archive the CLI opens through DATABASE_URL."""
    url = f"sqlite:///{tmp_path}/archive.db"
    upgrade_database(url)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # no stray .env from the developer's checkout
    monkeypatch.setenv("DATABASE_URL", url)
    return url


HEADER_ONLY = "Published: 06 January 2025\nEurope Desk\nThe Harbour Gazette\n"
PNG = b"\x89PNG\r\n\x1a\n" + random_bytes(4096)

BAD_FILES: dict[str, tuple[bytes, str]] = {
    "header-only.txt": (HEADER_ONLY.encode(), "no story text"),
    "empty.txt": (b"", "empty copy"),
    "blank.txt": (b"  \n\n\t \r\n", "empty copy"),
    "picture.txt": (PNG, "binary"),
    "noise.txt": (random_bytes(20_000), "binary"),
    "nul.txt": (GOOD_COPY.encode().replace(b"grain", b"gr\x00ain"), "binary"),
    "controls.txt": (GOOD_COPY.encode().replace(b" ", b"\x07"), "binary"),
    "huge.txt": ((GOOD_COPY.split("\n\n", 1)[1] * 8_000).encode(), "longer than"),
    "bad-utf16.txt": (b"\xff\xfe" + "Harbour".encode("utf-16-le") + b"\x00\xd8", "utf-16"),
    "binary.html": (PNG, "binary"),
    "nul.html": (b"<html>\x00\x00\x00</html>", "binary"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_cli_refuses_bad_files_with_one_line_and_stores_nothing(
    archive: str, tmp_path: Path, name: str
) -> None:
    data, reason = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    before = count_rows(archive)
    result = RUNNER.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 1, result.output
    failures = [line for line in result.output.splitlines() if line.startswith("failed")]
    assert len(failures) == 1
    assert reason in failures[0].lower()
    assert len(failures[0]) < 300
    assert "Traceback" not in result.output
    assert count_rows(archive) == before


def test_cli_keeps_going_after_bad_files_and_stores_the_good_ones(
    archive: str, tmp_path: Path
) -> None:
    bad = tmp_path / "noise.txt"
    bad.write_bytes(random_bytes(5000))
    good = tmp_path / "grain.txt"
    good.write_text(GOOD_COPY, encoding="utf-8")
    missing = tmp_path / "no-such-file.txt"
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = RUNNER.invoke(app, ["ingest", str(bad), str(missing), str(folder), str(good)])
    assert result.exit_code == 1
    assert "1 new, 0 updated, 0 duplicates, 3 failed" in result.output
    assert count_rows(archive) == {"articles": 1, "shares": 1, "article_versions": 0}
    asked = RUNNER.invoke(app, ["ask", "latest on Dorohusk"])
    assert asked.exit_code == 0
    assert "Dorohusk" in asked.output


def test_cli_stores_right_to_left_text_and_emoji_as_written(archive: str, tmp_path: Path) -> None:
    path = tmp_path / "harbour-ar.txt"
    path.write_text(RTL_COPY, encoding="utf-8")
    result = RUNNER.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 0, result.output
    [article] = stored_articles(archive)
    assert "🚢" in article.body
    assert "👩🏽‍🔧" in article.body
    assert "الرافعات" in article.body
    assert "הַנָּמָל" in article.body
    shown = RUNNER.invoke(app, ["show", str(article.id), "--json"])
    assert shown.exit_code == 0
    assert "🚢" in json.loads(shown.output)["summary"] + json.loads(shown.output)["headline"]


def test_cli_reads_cp1252_copy_that_is_not_utf8(archive: str, tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(GOOD_COPY.replace("grain", "grain – café").encode("cp1252"))
    result = RUNNER.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 0, result.output
    [article] = stored_articles(archive)
    assert "grain – café" in article.body


@pytest.mark.parametrize(
    "published",
    [
        "31 February 2025",
        "01 January 0001",
        "31 December 9999",
        "99999-01-01",
        "2025-13-45T99:99:99Z",
        "-1",
        "18446744073709551616",
        "yesterday at teatime",
    ],
)
def test_cli_absurd_dates_never_become_a_story_date(
    archive: str, tmp_path: Path, published: str
) -> None:
    path = tmp_path / "dated.txt"
    path.write_text(GOOD_COPY.replace("06 January 2025", published), encoding="utf-8")
    result = RUNNER.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 0, result.output
    [article] = stored_articles(archive)
    assert_sane_dates(article)


# -- Slack ----------------------------------------------------------------------------------


@pytest.fixture
def local(database_url: str) -> Iterator[LocalDeployment]:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        fetch_allowed_hosts=["127.0.0.1"],
        fetch_total_timeout=3,
        fetch_max_bytes=300_000,
        worker_threads=2,
    )
    with LocalDeployment(settings) as deployment:
        yield deployment


def bot_replies(local: LocalDeployment, channel: str, ts: str) -> list[dict[str, Any]]:
    return [m for m in local.slack.replies(channel, ts) if m.get("ts") != ts]


def reply_text(reply: dict[str, Any]) -> str:
    return str(reply.get("text", "")) + json.dumps(reply.get("blocks", []), ensure_ascii=False)


def ask_normal_question(local: LocalDeployment, channel: str, user: str) -> str:
    """The bot still answers an ordinary question; returns the answer's text."""
    slack = local.slack
    asked = slack.post_message(
        user, channel, f"<@{slack.bot_user_id}> latest on Dorohusk", raw=True
    )
    assert asked.status == 200
    assert local.wait_until_idle()
    [answer] = bot_replies(local, channel, asked.ts)
    return reply_text(answer)


def test_shared_links_to_bad_pages_get_a_reason_and_store_nothing(
    local: LocalDeployment, database_url: str, pages: PageServer
) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    article_text = article_page(pages.url("/nul")).encode()
    pages.add("/picture", PNG, content_type="image/png")
    pages.add("/noise", random_bytes(50_000), content_type="text/html")
    pages.add("/huge", b"<html><body><p>" + b"word " * 200_000 + b"</p></body></html>")
    pages.add("/nul", article_text.replace(b"<p>", b"<p>\x00\x00"), content_type="text/html")
    pages.add("/empty", b"", content_type="text/html")
    pages.add("/junk", b"\x00" * 10_000 + b"<html>", content_type="text/html; charset=utf-8")
    expected = {
        "/picture": "not an article",
        "/noise": "not an article",
        "/huge": "larger than",
        "/empty": "not an article",
        "/junk": "not an article",
    }
    before = count_rows(database_url)
    sent = {path: slack.post_message(ana, world, pages.url(path)) for path in expected}
    assert local.wait_until_idle()
    for path, reason in expected.items():
        [reply] = bot_replies(local, world, sent[path].ts)
        text = str(reply["text"])
        assert "\n" not in text.strip()
        assert reason.lower() in text.lower(), (path, text)
        assert "newspaper" not in slack.reactions(world, sent[path].ts)
    assert count_rows(database_url) == before
    # A page with NUL bytes in its paragraphs is stored without them (PostgreSQL refuses
    # NUL in text, so one left in would fail the job on that engine).
    nul = slack.post_message(ana, world, pages.url("/nul"))
    assert local.wait_until_idle()
    [reply] = bot_replies(local, world, nul.ts)
    assert "Harbour cranes stand idle" in reply_text(reply)
    [article] = stored_articles(database_url)
    assert "\x00" not in article.body + article.headline + article.summary
    assert "Dock workers at the eastern harbour" in article.body


def test_pages_in_unusual_scripts_and_broken_encodings_are_stored_as_written(
    local: LocalDeployment, database_url: str, pages: PageServer
) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    rtl_url = pages.url("/rtl")
    pages.add(
        "/rtl",
        article_page(
            rtl_url,
            "توقفت الرافعات في الميناء 🚢",
            first="‏توقفت الرافعات في الميناء الشرقي بعد إضراب عمال الرصيف 👩🏽‍🔧 احتجاجاً على "
            "نوبات الليل، وبقيت عشرات السفن في انتظار الرسو خارج حاجز الأمواج منذ الثلاثاء.",
            lang="ar",
        ),
    )
    broken_url = pages.url("/broken")
    broken = article_page(broken_url, "Harbour cranes idle at Dorohusk").encode()
    pages.add(
        "/broken",
        broken.replace(b"Dock workers", b"Dock \xff\xfe\xc3 workers"),
        content_type="text/html; charset=utf-8",
    )
    first = slack.post_message(ana, world, rtl_url)
    second = slack.post_message(ana, world, broken_url)
    assert local.wait_until_idle()
    [rtl_card] = bot_replies(local, world, first.ts)
    assert "توقفت الرافعات في الميناء 🚢" in reply_text(rtl_card)
    [broken_card] = bot_replies(local, world, second.ts)
    assert "Harbour cranes idle at Dorohusk" in reply_text(broken_card)
    headlines = {article.headline for article in stored_articles(database_url)}
    assert headlines == {"توقفت الرافعات في الميناء 🚢", "Harbour cranes idle at Dorohusk"}
    assert "Harbour cranes idle at Dorohusk" in ask_normal_question(local, world, ana)


@pytest.mark.parametrize(
    "published",
    [
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "2025-02-31",
        "not a date",
    ],
)
def test_absurd_page_dates_never_become_a_story_date(
    local: LocalDeployment, database_url: str, pages: PageServer, published: str
) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    url = pages.url("/dated")
    pages.add("/dated", article_page(url, "Harbour cranes idle at Dorohusk", published=published))
    sent = slack.post_message(ana, world, url)
    assert local.wait_until_idle()
    [card] = bot_replies(local, world, sent.ts)
    assert "Harbour cranes idle at Dorohusk" in reply_text(card)
    [article] = stored_articles(database_url)
    assert_sane_dates(article)


def test_hostile_messages_and_questions_leave_the_bot_answering(
    local: LocalDeployment, database_url: str, pages: PageServer
) -> None:
    slack = local.slack
    ana = slack.add_user("ana")
    world = slack.add_channel("world", members=[ana, slack.bot_user_id])
    url = pages.url("/grain")
    pages.add("/grain", article_page(url, "Grain crossing at Dorohusk to reopen"))
    slack.post_message(ana, world, url)
    assert local.wait_until_idle()
    before = count_rows(database_url)
    dm = slack.open_dm(ana)
    hostile = [
        "latest on \x00\x00 harbour",
        "latest on \ud800 broken surrogate",
        "‏מה חדש על הנמל? 🚢🇮🇱 ما الجديد؟",
        "latest on " + "🦜" * 5000,
        "stories from 31 February 9999",
        "stories since 0001-01-01",
        "x" * 1_000_000,
        "\u202e\u2066latest on Dorohusk\u2069",
    ]
    sent = [slack.post_message(ana, dm, text, raw=True) for text in hostile]
    assert all(event.status == 200 for event in sent)
    assert local.wait_until_idle(30)
    for event, text in zip(sent, hostile, strict=True):
        [reply] = bot_replies(local, dm, event.ts)
        assert reply["text"], text[:40]
    assert count_rows(database_url) == before
    assert "Grain crossing at Dorohusk to reopen" in ask_normal_question(local, world, ana)


# -- the CMS publish webhook ------------------------------------------------------------------

HOOK_SECRET = "cms-hook-secret-for-bad-input"


def signed_post(url: str, body: bytes, *, now: datetime) -> httpx.Response:
    headers = sign_payload(secret=HOOK_SECRET, body=body, timestamp=int(now.timestamp()))
    return httpx.post(url, content=body, headers={**headers, "Content-Type": "application/json"})


def test_invalid_webhook_json_gets_a_one_line_error_and_stores_nothing(
    local: LocalDeployment, database_url: str
) -> None:
    services = local.services
    assert services is not None
    server = LocalServer(PublishWebhook(services, secret=HOOK_SECRET)).start()
    hook = f"{server.url}{PUBLISH_PATH}"
    good = {"event": "published", "url": "https://example.org/cranes", "headline": "Cranes"}
    bodies = [
        b"{not json",
        b"[1, 2, 3]",
        b"\xff\xfe\x00garbage",
        json.dumps({**good, "headline": "Cranes\u0000 idle"}).encode(),
        json.dumps({**good, "published_at": "9999-12-31T00:00:00Z"}).encode(),
        json.dumps({**good, "published_at": "0001-01-01T00:00:00Z"}).encode(),
        json.dumps({**good, "url": "file:///etc/passwd"}).encode(),
        json.dumps({**good, "event": "exploded"}).encode(),
        json.dumps({**good, "topics": ["x"] * 10_000}).encode(),
        b'{"event": "published", "url": "https://example.org/' + b"a" * 3_000_000 + b'"}',
    ]
    before = count_rows(database_url)
    try:
        for body in bodies:
            response = signed_post(hook, body, now=services.clock())
            assert 400 <= response.status_code < 500, (body[:40], response.text[:200])
            error = str(response.json()["error"])
            assert error
            assert "\n" not in error
            assert len(error) < 300
        assert local.wait_until_idle()
        assert count_rows(database_url) == before
    finally:
        server.stop()
