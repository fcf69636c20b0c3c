"""Pick the receipt printer named by the configuration; ``none`` gives a :class:`NullPrinter`."""

from __future__ import annotations

from pathlib import Path

from config.model import PrinterConfig
from device_drivers.printer.encoder import EscPosEncoder
from device_drivers.printer.escpos_printer import EscPosPrinter
from device_drivers.printer.layout import ReceiptLayout
from device_drivers.printer.protocol import PrinterStatus, PrintResult, ReceiptPrinter
from device_drivers.printer.simulated import STATE_FILE, SimulatedPrinter
from device_drivers.printer.transports import (
    NetworkTransport,
    SerialTransport,
    serial_is_available,
)
from device_drivers.printer.usb_transport import UsbTransport, usb_is_available
from foundation.errors import DeviceUnavailable

NO_PRINTER = "No receipt printer is configured (devices.printer.driver = 'none')"


class NullPrinter:
    """The kiosk has no printer: checks fail plainly and printing raises DeviceUnavailable."""

    @property
    def where(self) -> str:
        """There is no printer to point at."""
        return "none (not configured)"

    def status(self) -> PrinterStatus:
        """Always offline, with the reason."""
        return PrinterStatus(online=False, paper="unknown", cover_open=False, error=NO_PRINTER,
                             reported=False)

    def print_layout(self, layout: ReceiptLayout) -> PrintResult:
        """Refuse: there is no printer."""
        raise DeviceUnavailable(NO_PRINTER)

    def check(self) -> tuple[bool, str]:
        """Unhealthy, with the reason."""
        return False, NO_PRINTER + ": set it in the site configuration if this kiosk has one"

    def describe(self) -> dict[str, object]:
        """Driver facts."""
        return {"driver": "none"}


def is_available(driver: str) -> bool:
    """Whether the libraries a driver needs are installed (imports nothing heavy)."""
    if driver == "usb":
        return usb_is_available()
    if driver == "serial":
        return serial_is_available()
    return driver in ("simulated", "network", "none")


def make_encoder(config: PrinterConfig) -> EscPosEncoder:
    """The encoder for the configured profile and paper width (code page CP858, with €)."""
    return EscPosEncoder(profile=config.profile, paper_width_px=config.paper_width_px)


def make_printer(config: PrinterConfig, out_dir: Path) -> ReceiptPrinter:
    """The printer for ``config.driver``; ``out_dir`` is where the simulated one writes."""
    if config.driver == "none":
        return NullPrinter()
    encoder = make_encoder(config)
    if config.driver == "simulated":
        return SimulatedPrinter(out_dir, encoder=encoder, state_file=out_dir / STATE_FILE)
    if config.driver == "network":
        transport: NetworkTransport | SerialTransport | UsbTransport = NetworkTransport(
            config.network_host, config.network_port, config.timeout_s
        )
    elif config.driver == "serial":
        transport = SerialTransport(config.serial_device, config.serial_baudrate,
                                    config.timeout_s)
    else:
        transport = UsbTransport(config.usb_vendor_id, config.usb_product_id, config.timeout_s)
    return EscPosPrinter(transport, encoder, status_timeout_s=config.timeout_s,
                         driver=config.driver)
