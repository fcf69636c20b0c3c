"""The staff-card reader seam: one small Protocol every card-reader driver implements.

    is_present() / card_present() / wait_for_card() -> connect() -> transmit(apdu)* -> disconnect()

The seam is an APDU to a card (pyscard's ``transmit(apdu) -> (data, sw1, sw2)``, here with the
status word as one int). What the card *means* (PIV) lives above it in
``device_drivers.card_reader.piv``. Failures raise ``foundation.errors`` types:
``PcscUnavailable`` (pcscd not running), ``CardReaderMissing`` (no reader), ``CardRemoved``
(no card, or pulled mid-operation), ``DeviceTimeout`` (a call did not return in time).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class CardReader(Protocol):
    """A smart-card reader with at most one card in it."""

    def is_present(self) -> bool:
        """Whether the reader is connected; raises PcscUnavailable."""
        ...

    def card_present(self) -> bool:
        """Whether a card is in the reader now; raises CardReaderMissing, PcscUnavailable."""
        ...

    def wait_for_card(self, timeout_s: float, present: bool = True) -> bool:
        """Block until a card is in the reader (``present=False``: until it is gone).

        True when that state was reached within ``timeout_s``.
        """
        ...

    def connect(self) -> None:
        """Power the card and open a channel to it; raises CardRemoved when there is none."""
        ...

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one command APDU; returns (response data, status word such as 0x9000)."""
        ...

    def disconnect(self) -> None:
        """Close the channel and reset the card, so no PIN state outlives it (idempotent)."""
        ...

    def describe(self) -> str:
        """Driver and reader name for health reports (no personal data)."""
        ...

    def check(self) -> tuple[bool, str]:
        """Health check: (ok, plain reason a technician can act on)."""
        ...
