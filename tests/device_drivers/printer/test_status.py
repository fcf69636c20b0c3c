"""Every bit of the DLE EOT and GS r replies, and the errors a status turns into."""

from __future__ import annotations

import pytest

from device_drivers.printer.protocol import PrinterStatus
from device_drivers.printer.status import (
    ErrorBits,
    OfflineBits,
    PrinterBits,
    StatusParseError,
    parse_fence,
    parse_paper,
    raise_for_status,
    status_from_replies,
)
from foundation.errors import DeviceUnavailable, PrinterCoverOpen, PrinterOutOfPaper

BASE = 0x12  # fixed bits: bit1 and bit4 on


def test_idle_printer_bits_are_all_off() -> None:
    assert PrinterBits.parse(BASE) == PrinterBits(False, False, False, False)
    assert OfflineBits.parse(BASE) == OfflineBits(False, False, False, False)
    assert ErrorBits.parse(BASE) == ErrorBits(False, False, False, False)
    assert parse_paper(BASE) == "ok"


@pytest.mark.parametrize(
    ("bit", "field"),
    [(0x04, "drawer_pin3_high"), (0x08, "offline"), (0x20, "waiting_for_recovery"),
     (0x40, "feed_button_pressed")],
)
def test_printer_status_bits(bit: int, field: str) -> None:
    parsed = PrinterBits.parse(BASE | bit)
    assert getattr(parsed, field) is True
    assert sum(vars(parsed).values()) == 1


@pytest.mark.parametrize(
    ("bit", "field"),
    [(0x04, "cover_open"), (0x08, "feeding_by_button"), (0x20, "stopped_by_paper_end"),
     (0x40, "error")],
)
def test_offline_cause_bits(bit: int, field: str) -> None:
    parsed = OfflineBits.parse(BASE | bit)
    assert getattr(parsed, field) is True
    assert sum(vars(parsed).values()) == 1


@pytest.mark.parametrize(
    ("bit", "field", "advice"),
    [(0x04, "mechanical", "paper jam"), (0x08, "autocutter", "cutter"),
     (0x20, "unrecoverable", "switch the printer off and on"),
     (0x40, "auto_recoverable", "wait a minute")],
)
def test_error_cause_bits(bit: int, field: str, advice: str) -> None:
    parsed = ErrorBits.parse(BASE | bit)
    assert getattr(parsed, field) is True
    assert sum(vars(parsed).values()) == 1
    assert advice in parsed.describe()


@pytest.mark.parametrize(
    ("value", "paper"),
    [(BASE, "ok"), (BASE | 0x0C, "near_end"), (BASE | 0x60, "out"), (BASE | 0x6C, "out"),
     (BASE | 0x04, "near_end"), (BASE | 0x20, "out")],
)
def test_paper_sensor_bits(value: int, paper: str) -> None:
    assert parse_paper(value) == paper


@pytest.mark.parametrize(
    ("value", "paper"), [(0x00, "ok"), (0x03, "near_end"), (0x0C, "out"), (0x0F, "out")]
)
def test_fence_reply_bits(value: int, paper: str) -> None:
    assert parse_fence(value) == paper


@pytest.mark.parametrize("value", [0x00, 0xFF, 0x13, 0x92, 0x10, 0x02])
def test_bytes_without_the_fixed_pattern_are_refused(value: int) -> None:
    with pytest.raises(StatusParseError, match=f"0x{value:02x}"):
        PrinterBits.parse(value)


def test_fence_refuses_a_dle_eot_style_byte() -> None:
    with pytest.raises(StatusParseError):
        parse_fence(0x12)


def test_healthy_status() -> None:
    status = status_from_replies(BASE, BASE, BASE, BASE)
    assert status == PrinterStatus(online=True, paper="ok", cover_open=False)
    assert status.ready


def test_paper_out_printer_goes_offline() -> None:
    status = status_from_replies(BASE | 0x08, BASE | 0x20, BASE, BASE | 0x60)
    assert (status.online, status.paper, status.ready) == (False, "out", False)


def test_paper_end_stop_wins_over_paper_sensor() -> None:
    assert status_from_replies(BASE | 0x08, BASE | 0x20, BASE, BASE).paper == "out"


def test_cover_open_status() -> None:
    status = status_from_replies(BASE | 0x08, BASE | 0x04, BASE, BASE)
    assert status.cover_open and not status.online and not status.error


def test_error_without_cause_still_reports_an_error() -> None:
    status = status_from_replies(BASE | 0x08, BASE | 0x40, BASE, BASE)
    assert "error" in status.error


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (PrinterStatus(False, "out", False), PrinterOutOfPaper, "insert a new roll"),
        (PrinterStatus(False, "ok", True), PrinterCoverOpen, "close it"),
        (PrinterStatus(False, "ok", False, error="autocutter error"), DeviceUnavailable,
         "autocutter"),
        (PrinterStatus(False, "ok", False), DeviceUnavailable, "offline"),
    ],
)
def test_raise_for_status(status: PrinterStatus, error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=text):
        raise_for_status(status, "192.0.2.10:9100")


@pytest.mark.parametrize(
    "status",
    [PrinterStatus(True, "ok", False), PrinterStatus(True, "near_end", False),
     PrinterStatus.unreported()],
)
def test_statuses_that_allow_printing(status: PrinterStatus) -> None:
    raise_for_status(status, "x")
