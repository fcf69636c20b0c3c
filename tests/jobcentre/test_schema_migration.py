"""A database made by the first release opens, keeps its documents, and takes extensions.

The old schema below is a frozen copy of the ``documents`` table (and what it references)
as the first release created it; the repository must add ``note_extensions`` on open.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import psycopg

from jobcentre.atrest import AtRest
from jobcentre.repository import DocumentRecord, open_repository
from tests.jobcentre.conftest import new_database

OLD_SCHEMA = [
    """CREATE TABLE kiosks (
    kiosk_id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key TEXT NOT NULL,
    certificate TEXT NOT NULL, enrolled_at TEXT NOT NULL, revoked_at TEXT)""",
    """CREATE TABLE uploads (
    document_id TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL REFERENCES kiosks(kiosk_id),
    receipt_number TEXT NOT NULL, sealed_size BIGINT NOT NULL, sealed_sha256 TEXT NOT NULL,
    sha256 TEXT NOT NULL, document_type TEXT NOT NULL, pages INTEGER NOT NULL,
    page_hash TEXT NOT NULL, submitted_at TEXT NOT NULL, created_at TEXT NOT NULL)""",
    """CREATE TABLE documents (
    document_id TEXT PRIMARY KEY REFERENCES uploads(document_id),
    kiosk_id TEXT NOT NULL, receipt_number TEXT NOT NULL, sha256 TEXT NOT NULL,
    document_type TEXT NOT NULL, pages INTEGER NOT NULL, page_hash TEXT NOT NULL,
    submitted_at TEXT NOT NULL, received_at TEXT NOT NULL, path TEXT NOT NULL,
    size BIGINT NOT NULL, pdf_metadata TEXT NOT NULL, transfer_note TEXT NOT NULL,
    ack TEXT NOT NULL)""",
]
OLD_ID = "00000000-0000-4000-8000-000000000001"
NEW_ID = "00000000-0000-4000-8000-000000000002"
T = "2025-03-01T10:00:00.000Z"
EXTENSIONS = [{"kind": "acme.survey", "version": 1, "data": {"stars": 5}}]


def _old_rows() -> list[tuple[str, tuple[Any, ...]]]:
    return [
        ("INSERT INTO kiosks VALUES (?, ?, ?, ?, ?, ?)", ("k1", "Foyer", "pk", "{}", T, None)),
        *[
            ("INSERT INTO uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             (doc_id, "k1", "k1-20250301-00001", 100, "a" * 64, "b" * 64, "payslip", 1,
              "c" * 16, T, T))
            for doc_id in (OLD_ID, NEW_ID)
        ],
        ("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         (OLD_ID, "k1", "k1-20250301-00001", "b" * 64, "payslip", 1, "c" * 16, T, T,
          "documents/x.pdf", 100, "{}", '{"customer_number": "123A456789"}', "{}")),
    ]


def _record(doc_id: str) -> DocumentRecord:
    return DocumentRecord(
        document_id=doc_id, kiosk_id="k1", receipt_number="k1-20250301-00001", sha256="d" * 64,
        document_type="payslip", pages=1, page_hash="c" * 16, submitted_at=T, received_at=T,
        path="documents/y.pdf", size=100, note_extensions=EXTENSIONS,
    )


def _check_migrated(data_dir: Path, url: str | None) -> None:
    at_rest = AtRest(os.urandom(32))
    repo = open_repository(data_dir, url, at_rest)
    try:
        [old] = repo.list_documents()
        assert old.document_id == OLD_ID and old.note_extensions == []
        assert old.transfer_note == {"customer_number": "123A456789"}
        assert repo.insert_document(_record(NEW_ID)).note_extensions == EXTENSIONS
    finally:
        repo.close()
    # a second open finds the column and adds nothing
    again = open_repository(data_dir, url, at_rest)
    try:
        stored = again.get_document(NEW_ID)
        assert stored is not None and stored.note_extensions == EXTENSIONS
        assert len(again.list_documents()) == 2
    finally:
        again.close()


def test_old_sqlite_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "intake.sqlite3"
    conn = sqlite3.connect(path)
    for statement in OLD_SCHEMA:
        conn.execute(statement)
    for sql, params in _old_rows():
        conn.execute(sql, params)
    conn.commit()
    conn.close()
    _check_migrated(tmp_path, None)


def test_several_openers_of_an_old_sqlite_database_at_once(tmp_path: Path) -> None:
    path = tmp_path / "intake.sqlite3"
    conn = sqlite3.connect(path)
    for statement in OLD_SCHEMA:
        conn.execute(statement)
    conn.commit()
    conn.close()
    errors: list[BaseException] = []

    def open_and_close() -> None:
        try:
            open_repository(tmp_path).close()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_and_close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def test_old_postgresql_database_is_migrated(tmp_path: Path, pg_url: str) -> None:
    url = new_database(pg_url)
    with psycopg.connect(url, connect_timeout=10) as conn:
        for statement in OLD_SCHEMA:
            conn.execute(statement)  # type: ignore[arg-type]
        for sql, params in _old_rows():
            conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
        conn.commit()
    _check_migrated(tmp_path, url)
