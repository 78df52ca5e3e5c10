"""Read a file a user names, boundedly: regular files only, size checked before reading.

``newsdesk ingest /dev/zero`` must not read until memory runs out, a named pipe must not block
forever, and a 200 MB file must be refused before a byte of it is read. Every entry point that
reads a user's file (the CLI, document readers) goes through ``read_user_file``.
"""

from __future__ import annotations

import io
import os
import stat

from news.errors import UnreadableFile

__all__ = ["format_size", "read_user_file"]

_PIECE = 1 << 20
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


def format_size(size: int) -> str:
    """``size`` bytes for people: ``110 MB``, ``4 KB``, ``12 bytes``."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.3g} MB"
    if size >= 1_000:
        return f"{size / 1_000:.3g} KB"
    return f"{size} bytes"


def read_user_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises UnreadableFile, with a one-line reason, for a missing or unreadable file, for
    anything but a regular file (device, pipe, directory, socket), and for a file larger
    than ``limit`` — judged from its size before reading, and again while reading in case
    it grows. The file is opened without blocking, so a pipe with no writer cannot stall.
    """
    name = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise UnreadableFile(f"cannot read {name}: {error.strerror or error}") from None
    try:
        _check_regular(name, os.fstat(descriptor), limit)
    except BaseException:
        os.close(descriptor)
        raise
    with io.FileIO(descriptor, "rb") as file:
        try:
            data = _read_at_most(file, limit + 1)
        except OSError as error:
            raise UnreadableFile(f"cannot read {name}: {error.strerror or error}") from None
    if len(data) > limit:
        raise UnreadableFile(
            f"cannot read {name}: it grew past the {format_size(limit)} allowed while read"
        )
    return data


def _check_regular(name: str, info: os.stat_result, limit: int) -> None:
    for is_kind, kind in _KINDS:
        if is_kind(info.st_mode):
            raise UnreadableFile(f"cannot read {name}: {kind}, not a regular file")
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"cannot read {name}: not a regular file")
    if info.st_size > limit:
        raise UnreadableFile(
            f"cannot read {name}: {format_size(info.st_size)}, "
            f"larger than the {format_size(limit)} allowed"
        )


def _read_at_most(file: io.RawIOBase, size: int) -> bytes:
    """Up to ``size`` bytes, in pieces, so nothing beyond ``size`` is ever held."""
    pieces: list[bytes] = []
    left = size
    while left > 0:
        piece = file.read(min(left, _PIECE))
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    return b"".join(pieces)
