"""SQLite and PostgreSQL implementations of ``jobcentre.repository.Repository``.

One SQL text serves both (``?`` placeholders become ``%s`` for psycopg). Each backend keeps a
small pool of connections (``jobcentre.sqlpool``) so the service's worker threads do not
share one. Document
uniqueness is a primary key: ``insert_document`` uses ``ON CONFLICT DO NOTHING`` and then
reads the winner, so retried, duplicated or concurrent finishes store one row. The schema and
its migrations live in ``jobcentre.sqlschema``. The personal document columns are sealed on
the way in and opened on the way out (``jobcentre.atrest``); without a key-encryption key the
repository refuses to store documents and reads those columns as empty. SQLite files are
created 0600 (its ``-wal`` and ``-shm`` files take the main file's mode) with
``secure_delete`` on, so deleted rows are overwritten rather than left in free pages.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, fields
from pathlib import Path
from typing import Any

from foundation.errors import DatabaseUnavailable, SetupError
from foundation.files import private_sqlite_files
from jobcentre.atrest import AtRest
from jobcentre.atrest_sql import DocumentSql
from jobcentre.repository import (
    Certify,
    KioskRecord,
    UploadRecord,
    db_time,
    redact_url,
)
from jobcentre.sqlpool import ConnectionPool
from jobcentre.sqlschema import BASE_SCHEMA, migrate_postgres, migrate_sqlite
from jobcentre.staff.sql import POSTGRES_GUARDS, SQLITE_GUARDS, STAFF_SCHEMA, StaffSql

log = logging.getLogger(__name__)

SCHEMA = BASE_SCHEMA + STAFF_SCHEMA

_KIOSK_COLS = "kiosk_id, name, public_key, certificate, enrolled_at, revoked_at"
_UPLOAD_COLS = ", ".join(f.name for f in fields(UploadRecord))


def slugify(name: str) -> str:
    """A kiosk id made from a display name (letters, digits, ``.``, ``_``, ``-``)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-._")[:48]
    return slug or "kiosk"


