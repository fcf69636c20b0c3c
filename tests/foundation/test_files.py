"""Durable file-system primitives: starting writeback is a hint that never fails."""

from __future__ import annotations

import os
from pathlib import Path

from foundation.files import start_writeback, sync_file_system


def test_writeback_started_then_synced_keeps_the_content(tmp_path: Path) -> None:
    path = tmp_path / "document"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, b"sealed " * 1000)
        start_writeback(fd)
    finally:
        os.close(fd)
    sync_file_system(tmp_path)
    assert path.read_bytes() == b"sealed " * 1000


def test_writeback_of_something_that_is_no_file_is_ignored(tmp_path: Path) -> None:
    read, write = os.pipe()
    try:
        start_writeback(write)  # a pipe has no pages to write back
    finally:
        os.close(read)
        os.close(write)
    start_writeback(write)  # closed: a hint, not an error
