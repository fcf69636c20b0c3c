"""Durable file-system primitives shared by every layer: directory fsync, private files."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path


def fsync_dir(directory: Path, sync: Callable[[int], None] = os.fsync) -> None:
    """fsync a directory so that renames and new names in it are durable (``sync``: how)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        sync(fd)
    finally:
        os.close(fd)


def write_synced(path: Path, data: bytes, *, exclusive: bool = True) -> None:
    """Write ``data`` completely to ``path`` (mode 0600) and fsync it.

    With ``exclusive`` the file must not exist yet; otherwise it is truncated.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def private_sqlite_files(path: Path) -> None:
    """Create an SQLite file 0600 before SQLite does (its -wal/-shm copy that mode) and
    narrow any of its files that a wider umask left readable to others.

    An existing file is never opened: closing any descriptor of a database file drops every
    POSIX lock this process holds on it, including the shared lock by which each open WAL
    connection tells other processes that it is still there. Without that lock, another
    process closing its last connection checkpoints and deletes the WAL under this one, and
    what this process commits afterwards is lost ("disk I/O error" for the next reader).
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with contextlib.suppress(FileNotFoundError):
            if name.stat().st_mode & 0o077:
                os.chmod(name, 0o600)
