"""The ``newsdesk`` command line.

Starting it must stay cheap (``newsdesk --help`` in well under half a second of CPU): this
module imports only the standard library, typer and ``news.errors`` at the top, and each
command imports what it needs when it runs. A test keeps the heavy modules (SQLAlchemy,
trafilatura, slack_bolt, httpx, pydantic, …) out of the top level.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from news.errors import NewsdeskError

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.exc import OperationalError

    from bot.settings import Settings
    from storage.ingest import IngestResult
    from storage.search import SearchHit
    from storage.services import Services

# Plain click help: rich's formatter alone costs more CPU than the rest of the start.
_TYPER_OPTIONS: dict[str, Any] = {
    "no_args_is_help": True,
    "rich_markup_mode": None,
    "pretty_exceptions_enable": False,
}

app = typer.Typer(
    help="newsdesk: archive newsroom stories, answer 'latest on …', route publish alerts.",
    add_completion=False,
    **_TYPER_OPTIONS,
)
db_app = typer.Typer(help="Database schema commands.", **_TYPER_OPTIONS)
config_app = typer.Typer(help="Configuration commands.", **_TYPER_OPTIONS)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
deliveries_app = typer.Typer(help="Publish alerts waiting, sent or dead.", **_TYPER_OPTIONS)
app.add_typer(deliveries_app, name="deliveries")


def fail(reason: str, code: int = 1) -> NoReturn:
    typer.echo(f"newsdesk: {reason}", err=True)
    raise typer.Exit(code)


def database_failure(error: OperationalError) -> str:
    """The first line of the driver's reason why the database cannot be opened."""
    lines = str(error.orig or error).strip().splitlines()
    return f"cannot open the database: {lines[0] if lines else type(error).__name__}"


def load_settings() -> Settings:
    from pydantic import ValidationError

    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        fail(f"invalid configuration: {problems}", 2)


