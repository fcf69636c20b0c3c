"""Turn files given to ``kiosk submit`` into :class:`PreparedDocument` objects.

* A PDF is taken as it is only if it is of our own making (Producer starts with
  ``jobcenter-kiosk``); its page digests are SHA-256 over each page's image data (or, for a
  page without images, its content stream), in order.
* Images (PNG/JPEG/TIFF) go through the scanning pipeline (page checks, ``build_document_pdf``)
  exactly as on the touchscreen; the customer number goes into the PDF's transfer note.

Every refusal is a ``SessionError`` with a stable code and a message naming the problem but
never the file's content.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Sequence
from pathlib import Path

import pikepdf

from config.scanning import ScanQualityConfig
from foundation.errors import SessionError
from kiosk.delivery.models import MAX_DOCUMENT_BYTES, PreparedDocument
from wire.protocol import PDF_PRODUCER_PREFIX

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def prepare_files(
    paths: Sequence[Path],
    document_type: str,
    scan_config: ScanQualityConfig | None = None,
    customer_number: str = "",
) -> list[PreparedDocument]:
    """One PreparedDocument per PDF; all images together form one document."""
    pdfs = [p for p in paths if p.suffix.lower() == ".pdf"]
    images = [p for p in paths if p.suffix.lower() in IMAGE_SUFFIXES]
    unknown = [p for p in paths if p not in pdfs and p not in images]
    if unknown:
        raise SessionError(
            f"unsupported file type {unknown[0].suffix or '(none)'}: give PDFs made by this "
            "kiosk or page images (PNG, JPEG, TIFF)", code="unsupported_file",
        )
    pdf_type = "other" if document_type == "auto" else document_type
    documents = [prepare_pdf(p, pdf_type) for p in pdfs]
    if images:
        documents.append(prepare_images(images, document_type, scan_config, customer_number))
    return documents


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise SessionError("a file is larger than 20 MB", code="file_too_large")
        return path.read_bytes()
    except OSError as exc:
        message = f"cannot read an input file: {exc.strerror}"
        raise SessionError(message, code="unreadable_file") from exc


def prepare_pdf(path: Path, document_type: str) -> PreparedDocument:
    """A PDF of our own making, with its page count and page digests."""
    data = _read(path)
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            producer = str(pdf.docinfo.get("/Producer", ""))
            if not producer.startswith(PDF_PRODUCER_PREFIX):
                raise SessionError(
                    "this PDF was not made by a job-centre kiosk (its Producer does not start "
                    f"with '{PDF_PRODUCER_PREFIX}'); scan the paper pages instead",
                    code="not_our_pdf",
                )
            digests = tuple(_page_digest(page) for page in pdf.pages)
    except pikepdf.PdfError as exc:
        raise SessionError("the PDF cannot be read", code="unreadable_file") from exc
    return PreparedDocument(document_type, data, len(digests), digests)


def _page_digest(page: pikepdf.Page) -> bytes:
    h = hashlib.sha256()
    images = list(page.get_images().values())
    if images:
        for image in images:
            h.update(image.read_raw_bytes())
    else:
        for stream in _content_streams(page):
            h.update(stream)
    return h.digest()


def _content_streams(page: pikepdf.Page) -> list[bytes]:
    contents = page.obj.get("/Contents")
    if contents is None:
        return [b""]
    if isinstance(contents, pikepdf.Array):
        return [bytes(c.read_raw_bytes()) for c in contents]
    return [bytes(contents.read_raw_bytes())]


def prepare_images(
    paths: Sequence[Path],
    document_type: str,
    scan_config: ScanQualityConfig | None = None,
    customer_number: str = "",
) -> PreparedDocument:
    """Page images through the scanning pipeline, as the touchscreen flow does."""
    from kiosk.delivery.scan_adapter import prepare_images as through_pipeline

    return through_pipeline(paths, document_type, scan_config, customer_number)
