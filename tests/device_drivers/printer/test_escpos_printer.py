"""The real driver's job flow against an in-memory fake printer: never claim unconfirmed."""

from __future__ import annotations

import pytest

from device_drivers.printer.encoder import EscPosEncoder
from device_drivers.printer.escpos_printer import EscPosPrinter
from device_drivers.printer.layout import Cut, QRCode, ReceiptLayout, TextLine
from device_drivers.printer.protocol import ReceiptPrinter
from device_drivers.printer.status import QUERY_PAPER, REALTIME_QUERIES
from foundation.errors import DeviceTimeout, DeviceUnavailable, PrinterCoverOpen, PrinterOutOfPaper

from .fakes import OK, FakePrinterDevice, MemoryTransport

LAYOUT = ReceiptLayout.of(
    TextLine("Eingangsbestätigung", bold=True, size=2, align="center"),
    TextLine("إيصال استلام"),
    QRCode("KIOSK1." + "x" * 300),
    Cut(),
)
PAPER_OUT = {**OK, 1: 0x1A, 2: 0x32, 4: 0x72}
COVER_OPEN = {**OK, 1: 0x1A, 2: 0x16}


def make(device: FakePrinterDevice, bidirectional: bool = True) -> tuple[EscPosPrinter, bytes]:
    encoder = EscPosEncoder()
    printer = EscPosPrinter(MemoryTransport(device, bidirectional), encoder)
    return printer, encoder.encode(LAYOUT)


def test_is_a_receipt_printer() -> None:
    printer, _ = make(FakePrinterDevice())
    assert isinstance(printer, ReceiptPrinter)


def test_confirmed_print_sends_exactly_the_job() -> None:
    device = FakePrinterDevice()
    printer, job = make(device)
    result = printer.print_layout(LAYOUT)
    assert result.confirmed
    assert result.bytes_sent == len(job)
    assert bytes(device.printed) == job
    assert device.queries == [*REALTIME_QUERIES, b"\x1dr\x01", *REALTIME_QUERIES]
    assert result.status_after is not None and result.status_after.paper == "ok"


def test_out_of_paper_raises_and_sends_nothing() -> None:
    device = FakePrinterDevice(replies=PAPER_OUT)
    printer, _ = make(device)
    with pytest.raises(PrinterOutOfPaper, match="no paper"):
        printer.print_layout(LAYOUT)
    assert bytes(device.printed) == b""
    assert device.queries == list(REALTIME_QUERIES)


def test_cover_open_raises_and_sends_nothing() -> None:
    device = FakePrinterDevice(replies=COVER_OPEN)
    printer, _ = make(device)
    with pytest.raises(PrinterCoverOpen):
        printer.print_layout(LAYOUT)
    assert bytes(device.printed) == b""


def test_offline_with_cutter_error_names_the_cause() -> None:
    device = FakePrinterDevice(replies={**OK, 1: 0x1A, 2: 0x52, 3: 0x1A})
    printer, _ = make(device)
    with pytest.raises(DeviceUnavailable, match="autocutter"):
        printer.print_layout(LAYOUT)


def test_paper_running_out_during_the_job_is_not_success() -> None:
    device = FakePrinterDevice(fence=0x0C)
    printer, _ = make(device)
    with pytest.raises(PrinterOutOfPaper, match="while printing"):
        printer.print_layout(LAYOUT)


def test_no_confirmation_and_printer_stopped_by_paper_end() -> None:
    class StopsWithoutPaper(FakePrinterDevice):
        def feed(self, data: bytes) -> bytes:
            if data == b"\x1dr\x01":  # the job used up the roll: offline, fence never answered
                self.replies, self.fence = PAPER_OUT, None
            return super().feed(data)

    printer, _ = make(StopsWithoutPaper())
    with pytest.raises(PrinterOutOfPaper):
        printer.print_layout(LAYOUT)


def test_no_confirmation_at_all_is_a_timeout() -> None:
    printer, _ = make(FakePrinterDevice(fence=None))
    with pytest.raises(DeviceTimeout, match="did not confirm"):
        printer.print_layout(LAYOUT)


def test_mute_printer_is_a_timeout_before_anything_is_sent() -> None:
    device = FakePrinterDevice(mute=True)
    printer, _ = make(device)
    with pytest.raises(DeviceTimeout):
        printer.print_layout(LAYOUT)
    assert bytes(device.printed) == b""


def test_near_end_prints_and_says_so() -> None:
    printer, _ = make(FakePrinterDevice(replies={**OK, 4: 0x1E}, fence=0x03))
    result = printer.print_layout(LAYOUT)
    assert result.confirmed and "nearly empty" in result.note


def test_one_way_printer_is_never_confirmed() -> None:
    device = FakePrinterDevice()
    printer, job = make(device, bidirectional=False)
    status = printer.status()
    assert (status.paper, status.reported) == ("unknown", False)
    result = printer.print_layout(LAYOUT)
    assert not result.confirmed
    assert result.status_after is None
    assert "cannot report whether it printed" in result.note
    assert bytes(device.printed) == job
    assert device.queries == []


def test_check_gives_plain_reasons() -> None:
    assert make(FakePrinterDevice())[0].check() == (True, "Printer at memory is ready")
    ok, reason = make(FakePrinterDevice(replies=PAPER_OUT))[0].check()
    assert not ok and "insert a new roll" in reason
    ok, reason = make(FakePrinterDevice(), bidirectional=False)[0].check()
    assert ok and "cannot be checked" in reason


def test_connection_is_closed_after_every_call() -> None:
    transport = MemoryTransport(FakePrinterDevice(replies=PAPER_OUT))
    printer = EscPosPrinter(transport, EscPosEncoder())
    printer.status()
    with pytest.raises(PrinterOutOfPaper):
        printer.print_layout(LAYOUT)
    assert transport.opened == transport.closed == 2


def test_stale_replies_are_discarded_before_a_query() -> None:
    device = FakePrinterDevice()
    transport = MemoryTransport(device)
    transport.write(QUERY_PAPER)  # an old, unread reply sits in the input
    printer = EscPosPrinter(transport, EscPosEncoder())
    transport.device.replies = {**OK, 4: 0x72}
    assert printer.status().paper == "out"


def test_describe_names_transport_and_code_page() -> None:
    facts = make(FakePrinterDevice())[0].describe()
    assert facts["transport"] == "memory" and facts["code_page"] == "CP858"