def open_services(settings: Settings) -> Services:
    from sqlalchemy.exc import OperationalError

    from bot.wiring import build_services

    try:
        return build_services(settings)
    except NewsdeskError as error:
        fail(error.reason, 2)
    except OperationalError as error:
        fail(database_failure(error), 2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the archive's schema to the latest version."""
    from storage.database import upgrade_database

    settings = load_settings()
    upgrade_database(settings.database_url)
    typer.echo("database is up to date")


@config_app.command("check")
def config_check() -> None:
    """Print the effective settings, secrets masked."""
    from pydantic import SecretStr

    settings = load_settings()
    for name, value in settings.model_dump().items():
        if isinstance(value, SecretStr):
            shown = "********" if value.get_secret_value() else "(empty)"
        elif value is None:
            shown = "(not set)"
        elif isinstance(value, list):
            shown = ", ".join(map(str, value)) or "(none)"
        else:
            shown = str(value)
        typer.echo(f"{name.upper():24} {shown}")


def _is_url(item: str) -> bool:
    return item.startswith(("http://", "https://")) or "://" in item


HTML_SUFFIXES = (".html", ".htm", ".xhtml")
DOCUMENT_SUFFIXES = (".docx", ".pdf", ".rtf", ".odt", ".md", ".markdown")
"""Files read by ``news.documents``; .txt and .html keep their own path."""


def ingest_item(
    services: Services, item: str, *, refetch: bool, max_page_bytes: int
) -> IngestResult:
    """Ingest a link, a saved page (at most ``max_page_bytes``), a document or a wire-copy file."""
    from pathlib import Path

    from news.user_files import read_user_file
    from news.wire_copy import decode_copy
    from storage.articles import NewShare
    from storage.ingest import MAX_COPY_CHARACTERS

    share = NewShare(source="cli")
    if _is_url(item):
        return services.ingest.ingest_url(item, share, refetch=refetch)
    suffix = Path(item).suffix.lower()
    if suffix in DOCUMENT_SUFFIXES:
        from news.documents import DocumentLimits, read_document

        limit = DocumentLimits().max_bytes
        document = read_user_file(item, limit)
        return services.ingest.store(read_document(document, filename=Path(item).name), share)
    is_page = suffix in HTML_SUFFIXES
    # A text file may hold MAX_COPY_CHARACTERS characters of UTF-8: 4 bytes each at most.
    data = read_user_file(item, max_page_bytes if is_page else 4 * MAX_COPY_CHARACTERS)
    text = decode_copy(data)
    if is_page:
        return services.ingest.ingest_html(text, share)
    return services.ingest.ingest_copy(text, share)


# Outcome (storage.ingest.IngestOutcome values) → the word the summary line counts.
OUTCOME_WORDS = {"new": "new", "updated": "updated", "unchanged": "duplicate", "known": "duplicate"}


@app.command()
def ingest(
    items: Annotated[
        list[str],
        typer.Argument(
            help="Links, wire-copy .txt/.md files, saved .html pages, .docx, .pdf, .rtf or .odt."
        ),
    ],
    refetch: Annotated[
        bool, typer.Option(help="Fetch links again even if archived recently.")
    ] = False,
) -> None:
    """Archive stories from links, wire-copy text files, saved HTML pages, Word, PDF, RTF or ODT."""
    settings = load_settings()
    services = open_services(settings)
    counts: Counter[str] = Counter()
    failures: list[tuple[str, str]] = []
    lines: list[str] = []

    def run(item: str) -> None:
        try:
            result = ingest_item(
                services, item, refetch=refetch, max_page_bytes=settings.fetch_max_bytes
            )
        except NewsdeskError as error:
            counts["failed"] += 1
            failures.append((item, error.reason))
            return
        word = OUTCOME_WORDS[result.outcome]
        counts[word] += 1
        lines.append(f"{word:9} #{result.article.id}  {result.article.headline}")

    if len(items) > 1 and sys.stderr.isatty():
        with typer.progressbar(items, label="Ingesting", file=sys.stderr) as progress:
            for item in progress:
                run(item)
    else:
        for item in items:
            run(item)
    for line in lines:
        typer.echo(line)
    for item, reason in failures:
        typer.echo(f"failed    {item}: {reason}", err=True)
    typer.echo(
        f"{counts['new']} new, {counts['updated']} updated, "
        f"{counts['duplicate']} duplicates, {counts['failed']} failed"
    )
    if failures:
        raise typer.Exit(1)


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    from dataclasses import asdict
    from datetime import datetime

    data = asdict(hit)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat()
    data["snippet"] = hit.snippet.replace("\x02", "").replace("\x03", "")
    return data


def format_hits(hits: list[SearchHit], *, now: datetime) -> list[str]:
    """Search hits as aligned terminal lines: id, age, source, headline, then summary."""
    from news.dates import describe_relative

    rows = []
    for hit in hits:
        when = describe_relative(hit.published_at or hit.sort_at, now=now)
        source = " · ".join(part for part in (hit.outlet, hit.byline) if part)
        rows.append((f"#{hit.article_id}", when, source, hit))
    id_width = max(len(row[0]) for row in rows)
    when_width = max(len(row[1]) for row in rows)
    lines = []
    for article_id, when, source, hit in rows:
        indent = " " * (id_width + when_width + 4)
        lines.append(f"{article_id:>{id_width}}  {when:<{when_width}}  {hit.headline}")
        if source:
            lines.append(f"{indent}{source}")
        snippet = hit.snippet.replace("\x02", "*").replace("\x03", "*") if hit.snippet else ""
        text = snippet or hit.summary
        if text:
            lines.append(f"{indent}{text[:160]}")
        if hit.url:
            lines.append(f"{indent}{hit.url}")
    return lines


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help='What you want, e.g. "latest on Ukraine".')],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=50, help="How many stories.")] = 5,
) -> None:
    """Ask the archive in plain words: 'latest on Ukraine', 'stories by Jane Doe this week'."""
    import json

    from news.questions import parse_question
    from storage.search import search_articles

    settings = load_settings()
    services = open_services(settings)
    now = services.clock()
    parsed = parse_question(question, now=now, aliases=services.aliases, timezone=services.timezone)
    with services.session_factory() as session:
        page = search_articles(parsed, session=session, limit=parsed.limit or limit, now=now)
    if as_json:
        typer.echo(
            json.dumps(
                {"question": parsed.describe(), "results": [_hit_json(h) for h in page.hits]},
                indent=2,
            )
        )
        return
    if not page.hits:
        typer.echo(f"Nothing on {parsed.describe()}.")
        return
    for line in format_hits(page.hits, now=now):
        typer.echo(line)


