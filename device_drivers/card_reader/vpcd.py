"""A virtual PIV card behind a real pcscd, through vsmartcard's virtual reader (vpcd).

The Debian package ``vsmartcard-vpcd`` adds a reader "Virtual PCD 00 00" to pcscd that
waits for a virtual card on TCP 127.0.0.1:35963. This module is that card, instead of
Debian's ``vicc`` (which crashes on SELECT with P2=00, which PIV uses). vpcd's protocol is
small: every message is a 2-byte big-endian length and a payload; a 1-byte payload is a
control code (0 power off, 1 power on, 2 reset, 4 send the ATR), anything longer a command
APDU that is answered with the response APDU. Inserting the card is connecting, removing it
is closing the connection.

Tests and ``benchmarks/bench_cards.py`` use it with the real ``PcscCardReader``; a developer
can run ``python -m device_drivers.card_reader.vpcd`` to hold a card in the virtual reader
(PIN 123456; its public key is printed for ``kiosk-server staff card-register``).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading

from device_drivers.card_reader.piv_card import ATR, VirtualPivCard

log = logging.getLogger(__name__)

VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963
CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("vpcd closed the connection")
        data += chunk
    return data


class VpcdCard:
    """Insert ``card`` into vpcd's virtual reader and answer for it in a thread."""

    def __init__(self, card: VirtualPivCard, host: str = VPCD_HOST, port: int = VPCD_PORT,
                 remove_after: int | None = None) -> None:
        self.card = card
        self.host, self.port = host, port
        #: pull the card (close the connection) instead of answering the n-th next APDU
        self.remove_after = remove_after
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.removed = threading.Event()

    def insert(self, timeout_s: float = 5.0) -> None:
        """Connect to vpcd (the card is now in the reader); OSError if pcscd/vpcd is absent.

        Inserting a card that is already in does nothing.
        """
        if self._sock is not None:
            return
        self.removed.clear()
        self._sock = socket.create_connection((self.host, self.port), timeout=timeout_s)
        self._sock.settimeout(None)
        self._thread = threading.Thread(target=self._serve, args=(self._sock,),
                                        name="vpcd-card", daemon=True)
        self._thread.start()

    def remove(self) -> None:
        """Pull the card out (close the connection) and wait for the thread to end."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                (length,) = struct.unpack(">H", _read_exactly(sock, 2))
                message = _read_exactly(sock, length)
                answer = self._answer(message)
                if answer is None:
                    continue
                sock.sendall(struct.pack(">H", len(answer)) + answer)
        except (OSError, ConnectionError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # vpcd sees the card go
            self.removed.set()

    def _answer(self, message: bytes) -> bytes | None:
        if len(message) == 1:
            if message[0] == CTRL_ATR:
                return ATR
            self.card.reset()  # power on, off or reset: a fresh card state
            return None
        if self.remove_after is not None:
            if self.remove_after <= 0:
                self.remove_after = None
                raise ConnectionError("card pulled (scripted)")
            self.remove_after -= 1
        return self.card.process(message)

    def __enter__(self) -> VpcdCard:
        self.insert()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def main() -> None:
    """Hold a fresh virtual PIV card (PIN 123456) in vpcd's reader until Ctrl-C."""
    card = VirtualPivCard()
    print(card.key.pem, end="")
    print("virtual PIV card inserted (PIN 123456); Ctrl-C removes it", flush=True)
    with VpcdCard(card) as inserted, contextlib.suppress(KeyboardInterrupt):
        inserted.removed.wait()


if __name__ == "__main__":
    main()
