"""ESC/POS status queries: the command bytes, parsing of the replies, and errors from them.

Real-time status (``DLE EOT n``) is answered at once, even while the printer is offline or
its buffer is full. Every reply byte has the fixed pattern ``0xx1xx10``; anything else is
nonsense and is refused rather than guessed at.

    n=1 printer status      bit3 offline, bit5 waiting for online recovery, bit6 feed button
    n=2 offline cause       bit2 cover open, bit3 feed button, bit5 stopped by paper end,
                            bit6 error occurred
    n=3 error cause         bit2 mechanical error, bit3 autocutter error, bit5 unrecoverable
                            error, bit6 auto-recoverable error (e.g. head too hot)
    n=4 paper sensor        bits2+3 paper near end, bits5+6 paper end (no paper)

``GS r 1`` (transmit paper sensor status) is *not* real-time: the printer answers only after
it has processed everything sent before it, so it serves as the "job done" fence. Its reply
has the pattern ``0xx0xxxx``: bits0+1 paper near end, bits2+3 paper end.
"""

from __future__ import annotations

from dataclasses import dataclass

from device_drivers.printer.protocol import PaperState, PrinterStatus
from foundation.errors import (
    DeviceUnavailable,
    PrinterCoverOpen,
    PrinterOutOfPaper,
    StatusParseError,
)

DLE_EOT = b"\x10\x04"
QUERY_PRINTER = DLE_EOT + b"\x01"
QUERY_OFFLINE_CAUSE = DLE_EOT + b"\x02"
QUERY_ERROR_CAUSE = DLE_EOT + b"\x03"
QUERY_PAPER = DLE_EOT + b"\x04"
REALTIME_QUERIES = (QUERY_PRINTER, QUERY_OFFLINE_CAUSE, QUERY_ERROR_CAUSE, QUERY_PAPER)
FENCE_PAPER = b"\x1dr\x01"
"""``GS r 1``: answered only after all preceding data has been processed."""

_FIXED_MASK = 0b1001_0011
_FIXED_BITS = 0b0001_0010



def _checked(name: str, value: int) -> int:
    if not 0 <= value <= 0xFF or value & _FIXED_MASK != _FIXED_BITS:
        raise StatusParseError(f"{name} reply 0x{value:02x} is not a DLE EOT status byte")
    return value


@dataclass(frozen=True)
class PrinterBits:
    """DLE EOT 1: printer status."""

    offline: bool
    waiting_for_recovery: bool
    feed_button_pressed: bool
    drawer_pin3_high: bool

    @classmethod
    def parse(cls, value: int) -> PrinterBits:
        """Parse the reply byte of ``DLE EOT 1``."""
        v = _checked("printer status", value)
        return cls(
            offline=bool(v & 0x08),
            waiting_for_recovery=bool(v & 0x20),
            feed_button_pressed=bool(v & 0x40),
            drawer_pin3_high=bool(v & 0x04),
        )


@dataclass(frozen=True)
class OfflineBits:
    """DLE EOT 2: why the printer is offline."""

    cover_open: bool
    feeding_by_button: bool
    stopped_by_paper_end: bool
    error: bool

    @classmethod
    def parse(cls, value: int) -> OfflineBits:
        """Parse the reply byte of ``DLE EOT 2``."""
        v = _checked("offline cause", value)
        return cls(
            cover_open=bool(v & 0x04),
            feeding_by_button=bool(v & 0x08),
            stopped_by_paper_end=bool(v & 0x20),
            error=bool(v & 0x40),
        )


@dataclass(frozen=True)
class ErrorBits:
    """DLE EOT 3: which error occurred."""

    mechanical: bool
    autocutter: bool
    unrecoverable: bool
    auto_recoverable: bool

    @classmethod
    def parse(cls, value: int) -> ErrorBits:
        """Parse the reply byte of ``DLE EOT 3``."""
        v = _checked("error cause", value)
        return cls(
            mechanical=bool(v & 0x04),
            autocutter=bool(v & 0x08),
            unrecoverable=bool(v & 0x20),
            auto_recoverable=bool(v & 0x40),
        )

    def describe(self) -> str:
        """Plain text for technicians; empty when there is no error."""
        parts = []
        if self.mechanical:
            parts.append("mechanical error (paper jam?): open the cover, clear it, close it")
        if self.autocutter:
            parts.append("autocutter error: open the cover and free the cutter")
        if self.unrecoverable:
            parts.append("unrecoverable error: switch the printer off and on; if it stays, "
                         "replace the printer")
        if self.auto_recoverable:
            parts.append("print head too hot or voltage out of range: wait a minute")
        return "; ".join(parts)


def parse_paper(value: int) -> PaperState:
    """Parse the reply byte of ``DLE EOT 4`` (roll paper sensors)."""
    v = _checked("paper sensor", value)
    if v & 0x60:
        return "out"
    if v & 0x0C:
        return "near_end"
    return "ok"


def parse_fence(value: int) -> PaperState:
    """Parse the reply byte of ``GS r 1`` (paper sensor status after processing)."""
    if not 0 <= value <= 0xFF or value & 0b1001_0000:
        raise StatusParseError(f"GS r 1 reply 0x{value:02x} is not a paper status byte")
    if value & 0x0C:
        return "out"
    if value & 0x03:
        return "near_end"
    return "ok"


def status_from_replies(printer: int, offline: int, error: int, paper: int) -> PrinterStatus:
    """Combine the four DLE EOT replies into one :class:`PrinterStatus`."""
    p = PrinterBits.parse(printer)
    o = OfflineBits.parse(offline)
    e = ErrorBits.parse(error)
    paper_state = parse_paper(paper)
    if o.stopped_by_paper_end:
        paper_state = "out"
    error_text = e.describe()
    if not error_text and o.error and not o.cover_open:
        error_text = "printer reports an error without a cause: switch it off and on"
    return PrinterStatus(
        online=not p.offline,
        paper=paper_state,
        cover_open=o.cover_open,
        error=error_text,
    )


def raise_for_status(status: PrinterStatus, where: str) -> None:
    """Raise the kiosk error that matches a status that does not allow printing."""
    if status.paper == "out":
        raise PrinterOutOfPaper(f"Printer at {where} has no paper: insert a new roll")
    if status.cover_open:
        raise PrinterCoverOpen(f"Printer at {where}: the cover is open, close it")
    if status.error:
        raise DeviceUnavailable(f"Printer at {where}: {status.error}")
    if not status.online:
        raise DeviceUnavailable(f"Printer at {where} is offline: check it for a blinking "
                                "error light")
