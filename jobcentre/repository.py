"""The intake service's repository interface, its records, and how a database URL is opened.

Two real backends implement ``Repository``: SQLite (embedded default, WAL, synchronous=FULL)
and PostgreSQL (psycopg 3), both in ``jobcentre.sqlstore`` (the staff web app's tables are in
``jobcentre.staff.sql``, mixed into the same classes). Records are frozen dataclasses;
times are ISO-8601 UTC text with milliseconds, JSON columns are text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from foundation.errors import SetupError
from jobcentre.atrest import AtRest


def db_time(moment: datetime | None = None) -> str:
    """A fixed-width ISO-8601 UTC time with milliseconds (sorts as text)."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class KioskRecord:
    """An enrolled kiosk."""

    kiosk_id: str
    name: str
    public_key: str
    certificate: dict[str, Any]
    enrolled_at: str
    revoked_at: str | None = None


UPLOAD_FIELDS = (
    "receipt_number", "sealed_size", "sealed_sha256", "sha256",
    "document_type", "pages", "page_hash", "submitted_at",
)


@dataclass(frozen=True)
class UploadRecord:
    """A started upload: the metadata the kiosk announced for one document."""

    document_id: str
    kiosk_id: str
    receipt_number: str
    sealed_size: int
    sealed_sha256: str
    sha256: str
    document_type: str
    pages: int
    page_hash: str
    submitted_at: str
    created_at: str

    def metadata(self) -> dict[str, Any]:
        """The announced fields, for comparing a repeated announcement."""
        return {name: getattr(self, name) for name in ("kiosk_id", *UPLOAD_FIELDS)}


@dataclass(frozen=True)
class DocumentRecord:
    """A stored document with its metadata, transfer note, signed ack and note extensions.

    ``note_extensions`` are the kiosk note's ``wire.transfer_note`` envelopes, verbatim and
    in the kiosk's order (unknown kinds and versions included). ``pdf_metadata``,
    ``transfer_note`` and ``note_extensions`` are personal and sealed at rest; a repository
    opened without the key-encryption key reads them as empty and sets ``locked``.
    ``number_index`` is the blind index of the customer number (``jobcentre.atrest``).
    """

    document_id: str
    kiosk_id: str
    receipt_number: str
    sha256: str
    document_type: str
    pages: int
    page_hash: str
    submitted_at: str
    received_at: str
    path: str
    size: int
    pdf_metadata: dict[str, Any] = field(default_factory=dict)
    transfer_note: dict[str, Any] = field(default_factory=dict)
    ack: dict[str, Any] = field(default_factory=dict)
    note_extensions: list[dict[str, Any]] = field(default_factory=list)
    number_index: str | None = None
    locked: bool = field(default=False, compare=False)


#: the columns of ``documents`` (every ``DocumentRecord`` field but ``locked``)
DOCUMENT_COLUMNS = tuple(f.name for f in fields(DocumentRecord) if f.name != "locked")
#: the personal columns, sealed at rest
SEALED_COLUMNS = ("pdf_metadata", "transfer_note", "note_extensions")


Certify = Callable[[str, str], dict[str, Any]]


@dataclass(frozen=True)
class StaffAccount:
    """A staff member's account (role: desk, counsellor, ops or admin)."""

    username: str
    role: str
    password_hash: str
    created_at: str
    disabled_at: str | None = None


@dataclass(frozen=True)
class StaffSession:
    """A server-side staff session; only the SHA-256 of its token is stored."""

    token_hash: str
    username: str
    created_at: str
    last_seen: str
    address: str


@dataclass(frozen=True)
class AuditEntry:
    """One staff action: who, when, what, on which document or kiosk, from where."""

    entry_id: str
    at: str
    actor: str
    role: str
    action: str
    target: str
    address: str
    outcome: str
    detail: str = ""


class StaffRepository(Protocol):
    """What the staff web app needs from a database (accounts, sessions, lockout, audit)."""

    def add_staff(self, account: StaffAccount) -> bool:
        """Insert an account; False if the name is taken."""

    def get_staff(self, username: str) -> StaffAccount | None:
        """One account by name."""

    def list_staff(self) -> list[StaffAccount]:
        """Every account, by name."""

    def disable_staff(self, username: str, at: str) -> bool:
        """Disable an account and end its sessions; False if unknown or already disabled."""

    def set_staff_password(self, username: str, password_hash: str) -> None:
        """Replace an account's password hash (re-hash with newer parameters)."""

    def add_staff_session(self, session: StaffSession) -> None:
        """Store a new session."""

    def get_staff_session(self, token_hash: str) -> StaffSession | None:
        """One session by the hash of its token."""

    def touch_staff_session(self, token_hash: str, at: str) -> None:
        """Record activity on a session."""

    def delete_staff_session(self, token_hash: str) -> None:
        """End one session."""

    def add_login_failure(self, kind: str, subject: str, at: str) -> None:
        """Count a failed login against an account name or an address."""

    def login_failures(self, kind: str, subject: str, since: str) -> list[str]:
        """Times of failed logins for a name or address since ``since``, oldest first."""

    def clear_login_failures(self, kind: str, subject: str) -> None:
        """Forget the failed logins of a name or address (after a successful login)."""

    def append_audit(self, entry: AuditEntry) -> None:
        """Append an entry to the audit log (the log cannot be changed afterwards)."""

    def list_audit(self, limit: int = 200, actor: str = "", action: str = "") -> list[AuditEntry]:
        """The newest audit entries first, optionally of one actor or action prefix."""

    def assign_visitor(self, username: str, kiosk_id: str, receipt_number: str) -> None:
        """Let a counsellor read the documents of one visit (receipt)."""

    def is_assigned(self, username: str, kiosk_id: str, receipt_number: str) -> bool:
        """Whether a counsellor may read the documents of that visit."""


