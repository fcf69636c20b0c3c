"""Page images for ``kiosk submit`` through the scanning pipeline, as the touch flow does.

Each image is decoded safely (``scanning.load_image_bytes``: size and decompression-bomb
limits), checked (``check_page``), read (``complete_page``) and all pages are built into one
PDF of our own making (``build_document_pdf``). A page the checks reject is refused with its
reason codes (``ScanRejected``); on the touchscreen the visitor could retake it, here the
operator must give a better image. Without ``--type`` the document type is recognised from
the text, as the touchscreen suggests it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import scanning
from config.scanning import ScanQualityConfig
from foundation.errors import ScanRejected, SessionError
from kiosk.delivery.models import PreparedDocument

AUTO_TYPE = "auto"


def prepare_images(
    paths: Sequence[Path],
    document_type: str,
    config: ScanQualityConfig | None = None,
    customer_number: str = "",
) -> PreparedDocument:
    """One document from page images, in the order given."""
    quality = config or ScanQualityConfig()
    results, digests = [], []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SessionError(f"cannot read an input file: {exc.strerror}",
                               code="unreadable_file") from exc
        verdict = scanning.check_page(scanning.load_image_bytes(data, quality), quality)
        if not verdict.accepted:
            raise ScanRejected(list(verdict.reasons))
        results.append(scanning.complete_page(verdict, quality))
        digests.append(hashlib.sha256(data).digest())
    if document_type == AUTO_TYPE:
        document_type, _confidence = scanning.classify_document(results)
    note = {
        "source": "kiosk submit (command line)",
        "captured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "document_type": document_type,
        "customer_number": customer_number,
    }
    pdf = scanning.build_document_pdf(results, note)
    return PreparedDocument(document_type, pdf, len(results), tuple(digests))
