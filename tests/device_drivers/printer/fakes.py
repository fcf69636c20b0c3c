"""Fault fakes for the printer tests: a byte-level fake ESC/POS printer and ways to reach it.

``FakePrinterDevice`` parses the byte stream like a printer would (skipping the data of
``GS v 0`` and ``GS ( k`` so bytes inside images are never taken for commands), answers
``DLE EOT n`` and ``GS r 1`` from scripted status bytes, and records everything else as
print data. It is reached in memory (``MemoryTransport``), over real TCP on loopback
(``FakeNetworkPrinter``) or over a real pseudo-terminal (``FakeSerialPrinter``).
"""

from __future__ import annotations

import os
import select
import socket
import threading
from dataclasses import dataclass, field

from foundation.errors import DeviceTimeout

OK = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
"""DLE EOT replies of a healthy printer: only the fixed bits set."""
FENCE_OK = 0x00


@dataclass
class FakePrinterDevice:
    """A scripted printer: ``replies[n]`` answers DLE EOT n; ``fence`` answers GS r 1."""

    replies: dict[int, int] = field(default_factory=lambda: dict(OK))
    fence: int | None = FENCE_OK
    mute: bool = False
    received: bytearray = field(default_factory=bytearray)
    printed: bytearray = field(default_factory=bytearray)
    queries: list[bytes] = field(default_factory=list)
    _pending: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> bytes:
        """Take bytes from the host; return the bytes the printer sends back."""
        self.received += data
        self._pending += data
        out = bytearray()
        buf = self._pending
        while buf:
            if buf[:2] == b"\x10\x04":
                if len(buf) < 3:
                    break
                self.queries.append(bytes(buf[:3]))
                if not self.mute:
                    out.append(self.replies[buf[2]])
                del buf[:3]
            elif buf[:2] == b"\x1dr":
                if len(buf) < 3:
                    break
                self.queries.append(bytes(buf[:3]))
                if not self.mute and self.fence is not None:
                    out.append(self.fence)
                del buf[:3]
            elif buf[:3] == b"\x1dv0":
                if len(buf) < 8:
                    break
                size = 8 + int.from_bytes(buf[4:6], "little") * int.from_bytes(buf[6:8], "little")
                if len(buf) < size:
                    break
                self.printed += buf[:size]
                del buf[:size]
            elif buf[:3] == b"\x1d(k":
                if len(buf) < 5:
                    break
                size = 5 + int.from_bytes(buf[3:5], "little")
                if len(buf) < size:
                    break
                self.printed += buf[:size]
                del buf[:size]
            elif bytes(buf[:1]) in (b"\x10", b"\x1d") and len(buf) < 3:
                break
            else:
                self.printed.append(buf[0])
                del buf[:1]
        return bytes(out)


class MemoryTransport:
    """A :class:`Transport` wired straight to a :class:`FakePrinterDevice`."""

    def __init__(self, device: FakePrinterDevice, bidirectional: bool = True) -> None:
        self.device = device
        self.where = "memory"
        self._bidirectional = bidirectional
        self._inbox = bytearray()
        self.opened = 0
        self.closed = 0

    @property
    def bidirectional(self) -> bool:
        """As configured."""
        return self._bidirectional

    def open(self) -> None:
        """Count opens."""
        self.opened += 1

    def close(self) -> None:
        """Count closes."""
        self.closed += 1

    def write(self, data: bytes) -> None:
        """Hand bytes to the device."""
        self._inbox += self.device.feed(data)

    def read_exact(self, size: int, timeout_s: float) -> bytes:
        """Replies the device gave, or a timeout."""
        if len(self._inbox) < size:
            raise DeviceTimeout("memory printer did not answer")
        data = bytes(self._inbox[:size])
        del self._inbox[:size]
        return data

    def discard_input(self) -> None:
        """Drop pending replies."""
        self._inbox.clear()

    def describe(self) -> dict[str, object]:
        """Facts."""
        return {"transport": "memory"}


class FakeNetworkPrinter:
    """A fake printer listening on 127.0.0.1 (real sockets), one thread, one client at a time."""

    def __init__(self, device: FakePrinterDevice | None = None) -> None:
        self.device = device or FakePrinterDevice()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-printer", daemon=True)

    def __enter__(self) -> FakeNetworkPrinter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(0.05)
                while not self._stop.is_set():
                    try:
                        data = conn.recv(65536)
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    reply = self.device.feed(data)
                    if reply:
                        conn.sendall(reply)


class FakeSerialPrinter:
    """A fake printer behind a real pseudo-terminal; ``path`` is the serial device to open."""

    def __init__(self, device: FakePrinterDevice | None = None) -> None:
        self.device = device or FakePrinterDevice()
        self._master, self._slave = os.openpty()
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-serial", daemon=True)

    def __enter__(self) -> FakeSerialPrinter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        os.close(self._master)
        os.close(self._slave)

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self._master, 65536)
            except OSError:
                continue
            reply = self.device.feed(data)
            if reply:
                os.write(self._master, reply)
