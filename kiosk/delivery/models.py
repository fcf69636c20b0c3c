"""Plain data the delivery package hands to the UI: prepared documents and queued submissions.

Everything here is a frozen dataclass without I/O, so the UI can hold and compare them.
Nothing here carries a full customer number: only the masked form leaves ``submit()``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from wire.transfer_note import NoteExtension

DocumentState = Literal["stored", "delivered", "rejected"]
"""``stored``: sealed at this terminal, will be sent; ``delivered``: the job centre's signed
acknowledgement confirmed the SHA-256; ``rejected``: the job centre refused it for good
(the sealed copy is kept for staff, see ``kiosk outbox``)."""

_DOC_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_DOCUMENT_BYTES = 20 * 1000 * 1000
MAX_DOCUMENTS_PER_SUBMISSION = 30


@dataclass(frozen=True)
class PreparedDocument:
    """One finished document as the scanning pipeline made it (a PDF of our own making).

    ``note_extensions`` are facts about this document alone (e.g. which checklist item it
    answers); ``DeliveryService.submit`` writes them into the PDF's transfer note.
    """

    document_type: str
    pdf: bytes
    pages: int
    page_image_sha256: tuple[bytes, ...]
    note_extensions: tuple[NoteExtension, ...] = ()

    def __post_init__(self) -> None:
        if not _DOC_TYPE_RE.match(self.document_type):
            raise ValueError("document_type must be a short snake_case code")
        if not self.pdf.startswith(b"%PDF-"):
            raise ValueError("pdf is not a PDF")
        if len(self.pdf) > MAX_DOCUMENT_BYTES:
            raise ValueError(f"pdf is larger than {MAX_DOCUMENT_BYTES} bytes")
        if self.pages < 1:
            raise ValueError("a document has at least one page")
        if len(self.page_image_sha256) != self.pages:
            raise ValueError("one page image digest per page is needed")
        if any(len(d) != 32 for d in self.page_image_sha256):
            raise ValueError("page image digests are raw 32-byte SHA-256 values")


@dataclass(frozen=True)
class QueuedDocument:
    """One document of a queued submission and its current delivery state."""

    document_id: str
    position: int
    document_type: str
    pages: int
    page_hash: str
    sha256: str
    state: DocumentState
    error: str | None = None
    received_at: str | None = None

    @property
    def short_id(self) -> str:
        """The first 8 characters of the document id, as printed in the receipt's QR code."""
        return self.document_id[:8]


@dataclass(frozen=True)
class QueuedSubmission:
    """A submission stored durably at this terminal (what a receipt promises)."""

    submission_id: str
    receipt_number: str
    kiosk_id: str
    location: str
    stored_at: datetime
    masked_customer_number: str
    documents: tuple[QueuedDocument, ...]
    receipt_qr: str

    @property
    def all_delivered(self) -> bool:
        """Whether the job centre has acknowledged every document."""
        return all(d.state == "delivered" for d in self.documents)


@dataclass(frozen=True)
class SealedDocument:
    """One document ready for the outbox: sealed bytes plus the metadata the server checks."""

    document_id: str
    document_type: str
    pages: int
    page_hash: str
    sha256: str
    sealed: bytes
    sealed_sha256: str


@dataclass(frozen=True)
class PendingUpload:
    """A stored document waiting for the server, as the uploader needs it."""

    document_id: str
    receipt_number: str
    document_type: str
    pages: int
    page_hash: str
    sha256: str
    sealed_sha256: str
    sealed_size: int
    submitted_at: str
    sealed_path: Path
    attempts: int
