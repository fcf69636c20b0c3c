"""Transfer-note extensions in the document PDF: written at build time or later, pages untouched."""

from __future__ import annotations

import hashlib
import io

import pikepdf
import pytest

from config.scanning import ScanQualityConfig
from scanning import PageResult, build_document_pdf, check_page, complete_page, read_transfer_note
from scanning.pdf import write_note_extensions
from tests.scanning.conftest import corpus_case

CHECKLIST = {"kind": "letter_checklist", "version": 1,
             "data": {"items": [{"id": "a", "label": "Mietvertrag <Kopie> & Anlagen"}],
                      "answers": ["a"]}}
UNKNOWN = {"kind": "acme.survey", "version": 3, "data": {"score": 4}}


@pytest.fixture(scope="module")
def pages() -> list[PageResult]:
    config = ScanQualityConfig()
    cases = [corpus_case("good", 351), corpus_case("good", 352)]
    return [complete_page(check_page(c.image, config), config) for c in cases]


def _image_digests(data: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [
            hashlib.sha256(image.read_raw_bytes()).hexdigest()
            for page in pdf.pages for image in page.get_images().values()
        ]


def test_build_writes_extensions_into_the_note(pages: list[PageResult]) -> None:
    data = build_document_pdf(pages, {"kiosk_id": "k1"}, note_extensions=[CHECKLIST])
    note = read_transfer_note(data)
    assert note["extensions"] == [CHECKLIST]
    assert note["kiosk_id"] == "k1"
    assert "extensions" not in read_transfer_note(build_document_pdf(pages, {"kiosk_id": "k1"}))


def test_write_later_keeps_pages_and_the_rest_of_the_note(pages: list[PageResult]) -> None:
    original = build_document_pdf(pages, {"kiosk_id": "k1", "customer_number": "123A456789"})
    before = read_transfer_note(original)
    changed = write_note_extensions(original, [CHECKLIST, UNKNOWN])
    after = read_transfer_note(changed)
    assert after.pop("extensions") == [CHECKLIST, UNKNOWN]
    assert after == before
    assert _image_digests(changed) == _image_digests(original) == before["images_sha256"]
    with pikepdf.open(io.BytesIO(changed)) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert str(pdf.docinfo["/Producer"]).startswith("jobcenter-kiosk")
    again = write_note_extensions(changed, [])
    assert read_transfer_note(again)["extensions"] == []


def test_a_pdf_without_a_note_gets_one() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.docinfo["/Producer"] = "jobcenter-kiosk older"
    out = io.BytesIO()
    pdf.save(out)
    assert read_transfer_note(out.getvalue()) == {}
    changed = write_note_extensions(out.getvalue(), [UNKNOWN])
    assert read_transfer_note(changed) == {"extensions": [UNKNOWN]}
    with pikepdf.open(io.BytesIO(changed)) as reopened:
        assert str(reopened.docinfo["/Producer"]) == "jobcenter-kiosk older"
        assert len(reopened.pages) == 1
