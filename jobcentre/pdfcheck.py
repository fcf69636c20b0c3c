"""Checks that a decrypted document is a PDF of our own making, and reads its metadata.

"Our own making" means: it parses with pikepdf, its Producer (Info dictionary or XMP
``pdf:Producer``) starts with ``jobcenter-kiosk``, and its page count matches what the
kiosk announced and stays within the page limit. The whole Info dictionary and the XMP
properties are returned as plain strings for storing as JSON.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass, field

import pikepdf

from foundation.errors import ApiError
from wire.protocol import ERROR_NOT_OUR_PDF, ERROR_TOO_MANY_PAGES, PDF_PRODUCER_PREFIX

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PdfFacts:
    """What the service learnt from a PDF."""

    pages: int
    producer: str
    info: dict[str, str] = field(default_factory=dict)
    xmp: dict[str, str] = field(default_factory=dict)


def _read_xmp(pdf: pikepdf.Pdf) -> dict[str, str]:
    try:
        # read only: as a context manager it would serialise the packet back on exit
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        return xmp_properties(meta)
    except Exception:  # noqa: BLE001 - broken XMP is not fatal, the Info dict still counts
        log.info("XMP metadata unreadable; keeping the Info dictionary only")
        return {}


def xmp_properties(meta: pikepdf.models.PdfMetadata) -> dict[str, str]:
    """``{str(k): str(v) for k, v in meta.items()}``, in one pass over the packet.

    ``items()`` looks every key up again from the top (quadratic in the properties); the
    first value found for a key is the same, as is the error for a key pikepdf cannot name.
    Falls back to ``items()`` if pikepdf's document object lacks what this reads.
    """
    doc = getattr(meta, "_xmp_doc", None)
    if doc is None or not hasattr(doc, "_get_elements") or not hasattr(doc, "qname"):
        return {str(k): str(v) for k, v in meta.items()}
    found: dict[str, str] = {}
    for node, attrib, value, _parent in doc._get_elements():
        key = str(attrib) if attrib else str(node.tag)
        if key not in found:
            doc.qname(key)  # raises ValueError for a key items() could not look up either
            found[key] = str(value)
    return found


def inspect_pdf(content: bytes, expected_pages: int, max_pages: int) -> PdfFacts:
    """Return the PDF's facts or raise ``ApiError`` 422 ``not_our_pdf``/``too_many_pages``."""
    if not content.startswith(b"%PDF-"):
        raise ApiError(422, ERROR_NOT_OUR_PDF)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pikepdf.open(io.BytesIO(content)) as pdf:
                pages = len(pdf.pages)
                info = {str(k).lstrip("/"): str(v) for k, v in pdf.docinfo.items()}
                xmp = _read_xmp(pdf)
    except Exception as exc:  # noqa: BLE001 - any parser failure means "not a PDF we made"
        raise ApiError(422, ERROR_NOT_OUR_PDF) from exc
    producer = info.get("Producer", "")
    if not producer.startswith(PDF_PRODUCER_PREFIX):
        producer = next(
            (v for k, v in xmp.items() if k.endswith("}Producer") or k == "pdf:Producer"), ""
        )
    if not producer.startswith(PDF_PRODUCER_PREFIX):
        raise ApiError(422, ERROR_NOT_OUR_PDF)
    if pages > max_pages:
        raise ApiError(422, ERROR_TOO_MANY_PAGES)
    if pages != expected_pages:
        raise ApiError(422, ERROR_NOT_OUR_PDF, detail="page count differs")
    return PdfFacts(pages=pages, producer=producer, info=info, xmp=xmp)
