"""USB printer-class transport via pyusb (libusb), imported lazily.

Most ESC/POS printers expose a bulk OUT endpoint and, if they can report status, a bulk IN
endpoint; without an IN endpoint the transport is one-way and nothing can be confirmed.
``usb.core`` is imported only inside :meth:`UsbTransport.open`, so this module imports on a
machine without libusb; :func:`usb_is_available` tells whether USB can work here.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

from foundation.errors import DeviceTimeout, DeviceUnavailable

log = logging.getLogger(__name__)


def usb_is_available() -> bool:
    """Whether pyusb is installed and finds a libusb backend."""
    if importlib.util.find_spec("usb") is None:
        return False
    import usb.backend.libusb1

    return usb.backend.libusb1.get_backend() is not None


class UsbTransport:
    """Bulk endpoints of a USB printer, found by vendor and product id."""

    def __init__(
        self, vendor_id: int, product_id: int, timeout_s: float = 5.0, interface: int = 0
    ) -> None:
        self.vendor_id, self.product_id = vendor_id, product_id
        self.timeout_s, self.interface = timeout_s, interface
        self.where = f"USB {vendor_id:04x}:{product_id:04x}"
        self._dev: Any = None
        self._out: Any = None
        self._in: Any = None

    @property
    def bidirectional(self) -> bool:
        """Whether the printer has a bulk IN endpoint (known after open)."""
        return self._in is not None

    def open(self) -> None:
        """Find the device, claim it from the kernel's usblp driver, find its endpoints."""
        if importlib.util.find_spec("usb") is None:
            raise DeviceUnavailable("pyusb is not installed: install python-escpos[usb]")
        import usb.core
        import usb.util

        try:
            dev = usb.core.find(idVendor=self.vendor_id, idProduct=self.product_id)
        except usb.core.NoBackendError as exc:
            raise DeviceUnavailable(
                "libusb is missing on this kiosk: install the libusb-1.0-0 package"
            ) from exc
        if dev is None:
            raise DeviceUnavailable(
                f"No printer with {self.where}: check the USB cable and power"
            )
        try:
            if dev.is_kernel_driver_active(self.interface):
                dev.detach_kernel_driver(self.interface)
            cfg = dev.get_active_configuration()
            if cfg is None:
                dev.set_configuration()
                cfg = dev.get_active_configuration()
            intf = cfg[(self.interface, 0)]

            def direction(wanted: int) -> Any:
                return usb.util.find_descriptor(
                    intf,
                    custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress)
                    == wanted,
                )

            self._out = direction(usb.util.ENDPOINT_OUT)
            self._in = direction(usb.util.ENDPOINT_IN)
        except usb.core.USBError as exc:
            raise DeviceUnavailable(
                f"Printer {self.where} is busy or not accessible ({exc.strerror}): check the "
                "udev rule that gives the kiosk user access"
            ) from exc
        if self._out is None:
            raise DeviceUnavailable(f"{self.where} has no bulk OUT endpoint: is it a printer?")
        self._dev = dev

    def close(self) -> None:
        """Release the device."""
        if self._dev is not None:
            import usb.util

            try:
                usb.util.dispose_resources(self._dev)
            except Exception:  # noqa: BLE001 - closing must never raise
                log.debug("disposing USB resources failed", exc_info=True)
            self._dev = self._out = self._in = None

    def write(self, data: bytes) -> None:
        """Bulk-write all bytes within the timeout."""
        import usb.core

        if self._out is None:
            raise DeviceUnavailable(f"Printer {self.where} is not connected")
        try:
            self._out.write(data, timeout=int(self.timeout_s * 1000))
        except usb.core.USBTimeoutError as exc:
            raise DeviceTimeout(f"Printer {self.where} stopped taking data") from exc
        except usb.core.USBError as exc:
            raise DeviceUnavailable(f"Printer {self.where} was disconnected") from exc

    def read_exact(self, size: int, timeout_s: float) -> bytes:
        """Bulk-read ``size`` bytes within ``timeout_s``."""
        import usb.core

        if self._in is None:
            raise DeviceUnavailable(f"Printer {self.where} cannot report status (no IN endpoint)")
        buf = b""
        try:
            while len(buf) < size:
                chunk = self._in.read(self._in.wMaxPacketSize, timeout=int(timeout_s * 1000))
                buf += bytes(chunk)
        except usb.core.USBTimeoutError as exc:
            raise DeviceTimeout(f"Printer {self.where} did not answer a status query") from exc
        except usb.core.USBError as exc:
            raise DeviceUnavailable(f"Printer {self.where} was disconnected") from exc
        return buf[:size]

    def discard_input(self) -> None:
        """Drop stale replies (reads until a short timeout)."""
        import usb.core

        if self._in is None:
            return
        try:
            while self._in.read(self._in.wMaxPacketSize, timeout=20):
                pass
        except usb.core.USBError:
            pass

    def describe(self) -> dict[str, object]:
        """Connection facts."""
        return {"transport": "usb", "vendor_id": f"{self.vendor_id:04x}",
                "product_id": f"{self.product_id:04x}", "timeout_s": self.timeout_s}
