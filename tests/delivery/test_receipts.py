"""Receipt layout, honest printing, reprints and clock plausibility (no server needed)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from device_drivers.printer.layout import QRCode, TextLine
from device_drivers.printer.simulated import SimulatedPrinter
from foundation.errors import ClockImplausible, SessionError
from kiosk.delivery.clock import BUILD_DATE, ClockGuard
from kiosk.delivery.receipts import (
    FALLBACK_DE,
    MSG_DELIVERED,
    MSG_STORED,
    RECEIPT_MSGIDS,
    build_receipt_layout,
    default_translate,
)
from kiosk.delivery.service import DeliveryService
from tests.delivery.helpers import CUSTOMER, config_for, enroll_locally, make_document

FAKE_UK = {MSG_STORED: "надійно збережено", "Payslip": "Розрахунковий лист"}


def fake_translate(lang: str, msgid: str) -> str:
    """German from the built-in table, a little Ukrainian, else the msgid."""
    if lang == "de":
        return FALLBACK_DE.get(msgid, msgid)
    if lang == "uk":
        return FAKE_UK.get(msgid, msgid)
    return msgid


@pytest.fixture()
def service(tmp_path: Path):
    enroll_locally(tmp_path)
    svc = DeliveryService(config_for(tmp_path), tmp_path)
    yield svc
    svc.close()


def _texts(layout) -> list[str]:
    return [i.text for i in layout.items if isinstance(i, TextLine)]


def test_layout_is_bilingual_and_complete(service: DeliveryService) -> None:
    sub = service.submit(CUSTOMER, [make_document(2)], poke_agent=False)
    layout = build_receipt_layout(sub, "uk", fake_translate)
    texts = "\n".join(_texts(layout))
    assert "Eingangsbestätigung" in texts
    assert "надійно збережено" in texts and FALLBACK_DE[MSG_STORED] in texts
    assert "1. Розрахунковий лист" in texts and "1. Lohn-/Gehaltsabrechnung" in texts
    assert "123A****89" in texts and CUSTOMER not in texts
    assert sub.receipt_number in texts and sub.kiosk_id in texts
    assert sub.documents[0].page_hash[:8] in texts
    assert [i.payload for i in layout.items if isinstance(i, QRCode)] == [sub.receipt_qr]
    assert layout.ends_with_cut


def test_every_msgid_is_listed(service: DeliveryService) -> None:
    used: list[tuple[str, str]] = []

    def recording(lang: str, msgid: str) -> str:
        used.append((lang, msgid))
        return msgid

    sub = service.submit(CUSTOMER, [make_document(doc_type="rent")], poke_agent=False)
    build_receipt_layout(sub, "en", recording)
    assert {m for _, m in used} <= set(RECEIPT_MSGIDS)
    assert {lang for lang, _ in used} == {"de", "en"}
    assert set(FALLBACK_DE) == set(RECEIPT_MSGIDS)


def test_print_confirmed(service: DeliveryService, tmp_path: Path) -> None:
    sub = service.submit(CUSTOMER, [make_document()], poke_agent=False)
    printer = SimulatedPrinter(tmp_path / "prints", render_png=False)
    outcome = service.print_receipt(sub, printer, "de", fake_translate)
    assert outcome.printed and outcome.reason is None
    assert len(printer.jobs) == 1 and b"Eingangsbest" not in b""  # bytes recorded
    assert sub.receipt_number.encode() in printer.output


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        (["out_of_paper"], "printer_out_of_paper"),
        (["cover_open"], "printer_cover_open"),
        (["unplugged"], "device_unavailable"),
        (["ok", "paper_runs_out"], "printer_out_of_paper"),
    ],
)
def test_print_never_claims_success(
    service: DeliveryService, tmp_path: Path, script, reason
) -> None:
    sub = service.submit(CUSTOMER, [make_document()], poke_agent=False)
    printer = SimulatedPrinter(tmp_path / "prints", script=script, render_png=False)
    outcome = service.print_receipt(sub, printer, "de", fake_translate)
    assert not outcome.printed and outcome.reason == reason
    assert outcome.qr_text == sub.receipt_qr  # the UI shows it on screen instead
    events = service.outbox.recent_events(0)
    assert events[-1]["code"] == reason


def test_unconfirmed_one_way_printer(service: DeliveryService, tmp_path: Path) -> None:
    sub = service.submit(CUSTOMER, [make_document()], poke_agent=False)
    printer = SimulatedPrinter(tmp_path / "prints", bidirectional=False, render_png=False)
    outcome = service.print_receipt(sub, printer, "de", fake_translate)
    assert not outcome.printed and outcome.reason == "printer_unconfirmed"


def test_reprint_by_number_then_forgotten(service: DeliveryService, tmp_path: Path) -> None:
    sub = service.submit(CUSTOMER, [make_document()], poke_agent=False)
    printer = SimulatedPrinter(tmp_path / "prints", script=["out_of_paper"], render_png=False)
    assert not service.print_receipt(sub, printer, "de", fake_translate).printed
    assert service.reprint(sub.receipt_number, printer, "de", fake_translate).printed
    service.outbox.purge_receipts(now=time.time() + 2 * 86400)
    with pytest.raises(SessionError):
        service.reprint(sub.receipt_number, printer, "de", fake_translate)


def test_delivered_state_on_receipt(service: DeliveryService) -> None:
    sub = service.submit(CUSTOMER, [make_document()], poke_agent=False)
    service.outbox.mark_delivered(sub.documents[0].document_id, "{}", "2026-11-22T10:00:00Z")
    texts = _texts(service.receipt_layout(sub, "en", fake_translate))
    assert MSG_DELIVERED in texts


def test_clock_before_build_date_refused(service: DeliveryService) -> None:
    with pytest.raises(ClockImplausible):
        ClockGuard(service.outbox).check(now=BUILD_DATE.timestamp() - 86400)


def test_clock_far_from_server_refuses_receipts(service: DeliveryService) -> None:
    from datetime import UTC, datetime, timedelta

    guard = ClockGuard(service.outbox)
    guard.learn(datetime.now(UTC) + timedelta(minutes=11))
    with pytest.raises(ClockImplausible):
        service.submit(CUSTOMER, [make_document()], poke_agent=False)
    assert service.outbox.counts()["stored"] == 0
    guard.learn(datetime.now(UTC) + timedelta(minutes=2))
    service.submit(CUSTOMER, [make_document()], poke_agent=False)


def test_default_translate_gives_german() -> None:
    assert default_translate("de", "Receipt number") == "Belegnummer"
    assert default_translate("en", "Receipt number") == "Receipt number"
