"""How the code is laid out, checked: the rules a newcomer relies on to find things."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "news", "standin", "storage")


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def source_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_skip_locked_claims_live_in_one_module() -> None:
    pattern = re.compile(r"skip_locked|SKIP LOCKED", re.IGNORECASE)
    using = sorted(
        name
        for name, path in project_modules().items()
        if not name.startswith("storage.migrations") and pattern.search(source_of(path))
    )
    assert using == ["storage.work"]


def test_work_states_are_named_in_one_module() -> None:
    """No module but ``storage.states`` compares or assigns a work state as a bare string."""
    states = "pending|running|sending|sent|dead|digested|cancelled|queued"
    bare = re.compile(
        rf"""(state\s*(==|!=|=)\s*|state\.in_\(\(?|state in \(|state=)["']({states})["']"""
    )
    offenders = sorted(
        f"{name}: {match.group(0)}"
        for name, path in project_modules().items()
        if not name.startswith("storage.migrations")
        for match in bare.finditer(source_of(path))
    )
    assert offenders == []
