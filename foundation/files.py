"""Durable file-system primitives shared by every layer: directory fsync, syncfs, private
files."""

from __future__ import annotations

import contextlib
import ctypes
import errno
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


def _load_syncfs() -> Callable[[int], int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


_SYNCFS = _load_syncfs()


def _load_sync_file_range() -> Callable[[int, int, int, int], int] | None:
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_SYNC_FILE_RANGE = _load_sync_file_range()
_SYNC_FILE_RANGE_WRITE = 2  # start writing dirty pages back, do not wait


def start_writeback(fd: int) -> None:
    """Start writing a file's data to disk now, without waiting (a hint; never fails).

    A group made durable with one ``syncfs`` then waits only for what is still in flight,
    instead of the kernel beginning to write all of it at the ``syncfs`` (PostgreSQL's
    ``pg_flush_data``: ``sync_file_range(SYNC_FILE_RANGE_WRITE)``, else
    ``posix_fadvise(POSIX_FADV_DONTNEED)``, which starts writeback too).
    """
    if _SYNC_FILE_RANGE is not None:
        _SYNC_FILE_RANGE(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)
    elif hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def can_sync_file_system() -> bool:
    """True where ``sync_file_system`` works (Linux, syncfs(2) in the C library)."""
    return _SYNCFS is not None


def _syncfs(fd: int) -> None:
    if _SYNCFS is None:
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))
    if _SYNCFS(fd) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


def sync_file_system(directory: Path) -> None:
    """syncfs(2): everything written on ``directory``'s file system -- files, names,
    folders -- durable in one call. The kernel writes a group of new files back together
    instead of one fsync after another (as PostgreSQL's ``recovery_init_sync_method``)."""
    fsync_dir(directory, _syncfs)


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
