"""Reading received documents on behalf of a staff member — the only way staff reach them.

``read_document`` is the single function that turns a document id and an actor into the
document's bytes: it checks the actor's right, writes the audit entry (also for a refusal),
reads the file once and decrypts it (``jobcentre.atrest``; AAD = the document id, so a file
swapped for another document's is refused as damaged). The staff pages and ``kiosk-server
export`` both go through it. Admins read every document; counsellors only those of visits
assigned to them (the video queue will assign them); other roles none. ``find_documents``
looks documents up by customer or BG number through the keyed blind index, audited with a
short prefix of the index, never the number.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from foundation.errors import ApiError, Undecryptable
from jobcentre.atrest import DOCUMENT, AtRest
from jobcentre.docstore import STORED_SUFFIX, DocumentStore, check_document_id
from jobcentre.repository import DocumentRecord, Repository, db_time
from jobcentre.staff import audit
from jobcentre.staff.roles import Permission, allows

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Europe/Berlin")
OPEN = "document.open"
DOWNLOAD = "document.download"
EXPORT = "document.export"
SEARCH = "document.search"


@dataclass(frozen=True)
class DocumentFilter:
    """The filter of the documents page; dates are local calendar days (inclusive)."""

    date_from: date | None = None
    date_to: date | None = None
    kiosk_id: str = ""
    document_type: str = ""

    def matches(self, doc: DocumentRecord) -> bool:
        """Whether ``doc`` passes the filter."""
        if self.date_from and doc.received_at < _utc_start(self.date_from):
            return False
        if self.date_to and doc.received_at >= _utc_start(self.date_to + timedelta(days=1)):
            return False
        if self.kiosk_id and doc.kiosk_id != self.kiosk_id:
            return False
        return not (self.document_type and doc.document_type != self.document_type)

    def describe(self) -> str:
        """The filter as text for the audit log."""
        parts = [f"{k}={v}" for k, v in (
            ("from", self.date_from), ("to", self.date_to), ("kiosk", self.kiosk_id),
            ("type", self.document_type)) if v]
        return " ".join(parts)


def _utc_start(day: date) -> str:
    return db_time(datetime.combine(day, time(0), LOCAL))


def may_read(repo: Repository, actor: audit.Actor, doc: DocumentRecord) -> bool:
    """Whether ``actor`` may see this document."""
    if allows(actor.role, Permission.READ_ALL_DOCUMENTS):
        return True
    if allows(actor.role, Permission.READ_DOCUMENTS):
        return repo.is_assigned(actor.username, doc.kiosk_id, doc.receipt_number)
    return False


def list_documents(
    repo: Repository, actor: audit.Actor, wanted: DocumentFilter
) -> list[DocumentRecord]:
    """The documents ``actor`` may see that pass the filter, newest first (audited)."""
    if not allows(actor.role, Permission.READ_DOCUMENTS):
        audit.record(repo, actor, "document.list", outcome=audit.DENIED)
        raise ApiError(403, "forbidden")
    docs = [d for d in repo.list_documents() if wanted.matches(d) and may_read(repo, actor, d)]
    audit.record(repo, actor, "document.list", detail=f"{wanted.describe()} count={len(docs)}")
    return list(reversed(docs))


def index_label(number_index: str) -> str:
    """How a number search appears in the audit log: a prefix of its blind index."""
    return f"number=idx:{number_index[:12]}"


def find_documents(
    repo: Repository, at_rest: AtRest, actor: audit.Actor, number: str,
    wanted: DocumentFilter | None = None,
) -> list[DocumentRecord]:
    """The documents of one customer or BG number ``actor`` may see, newest first (audited)."""
    index = at_rest.blind_index(number) or ""
    label = index_label(index) if index else "number=empty"
    if not allows(actor.role, Permission.READ_DOCUMENTS):
        audit.record(repo, actor, SEARCH, outcome=audit.DENIED, detail=label)
        raise ApiError(403, "forbidden")
    wanted = wanted or DocumentFilter()
    found = repo.documents_by_number(index) if index else []
    docs = [d for d in found if wanted.matches(d) and may_read(repo, actor, d)]
    audit.record(repo, actor, SEARCH,
                 detail=f"{label} {wanted.describe()} count={len(docs)}".replace("  ", " "))
    return list(reversed(docs))


def read_document(
    repo: Repository, store: DocumentStore, at_rest: AtRest, document_id: str,
    actor: audit.Actor, action: str = OPEN,
) -> tuple[DocumentRecord, bytes]:
    """The document and its PDF bytes, if ``actor`` may read it; always audited."""
    target = f"document:{document_id[:64]}"
    doc = repo.get_document(check_document_id(document_id))
    if doc is None:
        audit.record(repo, actor, action, target, outcome=audit.FAILED, detail="not found")
        raise ApiError(404, "not_found")
    if not may_read(repo, actor, doc):
        audit.record(repo, actor, action, target, outcome=audit.DENIED)
        raise ApiError(403, "forbidden")
    try:
        content = store.read_stored(doc.path)
    except OSError as exc:
        audit.record(repo, actor, action, target, outcome=audit.FAILED, detail="unreadable")
        log.error("stored document unreadable: %s", type(exc).__name__)
        raise ApiError(500, "document_unreadable") from exc
    if doc.path.endswith(STORED_SUFFIX):  # else a file of an older release, not yet sealed
        try:
            content = at_rest.open(doc.document_id, DOCUMENT, content)
        except Undecryptable as exc:
            audit.record(repo, actor, action, target, outcome=audit.FAILED,
                         detail="undecryptable")
            log.error("stored document does not decrypt: %s", exc)
            raise ApiError(500, "document_damaged") from exc
    if hashlib.sha256(content).hexdigest() != doc.sha256:
        audit.record(repo, actor, action, target, outcome=audit.FAILED, detail="hash mismatch")
        log.error("stored document does not match its SHA-256")
        raise ApiError(500, "document_damaged")
    audit.record(repo, actor, action, target)
    return doc, content
