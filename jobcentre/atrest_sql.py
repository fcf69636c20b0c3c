"""SQL for the ``documents`` table, sealing its personal columns at rest.

Mixed into ``jobcentre.sqlstore.SqlRepository`` like ``jobcentre.staff.sql``. The personal
columns (``repository.SEALED_COLUMNS``) are sealed by ``jobcentre.atrest`` on insert and opened
on read; rows of older releases (plaintext JSON, until ``jobcentre.atrest_migrate`` seals
them) still read. Without a key-encryption key (``at_rest`` None) nothing is inserted and the
sealed columns read as empty with ``DocumentRecord.locked`` set, which is all that commands
like ``kiosks`` or an offline receipt check need.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import astuple, fields
from typing import TYPE_CHECKING, Any

from foundation.errors import SetupError
from jobcentre.atrest import AtRest, is_sealed_field
from jobcentre.repository import DOCUMENT_COLUMNS, SEALED_COLUMNS, DocumentRecord, UploadRecord

_DOC_COLS = ", ".join(DOCUMENT_COLUMNS)
_UPLOAD_COLS = ", ".join(f.name for f in fields(UploadRecord))


def _insert(table: str, columns: str) -> str:
    """INSERT of one row that leaves an existing one (same document id) alone."""
    marks = ", ".join("?" * len(columns.split(", ")))
    return (f"INSERT INTO {table} ({columns}) VALUES ({marks})"
            " ON CONFLICT (document_id) DO NOTHING")


_INSERT_DOCUMENT = _insert("documents", _DOC_COLS)
_INSERT_UPLOAD = _insert("uploads", _UPLOAD_COLS)
_INSERT_UPLOAD_WITH_DOCUMENT = (  # PostgreSQL: no row of either unless the upload is new
    f"WITH u AS ({_INSERT_UPLOAD} RETURNING document_id) INSERT INTO documents ({_DOC_COLS})"
    f" SELECT {', '.join('?' * len(DOCUMENT_COLUMNS))} FROM u RETURNING document_id")

_EMPTY: dict[str, Any] = {"pdf_metadata": {}, "transfer_note": {}, "note_extensions": []}


class DocumentSql:
    """The document methods of the repository over its ``_tx`` transactions."""

    at_rest: AtRest | None = None
    placeholder: str  # "?" on SQLite, "%s" on PostgreSQL (jobcentre.sqlstore)

    if TYPE_CHECKING:
        def _tx(self, write: bool = False) -> AbstractContextManager[Callable[..., Any]]: ...
        def _read_one(self, sql: str, params: tuple[Any, ...] = ()) -> Any: ...
        def _write_one(self, sql: str, params: tuple[Any, ...] = ()) -> int: ...
        def execute_many_returning(self, sql: str, rows: list[tuple[Any, ...]]
                                   ) -> list[bool]: ...  # PostgresRepository only

    def _document(self, row: Any) -> DocumentRecord:
        values: dict[str, Any] = dict(zip(DOCUMENT_COLUMNS, row, strict=True))
        values["ack"] = json.loads(values["ack"])
        doc_id = values["document_id"]
        for name in SEALED_COLUMNS:
            text = values[name]
            if not is_sealed_field(text):
                values[name] = json.loads(text)  # a row of an older release, not yet sealed
            elif self.at_rest is None:
                values[name], values["locked"] = type(_EMPTY[name])(), True
            else:
                values[name] = self.at_rest.open_json(doc_id, name, text)
        return DocumentRecord(**values)

    def _document_values(self, document: DocumentRecord) -> tuple[Any, ...]:
        """The row of ``document``, its personal columns sealed."""
        if self.at_rest is None:
            raise SetupError("refusing to store a document without the key-encryption key")
        at_rest = self.at_rest
        return tuple(
            at_rest.seal_json(document.document_id, name, getattr(document, name))
            if name in SEALED_COLUMNS
            else json.dumps(document.ack) if name == "ack" else getattr(document, name)
            for name in DOCUMENT_COLUMNS
        )

    def insert_document(self, document: DocumentRecord) -> DocumentRecord:
        """Store a document exactly once; returns the stored one (the first wins)."""
        inserted = self._write_one(  # one statement, committed by itself: one round trip
            _INSERT_DOCUMENT, self._document_values(document)) == 1
        if inserted:  # ours is the stored row: no need to read it back and open it
            return document
        stored = self.get_document(document.document_id)  # the first one wins
        assert stored is not None
        return stored

    def insert_new_uploads_and_documents(
        self, pairs: Sequence[tuple[UploadRecord, DocumentRecord]]
    ) -> list[bool]:
        """Store new uploads, each with its document, in one transaction (one commit for
        all). Per pair, False (nothing of it written) if an upload of its document id
        exists already."""
        rows = [(astuple(upload), self._document_values(doc)) for upload, doc in pairs]
        if self.placeholder != "?":  # PostgreSQL: one statement each, all in one round trip
            return self.execute_many_returning(
                _INSERT_UPLOAD_WITH_DOCUMENT, [(*upload, *doc) for upload, doc in rows])
        stored: list[bool] = []
        with self._tx(write=True) as run:
            for upload_row, document_row in rows:
                if run(_INSERT_UPLOAD, upload_row).rowcount == 1:
                    run(_INSERT_DOCUMENT, document_row)
                    stored.append(True)
                else:
                    stored.append(False)
        return stored

    def get_document(self, document_id: str) -> DocumentRecord | None:
        """One stored document by id."""
        row = self._read_one(
            f"SELECT {_DOC_COLS} FROM documents WHERE document_id = ?", (document_id,)
        )
        return None if row is None else self._document(row)

    def get_ack(self, document_id: str) -> dict[str, Any] | None:
        """The signed ack of a stored document (nothing else read, nothing opened)."""
        row = self._read_one("SELECT ack FROM documents WHERE document_id = ?", (document_id,))
        return None if row is None else dict(json.loads(row[0]))

    def document_exists(self, document_id: str) -> bool:
        """Whether a document is stored (nothing read, nothing opened)."""
        return self._read_one("SELECT 1 FROM documents WHERE document_id = ?",
                              (document_id,)) is not None

    def list_documents(self) -> list[DocumentRecord]:
        """Every stored document in order of receipt."""
        with self._tx() as run:
            rows = run(f"SELECT {_DOC_COLS} FROM documents ORDER BY received_at").fetchall()
        return [self._document(r) for r in rows]

    def documents_for_receipt(self, kiosk_id: str, receipt_number: str) -> list[DocumentRecord]:
        """The stored documents of one receipt."""
        with self._tx() as run:
            rows = run(
                f"SELECT {_DOC_COLS} FROM documents WHERE kiosk_id = ? AND receipt_number = ?",
                (kiosk_id, receipt_number),
            ).fetchall()
        return [self._document(r) for r in rows]

    def documents_by_number(self, number_index: str) -> list[DocumentRecord]:
        """The stored documents whose customer-number blind index is ``number_index``."""
        with self._tx() as run:
            rows = run(
                f"SELECT {_DOC_COLS} FROM documents WHERE number_index = ?"
                " ORDER BY received_at",
                (number_index,),
            ).fetchall()
        return [self._document(r) for r in rows]
