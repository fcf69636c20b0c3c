"""The outbox's SQLite schema (kept apart so the outbox module stays readable)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id TEXT UNIQUE NOT NULL,
    receipt_number TEXT UNIQUE NOT NULL,
    kiosk_id TEXT NOT NULL,
    location TEXT NOT NULL,
    stored_at TEXT NOT NULL,
    stored_at_unix REAL NOT NULL,
    customer_masked TEXT,
    receipt_qr TEXT
);
CREATE TABLE IF NOT EXISTS documents(
    document_id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions(submission_id),
    position INTEGER NOT NULL,
    document_type TEXT NOT NULL,
    pages INTEGER NOT NULL,
    page_hash TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    sealed_sha256 TEXT NOT NULL,
    sealed_size INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'stored' CHECK (state IN ('stored', 'delivered', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_attempt_unix REAL,
    ack TEXT,
    received_at TEXT
);
CREATE INDEX IF NOT EXISTS documents_state ON documents(state);
CREATE INDEX IF NOT EXISTS documents_submission ON documents(submission_id);
CREATE TABLE IF NOT EXISTS counters(day TEXT PRIMARY KEY, counter INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    code TEXT NOT NULL
);
"""
