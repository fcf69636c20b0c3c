"""The scripted simulator: recorded bytes, rendered PNG (read back by OCR), scripted faults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from device_drivers.printer.encoder import EscPosEncoder
from device_drivers.printer.escpos_render import MARGIN, EscPosRenderer
from device_drivers.printer.layout import Cut, Feed, QRCode, ReceiptLayout, Separator, TextLine
from device_drivers.printer.protocol import PrinterStatus, ReceiptPrinter
from device_drivers.printer.simulated import SimulatedPrinter
from foundation.errors import DeviceTimeout, DeviceUnavailable, PrinterCoverOpen, PrinterOutOfPaper

PAYLOAD = "KIOSK1.eyJyIjoiUi0yMDI0LTAwNDIifQ." + "Q" * 250
GERMAN = ReceiptLayout.of(
    TextLine("Jobcenter Musterstadt", align="center"),
    TextLine("Eingangsbestätigung", bold=True, size=2, align="center"),
    TextLine("Eingegangen: 2 Dokumente"),
    Cut(),
)
RECEIPT = ReceiptLayout.of(
    TextLine("Eingangsbestätigung", bold=True, size=2, align="center"),
    TextLine("إيصال استلام المستندات", bold=True, align="center"),
    TextLine("Квитанція про отримання документів", align="center"),
    Separator(),
    TextLine("Gebühr: 0,00 €"),
    TextLine("رقم الإيصال: R-2024-0042"),
    QRCode(PAYLOAD, module_px=4),
    Feed(1),
    Cut(),
)


def test_is_a_receipt_printer(tmp_path: Path) -> None:
    assert isinstance(SimulatedPrinter(tmp_path), ReceiptPrinter)


def test_records_exact_bytes_and_writes_bin_and_png(tmp_path: Path) -> None:
    printer = SimulatedPrinter(tmp_path)
    result = printer.print_layout(RECEIPT)
    assert result.confirmed and result.job_number == 1
    assert printer.output == EscPosEncoder().encode(RECEIPT)
    assert (tmp_path / "receipt-1.bin").read_bytes() == printer.output
    printer.print_layout(GERMAN)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "receipt-1.bin", "receipt-1.png", "receipt-2.bin", "receipt-2.png",
    ]


def test_numbering_continues_after_an_earlier_run(tmp_path: Path) -> None:
    SimulatedPrinter(tmp_path, render_png=False).print_layout(GERMAN)
    result = SimulatedPrinter(tmp_path, render_png=False).print_layout(GERMAN)
    assert result.job_number == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["receipt-1.bin", "receipt-2.bin"]


def test_png_is_a_non_blank_receipt_strip(tmp_path: Path) -> None:
    SimulatedPrinter(tmp_path).print_layout(RECEIPT)
    with Image.open(tmp_path / "receipt-1.png") as img:
        assert img.width == 512 + 2 * MARGIN
        assert img.height > 700  # text lines + a QR code of ~200 dots + feed before the cut
        pixels = np.array(img.convert("L"))
    dark = (pixels < 128).mean()
    assert 0.03 < dark < 0.5
    assert (pixels[:, :MARGIN] == 255).all()  # nothing printed outside the printable width


def test_renderer_understands_every_command_and_reads_back_the_qr() -> None:
    data = EscPosEncoder().encode(RECEIPT)
    rendered = EscPosRenderer(512).render(data)
    assert rendered.unknown == []
    assert rendered.cuts == 1
    assert rendered.qr_payloads == [PAYLOAD]


def test_rtl_raster_lands_on_the_right(tmp_path: Path) -> None:
    layout = ReceiptLayout.of(TextLine("إيصال استلام"))
    img = EscPosRenderer(512).render(EscPosEncoder().encode(layout)).image
    ink = np.flatnonzero((np.array(img) < 128).any(axis=0))
    assert ink.max() >= MARGIN + 505 and ink.min() > MARGIN + 300


@pytest.mark.slow
def test_ocr_reads_the_german_lines(tmp_path: Path) -> None:
    pytesseract = pytest.importorskip("pytesseract")
    SimulatedPrinter(tmp_path).print_layout(GERMAN)
    with Image.open(tmp_path / "receipt-1.png") as img:
        text = pytesseract.image_to_string(img.convert("L"), lang="deu", timeout=60)
    assert "Eingangsbestätigung" in text
    assert "Jobcenter Musterstadt" in text


@pytest.mark.parametrize(
    ("fault", "error"),
    [("out_of_paper", PrinterOutOfPaper), ("cover_open", PrinterCoverOpen),
     ("offline", DeviceUnavailable), ("error", DeviceUnavailable),
     ("unplugged", DeviceUnavailable), ("timeout", DeviceTimeout)],
)
def test_scripted_fault_raises_and_nothing_is_printed(
    tmp_path: Path, fault: str, error: type[Exception]
) -> None:
    printer = SimulatedPrinter(tmp_path, script=[fault])  # type: ignore[list-item]
    with pytest.raises(error):
        printer.print_layout(GERMAN)
    assert printer.jobs == [] and printer.output == b""
    assert list(tmp_path.iterdir()) == []
    assert printer.print_layout(GERMAN).confirmed  # the queue is used up: next job prints


def test_paper_running_out_mid_job_is_recorded_but_raises(tmp_path: Path) -> None:
    printer = SimulatedPrinter(tmp_path, script=["paper_runs_out"])
    with pytest.raises(PrinterOutOfPaper, match="incomplete"):
        printer.print_layout(GERMAN)
    assert len(printer.jobs) == 1


def test_one_entry_per_call_in_order(tmp_path: Path) -> None:
    printer = SimulatedPrinter(tmp_path, render_png=False)
    printer.queue("near_end", PrinterStatus(False, "ok", True), "ok")
    assert printer.status().paper == "near_end"
    ok, reason = printer.check()
    assert not ok and "cover is open" in reason
    assert printer.print_layout(GERMAN).confirmed
    assert printer.status().ready


def test_one_way_simulation_never_confirms(tmp_path: Path) -> None:
    printer = SimulatedPrinter(tmp_path, bidirectional=False, render_png=False)
    assert printer.status().paper == "unknown"
    result = printer.print_layout(GERMAN)
    assert not result.confirmed and "cannot report" in result.note


def test_unknown_fault_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown simulated printer fault"):
        SimulatedPrinter(tmp_path, script=["on_fire"])  # type: ignore[list-item]
