"""Page images for ``kiosk submit`` through the scanning pipeline, as the touch flow does.

Each image is decoded, checked (``scanning.check_page``), completed (OCR) and all pages are
built into one PDF of our own making (``scanning.build_document_pdf``). A page the checks
reject is refused with its reason codes (``ScanRejected``); on the touchscreen the visitor
could retake it, here the operator must give a better image.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config.scanning import ScanQualityConfig
from kiosk.delivery.models import PreparedDocument
from kiosk.errors import ScanRejected, SessionError


def _scanning() -> Any:
    module = importlib.import_module("scanning")
    for name in ("check_page", "complete_page", "build_document_pdf"):
        if not hasattr(module, name):
            raise ImportError(f"scanning.{name} is not available")
    return module


def _decode(data: bytes) -> Any:
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise SessionError("an image file cannot be decoded", code="unreadable_file")
    return image


def prepare_images(
    paths: Sequence[Path], document_type: str, config: ScanQualityConfig | None = None
) -> PreparedDocument:
    """One document from page images, in the order given."""
    scanning = _scanning()
    quality = config or ScanQualityConfig()
    results, digests = [], []
    for path in paths:
        data = path.read_bytes()
        verdict = scanning.check_page(_decode(data), quality)
        if not getattr(verdict, "accepted", True):
            raise ScanRejected(list(getattr(verdict, "reasons", ()) or ["rejected"]))
        results.append(scanning.complete_page(verdict, quality))
        digests.append(hashlib.sha256(data).digest())
    note = {
        "source": "kiosk submit (command line)",
        "captured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "document_type": document_type,
        "pages": len(results),
    }
    pdf = scanning.build_document_pdf(results, note)
    return PreparedDocument(document_type, pdf, len(results), tuple(digests))
