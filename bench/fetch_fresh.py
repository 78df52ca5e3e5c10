"""Download and unpack the source distributions that hold the fresh set's pages.

    python bench/fetch_fresh.py DIR

runs ``pip download --no-deps --no-binary :all: newspaper4k==0.9.6 trafilatura==0.9.3
htmldate==1.2.0 -d DIR`` and unpacks each archive into ``DIR/<name>-<version>/``, which is
what ``bench/metadata.py --fresh DIR`` and ``bench/extraction.py --fresh DIR`` read.
Unpacking refuses an archive with any member that could land outside its folder (an
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

from bench.fresh import SDISTS


class UnsafeArchive(ValueError):
    """An archive member that would be written outside the target folder, or is no file."""


def requirements() -> list[str]:
    return [f"{name}=={version}" for name, version in SDISTS.values()]


def download(directory: Path) -> None:
    """Fetch the pinned source distributions with pip (a file already there is kept)."""
    directory.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    subprocess.run([*command, *requirements(), "-d", str(directory)], check=True)


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


def archives(directory: Path) -> list[Path]:
    """The downloaded archive of each pinned distribution, in SDISTS order."""
    found = []
    for name, version in SDISTS.values():
        candidates = sorted(directory.glob(f"{name}-{version}.tar.*")) + sorted(
            directory.glob(f"{name}-{version}.tgz")
        )
        if not candidates:
            raise FileNotFoundError(f"no source archive of {name} {version} in {directory}")
        found.append(candidates[0])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("directory", type=Path, help="where to download and unpack")
    parser.add_argument(
        "--no-download", action="store_true", help="only unpack archives already in DIR"
    )
    arguments = parser.parse_args(argv)
    if not arguments.no_download:
        download(arguments.directory)
    for archive in archives(arguments.directory):
        files = safe_unpack(archive, arguments.directory)
        print(f"{archive.name}: {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
