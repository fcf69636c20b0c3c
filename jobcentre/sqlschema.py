"""The intake database schema (one SQL text for SQLite and PostgreSQL) and its migrations.

``BASE_SCHEMA`` creates what is missing on a fresh database. Columns added after the first
release are listed in ``ADDED_COLUMNS`` and added to an existing database when it is opened:
SQLite checks ``PRAGMA table_info`` inside one ``BEGIN IMMEDIATE`` transaction (so two
processes opening the same file do not both add a column), PostgreSQL uses
``ADD COLUMN IF NOT EXISTS`` under the advisory lock its opener already holds. Each added
column has a default, so rows written before it read as "nothing there". Indexes on added
columns (``ADDED_INDEXES``) follow the columns.

Personal columns of ``documents`` (``pdf_metadata``, ``transfer_note``, ``note_extensions``)
hold ``jca1.…`` text sealed by ``jobcentre.atrest``; rows of older releases hold plaintext
JSON until ``jobcentre.atrest_migrate`` seals them. ``number_index`` is the keyed blind index
of the customer or BG number (never the number itself).
"""

from __future__ import annotations

from typing import Any

BASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS enrollment_codes (
    code_hash TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT);
CREATE TABLE IF NOT EXISTS kiosks (
    kiosk_id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key TEXT NOT NULL,
    certificate TEXT NOT NULL, enrolled_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS uploads (
    document_id TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL REFERENCES kiosks(kiosk_id),
    receipt_number TEXT NOT NULL, sealed_size BIGINT NOT NULL, sealed_sha256 TEXT NOT NULL,
    sha256 TEXT NOT NULL, document_type TEXT NOT NULL, pages INTEGER NOT NULL,
    page_hash TEXT NOT NULL, submitted_at TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY REFERENCES uploads(document_id),
    kiosk_id TEXT NOT NULL, receipt_number TEXT NOT NULL, sha256 TEXT NOT NULL,
    document_type TEXT NOT NULL, pages INTEGER NOT NULL, page_hash TEXT NOT NULL,
    submitted_at TEXT NOT NULL, received_at TEXT NOT NULL, path TEXT NOT NULL,
    size BIGINT NOT NULL, pdf_metadata TEXT NOT NULL, transfer_note TEXT NOT NULL,
    ack TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_by_receipt ON documents(kiosk_id, receipt_number);
CREATE INDEX IF NOT EXISTS documents_by_time ON documents(received_at);
"""

#: (table, column, declaration) added after the first release, oldest first.
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # transfer-note extensions (wire.transfer_note) as a JSON array, verbatim
    ("documents", "note_extensions", "TEXT NOT NULL DEFAULT '[]'"),
    # blind index (HMAC-SHA256 hex) of the customer or BG number, jobcentre.atrest
    ("documents", "number_index", "TEXT"),
)
ADDED_INDEXES = (
    "CREATE INDEX IF NOT EXISTS documents_by_number ON documents(number_index)",
    # newly enrolled kiosks, read every 2 s by each intake process (KioskGate.refresh_known)
    "CREATE INDEX IF NOT EXISTS kiosks_by_enrollment ON kiosks(enrolled_at)",
)


def migrate_sqlite(conn: Any) -> None:
    """Add missing columns to an SQLite database (autocommit connection)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table, column, declaration in ADDED_COLUMNS:
            present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        for statement in ADDED_INDEXES:
            conn.execute(statement)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def migrate_postgres(cur: Any) -> None:
    """Add missing columns to a PostgreSQL database (inside the opener's transaction)."""
    for table, column, declaration in ADDED_COLUMNS:
        cur.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {declaration}")
    for statement in ADDED_INDEXES:
        cur.execute(statement)
