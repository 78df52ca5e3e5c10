"""The ``newsdesk`` command line."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import SecretStr, ValidationError
from sqlalchemy.exc import OperationalError

from bot.runtime import configure_logging, run_socket_mode, run_workers, serve_http
from bot.settings import Settings
from bot.wiring import build_services
from news.dates import describe_relative
from news.errors import NewsdeskError
from news.questions import parse_question
from news.wire_copy import decode_copy
from storage.articles import NewShare, get_article, list_versions, to_article_record
from storage.database import upgrade_database
from storage.ingest import IngestOutcome, IngestResult
from storage.publishing import (
    delivery_counts,
    publish_article,
    recent_delivery_errors,
    retry_dead_deliveries,
)
from storage.search import SearchHit, search_articles
from storage.services import Services
from storage.states import DeliveryState

app = typer.Typer(
    help="newsdesk: archive newsroom stories, answer 'latest on …', route publish alerts.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
deliveries_app = typer.Typer(help="Publish alerts waiting, sent or dead.", no_args_is_help=True)
app.add_typer(deliveries_app, name="deliveries")


def fail(reason: str, code: int = 1) -> NoReturn:
    typer.echo(f"newsdesk: {reason}", err=True)
    raise typer.Exit(code)


def database_failure(error: OperationalError) -> str:
    """The first line of the driver's reason why the database cannot be opened."""
    lines = str(error.orig or error).strip().splitlines()
    return f"cannot open the database: {lines[0] if lines else type(error).__name__}"


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        fail(f"invalid configuration: {problems}", 2)


def open_services(settings: Settings) -> Services:
    try:
        return build_services(settings)
    except NewsdeskError as error:
        fail(error.reason, 2)
    except OperationalError as error:
        fail(database_failure(error), 2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the archive's schema to the latest version."""
    settings = load_settings()
    upgrade_database(settings.database_url)
    typer.echo("database is up to date")


@config_app.command("check")
def config_check() -> None:
    """Print the effective settings, secrets masked."""
    settings = load_settings()
    for name, value in settings.model_dump().items():
        if isinstance(value, SecretStr):
            shown = "********" if value.get_secret_value() else "(empty)"
        elif value is None:
            shown = "(not set)"
        elif isinstance(value, list):
            shown = ", ".join(value) or "(none)"
        else:
            shown = str(value)
        typer.echo(f"{name.upper():24} {shown}")


def _is_url(item: str) -> bool:
    return item.startswith(("http://", "https://")) or "://" in item


def ingest_item(services: Services, item: str, *, refetch: bool) -> IngestResult:
    share = NewShare(source="cli")
    if _is_url(item):
        return services.ingest.ingest_url(item, share, refetch=refetch)
    path = Path(item)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NewsdeskError(f"cannot read {item}: {error.strerror or error}") from error
    text = decode_copy(data)
    if path.suffix.lower() in (".html", ".htm", ".xhtml"):
        return services.ingest.ingest_html(text, share)
    return services.ingest.ingest_copy(text, share)


OUTCOME_WORDS = {
    IngestOutcome.NEW: "new",
    IngestOutcome.UPDATED: "updated",
    IngestOutcome.UNCHANGED: "duplicate",
    IngestOutcome.KNOWN: "duplicate",
}


@app.command()
def ingest(
    items: Annotated[
        list[str], typer.Argument(help="Links, wire-copy .txt files or saved .html pages.")
    ],
    refetch: Annotated[
        bool, typer.Option(help="Fetch links again even if archived recently.")
    ] = False,
) -> None:
    """Archive stories from links, wire-copy text files or saved HTML pages."""
    services = open_services(load_settings())
    counts: Counter[str] = Counter()
    failures: list[tuple[str, str]] = []
    lines: list[str] = []

    def run(item: str) -> None:
        try:
            result = ingest_item(services, item, refetch=refetch)
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
    data = asdict(hit)
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = value.isoformat()
    data["snippet"] = hit.snippet.replace("\x02", "").replace("\x03", "")
    return data


def format_hits(hits: list[SearchHit], *, now: datetime) -> list[str]:
    """Search hits as aligned terminal lines: id, age, source, headline, then summary."""
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
def publish(
    reference: Annotated[str, typer.Argument(help="Story id or link.")],
) -> None:
    """Publish a story: alerts go to every channel that follows it, once."""
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
