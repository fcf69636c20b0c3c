"""The document PDF: pages, invisible text, transfer note, producer, hashes, size."""

from __future__ import annotations

import io

import pikepdf
import pytest

from config.scanning import ScanQualityConfig
from scanning import (
    PageResult,
    build_document_pdf,
    check_page,
    classify_document,
    complete_page,
    page_image_hashes,
    read_transfer_note,
    short_hash,
)
from tests.scanning.conftest import corpus_case


@pytest.fixture(scope="module")
def pages() -> list[PageResult]:
    config = ScanQualityConfig()
    cases = [corpus_case("scan", 340), corpus_case("good", 341), corpus_case("good", 342)]
    return [complete_page(check_page(c.image, config), config) for c in cases]


@pytest.mark.slow
def test_three_page_pdf(pages: list[PageResult]) -> None:
    note = {"kiosk_id": "kiosk-test-01", "device": {"driver": "simulated"}}
    data = build_document_pdf(pages, note)
    assert len(data) <= 1_500_000
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 3
        assert str(pdf.docinfo["/Producer"]).startswith("jobcenter-kiosk")
        assert "/OutputIntents" in pdf.Root
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        page = pdf.pages[0]
        assert abs(float(page.mediabox[2]) - 595.3) < 2  # A4 width in points
        fonts = page.Resources.Font
        assert len(list(fonts.keys())) >= 1  # Tesseract's invisible text layer
        content = b"".join(
            c.read_bytes() for c in (page.Contents if isinstance(page.Contents, pikepdf.Array)
                                     else [page.Contents])
        )
        assert b"3 Tr" in content  # invisible text render mode
    stored = read_transfer_note(data)
    assert stored["kiosk_id"] == "kiosk-test-01"
    assert stored["images_sha256"] == page_image_hashes(pages)
    assert len(stored["pages"]) == 3 and "scores" in stored["pages"][0]
    assert len(short_hash(stored["images_sha256"])) == 12


def test_hashes_are_stable(pages: list[PageResult]) -> None:
    assert page_image_hashes(pages) == page_image_hashes(pages)
    assert len(set(page_image_hashes(pages))) == 3


def test_classify_document_over_pages(pages: list[PageResult]) -> None:
    doc_type, confidence = classify_document(pages[:1])
    assert doc_type == corpus_case("scan", 340).document.doc_type  # type: ignore[union-attr]
    assert 0 < confidence <= 1


def test_pdf_needs_pages() -> None:
    with pytest.raises(ValueError):
        build_document_pdf([], {})
