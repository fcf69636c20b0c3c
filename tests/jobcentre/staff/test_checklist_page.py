"""The documents page shows a submission's confirmed checklist from the request letter.

A kiosk hands in two documents under one receipt, each with the ``letter_checklist`` note
the kiosk writes (three items asked for, each document answering one); the staff page, in
Debian's Chromium, lists the items with the document that answers each and the item still
open, with the letter's date and deadline. axe-core finds nothing; a screenshot is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from scanning.pdf import write_note_extensions
from tests.jobcentre.helpers import Document, make_pdf, upload
from tests.jobcentre.staff.conftest import ROOT, StaffSite, axe_violations, log_in, start_site

SHOTS = ROOT / "artifacts" / "staff"
ITEMS = [{"id": "item-1", "label": "Kontoauszüge der letzten drei Monate"},
         {"id": "item-2", "label": "Arbeitsunfähigkeitsbescheinigung"},
         {"id": "item-3", "label": "Fahrzeugschein"}]


def _note(answers: list[str]) -> list[dict[str, Any]]:
    return [{"kind": "letter_checklist", "version": 1,
             "data": {"letter_date": "2027-02-12", "deadline": "2027-02-28", "items": ITEMS,
                      "answers": answers}}]


@pytest.fixture(scope="module")
def checklist_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StaffSite,
                                                                                list[Document]]]:
    site = start_site(tmp_path_factory.mktemp("checklist"))
    try:
        receipt = f"{site.kiosk.kiosk_id}-20270220-0007"
        sent = []
        for answers, doc_type in ((["item-1"], "bank_statement"), (["item-2"], "sick_note")):
            doc = Document(site.kiosk, write_note_extensions(make_pdf(), _note(answers)), 1,
                           receipt_number=receipt)
            answer = upload(site.kiosk, doc, document_type=doc_type)
            assert answer.status_code == 200, answer.text
            sent.append(doc)
        yield site, sent
    finally:
        site.kiosk.close()
        site.server.stop()


def test_documents_page_shows_the_confirmed_checklist(
        page: Page, checklist_site: tuple[StaffSite, list[Document]]) -> None:
    site, sent = checklist_site
    log_in(page, site, "anna")
    page.goto(f"{site.url}/staff/documents")
    section = page.get_by_role("region", name="Angeforderte Unterlagen, Bestätigung "
                               f"{sent[0].receipt_number}")
    rows = [r.inner_text() for r in section.locator("tbody tr").all()]
    assert len(rows) == 3, rows
    assert "Kontoauszüge der letzten drei Monate" in rows[0]
    assert f"bank_statement ({sent[0].document_id[:8]})" in rows[0]
    assert f"sick_note ({sent[1].document_id[:8]})" in rows[1]
    assert "Fahrzeugschein" in rows[2] and "kein Dokument" in rows[2]
    main = page.inner_text("main")
    assert "Schreiben vom 12.02.2027, Frist 28.02.2027" in main
    # The first document of the site (no letter) brings no checklist of its own.
    assert main.count("Checkliste aus dem Aufforderungsschreiben") == 1
    assert axe_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SHOTS / "documents-checklist-de.png")), full_page=True)
    page.get_by_role("link", name="English").click()
    assert "Checklist from the request letter" in page.inner_text("main")
    assert axe_violations(page) == []
