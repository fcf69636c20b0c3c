"""Stored document files: a new name each time, never replacing a file, durable in groups."""

from __future__ import annotations

import os
import stat
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobcentre.docstore import DocumentStore

RECEIVED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_each_path_is_new(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path)
    doc_id = str(uuid.uuid4())
    first, second = store.path_for(doc_id, RECEIVED), store.path_for(doc_id, RECEIVED)
    assert first != second
    assert first.startswith("documents/2026/03/01/" + doc_id + ".")
    assert first.endswith(".jca") and second.endswith(".jca")


@pytest.mark.parametrize("count", [1, 3])
def test_written_files_are_private_and_complete(tmp_path: Path, count: int) -> None:
    """One file is fsynced with its folder; a group is made durable with one syncfs."""
    store = DocumentStore(tmp_path)
    files = [(store.path_for(str(uuid.uuid4()), RECEIVED), [b"head", b"body %d" % i])
             for i in range(count)]
    store.write_stored_many(files)
    for path, parts in files:
        written = tmp_path / path
        assert written.read_bytes() == b"".join(parts)
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / files[0][0]).parent.stat().st_mode) == 0o700


def test_an_existing_file_is_never_replaced(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path)
    kept = store.path_for(str(uuid.uuid4()), RECEIVED)
    store.write_stored(kept, [b"the stored document"])
    fresh = store.path_for(str(uuid.uuid4()), RECEIVED)
    with pytest.raises(FileExistsError):
        store.write_stored_many([(fresh, [b"new"]), (kept, [b"other content"])])
    assert (tmp_path / kept).read_bytes() == b"the stored document"
    assert not (tmp_path / fresh).exists()  # what the failed group wrote is gone again


def test_each_file_is_synced_with_an_injected_sync(tmp_path: Path) -> None:
    synced: list[int] = []

    def sync(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        os.fsync(fd)

    store = DocumentStore(tmp_path, sync=sync)
    files = [(store.path_for(str(uuid.uuid4()), RECEIVED), [b"x"]) for _ in range(2)]
    store.write_stored_many(files)
    inodes = {(tmp_path / path).stat().st_ino for path, _ in files}
    assert inodes <= set(synced)
    assert (tmp_path / files[0][0]).parent.stat().st_ino in synced


def test_a_group_starts_each_files_writeback_before_its_syncfs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file of a group goes to the disk as soon as it is written; the one syncfs
    then waits for what is still in flight (a single file is fsynced instead)."""
    import jobcentre.docstore as docstore

    events: list[str] = []
    monkeypatch.setattr(docstore, "start_writeback",
                        lambda fd: events.append(f"writeback {os.fstat(fd).st_size}"))
    monkeypatch.setattr(docstore, "sync_file_system", lambda folder: events.append("syncfs"))
    store = DocumentStore(tmp_path)
    files = [(store.path_for(str(uuid.uuid4()), RECEIVED), [b"x" * (i + 1)]) for i in range(3)]
    store.write_stored_many(files)
    assert events == ["writeback 1", "writeback 2", "writeback 3", "syncfs"]
    events.clear()
    store.write_stored_many([(store.path_for(str(uuid.uuid4()), RECEIVED), [b"y"])])
    assert events == []
