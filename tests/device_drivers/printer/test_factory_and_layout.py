"""Driver choice from config, the null printer, layout validation and lazy imports."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from config.model import PrinterConfig
from device_drivers.printer import (
    EscPosPrinter,
    NullPrinter,
    ReceiptLayout,
    ReceiptPrinter,
    SimulatedPrinter,
    TextLine,
    make_printer,
)
from device_drivers.printer.factory import is_available
from device_drivers.printer.layout import Cut, Feed, QRCode, Separator
from device_drivers.printer.usb_transport import UsbTransport
from foundation.errors import DeviceUnavailable


@pytest.mark.parametrize(
    ("driver", "kind"),
    [("simulated", SimulatedPrinter), ("network", EscPosPrinter), ("serial", EscPosPrinter),
     ("usb", EscPosPrinter), ("none", NullPrinter)],
)
def test_factory_picks_the_driver(tmp_path: Path, driver: str, kind: type) -> None:
    printer = make_printer(PrinterConfig(driver=driver), tmp_path)  # type: ignore[arg-type]
    assert isinstance(printer, kind)
    assert isinstance(printer, ReceiptPrinter)
    assert printer.describe()["driver"] == driver


def test_factory_passes_paper_width(tmp_path: Path) -> None:
    printer = make_printer(PrinterConfig(paper_width_px=576, profile="TM-T88V"), tmp_path)
    assert printer.describe()["paper_width_px"] == 576
    assert printer.describe()["columns"] == 48


def test_null_printer_fails_plainly(tmp_path: Path) -> None:
    printer = make_printer(PrinterConfig(driver="none"), tmp_path)
    ok, reason = printer.check()
    assert not ok and "No receipt printer is configured" in reason
    assert printer.status().online is False
    with pytest.raises(DeviceUnavailable):
        printer.print_layout(ReceiptLayout.of(TextLine("x")))


def test_usb_without_a_printer_reports_a_plain_reason(tmp_path: Path) -> None:
    printer = make_printer(PrinterConfig(driver="usb", usb_vendor_id=0x04B8,
                                         usb_product_id=0xFFFE), tmp_path)
    ok, reason = printer.check()
    assert not ok
    assert "04b8:fffe" in reason or "libusb" in reason
    assert "check the USB cable" in reason or "install" in reason


def test_driver_availability() -> None:
    assert is_available("simulated") and is_available("network") and is_available("serial")
    assert isinstance(is_available("usb"), bool)
    assert not is_available("parallel")


def test_usb_transport_is_one_way_until_opened() -> None:
    assert UsbTransport(0x04B8, 0x0202).bidirectional is False


def test_package_imports_without_kivy_or_libusb() -> None:
    code = (
        "import sys, device_drivers.printer; "
        "assert 'kivy' not in sys.modules, 'kivy'; "
        "assert 'usb.core' not in sys.modules, 'usb'; "
        "assert 'serial' not in sys.modules, 'serial'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60,
                   cwd=Path(__file__).resolve().parents[3])


@pytest.mark.parametrize(
    "build",
    [
        lambda: TextLine("a\nb"),
        lambda: TextLine("x", size=3),  # type: ignore[arg-type]
        lambda: TextLine("x", align="justify"),  # type: ignore[arg-type]
        lambda: TextLine("x\x1b@"),
        lambda: QRCode(""),
        lambda: QRCode("ä"),
        lambda: QRCode("x", module_px=0),
        lambda: Feed(0),
        lambda: Separator("ab"),
        lambda: ReceiptLayout([TextLine("x")]),  # type: ignore[arg-type]
        lambda: ReceiptLayout(("text",)),  # type: ignore[arg-type]
    ],
)
def test_invalid_layouts_are_refused(build: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        build()  # type: ignore[operator]


def test_layout_is_immutable() -> None:
    layout = ReceiptLayout.of(TextLine("x"), Cut())
    assert layout.ends_with_cut
    with pytest.raises(dataclasses.FrozenInstanceError):
        layout.items = ()  # type: ignore[misc]