class Repository(StaffRepository, Protocol):
    """What the intake service needs from a database."""

    def close(self) -> None:
        """Close every connection."""

    def transaction(self, write: bool = False) -> AbstractContextManager[Any]:
        """One transaction; yields ``execute(sql, params) -> cursor`` (``?`` placeholders)."""

    def add_enrollment_code(self, code_hash: str, name: str, expires_at: str) -> str:
        """Store a hashed one-time code; returns the kiosk id reserved for it."""

    def enroll(
        self, code_hash: str, public_key: str, certify: Certify
    ) -> KioskRecord | None:
        """Use up a valid code and register the kiosk; None if wrong, used or expired."""

    def get_kiosk(self, kiosk_id: str) -> KioskRecord | None:
        """One kiosk by id."""

    def list_kiosks(self) -> list[KioskRecord]:
        """Every kiosk, oldest first."""

    def kiosks_enrolled_since(self, enrolled_at: str) -> list[KioskRecord]:
        """Kiosks enrolled at or after ``enrolled_at`` (a ``db_time``; "" for all), oldest
        first."""

    def revoke(self, *, kiosk_id: str | None = None, name: str | None = None) -> int:
        """Revoke kiosks by id or name; returns how many were newly revoked."""

    def create_upload(self, upload: UploadRecord) -> UploadRecord:
        """Insert an upload unless one exists; returns the stored one."""

    def get_upload(self, document_id: str) -> UploadRecord | None:
        """One upload by document id."""

    def get_upload_and_ack(
        self, document_id: str
    ) -> tuple[UploadRecord | None, dict[str, Any] | None]:
        """An upload and, once its document is stored, the document's ack (one query)."""

    def get_ack(self, document_id: str) -> dict[str, Any] | None:
        """The signed ack of a stored document, None if not stored."""

    def insert_document(self, document: DocumentRecord) -> DocumentRecord:
        """Store a document exactly once; returns the stored one (the first wins)."""

    def insert_new_uploads_and_documents(
        self, pairs: Sequence[tuple[UploadRecord, DocumentRecord]]
    ) -> list[bool]:
        """New uploads, each with its document, in one transaction; per pair False (nothing
        of it written) if an upload of its document id exists already."""

    def get_document(self, document_id: str) -> DocumentRecord | None:
        """One stored document by id."""

    def document_exists(self, document_id: str) -> bool:
        """Whether a document is stored."""

    def list_documents(self) -> list[DocumentRecord]:
        """Every stored document in order of receipt."""

    def documents_for_receipt(self, kiosk_id: str, receipt_number: str) -> list[DocumentRecord]:
        """The stored documents of one receipt."""

    def documents_by_number(self, number_index: str) -> list[DocumentRecord]:
        """The stored documents whose customer-number blind index is ``number_index``."""

    def compact(self) -> None:
        """Rewrite the storage so no freed page or log keeps old row contents."""


def default_database_url(data_dir: Path) -> str:
    """``sqlite:///<data>/intake.sqlite3`` (an absolute path gives four slashes)."""
    return f"sqlite:///{(data_dir / 'intake.sqlite3').absolute()}"


def redact_url(url: str) -> str:
    """The URL without a password, for messages."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def open_repository(
    data_dir: Path, database_url: str | None = None, at_rest: AtRest | None = None
) -> Repository:
    """Open (and create the schema of) the database named by ``database_url``.

    With ``at_rest`` the repository seals and opens the personal document fields; without
    it, it stores no document and reads those fields as empty (``DocumentRecord.locked``).
    """
    from jobcentre import sqlstore

    url = database_url or default_database_url(data_dir)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if not str(path) or str(path) == ".":
            raise SetupError(f"database URL {url!r} names no file")
        return sqlstore.SqliteRepository(path, at_rest=at_rest)
    if url.startswith(("postgresql://", "postgres://")):
        return sqlstore.PostgresRepository(url, at_rest=at_rest)
    raise SetupError(
        f"unsupported database URL {redact_url(url)!r}: use sqlite:///PATH or postgresql://…"
    )
