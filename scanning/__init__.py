"""Document scanning: page detection, rectification, quality checks, OCR, document type, PDF.

No Kivy here. The UI uses this API (all results are frozen dataclasses, see ``models``)::

    from scanning import (analyze_preview, check_page, complete_page, classify_document,
                          build_document_pdf, page_image_hashes, load_image_file)

Live preview (camera screen, every frame, ≥12 fps on 2 cores)::

    state = PreviewState()
    guidance = analyze_preview(frame, state, config)   # -> PreviewGuidance
    state = guidance.state          # pass back in with the next frame
    guidance.corners                # page outline in frame pixels (or None)
    guidance.hints                  # e.g. ("hold_still",), ("more_light",), ("ready",)
    guidance.ready_to_capture       # auto-capture now

Captured page (fast, ≤1.5 s; reads only a sample of the text)::

    verdict = check_page(image, config)                # -> PageVerdict
    verdict.accepted / verdict.verdict                 # True / "accept"
    verdict.reasons   # codes: no_page, cut_off, low_resolution, blur, too_dark,
                      #        too_bright, glare, faded_text, unreadable_text
    verdict.hints     # what to tell the visitor (move_into_frame, hold_still, more_light,
                      # less_light, avoid_glare, move_closer, clearer_copy) or ("ready",)
    verdict.corners   # page corners in image pixels, clockwise from the page's top-left
    verdict.image     # upright rectified page (BGR) for the thumbnail
    verdict.scores    # QualityScores (numbers behind every decision)

Image files (USB stick) first go through ``load_image_file(path, config)``, which raises
``foundation.errors.ScanRejected`` with ``unsupported_file`` or ``too_large`` for files that
must not or cannot be decoded.

Background work (thread or process; never on the UI thread)::

    result = complete_page(verdict, config)    # -> PageResult: text, language, doc type,
                                               #    text layer for the PDF
    doc_type, confidence = classify_document([result, ...])
    hashes = page_image_hashes([result, ...])  # SHA-256 per page image, for the receipt
    pdf = build_document_pdf([result, ...], {"kiosk_id": ..., "device": camera.describe(),
                                             "document_type": doc_type})

Job-centre letters (numbers, dates, requested documents; see ``scanning.letter``)::

    facts = read_letter(images, kiosk_config)     # or read_letter_pages(results, formats)
    checklist = Checklist.from_letter(facts)      # scanning.checklist: tick / untick / missing

``complete_page`` raises nothing for OCR trouble: a Tesseract timeout yields a result
without text (``result.ocr is None``) and the page can still be sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundation.lazy import lazy_exports

# name -> module; imported on first use, so ``kiosk check-image`` never loads the PDF writer
_EXPORTS = {
    "CHECK_STEPS": "scanning.pipeline",
    "DOCUMENT_TYPES": "scanning.doctype",
    "HINT_FOR_REASON": "scanning.models",
    "REASON_CODES": "scanning.models",
    "PageResult": "scanning.models",
    "PageVerdict": "scanning.models",
    "PreviewGuidance": "scanning.models",
    "PreviewState": "scanning.models",
    "QualityScores": "scanning.models",
    "analyze_preview": "scanning.live",
    "build_document_pdf": "scanning.pdf",
    "check_page": "scanning.pipeline",
    "classify_document": "scanning.doctype",
    "classify_text": "scanning.doctype",
    "complete_page": "scanning.pipeline",
    "load_image_bytes": "scanning.files",
    "load_image_file": "scanning.files",
    "page_image_hashes": "scanning.pdf",
    "read_transfer_note": "scanning.pdf",
    "short_hash": "scanning.pdf",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from scanning.doctype import DOCUMENT_TYPES, classify_document, classify_text
    from scanning.files import load_image_bytes, load_image_file
    from scanning.live import analyze_preview
    from scanning.models import (
        HINT_FOR_REASON,
        REASON_CODES,
        PageResult,
        PageVerdict,
        PreviewGuidance,
        PreviewState,
        QualityScores,
    )
    from scanning.pdf import (
        build_document_pdf,
        page_image_hashes,
        read_transfer_note,
        short_hash,
    )
    from scanning.pipeline import CHECK_STEPS, check_page, complete_page

__all__ = [
    "CHECK_STEPS",
    "DOCUMENT_TYPES",
    "HINT_FOR_REASON",
    "REASON_CODES",
    "PageResult",
    "PageVerdict",
    "PreviewGuidance",
    "PreviewState",
    "QualityScores",
    "analyze_preview",
    "build_document_pdf",
    "check_page",
    "classify_document",
    "classify_text",
    "complete_page",
    "load_image_bytes",
    "load_image_file",
    "page_image_hashes",
    "read_transfer_note",
    "short_hash",
]
