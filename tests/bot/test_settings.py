"""Settings: every field documented in .env.example, secrets masked, lists parsed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def documented_settings() -> dict[str, str]:
    """Variable name → the comment lines just above it in .env.example."""
    documented: dict[str, str] = {}
    comment: list[str] = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            comment.append(line)
        elif match := re.match(r"^([A-Z0-9_]+)=", line):
            documented[match.group(1)] = "\n".join(comment)
            if comment and not line.startswith("PORT"):
                comment = []
        else:
            comment = []
    return documented


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_in_env_example(name: str) -> None:
    documented = documented_settings()
    assert name.upper() in documented, f"{name.upper()} is missing from .env.example"


def test_env_example_names_only_real_settings() -> None:
    unknown = set(documented_settings()) - {name.upper() for name in Settings.model_fields}
    assert unknown == set()


def test_env_example_values_are_valid_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, _ in documented_settings().items():
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=ENV_EXAMPLE)  # type: ignore[call-arg, unused-ignore]
    assert settings.database_url == "sqlite:///newsdesk.db"
    assert settings.fetch_allowed_hosts == []
    assert settings.aliases_file is None
    assert settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value()


def test_lists_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITORS", "U1, U2,,U3")
    monkeypatch.setenv("FETCH_ALLOWED_HOSTS", "127.0.0.1,cms.intranet")
    settings = Settings(_env_file=None)  # type: ignore[call-arg, unused-ignore]
    assert settings.editors == ["U1", "U2", "U3"]
    assert settings.fetch_allowed_hosts == ["127.0.0.1", "cms.intranet"]


def test_secrets_are_masked_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    settings = Settings(_env_file=None)  # type: ignore[call-arg, unused-ignore]
    assert "xoxb-very-secret" not in repr(settings)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-very-secret"


def test_unknown_time_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(_env_file=None)  # type: ignore[call-arg, unused-ignore]
