"""Sealing what an older release stored in plaintext: document files and personal columns.

``seal_legacy`` runs when the service starts with its key-encryption key (and as ``kiosk-server
migrate-at-rest``). For each document row still in plaintext it writes the encrypted file
``<id>.jca`` beside the old ``<id>.pdf`` (temporary file, fsync, rename), seals the personal
columns and adds the blind index in one UPDATE, and only then removes the ``.pdf``; a crash
in between leaves a row that the next run finishes. A ``.pdf`` without a plaintext row (a
leftover of an interrupted store) is sealed in place too, never left readable, and the
document folders are narrowed to 0700. Afterwards the
database is compacted (SQLite ``VACUUM`` and an emptied WAL, PostgreSQL ``VACUUM FULL
documents``) so the old plaintext does not linger in free pages or the log. Before anything
else it checks that the key fits rows sealed earlier, and refuses with a clear message if not.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foundation.errors import SetupError, Undecryptable
from foundation.files import fsync_dir
from jobcentre.atrest import DOCUMENT, FIELD_PREFIX, AtRest, is_sealed_blob
from jobcentre.docstore import STORED_SUFFIX, UUID_RE, DocumentStore, private_dir
from jobcentre.repository import SEALED_COLUMNS, Repository

log = logging.getLogger(__name__)
_COLS = ", ".join(SEALED_COLUMNS)
_PLAIN = " OR ".join(f"{c} NOT LIKE ?" for c in SEALED_COLUMNS)
_SEALED_LIKE = FIELD_PREFIX + "%"  # a parameter: psycopg reads a literal % as a placeholder


@dataclass(frozen=True)
class MigrationReport:
    """How many rows and stray files were sealed."""

    rows: int = 0
    files: int = 0

    @property
    def changed(self) -> bool:
        """Whether anything was sealed."""
        return bool(self.rows or self.files)


def check_key_fits(repo: Repository, at_rest: AtRest) -> None:
    """SetupError if rows sealed earlier do not open under this key-encryption key."""
    with repo.transaction() as run:
        row = run("SELECT document_id, transfer_note FROM documents"
                  " WHERE transfer_note LIKE ? LIMIT 1", (_SEALED_LIKE,)).fetchone()
    if row is None:
        return
    try:
        at_rest.open_json(row[0], "transfer_note", row[1])
    except Undecryptable as exc:
        raise SetupError(f"the key-encryption key does not fit the stored documents: {exc}; "
                         "give the key they were sealed with") from exc


def seal_legacy(
    repo: Repository, store: DocumentStore, at_rest: AtRest, *, scan: bool = False
) -> MigrationReport:
    """Seal every plaintext document file and row; returns what was done.

    The document tree is walked for stray ``.pdf`` files (and directories narrowed to 0700)
    when plaintext rows were found or ``scan`` asks for it, not on every start.
    """
    check_key_fits(repo, at_rest)
    with repo.transaction() as run:
        rows = run(f"SELECT document_id, path, {_COLS} FROM documents"
                   f" WHERE path NOT LIKE ? OR {_PLAIN}",
                   ("%" + STORED_SUFFIX, *[_SEALED_LIKE] * len(SEALED_COLUMNS))).fetchall()
    for row in rows:
        _seal_row(repo, store, at_rest, row)
    files = _seal_strays(store, at_rest) if rows or scan else 0
    report = MigrationReport(rows=len(rows), files=files)
    if report.changed:
        repo.compact()
        log.info("sealed %d plaintext document row(s) and %d stray file(s) at rest",
                 report.rows, report.files)
    return report


def _seal_row(repo: Repository, store: DocumentStore, at_rest: AtRest, row: Any) -> None:
    doc_id, old_path = row[0], row[1]
    columns = dict(zip(SEALED_COLUMNS, row[2:], strict=True))
    with store.locked(doc_id):
        new_path = old_path
        if not old_path.endswith(STORED_SUFFIX):
            new_path = str(Path(old_path).with_suffix(STORED_SUFFIX))
            _seal_file(store, at_rest, doc_id, store.root / old_path, store.root / new_path)
        number = None
        sealed = {}
        for name, text in columns.items():
            if text.startswith(FIELD_PREFIX):
                sealed[name] = text
                continue
            value = json.loads(text)
            if name == "transfer_note" and isinstance(value, dict):
                number = value.get("customer_number")
            sealed[name] = at_rest.seal_json(doc_id, name, value)
        index = at_rest.blind_index(number) if isinstance(number, str) else None
        with repo.transaction(write=True) as run:
            run("UPDATE documents SET path = ?, pdf_metadata = ?, transfer_note = ?,"
                " note_extensions = ?, number_index = COALESCE(?, number_index)"
                " WHERE document_id = ? AND path = ?",
                (new_path, sealed["pdf_metadata"], sealed["transfer_note"],
                 sealed["note_extensions"], index, doc_id, old_path))
        if new_path != old_path:
            _remove(store.root / old_path)


def _seal_file(store: DocumentStore, at_rest: AtRest, doc_id: str, old: Path, new: Path) -> None:
    """Write the sealed copy of ``old`` to ``new`` (nothing to do if only ``new`` is left)."""
    try:
        content = old.read_bytes()
    except FileNotFoundError:
        if new.exists():
            return
        raise SetupError(f"the stored document file {old} is missing") from None
    if is_sealed_blob(content):
        store.replace_file(new, [content])
    else:
        store.replace_file(new, at_rest.seal_parts(doc_id, DOCUMENT, content))


def _seal_strays(store: DocumentStore, at_rest: AtRest) -> int:
    """Seal (or drop, if already sealed beside it) every ``<id>.pdf`` left in the store."""
    count = 0
    for folder in store.documents.rglob("*"):
        if folder.is_dir():
            private_dir(folder)
    for old in sorted(store.documents.rglob("*.pdf")):
        doc_id = old.stem
        if not UUID_RE.match(doc_id):
            continue
        new = old.with_suffix(STORED_SUFFIX)
        with store.locked(doc_id):
            if not new.exists():
                _seal_file(store, at_rest, doc_id, old, new)
            _remove(old)
        count += 1
    return count


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        fsync_dir(path.parent)
