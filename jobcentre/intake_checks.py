"""The checks of a sealed upload, and the document record they produce: CPU work only.

``check_sealed`` opens the kiosk's envelope and checks everything the service promises to
check (size, SHA-256 of the sealed and of the opened document, a PDF of our own making, the
transfer note's extensions), then prepares the document for storage at rest (the envelope as
received, its key wrapped: ``AtRest.keep_envelope``) and signs the acknowledgement. It reads
no file and no database, so the service can run it in its event loop
(``IntakeService.prepare_whole``) or in a worker thread (the resumable path): storing the
result (``PreparedDocument``) is a separate step.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from foundation.errors import ApiError, InvalidNoteExtension, Undecryptable
from jobcentre.atrest import AtRest
from jobcentre.keys import CentreKeys
from jobcentre.pdfcheck import inspect_pdf
from jobcentre.repository import DocumentRecord, KioskRecord, UploadRecord, db_time
from wire import protocol
from wire.transfer_note import NoteExtension, extensions_from_note, extensions_json

SERVICE_VERSION = "0.1.0"
_CUSTOMER_NUMBER = re.compile(r"^[0-9A-Z]{5,20}$")


def rejected(code: str, **extra: Any) -> ApiError:
    """A failed check: the upload is refused for good with ``code`` (422)."""
    return ApiError(422, code, **extra)


@dataclass(frozen=True)
class PreparedDocument:
    """A checked document, ready to store: its row and its file's parts (sealed at rest)."""

    upload: UploadRecord
    record: DocumentRecord
    parts: tuple[bytes, bytes | memoryview] = field(repr=False)


def check_sealed(
    kiosk: KioskRecord, upload: UploadRecord, sealed: bytes, sealed_digest: bytes | None,
    *, keys: CentreKeys, at_rest: AtRest, max_pages: int,
    path_for: Callable[[str, datetime], str],
) -> PreparedDocument:
    """Check a complete sealed upload (``sealed_digest``: its SHA-256 if already verified)
    and prepare it for storing; a failed check raises ``ApiError`` 422 (``rejected``).
    ``path_for(document_id, received)`` names the file (``DocumentStore.path_for``)."""
    doc_id = upload.document_id
    if len(sealed) != upload.sealed_size:
        raise rejected(protocol.ERROR_SIZE_MISMATCH)
    if (sealed_digest or hashlib.sha256(sealed).digest()).hex() != upload.sealed_sha256:
        raise rejected(protocol.ERROR_HASH_MISMATCH)
    try:
        opened = protocol.open_envelope(sealed, keys.encryption, protocol.document_aad(doc_id))
    except Undecryptable as exc:
        raise rejected(protocol.ERROR_UNDECRYPTABLE) from exc
    plaintext = opened.plaintext
    if hashlib.sha256(plaintext).hexdigest() != upload.sha256:
        raise rejected(protocol.ERROR_HASH_MISMATCH)
    try:
        facts = inspect_pdf(plaintext, upload.pages, max_pages)
    except ApiError as exc:  # not_our_pdf, too_many_pages
        raise rejected(exc.code) from exc
    try:
        extensions = note_extensions_from(facts.xmp)
    except InvalidNoteExtension as exc:
        raise rejected(protocol.ERROR_INVALID_NOTE_EXTENSION, **exc.details()) from exc
    moment = datetime.now(UTC)
    received_at = db_time(moment)
    customer_number = customer_number_from(facts.xmp)
    ack = protocol.sign_ack(doc_id, upload.receipt_number, upload.sha256, received_at,
                            keys.signing)
    record = DocumentRecord(
        document_id=doc_id, kiosk_id=kiosk.kiosk_id, receipt_number=upload.receipt_number,
        sha256=upload.sha256, document_type=upload.document_type, pages=facts.pages,
        page_hash=upload.page_hash, submitted_at=upload.submitted_at,
        received_at=received_at, path=path_for(doc_id, moment), size=len(plaintext),
        pdf_metadata={"info": facts.info, "xmp": facts.xmp},
        transfer_note={
            **transfer_note(kiosk, upload, facts.producer, received_at, len(plaintext)),
            "customer_number": customer_number,
        },
        ack=ack,
        note_extensions=extensions_json(extensions),
        number_index=at_rest.blind_index(customer_number),
    )
    # kept as it arrived, its envelope key wrapped: no second encryption of the document
    parts = at_rest.keep_envelope(doc_id, opened.key, opened.nonce, opened.ciphertext)
    return PreparedDocument(upload, record, parts)


def transfer_note(
    kiosk: KioskRecord, upload: UploadRecord, producer: str, received_at: str, size: int
) -> dict[str, Any]:
    """The transfer note (who, when, checks, anomalies) kept with each document."""
    anomalies = []
    delay = (protocol.parse_time(received_at) - protocol.parse_time(upload.submitted_at))
    if delay.total_seconds() < -protocol.MAX_CLOCK_SKEW_S:
        anomalies.append("kiosk_time_after_receipt")
    if delay.total_seconds() > 86400:
        anomalies.append("delivered_after_more_than_a_day")
    return {
        "v": 1,
        "document_id": upload.document_id,
        "receipt_number": upload.receipt_number,
        "kiosk_id": kiosk.kiosk_id,
        "kiosk_name": kiosk.name,
        "submitted_at": upload.submitted_at,
        "received_at": received_at,
        "document_type": upload.document_type,
        "pages": upload.pages,
        "page_hash": upload.page_hash,
        "size": size,
        "sealed_size": upload.sealed_size,
        "sealed_sha256": upload.sealed_sha256,
        "sha256": upload.sha256,
        "producer": producer,
        "checks": {
            "kiosk_signature": "ok", "sealed_sha256": "ok", "envelope_opened": "ok",
            "sha256": "ok", "producer": "ok", "page_count": "ok",
        },
        "anomalies": anomalies,
        "service": f"jobcentre-intake {SERVICE_VERSION}",
        "checked_at_unix": int(time.time()),
    }


def kiosk_note_from(xmp: dict[str, str]) -> dict[str, Any] | None:
    """The kiosk's transfer note (JSON in the XMP); None if absent or not a JSON object."""
    for key, value in xmp.items():
        if key.endswith("}TransferNote") or key == "jck:TransferNote":
            try:
                note = json.loads(value)
            except (ValueError, RecursionError):
                return None
            return note if isinstance(note, dict) else None
    return None


def customer_number_from(xmp: dict[str, str]) -> str | None:
    """The customer number in the kiosk's transfer note (XMP), for filing; None if absent.

    It travels inside the sealed PDF only, so nobody on the way can read it.
    """
    note = kiosk_note_from(xmp)
    number = note.get("customer_number") if note is not None else None
    if isinstance(number, str) and _CUSTOMER_NUMBER.match(number):
        return number
    return None


def note_extensions_from(xmp: dict[str, str]) -> list[NoteExtension]:
    """The note's extensions ([] without a note); raises InvalidNoteExtension if malformed.

    Unknown kinds and versions come back verbatim (``known`` is False), never dropped.
    """
    note = kiosk_note_from(xmp)
    return [] if note is None else extensions_from_note(note)