class SqlRepository(DocumentSql, StaffSql):
    """The repository over any DB-API connection; subclasses open connections."""

    placeholder = "?"
    _pool: ConnectionPool

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def _translate(self, exc: Exception) -> Exception:
        # the class and SQLSTATE say what went wrong; the message may quote row values
        state = getattr(exc, "sqlstate", None) or getattr(exc, "sqlite_errorname", None)
        return DatabaseUnavailable(
            f"database error: {type(exc).__name__}" + (f" ({state})" if state else ""))

    def _is_db_error(self, exc: Exception) -> bool:
        raise NotImplementedError

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[Callable[..., Any]]:
        """Run statements in one transaction; yields ``execute(sql, params) -> cursor``."""
        try:
            with self._writer(write), self._pool.connection() as conn:
                self._begin(conn, write)
                cur = conn.cursor()
                try:
                    yield lambda sql, params=(): cur.execute(self._sql(sql), params)
                    conn.commit()
                except BaseException:
                    conn.rollback()
                    raise
                finally:
                    cur.close()
        except Exception as exc:
            if self._is_db_error(exc):
                raise self._translate(exc) from exc
            raise

    def _read_one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The first row of one read statement, run on its own (no BEGIN/COMMIT round trips)."""
        try:
            with self._pool.connection() as conn:
                return self._fetch_one(conn, self._sql(sql), params)
        except Exception as exc:
            if self._is_db_error(exc):
                raise self._translate(exc) from exc
            raise

    def _write_one(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One write statement committed on its own (no BEGIN/COMMIT round trips: a single
        statement is atomic and durable by itself); returns its row count."""
        try:
            with self._writer(True), self._pool.connection() as conn:
                return int(self._execute_alone(conn, self._sql(sql), params))
        except Exception as exc:
            if self._is_db_error(exc):
                raise self._translate(exc) from exc
            raise

    def _execute_alone(self, conn: Any, sql: str, params: tuple[Any, ...]) -> int:
        """Run and commit one statement outside an explicit transaction; its row count."""
        return int(conn.execute(sql, params).rowcount)

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Every row of one read statement, run on its own (no BEGIN/COMMIT round trips).

        For modules that keep their own tables and read often (the live channel's poll).
        """
        try:
            with self._pool.connection() as conn:
                return list(self._fetch_all(conn, self._sql(sql), params))
        except Exception as exc:
            if self._is_db_error(exc):
                raise self._translate(exc) from exc
            raise

    def _fetch_one(self, conn: Any, sql: str, params: tuple[Any, ...]) -> Any:
        """Run one statement outside an explicit transaction (backend specific)."""
        return conn.execute(sql, params).fetchone()

    def _fetch_all(self, conn: Any, sql: str, params: tuple[Any, ...]) -> Any:
        """Run one statement outside an explicit transaction; all its rows."""
        return conn.execute(sql, params).fetchall()

    def transaction(self, write: bool = False) -> contextlib.AbstractContextManager[Any]:
        """One transaction for modules that keep their own tables (e.g. the live channel)."""
        return self._tx(write)

    def _begin(self, conn: Any, write: bool) -> None:
        """Start a transaction (backend specific)."""

    def _writer(self, write: bool) -> contextlib.AbstractContextManager[Any]:
        """A lock around write transactions where the backend needs one."""
        return contextlib.nullcontext()

    def close(self) -> None:
        """Close every connection."""
        self._pool.close()

    # --- kiosks and enrollment -------------------------------------------------------

    def add_enrollment_code(self, code_hash: str, name: str, expires_at: str) -> str:
        """Store a hashed one-time code; returns the kiosk id reserved for it."""
        base = slugify(name)
        with self._tx(write=True) as run:
            taken = {r[0] for r in run("SELECT kiosk_id FROM kiosks").fetchall()}
            taken |= {r[0] for r in run("SELECT kiosk_id FROM enrollment_codes").fetchall()}
            kiosk_id, n = base, 1
            while kiosk_id in taken:
                n += 1
                kiosk_id = f"{base}-{n}"
            run(
                "INSERT INTO enrollment_codes (code_hash, kiosk_id, name, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (code_hash, kiosk_id, name, db_time(), expires_at),
            )
        return kiosk_id

    def enroll(self, code_hash: str, public_key: str, certify: Certify) -> KioskRecord | None:
        """Use up a valid code and register the kiosk; None if wrong, used or expired."""
        now = db_time()
        with self._tx(write=True) as run:
            row = run(
                "SELECT kiosk_id, name, expires_at FROM enrollment_codes"
                " WHERE code_hash = ? AND used_at IS NULL",
                (code_hash,),
            ).fetchone()
            if row is None or row[2] <= now:
                return None
            done = run(
                "UPDATE enrollment_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
                (now, code_hash),
            )
            if done.rowcount != 1:
                return None
            kiosk_id, name = row[0], row[1]
            record = KioskRecord(kiosk_id, name, public_key, certify(kiosk_id, name), now)
            run(
                f"INSERT INTO kiosks ({_KIOSK_COLS}) VALUES (?, ?, ?, ?, ?, ?)",
                (kiosk_id, name, public_key, json.dumps(record.certificate), now, None),
            )
        return record

    @staticmethod
    def _kiosk(row: Any) -> KioskRecord:
        return KioskRecord(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5])

    def get_kiosk(self, kiosk_id: str) -> KioskRecord | None:
        """One kiosk by id."""
        row = self._read_one(f"SELECT {_KIOSK_COLS} FROM kiosks WHERE kiosk_id = ?", (kiosk_id,))
        return None if row is None else self._kiosk(row)

    def list_kiosks(self) -> list[KioskRecord]:
        """Every kiosk, oldest first."""
        with self._tx() as run:
            sql = f"SELECT {_KIOSK_COLS} FROM kiosks ORDER BY enrolled_at, kiosk_id"
            rows = run(sql).fetchall()
        return [self._kiosk(r) for r in rows]

    def kiosks_enrolled_since(self, enrolled_at: str) -> list[KioskRecord]:
        """Kiosks enrolled at or after ``enrolled_at`` ("" for all), oldest first."""
        with self._tx() as run:
            sql = (f"SELECT {_KIOSK_COLS} FROM kiosks WHERE enrolled_at >= ?"
                   " ORDER BY enrolled_at, kiosk_id")
            rows = run(sql, (enrolled_at,)).fetchall()
        return [self._kiosk(r) for r in rows]

    def revoke(self, *, kiosk_id: str | None = None, name: str | None = None) -> int:
        """Revoke kiosks by id or name; returns how many were newly revoked."""
        column, value = ("kiosk_id", kiosk_id) if kiosk_id is not None else ("name", name)
        with self._tx(write=True) as run:
            cur = run(
                f"UPDATE kiosks SET revoked_at = ? WHERE {column} = ? AND revoked_at IS NULL",
                (db_time(), value),
            )
            return int(cur.rowcount)

    # --- uploads (documents: jobcentre.atrest_sql) ------------------------------------

    def create_upload(self, upload: UploadRecord) -> UploadRecord:
        """Insert an upload unless one exists; returns the stored one."""
        marks = ", ".join("?" * len(fields(UploadRecord)))
        inserted = self._write_one(
            f"INSERT INTO uploads ({_UPLOAD_COLS}) VALUES ({marks})"
            " ON CONFLICT (document_id) DO NOTHING",
            astuple(upload),
        ) == 1
        if inserted:
            return upload
        found = self.get_upload(upload.document_id)  # the first one wins; never deleted
        assert found is not None
        return found

    def get_upload(self, document_id: str) -> UploadRecord | None:
        """One upload by document id."""
        row = self._read_one(
            f"SELECT {_UPLOAD_COLS} FROM uploads WHERE document_id = ?", (document_id,)
        )
        return None if row is None else UploadRecord(*row)

    def get_upload_and_ack(
        self, document_id: str
    ) -> tuple[UploadRecord | None, dict[str, Any] | None]:
        """An upload and, once its document is stored, the document's ack (one query)."""
        row = self._read_one(
            f"SELECT {', '.join('u.' + c for c in _UPLOAD_COLS.split(', '))}, d.ack"
            " FROM uploads u LEFT JOIN documents d ON d.document_id = u.document_id"
            " WHERE u.document_id = ?", (document_id,)
        )
        if row is None:
            return None, None
        return UploadRecord(*row[:-1]), None if row[-1] is None else json.loads(row[-1])

class SqliteRepository(SqlRepository):
    """SQLite in WAL mode with synchronous=FULL: a commit is on disk before any ack."""

    def __init__(self, path: Path, pool_size: int = 8, *, at_rest: AtRest | None = None) -> None:
        self.path = path
        self.at_rest = at_rest
        self._write_lock = threading.Lock()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            private_sqlite_files(path)
        except OSError as exc:
            raise SetupError(f"cannot create the database {path}: {exc.strerror}") from exc
        self._pool = ConnectionPool(self._connect, pool_size)
        try:
            with self._pool.connection() as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(SCHEMA)
                migrate_sqlite(conn)
                for guard in SQLITE_GUARDS:
                    conn.execute(guard)
        except sqlite3.Error as exc:
            self._pool.close()
            raise SetupError(f"cannot open the SQLite database {path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA secure_delete=ON")
        return conn

    def compact(self) -> None:
        """VACUUM, then empty the WAL file: no old row contents in free pages or the log."""
        with self._write_lock, self._pool.connection() as conn:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _begin(self, conn: Any, write: bool) -> None:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    def _writer(self, write: bool) -> contextlib.AbstractContextManager[Any]:
        # SQLite has one writer; queueing our own threads on a lock wakes them at once,
        # where SQLite's busy handler would poll with sleeps of up to 100 ms.
        return self._write_lock if write else contextlib.nullcontext()

    def _is_db_error(self, exc: Exception) -> bool:
        return isinstance(exc, sqlite3.Error)


class PostgresRepository(SqlRepository):
    """PostgreSQL via psycopg 3 (read committed; uniqueness by primary keys)."""

    placeholder = "%s"

    def __init__(self, url: str, pool_size: int = 10, *, at_rest: AtRest | None = None) -> None:
        import psycopg

        self._psycopg = psycopg
        self.url = url
        self.at_rest = at_rest
        self._pool = ConnectionPool(self._connect, pool_size)
        try:
            with self._pool.connection() as conn, conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(716151)")
                for statement in filter(str.strip, SCHEMA.split(";")):
                    cur.execute(statement)
                migrate_postgres(cur)
                for statement in POSTGRES_GUARDS:
                    cur.execute(statement)
                conn.commit()
        except (psycopg.Error, DatabaseUnavailable) as exc:
            self._pool.close()
            raise SetupError(
                f"cannot open the PostgreSQL database {redact_url(url)}: {_first_line(exc)}"
            ) from exc

    def _connect(self) -> Any:
        return self._psycopg.connect(self.url, connect_timeout=10, autocommit=False)

    def execute_many_returning(self, sql: str, rows: list[tuple[Any, ...]]) -> list[bool]:
        """Run ``sql`` (``… RETURNING …``) once per row in one transaction, pipelined: one
        round trip for all of them instead of one each; per row, whether it returned a row."""
        try:
            with self._writer(True), self._pool.connection() as conn:
                with conn.cursor() as cur:
                    cur.executemany(self._sql(sql), rows, returning=True)
                    returned = []
                    while True:
                        returned.append(cur.fetchone() is not None)
                        if not cur.nextset():
                            break
                conn.commit()
                return returned
        except Exception as exc:
            if self._is_db_error(exc):
                raise self._translate(exc) from exc
            raise

    def autocommit_pool(self, setting: str, size: int = 4) -> ConnectionPool:
        """Extra connections in autocommit mode with ``setting`` (a ``SET …``) run once each."""
        def connect() -> Any:
            conn = self._psycopg.connect(self.url, connect_timeout=10, autocommit=True)
            conn.execute(setting)
            return conn

        return ConnectionPool(connect, size)

    def _fetch_one(self, conn: Any, sql: str, params: tuple[Any, ...]) -> Any:
        rows = self._fetch_all(conn, sql, params)
        return rows[0] if rows else None

    def _fetch_all(self, conn: Any, sql: str, params: tuple[Any, ...]) -> Any:
        # autocommit for this statement only: one round trip instead of BEGIN, it, COMMIT
        # (a failure discards the connection, so the setting never outlives an error)
        conn.autocommit = True
        rows = conn.execute(sql, params).fetchall()
        conn.autocommit = False
        return rows

    def _execute_alone(self, conn: Any, sql: str, params: tuple[Any, ...]) -> int:
        conn.autocommit = True  # as in _fetch_all: one round trip, committed by itself
        count = conn.execute(sql, params).rowcount
        conn.autocommit = False
        return int(count)

    def _is_db_error(self, exc: Exception) -> bool:
        return isinstance(exc, self._psycopg.Error)

    def compact(self) -> None:
        """VACUUM FULL the documents table (rewritten, so old row versions are gone)."""
        conn = self._connect()
        try:
            conn.autocommit = True
            conn.execute("VACUUM FULL documents")
        finally:
            conn.close()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
