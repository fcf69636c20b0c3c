"""The real ESC/POS receipt printer: an encoder plus a byte transport (USB, serial, network).

A job goes like this, all on one connection:

1. ``DLE EOT 1..4``: real-time status *before* printing. No paper, cover open, offline or an
   error raise the matching kiosk error; nothing is sent.
2. The job bytes.
3. On a two-way transport: ``GS r 1``, which the printer answers only after it has processed
   the job (a fence), then ``DLE EOT 1..4`` again. Only if both say all is well is the result
   ``confirmed``. No answer in time raises :class:`DeviceTimeout` (after trying to find out
   why: paper out and cover open are reported as such).
4. On a one-way transport: the result says ``confirmed=False`` and why. Never "printed".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from device_drivers.printer.encoder import EscPosEncoder
from device_drivers.printer.layout import ReceiptLayout
from device_drivers.printer.protocol import PrinterStatus, PrintResult
from device_drivers.printer.status import (
    FENCE_PAPER,
    REALTIME_QUERIES,
    parse_fence,
    raise_for_status,
    status_from_replies,
)
from device_drivers.printer.transports import Transport
from foundation.errors import DeviceError, DeviceTimeout, PrinterOutOfPaper

log = logging.getLogger(__name__)

UNCONFIRMED_NOTE = (
    "sent over a one-way connection: the printer cannot report whether it printed; "
    "ask the visitor or staff to check the receipt"
)


def status_advice(status: PrinterStatus, where: str) -> tuple[bool, str]:
    """Health verdict and plain reason for a status (shared by all printers)."""
    if not status.reported:
        return True, (f"Printer at {where} is connected one-way: paper and cover cannot be "
                      "checked and receipts cannot be confirmed")
    if status.paper == "out":
        return False, f"Printer at {where} has no paper: insert a new roll"
    if status.cover_open:
        return False, f"Printer at {where}: the cover is open, close it"
    if status.error:
        return False, f"Printer at {where}: {status.error}"
    if not status.online:
        return False, f"Printer at {where} is offline: check it for a blinking error light"
    if status.paper == "near_end":
        return True, f"Printer at {where} is ready, but the paper roll is nearly empty: replace it"
    return True, f"Printer at {where} is ready"


class EscPosPrinter:
    """A :class:`~device_drivers.printer.protocol.ReceiptPrinter` over any :class:`Transport`."""

    def __init__(
        self,
        transport: Transport,
        encoder: EscPosEncoder,
        *,
        status_timeout_s: float = 2.0,
        job_timeout_s: float = 30.0,
        driver: str = "escpos",
    ) -> None:
        self._transport = transport
        self._encoder = encoder
        self.status_timeout_s = status_timeout_s
        self.job_timeout_s = job_timeout_s
        self.driver = driver
        self._lock = threading.Lock()
        self._jobs = 0

    @property
    def where(self) -> str:
        """Where the printer is, in words a technician understands."""
        return self._transport.where

    @contextmanager
    def _connection(self) -> Iterator[Transport]:
        with self._lock:
            self._transport.open()
            try:
                yield self._transport
            finally:
                self._transport.close()

    def _query_status(self, transport: Transport) -> PrinterStatus:
        if not transport.bidirectional:
            return PrinterStatus.unreported()
        transport.discard_input()
        replies = []
        for query in REALTIME_QUERIES:
            transport.write(query)
            replies.append(transport.read_exact(1, self.status_timeout_s)[0])
        return status_from_replies(*replies)

    def status(self) -> PrinterStatus:
        """Query the real-time status (``DLE EOT 1..4``)."""
        with self._connection() as transport:
            return self._query_status(transport)

    def print_layout(self, layout: ReceiptLayout) -> PrintResult:
        """Check status, send the job, and confirm it where the transport allows."""
        data = self._encoder.encode(layout)
        with self._connection() as transport:
            before = self._query_status(transport)
            raise_for_status(before, self.where)
            transport.write(data)
            self._jobs += 1
            if not transport.bidirectional:
                log.info("receipt job %d sent (%d bytes), not confirmable", self._jobs, len(data))
                return PrintResult(False, len(data), before, None, UNCONFIRMED_NOTE, self._jobs)
            transport.write(FENCE_PAPER)
            try:
                fence = parse_fence(transport.read_exact(1, self.job_timeout_s)[0])
            except DeviceTimeout as exc:
                after = self._query_status(transport)
                raise_for_status(after, self.where)
                raise DeviceTimeout(
                    f"Printer at {self.where} did not confirm the receipt within "
                    f"{self.job_timeout_s:g} s: check whether it printed"
                ) from exc
            after = self._query_status(transport)
        if fence == "out" or after.paper == "out":
            raise PrinterOutOfPaper(
                f"Printer at {self.where} ran out of paper while printing: the receipt is "
                "probably incomplete; insert a new roll and print it again"
            )
        raise_for_status(after, self.where)
        note = "printed; the printer confirmed it"
        if after.paper == "near_end":
            note += "; the paper roll is nearly empty"
        log.info("receipt job %d confirmed (%d bytes)", self._jobs, len(data))
        return PrintResult(True, len(data), before, after, note, self._jobs)

    def check(self) -> tuple[bool, str]:
        """Health check with a reason a technician can act on."""
        try:
            status = self.status()
        except DeviceError as exc:
            return False, str(exc)
        return status_advice(status, self.where)

    def describe(self) -> dict[str, object]:
        """Driver, connection and encoding facts."""
        return {"driver": self.driver, **self._transport.describe(), **self._encoder.describe(),
                "status_timeout_s": self.status_timeout_s, "job_timeout_s": self.job_timeout_s}
