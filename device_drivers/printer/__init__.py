"""Receipt printer (ESC/POS): layout model, encoder, real transports and a simulator.

    from device_drivers.printer import ReceiptLayout, TextLine, QRCode, Cut, make_printer

    printer = make_printer(config.devices.printer, out_dir=data_dir / "receipts")
    result = printer.print_layout(ReceiptLayout.of(TextLine("Eingangsbestätigung"), Cut()))
    if not result.confirmed: ...   # one-way printer: tell the visitor to check the receipt
"""

from device_drivers.printer.encoder import EscPosEncoder
from device_drivers.printer.escpos_printer import EscPosPrinter
from device_drivers.printer.factory import NullPrinter, make_printer
from device_drivers.printer.layout import (
    Cut,
    Feed,
    LayoutItem,
    QRCode,
    ReceiptLayout,
    Separator,
    TextLine,
)
from device_drivers.printer.protocol import PaperState, PrinterStatus, PrintResult, ReceiptPrinter
from device_drivers.printer.simulated import SimulatedPrinter

__all__ = [
    "Cut",
    "EscPosEncoder",
    "EscPosPrinter",
    "Feed",
    "LayoutItem",
    "NullPrinter",
    "PaperState",
    "PrintResult",
    "PrinterStatus",
    "QRCode",
    "ReceiptLayout",
    "ReceiptPrinter",
    "Separator",
    "SimulatedPrinter",
    "TextLine",
    "make_printer",
]
