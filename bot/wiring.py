"""The composition root: build every service from Settings, once, in the entry point."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.settings import Settings
from handlers.slack_files import FileLimits, SlackFileDownloader
from news.aliases import AliasTable, load_alias_table
from news.documents import DocumentLimits
from news.fetching import FetchLimits, SafeFetcher
from news.llm_summary import LlmSummarizer
from news.preparation import StoryPreparer
from news.summaries import ExtractiveSummarizer, Summarizer
from storage.database import check_schema_current, create_database_engine, create_session_factory
from storage.ingest import IngestService
from storage.services import Services


def fetch_limits(settings: Settings) -> FetchLimits:
    return FetchLimits(
        max_bytes=settings.fetch_max_bytes,
        connect_timeout=settings.fetch_connect_timeout,
        read_timeout=settings.fetch_read_timeout,
        total_timeout=settings.fetch_total_timeout,
        max_redirects=settings.fetch_max_redirects,
    )


def file_limits(settings: Settings) -> FileLimits:
    """Files shared in Slack are downloaded and read within the same limits as pages; the
    token goes to Slack's file host, or to the stand-in's when SLACK_API_URL points at one."""
    return FileLimits(
        fetch=fetch_limits(settings),
        document=DocumentLimits(
            max_bytes=settings.fetch_max_bytes, max_seconds=settings.fetch_total_timeout
        ),
        extra_hosts=SlackFileDownloader.hosts_for_api_url(settings.slack_api_url),
    )


def build_fetcher(settings: Settings) -> SafeFetcher:
    return SafeFetcher(
        fetch_limits(settings),
        allowed_hosts=settings.fetch_allowed_hosts,
        allowed_ports=settings.fetch_allowed_ports,
    )


def build_summarizer(settings: Settings) -> Summarizer:
    extractive = ExtractiveSummarizer()
    if settings.summarizer == "extractive":
        return extractive
    if not settings.llm_base_url or not settings.llm_model:
        raise ValueError("SUMMARIZER=llm needs LLM_BASE_URL and LLM_MODEL")
    api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return LlmSummarizer(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=api_key,
        timeout=settings.llm_timeout,
        fallback=extractive,
    )


def build_aliases(settings: Settings) -> AliasTable:
    return load_alias_table([settings.aliases_file] if settings.aliases_file else [])


def build_services(settings: Settings, *, engine: Engine | None = None) -> Services:
    """Services on a migrated database (SchemaNotCurrent otherwise)."""
    engine = engine or create_database_engine(settings.database_url)
    check_schema_current(engine)
    session_factory = create_session_factory(engine)
    aliases = build_aliases(settings)
    preparer = StoryPreparer(summarizer=build_summarizer(settings), aliases=aliases)
    ingest = IngestService(
        session_factory=session_factory,
        fetcher=build_fetcher(settings),
        preparer=preparer,
        refetch_after=settings.refetch_after,
    )
    return Services(
        session_factory=session_factory,
        ingest=ingest,
        aliases=aliases,
        timezone=settings.zone,
        unfurl_domains=tuple(settings.unfurl_domains),
    )
