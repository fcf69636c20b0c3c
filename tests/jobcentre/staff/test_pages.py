"""The staff web app in Debian's Chromium: log in, list, open, download, log out, roles,
CSRF, kiosks, receipts, language switch; axe-core on every page; screenshots of each."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from foundation.masking import mask_customer_number
from jobcentre.repository import open_repository
from tests.jobcentre.helpers import Kiosk
from tests.jobcentre.staff.conftest import ROOT, StaffSite, axe_violations, log_in
from wire import protocol

SHOTS = ROOT / "artifacts" / "staff"


def _audit_actions(site: StaffSite, actor: str) -> list[tuple[str, str, str]]:
    repo = open_repository(site.server.data_dir)
    try:
        return [(e.action, e.target, e.outcome) for e in repo.list_audit(actor=actor)]
    finally:
        repo.close()


def _check(page: Page, name: str, lang: str) -> None:
    """0 axe violations, and a full-page screenshot to look at."""
    assert axe_violations(page) == [], f"{name} ({lang})"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SHOTS / f"{name}-{lang}.png")), full_page=True)


def test_admin_lists_opens_downloads_and_logs_out(page: Page, site: StaffSite) -> None:
    doc = site.document
    log_in(page, site, "anna")
    assert page.url.endswith("/staff/documents")
    row = page.locator("tbody tr")
    assert row.count() == 1 and "Foyer-1" in row.inner_text()
    page.get_by_label("Terminal").select_option("Foyer-1")
    page.get_by_role("button", name="Filtern").click()
    assert page.locator("tbody tr").count() == 1
    page.get_by_label("Eingang ab").fill("2001-01-01")
    page.get_by_label("Eingang bis").fill("2001-01-02")
    page.get_by_role("button", name="Filtern").click()
    assert "Keine Dokumente" in page.inner_text("main")
    page.goto(f"{site.url}/staff/documents")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Herunterladen")).click()
    assert Path(download.value.path()).read_bytes() == doc.pdf
    with page.expect_response(lambda r: r.url.endswith(doc.document_id)) as opened:
        page.get_by_role("link", name=re.compile("^Öffnen")).click()
    assert opened.value.status == 200
    assert opened.value.headers["content-type"] == "application/pdf"
    assert opened.value.headers["content-disposition"].startswith("inline")
    page.goto(f"{site.url}/staff/documents")
    page.get_by_role("button", name="Abmelden").click()
    assert "Sie haben sich abgemeldet" in page.inner_text("main")
    page.goto(f"{site.url}/staff/documents")
    assert "/staff/login" in page.url and "Bitte melden Sie sich an" in page.inner_text("main")
    target = f"document:{doc.document_id}"
    actions = _audit_actions(site, "anna")
    for expected in (("document.download", target, "ok"), ("document.open", target, "ok"),
                     ("login", "", "ok"), ("logout", "", "ok")):
        assert expected in actions


def test_roles_ops_never_sees_documents(page: Page, site: StaffSite) -> None:
    doc = site.document
    log_in(page, site, "otto")
    assert page.url.endswith("/staff/receipts")
    nav = page.get_by_role("navigation", name="Hauptnavigation").inner_text()
    assert "Terminals" in nav and "Dokumente" not in nav and "Protokoll" not in nav
    answer = page.goto(f"{site.url}/staff/documents/{doc.document_id}")
    assert answer is not None and answer.status == 403
    assert "Berechtigung" in page.inner_text("main")
    _check(page, "forbidden", "de")
    assert page.goto(f"{site.url}/staff/audit").status == 403  # type: ignore[union-attr]
    assert ("page.open", f"/staff/documents/{doc.document_id}", "denied") in _audit_actions(
        site, "otto")


def test_counsellor_reads_only_documents_of_assigned_visits(page: Page, site: StaffSite) -> None:
    doc = site.document
    log_in(page, site, "clara")
    assert "Keine Dokumente" in page.inner_text("main")
    assert page.goto(f"{site.url}/staff/documents/{doc.document_id}").status == 403  # type: ignore[union-attr]
    repo = open_repository(site.server.data_dir)
    try:
        repo.assign_visitor("clara", site.kiosk.kiosk_id, doc.receipt_number)
    finally:
        repo.close()
    page.goto(f"{site.url}/staff/documents")
    assert page.locator("tbody tr").count() == 1
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Herunterladen")).click()
    assert Path(download.value.path()).read_bytes() == doc.pdf
    actions = _audit_actions(site, "clara")
    assert ("document.open", f"document:{doc.document_id}", "denied") in actions
    assert ("document.download", f"document:{doc.document_id}", "ok") in actions


def test_a_post_without_csrf_token_is_refused(page: Page, site: StaffSite) -> None:
    page.goto(f"{site.url}/staff/login")
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    page.get_by_label("Benutzername").fill("anna")
    page.get_by_label("Passwort").fill("correct horse battery staple")
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name="Anmelden").click()
    assert refused.value.status == 403
    log_in(page, site, "anna")
    page.goto(f"{site.url}/staff/kiosks")
    page.evaluate("document.querySelectorAll('main input[name=csrf_token]')"
                  ".forEach(e => e.value = 'forged')")
    page.get_by_label(re.compile("Name des Terminals")).fill("Foyer 9")
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name="Anmeldecode erzeugen").click()
    assert refused.value.status == 403
    assert "Sicherheitsprüfung" in page.inner_text("main")
    issued = [e for e in _audit_actions(site, "anna") if e[0] == "kiosk.enrollment_code"]
    assert not any(target == "kiosk:Foyer-9" for _, target, _ in issued)


def test_admin_issues_codes_revokes_and_checks_receipts(page: Page, site: StaffSite) -> None:
    spare = Kiosk(site.server, name="Foyer 2")
    spare.close()
    log_in(page, site, "anna")
    page.get_by_role("link", name="Terminals").click()
    page.get_by_label(re.compile("Name des Terminals")).fill("Foyer 3")
    page.get_by_role("button", name="Anmeldecode erzeugen").click()
    code = page.locator(".notice code").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){6}", code)
    page.get_by_role("link", name="Sperren: Foyer 2").click()
    page.get_by_role("button", name="Ja, sperren").click()
    assert "Das Terminal ist gesperrt" in page.inner_text("main")
    assert ("kiosk.revoke", "kiosk:Foyer-2", "ok") in _audit_actions(site, "anna")
    receipt = protocol.build_receipt(
        site.document.receipt_number, site.kiosk.kiosk_id, "Jobcenter Musterstadt",
        datetime.now(UTC), mask_customer_number("123A456789"),
        [protocol.receipt_doc(site.document.document_id, "payslip", 2, site.document.page_hash)])
    text = protocol.encode_receipt(receipt, site.kiosk.key, site.kiosk.certificate)
    page.get_by_role("link", name="Eingangsbestätigung prüfen").click()
    page.get_by_label("Text des QR-Codes").fill(text)
    page.get_by_role("button", name="Prüfen").click()
    assert "Echt" in page.inner_text("main") and "Eingegangen am" in page.inner_text("main")


def test_every_page_in_both_languages_is_accessible(context: BrowserContext,
                                                    site: StaffSite) -> None:
    page = context.new_page()
    for lang in ("de", "en"):
        page.goto(f"{site.url}/staff/login?lang={lang}")
        assert page.get_attribute("html", "lang") == lang
        _check(page, "login", lang)
    log_in(page, site, "anna", lang="de")
    page.keyboard.press("Tab")
    skip = page.evaluate("[document.activeElement.className, "
                         "getComputedStyle(document.activeElement).outlineStyle]")
    assert skip == ["skip", "solid"]
    page.get_by_role("link", name="English").click()
    assert page.get_attribute("html", "lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Documents received"
    for lang in ("en", "de"):
        page.goto(f"{site.url}/staff/documents?lang={lang}")
        for name, path in (("documents", "/staff/documents"), ("receipts", "/staff/receipts"),
                           ("kiosks", "/staff/kiosks"), ("audit", "/staff/audit")):
            page.goto(site.url + path)
            assert page.get_attribute("html", "lang") == lang
            _check(page, name, lang)
        page.goto(f"{site.url}/staff/kiosks/{site.kiosk.kiosk_id}/revoke")
        _check(page, "revoke", lang)
        page.goto(f"{site.url}/staff/receipts")
        page.locator("#payload").fill("JCR1.forged.text.here")
        page.locator("main button").click()
        _check(page, "receipt-result", lang)
    wrong = context.new_page()
    for lang in ("de", "en"):
        log_in(wrong, site, "anna", password="not the password at all", lang=lang)
        assert wrong.locator("[role=alert]").count() == 1
        _check(wrong, "login-error", lang)
