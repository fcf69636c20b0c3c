"""The outbox: a durable queue of sealed documents; survives crashes, restarts, weeks offline.

Layout under ``<data>/outbox/``: ``outbox.db`` (SQLite, WAL, ``synchronous=FULL``) and
``sealed/<document_id>.jck`` (``JCK1`` envelopes sealed to the centre's key: this terminal
cannot open its own queue). Queueing a submission is all-or-nothing:

1. every sealed file is written under a temp name and fsync'd, then the directory;
2. one transaction allocates the receipt number and inserts the submission and all documents;
3. the temp files are renamed to their final names and the directory is fsync'd.

Only then does :meth:`Outbox.queue` return. A crash before step 2 leaves temp files without
rows, which :meth:`Outbox.recover` deletes; a crash after step 2 leaves rows whose files still
carry temp names, which it renames. An exclusive ``flock`` on ``queue.lock`` keeps recovery in
one process from touching another process's submission in flight. A document's sealed copy is
deleted only after the centre's signed acknowledgement was verified and recorded.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from foundation.errors import StorageError
from kiosk.delivery.files import fsync_dir, iso_utc, storage_reason, unlink_quietly, write_synced
from kiosk.delivery.models import (
    DocumentState,
    PendingUpload,
    QueuedDocument,
    QueuedSubmission,
    SealedDocument,
)
from kiosk.delivery.schema import SCHEMA

log = logging.getLogger(__name__)

SEALED_SUFFIX = ".jck"
TEMP_SUFFIX = ".tmp"
RECEIPT_KEEP_S = 24 * 3600
"""How long receipt data (masked number, QR text) is kept for reprints."""


MakeQr = Callable[[str, datetime], str]
"""Builds the signed receipt QR text from the receipt number and time of durable storage."""


class Outbox:
    """The durable queue (one instance per process; several processes may share a data dir)."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "outbox"
        self.sealed_dir = self.root / "sealed"
        try:
            self.sealed_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._db = sqlite3.connect(
                self.root / "outbox.db", timeout=15.0, isolation_level=None,
                check_same_thread=False,
            )
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the outbox: {exc}") from exc
        self._lock = threading.RLock()
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            self._db.close()
            raise StorageError(f"cannot prepare the outbox database: {exc}") from exc

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- paths and locking ----------------------------------------------------------

    def sealed_path(self, document_id: str) -> Path:
        """Final path of a document's sealed copy."""
        return self.sealed_dir / f"{document_id}{SEALED_SUFFIX}"

    def _temp_path(self, document_id: str) -> Path:
        return self.sealed_dir / f".{document_id}{TEMP_SUFFIX}"

    @contextmanager
    def _queue_lock(self) -> Iterator[None]:
        fd = os.open(self.root / "queue.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (disk full) may or may not have ended the transaction.
                if self._db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise

    # --- queueing -------------------------------------------------------------------

    def queue(
        self,
        submission_id: str,
        kiosk_id: str,
        location: str,
        masked_customer_number: str,
        documents: Sequence[SealedDocument],
        receipt_day: Callable[[datetime], str],
        make_qr: MakeQr,
    ) -> QueuedSubmission:
        """Store a submission durably, all documents or none; raises StorageError on failure."""
        if not documents:
            raise ValueError("a submission needs at least one document")
        with self._queue_lock():
            temps: list[Path] = []
            try:
                for doc in documents:
                    temps.append(self._temp_path(doc.document_id))
                    write_synced(temps[-1], doc.sealed)
                fsync_dir(self.sealed_dir)
                stored_at = self._insert(
                    submission_id, kiosk_id, location, masked_customer_number, documents,
                    receipt_day, make_qr,
                )
            except (OSError, sqlite3.Error) as exc:
                for tmp in temps:
                    unlink_quietly(tmp)
                reason = storage_reason(exc)
                raise StorageError(f"could not store the submission: {reason}") from exc
            try:
                for doc, tmp in zip(documents, temps, strict=True):
                    os.replace(tmp, self.sealed_path(doc.document_id))
                fsync_dir(self.sealed_dir)
            except OSError as exc:  # rows are committed and the data durable: recover() renames
                log.warning("rename after commit failed (%s); recovery will finish it", exc)
        log.info("queued submission with %d document(s)", len(documents))
        result = self.submission(submission_id)
        assert result is not None and result.stored_at == stored_at
        return result

    def _insert(
        self,
        submission_id: str,
        kiosk_id: str,
        location: str,
        masked: str,
        documents: Sequence[SealedDocument],
        receipt_day: Callable[[datetime], str],
        make_qr: MakeQr,
    ) -> datetime:
        with self._transaction() as db:
            now = datetime.now(UTC)  # milliseconds: what the receipt's ISO time can carry
            stored_at = now.replace(microsecond=now.microsecond // 1000 * 1000)
            day = receipt_day(stored_at)
            db.execute(
                "INSERT INTO counters(day, counter) VALUES (?, 1) "
                "ON CONFLICT(day) DO UPDATE SET counter = counter + 1", (day,),
            )
            (counter,) = db.execute("SELECT counter FROM counters WHERE day=?", (day,)).fetchone()
            receipt_number = f"{kiosk_id}-{day}-{counter:04d}"
            qr = make_qr(receipt_number, stored_at)
            db.execute(
                "INSERT INTO submissions(submission_id, receipt_number, kiosk_id, location, "
                "stored_at, stored_at_unix, customer_masked, receipt_qr) VALUES (?,?,?,?,?,?,?,?)",
                (submission_id, receipt_number, kiosk_id, location, iso_utc(stored_at),
                 stored_at.timestamp(), masked, qr),
            )
            db.executemany(
                "INSERT INTO documents(document_id, submission_id, position, document_type, pages,"
                " page_hash, sha256, sealed_sha256, sealed_size) VALUES (?,?,?,?,?,?,?,?,?)",
                [(d.document_id, submission_id, i, d.document_type, d.pages, d.page_hash,
                  d.sha256, d.sealed_sha256, len(d.sealed)) for i, d in enumerate(documents)],
            )
        return stored_at

    # --- recovery and housekeeping --------------------------------------------------

    def recover(self) -> dict[str, int]:
        """Finish or undo what a crash interrupted; returns counts of what was repaired."""
        counts = {"renamed": 0, "orphans_removed": 0, "acked_removed": 0}
        with self._queue_lock(), self._lock:
            states = dict(self._db.execute("SELECT document_id, state FROM documents").fetchall())
            for entry in self.sealed_dir.iterdir():
                name = entry.name
                if name.startswith(".") and name.endswith(TEMP_SUFFIX):
                    doc_id = name[1 : -len(TEMP_SUFFIX)]
                    if doc_id in states and not self.sealed_path(doc_id).exists():
                        os.replace(entry, self.sealed_path(doc_id))
                        counts["renamed"] += 1
                    else:
                        unlink_quietly(entry)
                        counts["orphans_removed"] += 1
                elif name.endswith(SEALED_SUFFIX):
                    doc_id = name[: -len(SEALED_SUFFIX)]
                    if states.get(doc_id) == "delivered":
                        unlink_quietly(entry)
                        counts["acked_removed"] += 1
                    elif doc_id not in states:
                        log.error("sealed file without outbox row kept for staff")
            fsync_dir(self.sealed_dir)
        if any(counts.values()):
            log.info("outbox recovery: %s", counts)
        return counts

    def adopt_temp(self, document_id: str) -> bool:
        """Finish the rename of a committed document whose submitter died; True if done."""
        temp, final = self._temp_path(document_id), self.sealed_path(document_id)
        with self._queue_lock():  # a live submitter holds this lock until it has renamed
            if final.exists():
                return True
            if not temp.exists() or self.submission_of(document_id) is None:
                return False
            os.replace(temp, final)
            fsync_dir(self.sealed_dir)
        log.info("finished the rename of a submission interrupted by a crash")
        return True

    def submission_of(self, document_id: str) -> str | None:
        """The submission id a document belongs to (None if there is no such row)."""
        rows = self._rows("SELECT submission_id FROM documents WHERE document_id=?", (document_id,))
        return str(rows[0][0]) if rows else None

    def purge_receipts(self, now: float | None = None, keep_s: float = RECEIPT_KEEP_S) -> int:
        """Forget receipt data older than ``keep_s``; drop fully delivered old submissions."""
        cutoff = (time.time() if now is None else now) - keep_s
        with self._transaction() as db:
            db.execute(
                "UPDATE submissions SET customer_masked=NULL, receipt_qr=NULL "
                "WHERE stored_at_unix < ?", (cutoff,),
            )
            old = [r[0] for r in db.execute(
                "SELECT s.submission_id FROM submissions s WHERE s.stored_at_unix < ? AND NOT "
                "EXISTS (SELECT 1 FROM documents d WHERE d.submission_id = s.submission_id "
                "AND d.state != 'delivered')", (cutoff,),
            )]
            for sid in old:
                db.execute("DELETE FROM documents WHERE submission_id=?", (sid,))
                db.execute("DELETE FROM submissions WHERE submission_id=?", (sid,))
        return len(old)

    # --- reading --------------------------------------------------------------------

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cursor = self._db.execute(sql, tuple(args))
            cursor.row_factory = sqlite3.Row
            return list(cursor.fetchall())

    def submission(self, submission_id: str) -> QueuedSubmission | None:
        """A stored submission with its documents' current states."""
        return self._load("submission_id", submission_id)

    def by_receipt_number(self, receipt_number: str) -> QueuedSubmission | None:
        """A stored submission by its receipt number (None once purged)."""
        return self._load("receipt_number", receipt_number)

    def _load(self, column: str, value: str) -> QueuedSubmission | None:
        subs = self._rows(f"SELECT * FROM submissions WHERE {column}=?", (value,))
        if not subs:
            return None
        sub = subs[0]
        docs = self._rows(
            "SELECT * FROM documents WHERE submission_id=? ORDER BY position",
            (sub["submission_id"],),
        )
        return QueuedSubmission(
            submission_id=sub["submission_id"],
            receipt_number=sub["receipt_number"],
            kiosk_id=sub["kiosk_id"],
            location=sub["location"],
            stored_at=datetime.fromisoformat(sub["stored_at"]),
            masked_customer_number=sub["customer_masked"] or "",
            receipt_qr=sub["receipt_qr"] or "",
            documents=tuple(
                QueuedDocument(
                    document_id=d["document_id"], position=d["position"],
                    document_type=d["document_type"], pages=d["pages"],
                    page_hash=d["page_hash"], sha256=d["sha256"], state=d["state"],
                    error=d["last_error"], received_at=d["received_at"],
                ) for d in docs
            ),
        )

    def pending(self, limit: int = 1000) -> list[PendingUpload]:
        """Documents still to upload, oldest first."""
        rows = self._rows(
            "SELECT d.*, s.receipt_number, s.stored_at FROM documents d JOIN submissions s "
            "USING (submission_id) WHERE d.state='stored' ORDER BY s.seq, d.position LIMIT ?",
            (limit,),
        )
        return [
            PendingUpload(
                document_id=r["document_id"], receipt_number=r["receipt_number"],
                document_type=r["document_type"], pages=r["pages"], page_hash=r["page_hash"],
                sha256=r["sha256"], sealed_sha256=r["sealed_sha256"],
                sealed_size=r["sealed_size"], submitted_at=r["stored_at"],
                sealed_path=self.sealed_path(r["document_id"]), attempts=r["attempts"],
            ) for r in rows
        ]

    def explain(self) -> list[dict[str, Any]]:
        """Every document not yet delivered, with why (no personal data)."""
        rows = self._rows(
            "SELECT s.receipt_number, s.stored_at, d.document_id, d.document_type, d.pages,"
            " d.sealed_size, d.state, d.attempts, d.last_error FROM documents d JOIN submissions"
            " s USING (submission_id) WHERE d.state != 'delivered' ORDER BY s.seq, d.position"
        )
        return [dict(r) for r in rows]

    def counts(self) -> dict[str, Any]:
        """Documents per state, bytes waiting and the age of the oldest waiting document."""
        out: dict[str, Any] = {"stored": 0, "delivered": 0, "rejected": 0}
        for state, n in self._rows("SELECT state, COUNT(*) FROM documents GROUP BY state"):
            out[state] = n
        (waiting_bytes, oldest) = self._rows(
            "SELECT COALESCE(SUM(d.sealed_size),0), MIN(s.stored_at_unix) FROM documents d "
            "JOIN submissions s USING (submission_id) WHERE d.state='stored'"
        )[0]
        out["waiting_bytes"] = waiting_bytes
        out["oldest_waiting_s"] = None if oldest is None else max(0.0, time.time() - oldest)
        return out

    # --- upload bookkeeping ---------------------------------------------------------

    def record_attempt(self, document_id: str, error: str | None) -> None:
        """Note an upload attempt and, if it failed, the reason code."""
        with self._transaction() as db:
            db.execute(
                "UPDATE documents SET attempts=attempts+1, last_error=?, last_attempt_unix=? "
                "WHERE document_id=?", (error, time.time(), document_id),
            )

    def mark_delivered(self, document_id: str, ack_json: str, received_at: str) -> None:
        """Record the verified acknowledgement, then delete the sealed copy."""
        with self._transaction() as db:
            db.execute(
                "UPDATE documents SET state='delivered', ack=?, received_at=?, last_error=NULL "
                "WHERE document_id=?", (ack_json, received_at, document_id),
            )
        unlink_quietly(self.sealed_path(document_id))
        fsync_dir(self.sealed_dir)

    def mark_rejected(self, document_id: str, code: str) -> None:
        """The server refused the document for good; keep the sealed copy for staff."""
        with self._transaction() as db:
            db.execute(
                "UPDATE documents SET state='rejected', last_error=? WHERE document_id=?",
                (code, document_id),
            )

    def set_state(self, document_id: str, state: DocumentState) -> None:
        """Set a document's state (staff action: retry a rejected document)."""
        with self._transaction() as db:
            db.execute("UPDATE documents SET state=? WHERE document_id=?", (state, document_id))

    # --- small key/value store ------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A stored setting (clock offset, last contact, ...)."""
        rows = self._rows("SELECT value FROM meta WHERE key=?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, **values: str) -> None:
        """Store settings in one transaction."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value", list(values.items()),
            )

    def add_event(self, kind: str, code: str) -> None:
        """Record an event for staff alerts (e.g. a failed print); never personal data."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO events(at, kind, code) VALUES (?,?,?)", (time.time(), kind, code)
            )
            db.execute("DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - 200")

    def recent_events(self, since: float) -> list[dict[str, Any]]:
        """Events newer than ``since`` (unix seconds)."""
        return [dict(r) for r in self._rows(
            "SELECT at, kind, code FROM events WHERE at > ? ORDER BY id", (since,))]
