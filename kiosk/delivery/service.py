"""``DeliveryService``: the one object the UI (and ``kiosk submit``) uses to hand in documents.

``submit`` validates, seals each document to the centre's key, stores the submission
atomically in the outbox with its signed receipt, pokes the agent to upload, and returns a
:class:`QueuedSubmission`. It raises instead of half-succeeding: ``InvalidCustomerNumber``,
``SessionError`` (too many documents for one receipt), ``BackendRefused`` (code
``not_enrolled``), ``ClockImplausible`` or ``StorageError`` -- in each case nothing is stored.
``note_extensions`` (``wire.transfer_note``) go into every document's sealed transfer note
(with each document's own); a broken one is a ``SessionError`` ``invalid_note_extension``.
The receipt's signed payload does not carry them and stays as it was.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from config.model import KioskConfig
from device_drivers.printer.layout import MAX_QR_PAYLOAD, ReceiptLayout
from device_drivers.printer.protocol import ReceiptPrinter
from foundation.errors import BackendRefused, InvalidCustomerNumber, SessionError
from foundation.masking import mask_customer_number
from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import Identity, load_identity
from kiosk.delivery.models import (
    MAX_DOCUMENTS_PER_SUBMISSION,
    PreparedDocument,
    QueuedSubmission,
    SealedDocument,
)
from kiosk.delivery.note import with_note_extensions
from kiosk.delivery.outbox import Outbox
from kiosk.delivery.receipt_checklist import ChecklistOutcome
from kiosk.delivery.receipts import (
    DISPLAY_TZ,
    PrintOutcome,
    Translate,
    build_receipt_layout,
    default_translate,
    print_receipt,
)
from kiosk.session.customer_number import check_number
from wire import protocol
from wire.transfer_note import NoteExtension

log = logging.getLogger(__name__)


class DeliveryService:
    """Queue submissions durably, report their delivery state, print their receipts."""

    def __init__(self, config: KioskConfig, data_dir: Path | None = None) -> None:
        self.config = config
        self.data_dir = (data_dir or config.resolved_data_dir).expanduser()
        self.outbox = Outbox(self.data_dir)
        self.clock = ClockGuard(self.outbox)
        self._identity: Identity | None = None
        self.outbox.purge_receipts()  # receipts are kept for reprints for 24 h only

    def close(self) -> None:
        """Close the outbox."""
        self.outbox.close()

    def __enter__(self) -> DeliveryService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def agent_socket(self) -> Path:
        """Where the agent listens."""
        return self.data_dir / "agent.sock"

    def identity(self) -> Identity:
        """This kiosk's enrolled identity; raises BackendRefused(code='not_enrolled')."""
        if self._identity is None:
            self._identity = load_identity(self.data_dir)
            if self._identity is None:
                raise BackendRefused("this kiosk is not enrolled yet", code="not_enrolled")
        return self._identity

    def submit(
        self,
        customer_number: str,
        documents: Sequence[PreparedDocument],
        poke_agent: bool = True,
        *,
        note_extensions: Sequence[NoteExtension] = (),
    ) -> QueuedSubmission:
        """Store a submission durably (all documents or none) and return it with its receipt."""
        check = check_number(customer_number, self.config.site.customer_number_formats)
        if not check.ok:
            raise InvalidCustomerNumber(f"customer number rejected: {check.problem}")
        if not documents:
            raise SessionError("a submission needs at least one document", code="no_documents")
        if len(documents) > MAX_DOCUMENTS_PER_SUBMISSION:
            raise SessionError("too many documents for one receipt", code="too_many_documents")
        documents = [with_note_extensions(doc, note_extensions) for doc in documents]
        identity = self.identity()
        self.clock.check()
        masked = mask_customer_number(check.normalized)
        sealed = [self._seal(doc, identity) for doc in documents]
        entries = [
            protocol.receipt_doc(s.document_id, s.document_type, s.pages, s.page_hash)
            for s in sealed
        ]
        location = self.config.identity.location

        def make_qr(receipt_number: str, stored_at: datetime) -> str:
            receipt = protocol.build_receipt(
                receipt_number, identity.kiosk_id, location, stored_at, masked, entries
            )
            return protocol.encode_receipt(receipt, identity.kiosk_key, identity.certificate)

        trial = make_qr(f"{identity.kiosk_id}-20260101-00000", datetime.now(UTC))
        if len(trial) > MAX_QR_PAYLOAD:
            raise SessionError("too many documents for one receipt", code="too_many_documents")
        submission = self.outbox.queue(
            submission_id=str(uuid.uuid4()), kiosk_id=identity.kiosk_id, location=location,
            masked_customer_number=masked, documents=sealed, receipt_day=_receipt_day,
            make_qr=make_qr,
        )
        if poke_agent:
            self.poke_agent()
        return submission

    def _seal(self, doc: PreparedDocument, identity: Identity) -> SealedDocument:
        document_id = str(uuid.uuid4())
        blob = protocol.seal(
            doc.pdf, identity.centre_encryption_public_key, protocol.document_aad(document_id)
        )
        return SealedDocument(
            document_id=document_id, document_type=doc.document_type, pages=doc.pages,
            page_hash=protocol.page_hash_from_digests(doc.page_image_sha256),
            sha256=hashlib.sha256(doc.pdf).hexdigest(), sealed=blob,
            sealed_sha256=hashlib.sha256(blob).hexdigest(),
        )

    def poke_agent(self) -> bool:
        """Ask the agent to upload now; False if it is not running (uploads happen later)."""
        from kiosk.agent.client import AgentClient

        return AgentClient(self.agent_socket, timeout_s=0.5).kick()

    def refresh(self, submission: QueuedSubmission) -> QueuedSubmission:
        """The submission with its documents' current delivery states."""
        return self.outbox.submission(submission.submission_id) or submission

    def find(self, receipt_number: str) -> QueuedSubmission | None:
        """A submission by receipt number while its receipt is kept (24 h)."""
        found = self.outbox.by_receipt_number(receipt_number)
        return found if found is not None and found.receipt_qr else None

    def receipt_layout(
        self, submission: QueuedSubmission, lang: str, translate: Translate = default_translate
    ) -> ReceiptLayout:
        """The receipt layout with current states (for preview or custom printing)."""
        return build_receipt_layout(self.refresh(submission), lang, translate)

    def print_receipt(
        self,
        submission: QueuedSubmission,
        printer: ReceiptPrinter,
        lang: str,
        translate: Translate = default_translate,
        checklist: ChecklistOutcome | None = None,
    ) -> PrintOutcome:
        """Print (or honestly fail to print) the receipt; failures alert staff via the agent.

        ``checklist`` (the letter's, printed as information) is not kept for reprints."""
        outcome = print_receipt(self.refresh(submission), printer, lang, translate, checklist)
        if not outcome.printed:
            self.outbox.add_event("receipt_not_printed", outcome.reason or "unknown")
        return outcome

    def reprint(
        self,
        receipt_number: str,
        printer: ReceiptPrinter,
        lang: str = "de",
        translate: Translate = default_translate,
    ) -> PrintOutcome:
        """Print a receipt again by its number; SessionError(code='receipt_unknown') if gone."""
        submission = self.find(receipt_number)
        if submission is None:
            raise SessionError("no receipt with this number is kept", code="receipt_unknown")
        return self.print_receipt(submission, printer, lang, translate)


def _receipt_day(stored_at: datetime) -> str:
    return stored_at.astimezone(DISPLAY_TZ).strftime("%Y%m%d")
