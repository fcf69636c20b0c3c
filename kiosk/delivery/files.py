"""Durable file primitives for the outbox and the identity: fsync'd writes, directory fsync."""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


def fsync_dir(directory: Path) -> None:
    """fsync a directory so that renames and new names in it are durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def iso_utc(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds (the outbox's own time format)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def write_synced(path: Path, data: bytes) -> None:
    """Create ``path`` (must not exist), write ``data`` completely, fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def unlink_quietly(path: Path) -> None:
    """Delete a file; a missing file is fine, other errors are logged."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not delete an outbox file: %s", exc.strerror)


def storage_reason(exc: BaseException) -> str:
    """A short technician's reason for a storage failure (never a path or content)."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "disk full"
    if isinstance(exc, sqlite3.Error) and "full" in str(exc):
        return "disk full"
    return type(exc).__name__
