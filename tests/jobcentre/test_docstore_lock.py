"""The per-document lock of ``DocumentStore`` holds across processes (flock on a stripe file)."""

from __future__ import annotations

import fcntl
import os
import uuid
from pathlib import Path

import pytest

from jobcentre.docstore import DocumentStore


def test_locked_holds_a_file_lock_that_another_open_file_cannot_take(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path / "data")
    document_id = str(uuid.uuid4())
    with store.locked(document_id):
        locks = sorted((tmp_path / "data" / "incoming" / ".locks").iterdir())
        assert len(locks) == 1
        fd = os.open(locks[0], os.O_RDWR)  # another open file = what another process holds
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    fd = os.open(locks[0], os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released on leaving the block
    finally:
        os.close(fd)
    store.close()


def test_expiry_skips_the_lock_folder_and_removes_old_parts(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path / "data")
    document_id = str(uuid.uuid4())
    store.append(document_id, 0, b"sealed", 100)
    with store.locked(document_id):
        pass
    assert store.expire_parts(0.0, now=os.path.getmtime(store.part_path(document_id)) + 1) == 1
    assert (tmp_path / "data" / "incoming" / ".locks").is_dir()
    store.close()
