"""Durable file primitives for the outbox and the identity: fsync'd writes, directory fsync."""

from __future__ import annotations

import errno
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from foundation.files import fsync_dir, write_synced

__all__ = ["fsync_dir", "iso_utc", "storage_reason", "unlink_quietly", "write_synced"]

log = logging.getLogger(__name__)



def iso_utc(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds (the outbox's own time format)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")



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
