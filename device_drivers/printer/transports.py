"""Byte transports to a real printer: raw TCP (port 9100) and serial; USB is in ``usb_transport``.

A transport moves bytes and nothing else: ``write``, ``read_exact`` with a timeout, and
``discard_input``. Every I/O call has a timeout; foreign exceptions become
:class:`DeviceUnavailable` or :class:`DeviceTimeout` here, with
a reason a technician can act on. pyserial is imported lazily (:func:`serial_is_available`).
"""

from __future__ import annotations

import importlib.util
import socket
import time
from typing import Any, Protocol

from foundation.errors import DeviceTimeout, DeviceUnavailable


class Transport(Protocol):
    """A byte pipe to a printer; ``bidirectional`` is known after :meth:`open`."""

    where: str

    @property
    def bidirectional(self) -> bool:
        """Whether the printer can answer (status queries work)."""
        ...

    def open(self) -> None:
        """Connect; raises DeviceUnavailable or DeviceTimeout."""
        ...

    def close(self) -> None:
        """Disconnect; never raises."""
        ...

    def write(self, data: bytes) -> None:
        """Send all bytes or raise."""
        ...

    def read_exact(self, size: int, timeout_s: float) -> bytes:
        """Read exactly ``size`` bytes or raise DeviceTimeout."""
        ...

    def discard_input(self) -> None:
        """Drop stale bytes the printer sent earlier."""
        ...

    def describe(self) -> dict[str, object]:
        """Static facts about the connection."""
        ...


class NetworkTransport:
    """Raw TCP to a network printer (Epson/Star port 9100), one connection per job."""

    def __init__(self, host: str, port: int = 9100, timeout_s: float = 5.0) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.where = f"{host}:{port}"
        self._sock: socket.socket | None = None

    @property
    def bidirectional(self) -> bool:
        """TCP is always two-way."""
        return True

    def open(self) -> None:
        """Connect with a timeout."""
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except TimeoutError as exc:
            raise DeviceTimeout(
                f"No answer from a printer at {self.where} within {self.timeout_s:g} s: check "
                "that it is switched on and connected to the network"
            ) from exc
        except OSError as exc:
            raise DeviceUnavailable(
                f"No printer at {self.where} ({exc.strerror or exc}): check the network cable, "
                "the printer's IP address and that it is switched on"
            ) from exc

    def close(self) -> None:
        """Close the connection."""
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def _connected(self) -> socket.socket:
        if self._sock is None:
            raise DeviceUnavailable(f"Printer at {self.where} is not connected")
        return self._sock

    def write(self, data: bytes) -> None:
        """Send all bytes within the timeout."""
        sock = self._connected()
        sock.settimeout(self.timeout_s)
        try:
            sock.sendall(data)
        except TimeoutError as exc:
            raise DeviceTimeout(f"Printer at {self.where} stopped taking data") from exc
        except OSError as exc:
            raise DeviceUnavailable(f"Connection to printer at {self.where} lost") from exc

    def read_exact(self, size: int, timeout_s: float) -> bytes:
        """Read ``size`` bytes before ``timeout_s`` runs out."""
        sock = self._connected()
        deadline = time.monotonic() + timeout_s
        buf = b""
        while len(buf) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeviceTimeout(f"Printer at {self.where} did not answer a status query")
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(size - len(buf))
            except TimeoutError as exc:
                raise DeviceTimeout(
                    f"Printer at {self.where} did not answer a status query"
                ) from exc
            except OSError as exc:
                raise DeviceUnavailable(f"Connection to printer at {self.where} lost") from exc
            if not chunk:
                raise DeviceUnavailable(f"Printer at {self.where} closed the connection")
            buf += chunk
        return buf

    def discard_input(self) -> None:
        """Drop anything already received."""
        sock = self._connected()
        sock.setblocking(False)
        try:
            while sock.recv(256):
                pass
        except (BlockingIOError, OSError):
            pass
        finally:
            sock.settimeout(self.timeout_s)

    def describe(self) -> dict[str, object]:
        """Connection facts."""
        return {"transport": "network", "host": self.host, "port": self.port,
                "timeout_s": self.timeout_s}


def serial_is_available() -> bool:
    """Whether pyserial is installed."""
    return importlib.util.find_spec("serial") is not None


class SerialTransport:
    """A serial (RS-232 or USB-serial) printer via pyserial."""

    def __init__(
        self,
        device: str,
        baudrate: int = 38400,
        timeout_s: float = 5.0,
        *,
        bidirectional: bool = True,
        rtscts: bool = False,
    ) -> None:
        self.device, self.baudrate, self.timeout_s = device, baudrate, timeout_s
        self.where = device
        self._bidirectional = bidirectional
        self._rtscts = rtscts
        self._port: Any = None

    @property
    def bidirectional(self) -> bool:
        """Whether the cable carries the printer's replies (configured)."""
        return self._bidirectional

    def open(self) -> None:
        """Open the port with read and write timeouts."""
        if not serial_is_available():
            raise DeviceUnavailable("pyserial is not installed: install python-escpos[serial]")
        import serial

        try:
            self._port = serial.Serial(
                port=self.device, baudrate=self.baudrate, timeout=self.timeout_s,
                write_timeout=self.timeout_s, rtscts=self._rtscts,
            )
        except (serial.SerialException, OSError) as exc:
            raise DeviceUnavailable(
                f"No printer at {self.device}: check the USB cable and power"
            ) from exc

    def close(self) -> None:
        """Close the port."""
        if self._port is not None:
            try:
                self._port.close()
            finally:
                self._port = None

    def _opened(self) -> Any:
        if self._port is None:
            raise DeviceUnavailable(f"Printer at {self.device} is not connected")
        return self._port

    def write(self, data: bytes) -> None:
        """Write all bytes within the write timeout."""
        import serial

        port = self._opened()
        try:
            port.write(data)
        except serial.SerialTimeoutException as exc:
            raise DeviceTimeout(f"Printer at {self.device} stopped taking data "
                                "(flow control? printer offline?)") from exc
        except (serial.SerialException, OSError) as exc:
            raise DeviceUnavailable(f"Printer at {self.device} was disconnected") from exc

    def read_exact(self, size: int, timeout_s: float) -> bytes:
        """Read ``size`` bytes within ``timeout_s``."""
        import serial

        port = self._opened()
        port.timeout = timeout_s
        try:
            data: bytes = port.read(size)
        except (serial.SerialException, OSError) as exc:
            raise DeviceUnavailable(f"Printer at {self.device} was disconnected") from exc
        if len(data) < size:
            raise DeviceTimeout(f"Printer at {self.device} did not answer a status query")
        return data

    def discard_input(self) -> None:
        """Drop stale input."""
        self._opened().reset_input_buffer()

    def describe(self) -> dict[str, object]:
        """Connection facts."""
        return {"transport": "serial", "device": self.device, "baudrate": self.baudrate,
                "bidirectional": self._bidirectional, "timeout_s": self.timeout_s}
