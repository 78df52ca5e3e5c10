"""The project as the Dockerfile and docs/deploy.md install it: a wheel, not the checkout.

The Dockerfile copies a few paths and runs ``pip install ".[postgres]"``. Here the same
paths are copied (read from the Dockerfile's COPY lines), built into a wheel offline, and
the wheel is checked: it holds every file of the five packages (migrations, data tables,
the Slack manifest), and from an empty directory, with nothing of the checkout on the
path, it migrates a database, ingests wire copy and answers a question.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "news", "standin", "storage")
WIRE_COPY = ROOT / "tests" / "fixtures" / "wire" / "standard.txt"


def dockerfile_sources() -> list[str]:
    """What the Dockerfile copies into the image before installing."""
    sources = []
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words and words[0] == "COPY" and not any(w.startswith("--") for w in words):
            sources.extend(words[1:-1])
    return sources


def package_files(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for package in PACKAGES
        for path in (root / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the Dockerfile's files, unpacked as pip would install it."""
    work = tmp_path_factory.mktemp("packaging")
    project = work / "project"
    project.mkdir()
    for source in dockerfile_sources():
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, project / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, project / source)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(work / "wheel"),
            str(project),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = (work / "wheel").glob("newsdesk-*.whl")
    site = work / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_dockerfile_copies_every_package_and_the_project_files() -> None:
    sources = set(dockerfile_sources())
    assert {"pyproject.toml", "README.md", *PACKAGES} <= sources


def test_wheel_holds_every_file_of_the_packages(installed: Path) -> None:
    assert package_files(installed) == package_files(ROOT)


def test_installed_wheel_runs_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(installed),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'newsdesk.db'}",
    }

    def newsdesk(*args: str) -> str:
        return run_python(["-c", "from bot.cli import main; main()", *args], tmp_path, environment)

    # ``bot`` comes from the unpacked wheel, not the checkout.
    where = run_python(["-c", "import bot; print(bot.__file__)"], tmp_path, environment)
    assert where.startswith(str(installed)), where
    newsdesk("db", "upgrade")
    assert "1 new" in newsdesk("ingest", str(WIRE_COPY))
    assert "Hebden Bridge" in newsdesk("ask", "latest on Hebden Bridge")
    assert "Nothing" in newsdesk("ask", "latest on volcanoes")
    # ``newsdesk console`` runs on the stand-in, which ships in the wheel for that reason.
    console = run_python(
        ["-c", "import bot.console, standin.slack; print(standin.slack.__file__)"],
        tmp_path,
        environment,
    )
    assert console.startswith(str(installed)), console


def run_python(args: list[str], cwd: Path, environment: dict[str, str]) -> str:
    """This interpreter with ``args`` in ``cwd``; its output, after checking it succeeded."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
