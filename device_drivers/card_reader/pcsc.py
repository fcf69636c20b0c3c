"""The real staff-card reader: PC/SC through pcscd, with pyscard's low-level ``scard`` API.

pyscard is imported lazily (``is_available()``), so the package imports on a machine without
libpcsclite. Every PC/SC call runs in a short-lived daemon thread and is waited for with a
timeout: PC/SC itself has none for ``SCardTransmit``, and a hung reader must not hang the
kiosk. A timed-out context is dropped and made anew on the next call.

PC/SC results become ``foundation.errors``: no pcscd → ``PcscUnavailable``; no reader, or
none whose name contains ``reader_name_contains`` → ``CardReaderMissing``; no card or a card
pulled mid-command → ``CardRemoved``. The card is opened shared and reset on disconnect, so a
verified PIN never outlives the login that presented it.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from foundation.errors import (
    CardReaderMissing,
    CardRemoved,
    CardUnreadable,
    DeviceError,
    DeviceTimeout,
    DeviceUnavailable,
    PcscUnavailable,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

_NO_SERVICE = ("SCARD_E_NO_SERVICE", "SCARD_E_SERVICE_STOPPED")
_NO_READER = ("SCARD_E_NO_READERS_AVAILABLE", "SCARD_E_UNKNOWN_READER",
              "SCARD_E_READER_UNAVAILABLE")
_NO_CARD = ("SCARD_E_NO_SMARTCARD", "SCARD_W_REMOVED_CARD", "SCARD_W_RESET_CARD",
            "SCARD_W_UNPOWERED_CARD", "SCARD_W_UNRESPONSIVE_CARD")
#: how long a failed command may wait for pcscd to notice that the card was pulled
REMOVAL_GRACE_S = 1.0


def is_available() -> bool:
    """Whether pyscard is installed (pcscd itself is checked when a call is made)."""
    return importlib.util.find_spec("smartcard") is not None


def _scard() -> Any:
    if not is_available():
        raise PcscUnavailable("pyscard is not installed: pip install pyscard "
                              "(needs apt-get install libpcsclite-dev pcscd)")
    from smartcard import scard

    return scard


def _call(function: Callable[[], T], timeout_s: float, what: str) -> T:
    """Run ``function`` in a daemon thread; DeviceTimeout if it does not return in time."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = function()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller below
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="pcsc-call", daemon=True).start()
    if not done.wait(timeout_s):
        raise DeviceTimeout(f"PC/SC {what} did not return within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


class PcscCardReader:
    """A PC/SC reader (the first, or the first whose name contains ``name_contains``)."""

    def __init__(self, name_contains: str = "", timeout_s: float = 5.0) -> None:
        self.name_contains = name_contains
        self.timeout_s = timeout_s
        self._context: Any = None
        self._card: Any = None
        self._protocol: Any = None
        self.reader_name: str | None = None

    # --- errors ----------------------------------------------------------------------

    def _fail(self, result: int, what: str) -> DeviceError:
        scard = _scard()

        def among(names: tuple[str, ...]) -> bool:
            return result in {getattr(scard, n) for n in names if hasattr(scard, n)}

        text = f"{what}: {scard.SCardGetErrorMessage(result).strip()}"
        if among(_NO_SERVICE) or among(("SCARD_E_INVALID_HANDLE",)):
            self._drop_context()  # a restarted pcscd needs a new context
        if among(_NO_SERVICE):
            return PcscUnavailable(f"pcscd is not running ({text}); start it: "
                                   "systemctl start pcscd")
        if among(_NO_READER):
            return CardReaderMissing(f"no card reader ({text}); check the USB cable")
        if among(_NO_CARD):
            return CardRemoved(f"no card in the reader ({text})")
        return DeviceError(f"PC/SC {text}")

    def _checked(self, what: str, function: Callable[[], Any],
                 timeout_s: float | None = None, accept: tuple[int, ...] = ()) -> Any:
        try:
            answer = _call(function, timeout_s or self.timeout_s, what)
        except DeviceTimeout:
            self._drop_context()
            raise
        except Exception as exc:  # pyscard's own exceptions (bad arguments, bad handles)
            raise DeviceError(f"PC/SC {what} failed: {type(exc).__name__}") from exc
        result = int(answer[0] if isinstance(answer, (list, tuple)) else answer)
        if result != 0 and result not in accept:
            raise self._fail(result, what)
        return answer

    # --- context and reader ----------------------------------------------------------

    def _drop_context(self) -> None:
        context, self._context, self._card = self._context, None, None
        if context is not None:
            scard = _scard()
            threading.Thread(target=scard.SCardReleaseContext, args=(context,),
                             daemon=True).start()

    def _ctx(self) -> Any:
        if self._context is None:
            scard = _scard()
            _, self._context = self._checked(
                "connecting to pcscd", lambda: scard.SCardEstablishContext(scard.SCARD_SCOPE_USER))
        return self._context

    def _reader(self) -> str:
        scard = _scard()
        context = self._ctx()
        try:
            _, readers = self._checked("listing readers",
                                       lambda: scard.SCardListReaders(context, []))
        except CardReaderMissing:
            readers = []
        matching = [r for r in readers if self.name_contains in r]
        if not matching:
            wanted = f" matching {self.name_contains!r}" if self.name_contains else ""
            raise CardReaderMissing(f"no card reader{wanted} is connected; check the USB cable")
        self.reader_name = matching[0]
        return str(matching[0])

    def is_present(self) -> bool:
        """Whether a (matching) reader is connected."""
        try:
            self._reader()
        except CardReaderMissing:
            return False
        return True

    def _state(self, timeout_ms: int, known: int) -> int:
        scard = _scard()
        context, reader = self._ctx(), self._reader()
        result, states = self._checked(
            "waiting for a card",
            lambda: scard.SCardGetStatusChange(context, timeout_ms, [(reader, known)]),
            timeout_s=timeout_ms / 1000 + self.timeout_s, accept=(scard.SCARD_E_TIMEOUT,))
        if result == scard.SCARD_E_TIMEOUT or not states:
            return known
        return int(states[0][1])

    def card_present(self) -> bool:
        """Whether a card is in the reader now."""
        scard = _scard()
        return bool(self._state(0, scard.SCARD_STATE_UNAWARE) & scard.SCARD_STATE_PRESENT)

    def wait_for_card(self, timeout_s: float, present: bool = True) -> bool:
        """Block in pcscd until a card is in (or out of) the reader, at most ``timeout_s``."""
        scard = _scard()
        state = self._state(0, scard.SCARD_STATE_UNAWARE) & ~scard.SCARD_STATE_CHANGED
        if bool(state & scard.SCARD_STATE_PRESENT) == present:
            return True
        state = self._state(max(1, int(timeout_s * 1000)), state)
        return bool(state & scard.SCARD_STATE_PRESENT) == present

    # --- card ------------------------------------------------------------------------

    def connect(self) -> None:
        """Open the card shared, T=0 or T=1."""
        scard = _scard()
        self.disconnect()
        context, reader = self._ctx(), self._reader()
        try:
            _, self._card, self._protocol = self._checked("connecting to the card", lambda: (
                scard.SCardConnect(context, reader, scard.SCARD_SHARE_SHARED,
                                   scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)))
        except CardRemoved as exc:
            raise CardRemoved(str(exc), code="staff_card_absent") from exc

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one APDU to the connected card."""
        scard = _scard()
        card, protocol = self._card, self._protocol
        if card is None:
            raise CardRemoved("no card is connected")
        try:
            _, response = self._checked("sending to the card",
                                        lambda: scard.SCardTransmit(card, protocol, list(apdu)))
        except (CardRemoved, DeviceTimeout, DeviceUnavailable):
            self._card = None
            raise
        except DeviceError as exc:
            self._broken(f"the card did not complete a command ({exc})")
        if len(response) < 2:
            self._broken("the card answered without a status word")
        return bytes(response[:-2]), (response[-2] << 8) | response[-1]

    def _broken(self, reason: str) -> NoReturn:
        """A command failed: the card was pulled (pcscd sees it a moment later) or is faulty.

        The handle is dropped without a reset: resetting a card that is gone can wedge a
        reader driver (vpcd does).
        """
        self._card = None
        if self.wait_for_card(REMOVAL_GRACE_S, present=False):
            raise CardRemoved("the card was removed during a command")
        raise CardUnreadable(reason)

    def disconnect(self) -> None:
        """Reset the card (forgets the verified PIN) and close the channel."""
        card, self._card = self._card, None
        if card is None:
            return
        scard = _scard()
        try:
            _call(lambda: scard.SCardDisconnect(card, scard.SCARD_RESET_CARD), self.timeout_s,
                  "closing the card")
        except Exception:  # noqa: BLE001 - a pulled card or a stopped pcscd: already closed
            log.debug("closing the card failed", exc_info=True)

    def describe(self) -> str:
        """Driver and reader name."""
        return f"pcsc: {self.reader_name or 'no reader found yet'}"

    def check(self) -> tuple[bool, str]:
        """pcscd answers and a (matching) reader is connected; says whether a card is in."""
        try:
            reader = self._reader()
            card = "a card is inserted" if self.card_present() else "no card inserted"
        except DeviceError as exc:
            return False, str(exc)
        return True, f"{reader} ({card})"
