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


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (a ``from package import module`` counts
    as importing the module)."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_modules(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_round_about() -> None:
    graph = import_graph()
    # A package's __init__ importing its own modules is not a cycle between modules.
    for name in PACKAGES:
        graph[name] = {m for m in graph.get(name, set()) if not m.startswith(f"{name}.")}
    assert cycles(graph) == []


def test_packages_import_one_way() -> None:
    """bot → handlers → storage → news; standin (the console's Slack) uses news only."""
    allowed = {
        "news": set(),
        "storage": {"news"},
        "handlers": {"storage", "news"},
        "standin": {"news"},
        "bot": {"handlers", "storage", "news", "standin"},
    }
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        for target in targets
        if target.split(".")[0] != name.split(".")[0]
        and target.split(".")[0] not in allowed[name.split(".")[0]]
    )
    assert wrong == []


# Slack Web API methods that post, edit, read or look things up (chat.postMessage,
# conversations.history, views.publish, …), as slack_sdk's WebClient names them.
SLACK_SURFACE_CALL = re.compile(
    r"(chat|conversations|views|reactions|files|users|assistant|pins|bookmarks)_[A-Za-z]+"
)


def slack_calls(path: Path) -> set[str]:
    """The Slack Web API methods ``path`` calls on some client (``client.chat_update(…)``)."""
    return {
        node.func.attr
        for node in ast.walk(ast.parse(source_of(path)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and SLACK_SURFACE_CALL.fullmatch(node.func.attr)
    }


def rendering_modules() -> set[str]:
    """The modules of ``handlers`` that build Block Kit for the surfaces without being one:
    ``handlers.block_kit``, and every module that imports it or ``handlers.blocks`` but
    has neither a listener (``register``) nor runners (``job_runners``)."""
    graph = import_graph()
    found = {"handlers.block_kit"}
    for name, path in project_modules().items():
        if not name.startswith("handlers.") or not graph[name] & {
            "handlers.block_kit",
            "handlers.blocks",
        }:
            continue
        defined = {
            node.name
            for node in ast.parse(source_of(path)).body
            if isinstance(node, ast.FunctionDef)
        }
        if not defined & {"register", "job_runners"}:
            found.add(name)
    return found


def test_bot_only_wires_the_slack_surfaces() -> None:
    """No ``bot`` module posts to, reads or edits Slack (beyond checking its credentials)
    or builds a message: that is a surface's work, in ``handlers``."""
    modules = project_modules()
    graph = import_graph()
    rendering = rendering_modules()
    assert {"handlers.blocks", "handlers.command_blocks", "handlers.views"} <= rendering
    wrong = sorted(
        [
            f"{name} calls {call}"
            for name, path in modules.items()
            if name.split(".")[0] == "bot"
            for call in slack_calls(path)
        ]
        + [
            f"{name} imports {target}"
            for name, targets in graph.items()
            if name.split(".")[0] == "bot"
            for target in targets & rendering
        ]
    )
    assert wrong == []


def test_the_surface_checks_see_slack_calls() -> None:
    assert slack_calls(ROOT / "handlers" / "alerts.py") >= {
        "chat_postMessage",
        "chat_update",
        "conversations_history",
    }
    assert slack_calls(ROOT / "bot" / "app.py") == set()  # auth_test checks the token


def test_the_cycle_checker_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
