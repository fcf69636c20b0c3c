"""A scripted card reader with virtual PIV cards: for the embedded default and UI tests.

No timers and no threads. A test (or the demo) inserts and removes cards by calling
``insert``/``remove``, or queues faults: ``CardFault("remove_after", n)`` pulls the card
when the n-th next APDU arrives (card removed mid-operation), ``CardFault("unplug")``
disconnects the reader, ``CardFault("no_service")`` makes it behave as if pcscd had stopped.
Every APDU sent is recorded in ``sent``. A wrong PIN or a blocked card needs no fault: the
virtual card keeps its own retry counter, so a test enters a wrong PIN or sets
``tries_left=0``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from device_drivers.card_reader.piv_card import VirtualPivCard
from foundation.errors import CardReaderMissing, CardRemoved, PcscUnavailable


@dataclass(frozen=True)
class CardFault:
    """A fault to inject: ``remove_after`` (with ``after`` APDUs), ``unplug``, ``no_service``."""

    kind: str
    after: int = 0


class SimulatedCardReader:
    """Reader stand-in: holds at most one ``VirtualPivCard``; records what it is sent."""

    name = "Simulated PC/SC reader 00 00"

    def __init__(self, card: VirtualPivCard | None = None,
                 faults: Iterable[CardFault] = ()) -> None:
        self.card = card
        self.faults: deque[CardFault] = deque(faults)
        self.sent: list[bytes] = []
        self.connected = False
        self.plugged_in = True
        self.service_running = True
        self._remove_after: int | None = None
        self._take_faults()

    def _take_faults(self) -> None:
        while self.faults:
            fault = self.faults.popleft()
            if fault.kind == "remove_after":
                self._remove_after = fault.after
            elif fault.kind == "unplug":
                self.plugged_in, self.card, self.connected = False, None, False
            elif fault.kind == "no_service":
                self.service_running = False
            else:
                raise ValueError(f"unknown card fault {fault.kind!r}")

    def push(self, fault: CardFault) -> None:
        """Queue a fault (applied at once; ``remove_after`` counts the next APDUs)."""
        self.faults.append(fault)
        self._take_faults()

    def insert(self, card: VirtualPivCard) -> None:
        """Put a card into the reader (it starts powered off)."""
        card.reset()
        self.card, self.connected = card, False

    def remove(self) -> None:
        """Pull the card out."""
        if self.card is not None:
            self.card.reset()
        self.card, self.connected = None, False

    def _check_reader(self) -> None:
        if not self.service_running:
            raise PcscUnavailable("simulated: the PC/SC service is not running")
        if not self.plugged_in:
            raise CardReaderMissing("simulated: no card reader connected")

    def is_present(self) -> bool:
        """Whether the simulated reader is plugged in."""
        if not self.service_running:
            raise PcscUnavailable("simulated: the PC/SC service is not running")
        return self.plugged_in

    def card_present(self) -> bool:
        """Whether a card is inserted."""
        self._check_reader()
        return self.card is not None

    def wait_for_card(self, timeout_s: float, present: bool = True) -> bool:
        """No waiting in a simulator: the state the script has set up now."""
        return self.card_present() == present

    def connect(self) -> None:
        """Power the inserted card."""
        self._check_reader()
        if self.card is None:
            raise CardRemoved("simulated: no card in the reader", code="staff_card_absent")
        self.card.reset()
        self.connected = True

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Hand the APDU to the virtual card (or pull the card, as scripted)."""
        self._check_reader()
        self.sent.append(bytes(apdu))
        if self._remove_after is not None:
            if self._remove_after <= 0:
                self._remove_after = None
                self.remove()
            else:
                self._remove_after -= 1
        if self.card is None or not self.connected:
            raise CardRemoved("simulated: the card was removed")
        answer = self.card.process(apdu)
        return answer[:-2], int.from_bytes(answer[-2:], "big")

    def disconnect(self) -> None:
        """Reset the card and close the channel."""
        if self.card is not None:
            self.card.reset()
        self.connected = False

    def describe(self) -> str:
        """Simulated reader description."""
        return f"simulated: {self.name}"

    def check(self) -> tuple[bool, str]:
        """Healthy while the simulated reader is plugged in and the service runs."""
        try:
            present = self.is_present()
        except PcscUnavailable:
            return False, "simulated: the PC/SC service is not running"
        if not present:
            return False, "simulated: no card reader connected"
        state = "a card is inserted" if self.card is not None else "no card inserted"
        return True, f"{self.name} ({state})"