@app.command()
def show(
    reference: Annotated[str, typer.Argument(help="Story id or link.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show one story in full, with its versions."""
    import json
    from dataclasses import asdict
    from datetime import datetime

    from news.dates import describe_relative
    from storage.articles import get_article, list_versions, to_article_record

    services = open_services(load_settings())
    with services.session_factory() as session:
        try:
            article = get_article(reference, session=session)
        except NewsdeskError as error:
            fail(error.reason)
        record = to_article_record(article)
        versions = list_versions(article.id, session=session)
    if as_json:
        data = asdict(record)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        data["versions"] = [
            {"version": v.version, "headline": v.headline, "changes": list(v.changes)}
            for v in versions
        ]
        typer.echo(json.dumps(data, indent=2))
        return
    now = services.clock()
    typer.echo(f"#{record.id}  {record.headline}")
    meta = [record.outlet, record.byline]
    if record.published_at:
        meta.append(record.published_at.astimezone(services.timezone).strftime("%-d %b %Y %H:%M"))
    typer.echo("    " + " · ".join(m for m in meta if m))
    archived = describe_relative(record.first_seen_at, now=now)
    typer.echo(f"    {record.status}, version {record.version}, archived {archived}")
    if record.url:
        typer.echo(f"    {record.url}")
    if record.topics:
        typer.echo(f"    topics: {', '.join(record.topics)}")
    typer.echo("")
    typer.echo(record.summary)
    for version in versions:
        typer.echo(
            f"  v{version.version}: {version.headline} (then changed: {', '.join(version.changes)})"
        )


@app.command()
def resummarize(
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Stories per transaction.")
    ] = 200,
) -> None:
    """Write every archived story's summary again with the current summarizer."""
    services = open_services(load_settings())
    read, changed = services.ingest.resummarize_archive(batch_size=batch_size)
    typer.echo(f"{read} stories read, {changed} summaries rewritten")


@app.command()
def rederive(
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Stories per transaction.")
    ] = 500,
) -> None:
    """Re-derive archived stories' headlines, bylines and dates with the current rules."""
    services = open_services(load_settings())
    read, changed = services.ingest.rederive_archive(batch_size=batch_size)
    typer.echo(f"{read} stories read, {changed} re-derived")


@app.command()
def publish(
    reference: Annotated[str, typer.Argument(help="Story id or link.")],
) -> None:
    """Publish a story: alerts go to every channel that follows it, once."""
    from storage.articles import get_article
    from storage.publishing import publish_article

    services = open_services(load_settings())
    try:
        with services.session_factory.begin() as session:
            article = get_article(reference, session=session)
            headline = article.headline
            result = publish_article(article.id, session=session, aliases=services.aliases)
    except NewsdeskError as error:
        fail(error.reason)
    if result.skipped_reason:
        fail(f"#{result.article_id} not published: {result.skipped_reason}")
    state = "already published" if result.already_published else "published"
    typer.echo(f"{state} #{result.article_id}  {headline}")
    channels = ", ".join(result.channels)
    typer.echo(f"{result.new_deliveries} new alerts queued" + (f": {channels}" if channels else ""))
    if result.republished_channels:
        typer.echo(f"'Published again' replies queued: {', '.join(result.republished_channels)}")


@deliveries_app.command("status")
def deliveries_status() -> None:
    """Count deliveries by state and show the latest dead ones with their errors."""
    from storage.publishing import delivery_counts, recent_delivery_errors
    from storage.states import DeliveryState

    services = open_services(load_settings())
    with services.session_factory() as session:
        counts = delivery_counts(session=session)
        errors = recent_delivery_errors(session=session, limit=10)
    shown = (
        DeliveryState.PENDING,
        DeliveryState.SENDING,
        DeliveryState.SENT,
        DeliveryState.DIGESTED,
        DeliveryState.DEAD,
        DeliveryState.CANCELLED,
    )
    for state in shown:
        typer.echo(f"{state:10} {counts.get(state, 0)}")
    for channel_id, kind, error, queued in errors:
        typer.echo(f"dead       {channel_id} {kind} queued {queued:%Y-%m-%d %H:%M}: {error}")


@deliveries_app.command("retry")
def deliveries_retry(
    channel: Annotated[
        str | None, typer.Option(help="Only this channel's dead deliveries (id, C…).")
    ] = None,
) -> None:
    """Queue dead deliveries again, after the cause (a removed bot, an outage) is fixed."""
    from storage.publishing import retry_dead_deliveries

    services = open_services(load_settings())
    with services.session_factory.begin() as session:
        revived = retry_dead_deliveries(session=session, channel_id=channel)
    typer.echo(f"{revived} dead deliveries queued again")


@app.command()
def console(
    user: Annotated[str, typer.Option(help="Your name in the console workspace.")] = "you",
    channel: Annotated[str, typer.Option(help="The channel you start in.")] = "newsroom",
) -> None:
    """Try the bot in the terminal: the real app, a local Slack stand-in, the SQLite archive."""
    from bot.console import read_terminal, run_console
    from bot.local import LocalDeployment

    settings = load_settings()
    open_services(settings)  # fails with a clear reason on an unmigrated archive
    with LocalDeployment(settings) as local:
        run_console(
            local, read_terminal(), user_name=user, channel_name=channel, color=sys.stdout.isatty()
        )


@app.command()
def run() -> None:
    """Connect to Slack in Socket Mode (no public URL needed); one process does everything."""
    from sqlalchemy.exc import OperationalError

    from bot.runtime import configure_logging, run_socket_mode

    settings = load_settings()
    configure_logging(settings)
    try:
        run_socket_mode(settings)
    except NewsdeskError as error:
        fail(error.reason, 2)
    except OperationalError as error:
        fail(database_failure(error), 2)


@app.command()
def serve(
    processes: Annotated[int, typer.Option(min=1, help="Web processes.")] = 2,
    threads: Annotated[int, typer.Option(min=1, help="Threads per web process.")] = 8,
) -> None:
    """Serve Slack's HTTP requests on HOST:PORT (/slack/events, /healthz) under gunicorn."""
    from sqlalchemy.exc import OperationalError

    from bot.runtime import configure_logging, serve_http

    settings = load_settings()
    configure_logging(settings)
    try:
        serve_http(settings, processes=processes, threads=threads)
    except NewsdeskError as error:
        fail(error.reason, 2)
    except OperationalError as error:
        fail(database_failure(error), 2)


@app.command()
def worker() -> None:
    """Run background workers: link ingestion, answers, alert delivery and briefings."""
    from sqlalchemy.exc import OperationalError

    from bot.runtime import configure_logging, run_workers

    settings = load_settings()
    configure_logging(settings)
    try:
        run_workers(settings)
    except NewsdeskError as error:
        fail(error.reason, 2)
    except OperationalError as error:
        fail(database_failure(error), 2)


def main() -> None:
    app()
