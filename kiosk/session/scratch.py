"""Encrypted scratch space of one visitor's session.

Page images, verdicts and half-built PDFs live here until the visitor submits or leaves.
Everything is AES-GCM encrypted under a key that exists only in this process's memory,
so a crash or power cut leaves only ciphertext that nobody can open; ``open_scratch``
removes such leftovers at start. Row metadata sits in SQLite with ``secure_delete`` on,
so deleted rows are overwritten, not just unlinked. ``wipe()`` deletes every file and
row and forgets the key. Any thread may use it (the capture, OCR and hand-in workers do):
one lock serialises the database and the key.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from foundation.errors import SessionError, StorageError

log = logging.getLogger(__name__)

_SCHEMA = "CREATE TABLE IF NOT EXISTS blobs (ref TEXT PRIMARY KEY, kind TEXT NOT NULL, nonce BLOB)"


class SessionScratch:
    """Encrypted blob store for one session; ``wipe()`` leaves nothing readable behind."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._key: bytes | None = AESGCM.generate_key(bit_length=256)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(directory / "scratch.sqlite3", isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA secure_delete = ON")
        self._db.execute("PRAGMA journal_mode = DELETE")
        self._db.execute(_SCHEMA)

    def _aead(self) -> AESGCM:
        if self._key is None:
            raise SessionError("scratch space was wiped")
        return AESGCM(self._key)

    def put(self, data: bytes, kind: str = "blob") -> str:
        """Store ``data`` encrypted; return a reference to fetch it again."""
        ref = uuid.uuid4().hex
        nonce = os.urandom(12)
        sealed = self._aead().encrypt(nonce, data, ref.encode())
        try:
            (self.directory / f"{ref}.bin").write_bytes(sealed)
            with self._lock:
                self._aead()  # not wiped meanwhile
                self._db.execute("INSERT INTO blobs VALUES (?, ?, ?)", (ref, kind, nonce))
        except OSError as exc:
            raise StorageError(f"session scratch not writable: {exc.strerror}") from exc
        return ref

    def get(self, ref: str) -> bytes:
        """Decrypt and return the blob ``ref``."""
        with self._lock:
            aead = self._aead()
            row = self._db.execute("SELECT nonce FROM blobs WHERE ref = ?", (ref,)).fetchone()
        if row is None:
            raise SessionError(f"no scratch blob {ref}")
        sealed = (self.directory / f"{ref}.bin").read_bytes()
        return aead.decrypt(row[0], sealed, ref.encode())

    def delete(self, ref: str) -> None:
        """Remove one blob (a retaken or deleted page)."""
        with self._lock:
            if self._key is None:
                return
            self._db.execute("DELETE FROM blobs WHERE ref = ?", (ref,))
        (self.directory / f"{ref}.bin").unlink(missing_ok=True)

    def refs(self, kind: str | None = None) -> list[str]:
        """References of stored blobs, optionally of one kind."""
        with self._lock:
            self._aead()
            if kind is None:
                rows = self._db.execute("SELECT ref FROM blobs").fetchall()
            else:
                rows = self._db.execute("SELECT ref FROM blobs WHERE kind = ?",
                                        (kind,)).fetchall()
        return [r[0] for r in rows]

    def wipe(self) -> None:
        """Delete every blob and row, forget the key, remove the directory."""
        with self._lock:
            if self._key is None:
                return
            self._db.execute("DELETE FROM blobs")
            self._db.execute("VACUUM")
            self._db.close()
            self._key = None
        shutil.rmtree(self.directory, ignore_errors=True)
        log.info("session scratch wiped")

    @property
    def wiped(self) -> bool:
        """True after ``wipe()``."""
        return self._key is None


def open_scratch(root: Path) -> SessionScratch:
    """Remove leftovers of crashed sessions under ``root`` and open a fresh scratch space."""
    if root.exists():
        for leftover in root.iterdir():
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
            log.info("removed unreadable leftovers of an earlier session")
    return SessionScratch(root / uuid.uuid4().hex)
