"""One typed Settings class, read from the environment and an optional ``.env`` file.

Every field is documented in ``.env.example`` (a test keeps the two in step).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CommaList = Annotated[list[str], NoDecode]
PortList = Annotated[list[Annotated[int, Field(ge=1, le=65535)]], NoDecode]


class Settings(BaseSettings):
    """newsdesk configuration; environment variables use the upper-case field names."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    # Archive
    database_url: str = "sqlite:///newsdesk.db"
    timezone: str = "UTC"
    aliases_file: Path | None = None
    refetch_after_hours: float = Field(default=24.0, ge=0)

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str | None = None
    editors: CommaList = Field(default_factory=list)
    editor_usergroup: str | None = None
    unfurl_domains: CommaList = Field(default_factory=list)

    # Fetching links people share
    fetch_max_bytes: int = Field(default=5_000_000, gt=0)
    fetch_connect_timeout: float = Field(default=5.0, gt=0)
    fetch_read_timeout: float = Field(default=10.0, gt=0)
    fetch_total_timeout: float = Field(default=20.0, gt=0)
    fetch_max_redirects: int = Field(default=5, ge=0, le=20)
    fetch_allowed_hosts: CommaList = Field(default_factory=list)
    fetch_allowed_ports: PortList = Field(default_factory=list)

    # Summaries
    summarizer: Literal["extractive", "llm"] = "extractive"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=15.0, gt=0)

    # HTTP server and workers
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=0, le=65535)
    feed_poll_seconds: float = Field(default=30.0, ge=0)
    worker_threads: int = Field(default=2, ge=1, le=64)
    job_lease_seconds: float = Field(default=120.0, gt=0)
    webhook_secret: SecretStr | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    metrics_enabled: bool = True
    metrics_port: int | None = Field(default=None, ge=0, le=65535)

    # Publish alerts
    alerts_per_hour: int | None = Field(default=20, ge=0, le=1000)
    delivery_threads: int = Field(default=4, ge=1, le=64)
    delivery_max_attempts: int = Field(default=8, ge=1, le=100)
    delivery_lease_seconds: float = Field(default=120.0, ge=5)
    delivery_call_timeout: int = Field(default=10, ge=1, le=120)
    delivery_retry_max_seconds: float = Field(default=300.0, gt=0)

    @field_validator(
        "editors", "unfurl_domains", "fetch_allowed_hosts", "fetch_allowed_ports", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("job_lease_seconds")
    @classmethod
    def _lease_outlasts_fetch(cls, value: float, info: ValidationInfo) -> float:
        fetch_deadline = info.data.get("fetch_total_timeout")
        if fetch_deadline is not None and value <= fetch_deadline:
            raise ValueError(
                f"must be longer than FETCH_TOTAL_TIMEOUT ({fetch_deadline:g} s), "
                "or a job could be taken again while its fetch is still running"
            )
        return value

    @model_validator(mode="after")
    def _lease_outlives_a_call(self) -> Settings:
        if self.delivery_lease_seconds < self.delivery_call_timeout + 3:
            raise ValueError(
                "DELIVERY_LEASE_SECONDS must be at least DELIVERY_CALL_TIMEOUT + 3 seconds"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def refetch_after(self) -> timedelta:
        return timedelta(hours=self.refetch_after_hours)

    @property
    def job_lease(self) -> timedelta:
        return timedelta(seconds=self.job_lease_seconds)
