"""How the code is laid out, checked: the rules a newcomer relies on to find things."""

from __future__ import annotations

import ast
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


def imported_modules(path: Path) -> set[str]:
    """Project modules ``path`` imports (at any depth in the file, lazy imports too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source_of(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.split(".")[0] in PACKAGES}


def test_the_stand_in_is_its_own_package_used_only_by_the_console() -> None:
    assert not (ROOT / "bot" / "standin").exists()
    assert not (ROOT / "bot" / "slack_standin.py").exists()
    users = sorted(
        name
        for name, path in project_modules().items()
        if not name.startswith("standin")
        and any(module.split(".")[0] == "standin" for module in imported_modules(path))
    )
    assert users == ["bot.console", "bot.local"]
