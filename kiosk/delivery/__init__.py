"""Delivery: the outbox, uploads, enrollment and receipts -- documents can never get lost.

Library API for the UI (no Kivy, no network in the UI thread except a 0.5 s agent poke)::

    from kiosk.delivery import DeliveryService, PreparedDocument

    service = DeliveryService(config, data_dir)          # opens <data>/outbox
    submission = service.submit(customer_number, [        # ≤ 1 s incl. fsync and signing
        PreparedDocument(document_type="payslip", pdf=pdf_bytes, pages=2,
                         page_image_sha256=(digest1, digest2)),  # raw 32-byte digests
    ])                                                    # -> QueuedSubmission
    submission.receipt_number     # "kiosk-01-20261122-0007"
    submission.receipt_qr         # signed "JCR1.…" text: show it on screen if printing fails
    submission.documents[i].state # "stored" | "delivered" | "rejected"
    service.refresh(submission)   # -> QueuedSubmission with current states
    outcome = service.print_receipt(submission, printer, lang, translate)   # -> PrintOutcome
    outcome.printed / outcome.reason   # reason: printer_out_of_paper, printer_cover_open,
                                       # device_unavailable, device_timeout, device_error,
                                       # printer_unconfirmed, printer_error
    service.reprint(receipt_number, printer, lang, translate)   # within 24 h
    service.receipt_layout(submission, lang, translate)          # ReceiptLayout (preview)
    service.close()

``submit`` raises (and then nothing is stored): ``InvalidCustomerNumber``; ``SessionError``
with code ``no_documents`` / ``too_many_documents`` (the receipt's QR code must fit);
``BackendRefused`` code ``not_enrolled``; ``ClockImplausible`` (no receipt from a clock we
cannot trust: before the build date or > 10 min off the server's); ``StorageError`` (disk full).
``translate(lang, english_msgid) -> str``; every msgid is in ``receipts.RECEIPT_MSGIDS``.

Modules: ``models`` (data), ``outbox`` (+``schema``), ``identity`` (key, certificate,
enrollment), ``transport`` (signed httpx calls), ``uploader`` (resumable upload, backoff),
``clock`` (plausibility), ``receipts`` (layout, printing), ``service``, ``inputs`` (files for
``kiosk submit``), ``cli`` (subcommands). The agent (``kiosk.agent``) runs the uploader.
"""

from typing import TYPE_CHECKING

from foundation.lazy import lazy_exports

# name -> module, imported on first use: `kiosk outbox` needs neither httpx nor the printer
_EXPORTS = {
    "DocumentState": "kiosk.delivery.models",
    "PreparedDocument": "kiosk.delivery.models",
    "QueuedDocument": "kiosk.delivery.models",
    "QueuedSubmission": "kiosk.delivery.models",
    "RECEIPT_MSGIDS": "kiosk.delivery.receipts",
    "PrintOutcome": "kiosk.delivery.receipts",
    "build_receipt_layout": "kiosk.delivery.receipts",
    "default_translate": "kiosk.delivery.receipts",
    "print_receipt": "kiosk.delivery.receipts",
    "DeliveryService": "kiosk.delivery.service",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from kiosk.delivery.models import (
        DocumentState,
        PreparedDocument,
        QueuedDocument,
        QueuedSubmission,
    )
    from kiosk.delivery.receipts import (
        RECEIPT_MSGIDS,
        PrintOutcome,
        build_receipt_layout,
        default_translate,
        print_receipt,
    )
    from kiosk.delivery.service import DeliveryService

__all__ = [
    "RECEIPT_MSGIDS",
    "DeliveryService",
    "DocumentState",
    "PreparedDocument",
    "PrintOutcome",
    "QueuedDocument",
    "QueuedSubmission",
    "build_receipt_layout",
    "default_translate",
    "print_receipt",
]
