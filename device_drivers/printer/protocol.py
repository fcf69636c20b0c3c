"""The receipt-printer seam: a narrow Protocol plus the two values it returns.

A printer is asked for its status *before* every job; a job either raises
(:class:`PrinterOutOfPaper`, :class:`PrinterCoverOpen`,
:class:`DeviceUnavailable`, :class:`DeviceTimeout`) or returns a
:class:`PrintResult` whose ``confirmed`` flag says honestly whether the printer confirmed it.
A printer on a one-way connection can never confirm anything: ``confirmed=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from device_drivers.printer.layout import ReceiptLayout

PaperState = Literal["ok", "near_end", "out", "unknown"]


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer reported (or that it could not report: ``reported=False``).

    ``error`` is plain text for technicians (never shown to visitors, never personal).
    """

    online: bool
    paper: PaperState
    cover_open: bool
    error: str = ""
    reported: bool = True

    @property
    def ready(self) -> bool:
        """Whether a job may be sent: online, cover closed, paper not known to be out."""
        return self.online and not self.cover_open and self.paper != "out" and not self.error

    @classmethod
    def unreported(cls) -> PrinterStatus:
        """Status of a printer that cannot report (one-way connection): paper unknown."""
        return cls(online=True, paper="unknown", cover_open=False, reported=False)


@dataclass(frozen=True)
class PrintResult:
    """The outcome of a job that did not fail.

    ``confirmed`` is True only if the printer itself reported, after processing the job, that
    it is still online with paper. ``note`` explains the outcome in plain words.
    """

    confirmed: bool
    bytes_sent: int
    status_before: PrinterStatus
    status_after: PrinterStatus | None
    note: str
    job_number: int = 0


@runtime_checkable
class ReceiptPrinter(Protocol):
    """A receipt printer: status, print a layout, a health check, a description."""

    @property
    def where(self) -> str:
        """Where the printer is, in words a technician understands (no personal data)."""
        ...

    def status(self) -> PrinterStatus:
        """Query the printer's current status (raises DeviceUnavailable/DeviceTimeout)."""
        ...

    def print_layout(self, layout: ReceiptLayout) -> PrintResult:
        """Print a layout; raise instead of claiming success on any fault."""
        ...

    def check(self) -> tuple[bool, str]:
        """Health check: (healthy, plain reason a technician can act on)."""
        ...

    def describe(self) -> dict[str, object]:
        """Static facts for the fleet view (driver, transport, paper width, ...)."""
        ...
