"""SQL for the staff tables, mixed into ``jobcentre.sqlstore.SqlRepository``.

``STAFF_SCHEMA`` is created with the rest of the schema by ``jobcentre.sqlstore``;
the audit log is made append-only by a trigger per backend (``SQLITE_GUARDS`` /
``POSTGRES_GUARDS``), so not even a bug in this code can rewrite history.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import astuple, fields
from typing import TYPE_CHECKING, Any

from jobcentre.repository import AuditEntry, StaffAccount, StaffSession, db_time

STAFF_SCHEMA = """
CREATE TABLE IF NOT EXISTS staff_accounts (
    username TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL, disabled_at TEXT);
CREATE TABLE IF NOT EXISTS staff_sessions (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES staff_accounts(username),
    created_at TEXT NOT NULL, last_seen TEXT NOT NULL, address TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS staff_login_failures (
    kind TEXT NOT NULL, subject TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS staff_login_failures_by_subject
    ON staff_login_failures(kind, subject, at);
CREATE TABLE IF NOT EXISTS staff_audit (
    entry_id TEXT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL, address TEXT NOT NULL, outcome TEXT NOT NULL,
    detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS staff_audit_by_time ON staff_audit(at);
CREATE TABLE IF NOT EXISTS staff_assignments (
    username TEXT NOT NULL REFERENCES staff_accounts(username), kiosk_id TEXT NOT NULL,
    receipt_number TEXT NOT NULL, assigned_at TEXT NOT NULL,
    PRIMARY KEY (username, kiosk_id, receipt_number));
"""
SQLITE_GUARDS = (
    "CREATE TRIGGER IF NOT EXISTS staff_audit_no_update BEFORE UPDATE ON staff_audit"
    " BEGIN SELECT RAISE(ABORT, 'staff_audit is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS staff_audit_no_delete BEFORE DELETE ON staff_audit"
    " BEGIN SELECT RAISE(ABORT, 'staff_audit is append-only'); END",
)
POSTGRES_GUARDS = (
    "CREATE OR REPLACE FUNCTION staff_audit_append_only() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN RAISE EXCEPTION 'staff_audit is append-only'; END $$",
    "CREATE OR REPLACE TRIGGER staff_audit_append_only BEFORE UPDATE OR DELETE ON staff_audit"
    " FOR EACH ROW EXECUTE FUNCTION staff_audit_append_only()",
    "CREATE OR REPLACE TRIGGER staff_audit_no_truncate BEFORE TRUNCATE ON staff_audit"
    " FOR EACH STATEMENT EXECUTE FUNCTION staff_audit_append_only()",
)

_ACCOUNT_COLS = ", ".join(f.name for f in fields(StaffAccount))
_SESSION_COLS = ", ".join(f.name for f in fields(StaffSession))
_AUDIT_COLS = ", ".join(f.name for f in fields(AuditEntry))


class StaffSql:
    """The ``StaffRepository`` methods over the repository's ``_tx`` transactions."""

    if TYPE_CHECKING:
        def _tx(self, write: bool = False) -> AbstractContextManager[Callable[..., Any]]: ...

    def add_staff(self, account: StaffAccount) -> bool:
        """Insert an account; False if the name is taken."""
        with self._tx(write=True) as run:
            cur = run(
                f"INSERT INTO staff_accounts ({_ACCOUNT_COLS}) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (username) DO NOTHING",
                astuple(account),
            )
            return bool(cur.rowcount == 1)

    def get_staff(self, username: str) -> StaffAccount | None:
        """One account by name."""
        with self._tx() as run:
            row = run(
                f"SELECT {_ACCOUNT_COLS} FROM staff_accounts WHERE username = ?", (username,)
            ).fetchone()
        return None if row is None else StaffAccount(*row)

    def list_staff(self) -> list[StaffAccount]:
        """Every account, by name."""
        with self._tx() as run:
            rows = run(f"SELECT {_ACCOUNT_COLS} FROM staff_accounts ORDER BY username").fetchall()
        return [StaffAccount(*r) for r in rows]

    def disable_staff(self, username: str, at: str) -> bool:
        """Disable an account and end its sessions; False if unknown or already disabled."""
        with self._tx(write=True) as run:
            cur = run(
                "UPDATE staff_accounts SET disabled_at = ? WHERE username = ?"
                " AND disabled_at IS NULL",
                (at, username),
            )
            disabled = bool(cur.rowcount == 1)  # read before the cursor runs the next statement
            run("DELETE FROM staff_sessions WHERE username = ?", (username,))
            return disabled

    def set_staff_password(self, username: str, password_hash: str) -> None:
        """Replace an account's password hash (re-hash with newer parameters)."""
        with self._tx(write=True) as run:
            run(
                "UPDATE staff_accounts SET password_hash = ? WHERE username = ?",
                (password_hash, username),
            )

    def add_staff_session(self, session: StaffSession) -> None:
        """Store a new session."""
        with self._tx(write=True) as run:
            run(f"INSERT INTO staff_sessions ({_SESSION_COLS}) VALUES (?, ?, ?, ?, ?)",
                astuple(session))

    def get_staff_session(self, token_hash: str) -> StaffSession | None:
        """One session by the hash of its token."""
        with self._tx() as run:
            row = run(
                f"SELECT {_SESSION_COLS} FROM staff_sessions WHERE token_hash = ?", (token_hash,)
            ).fetchone()
        return None if row is None else StaffSession(*row)

    def touch_staff_session(self, token_hash: str, at: str) -> None:
        """Record activity on a session."""
        with self._tx(write=True) as run:
            run("UPDATE staff_sessions SET last_seen = ? WHERE token_hash = ?", (at, token_hash))

    def delete_staff_session(self, token_hash: str) -> None:
        """End one session."""
        with self._tx(write=True) as run:
            run("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,))

    def add_login_failure(self, kind: str, subject: str, at: str) -> None:
        """Count a failed login against an account name or an address."""
        with self._tx(write=True) as run:
            run("INSERT INTO staff_login_failures (kind, subject, at) VALUES (?, ?, ?)",
                (kind, subject, at))

    def login_failures(self, kind: str, subject: str, since: str) -> list[str]:
        """Times of failed logins for a name or address since ``since``, oldest first."""
        with self._tx() as run:
            rows = run(
                "SELECT at FROM staff_login_failures WHERE kind = ? AND subject = ? AND at >= ?"
                " ORDER BY at",
                (kind, subject, since),
            ).fetchall()
        return [r[0] for r in rows]

    def clear_login_failures(self, kind: str, subject: str) -> None:
        """Forget the failed logins of a name or address (after a successful login)."""
        with self._tx(write=True) as run:
            run("DELETE FROM staff_login_failures WHERE kind = ? AND subject = ?", (kind, subject))

    def append_audit(self, entry: AuditEntry) -> None:
        """Append an entry to the audit log (the log cannot be changed afterwards)."""
        marks = ", ".join("?" * len(fields(AuditEntry)))
        with self._tx(write=True) as run:
            run(f"INSERT INTO staff_audit ({_AUDIT_COLS}) VALUES ({marks})", astuple(entry))

    def list_audit(self, limit: int = 200, actor: str = "", action: str = "") -> list[AuditEntry]:
        """The newest audit entries first, optionally of one actor or action prefix."""
        where, params = [], []
        if actor:
            where.append("actor = ?")
            params.append(actor)
        if action:
            where.append("action LIKE ?")
            params.append(action.replace("%", "").replace("_", "\\_") + "%")
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        escape = " ESCAPE '\\'" if action else ""
        with self._tx() as run:
            rows = run(
                f"SELECT {_AUDIT_COLS} FROM staff_audit{clause}{escape}"
                f" ORDER BY at DESC, entry_id DESC LIMIT {int(limit)}",
                tuple(params),
            ).fetchall()
        return [AuditEntry(*r) for r in rows]

    def assign_visitor(self, username: str, kiosk_id: str, receipt_number: str) -> None:
        """Let a counsellor read the documents of one visit (receipt)."""
        with self._tx(write=True) as run:
            run(
                "INSERT INTO staff_assignments (username, kiosk_id, receipt_number, assigned_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (username, kiosk_id, receipt_number) DO NOTHING",
                (username, kiosk_id, receipt_number, db_time()),
            )

    def is_assigned(self, username: str, kiosk_id: str, receipt_number: str) -> bool:
        """Whether a counsellor may read the documents of that visit."""
        with self._tx() as run:
            row = run(
                "SELECT 1 FROM staff_assignments WHERE username = ? AND kiosk_id = ?"
                " AND receipt_number = ?",
                (username, kiosk_id, receipt_number),
            ).fetchone()
        return row is not None
