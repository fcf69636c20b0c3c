"""Receipt printer (ESC/POS): layout model, encoder, real transports and a simulator.

    from device_drivers.printer import ReceiptLayout, TextLine, QRCode, Cut, make_printer

    printer = make_printer(config.devices.printer, out_dir=data_dir / "receipts")
    result = printer.print_layout(ReceiptLayout.of(TextLine("Eingangsbestätigung"), Cut()))
    if not result.confirmed: ...   # one-way printer: tell the visitor to check the receipt
"""

from typing import TYPE_CHECKING

from foundation.lazy import lazy_exports

# name -> module, imported on first use: the layout model must not load python-escpos,
# whose capability YAML alone takes ~0.4 s
_EXPORTS = {
    "EscPosEncoder": "device_drivers.printer.encoder",
    "EscPosPrinter": "device_drivers.printer.escpos_printer",
    "NullPrinter": "device_drivers.printer.factory",
    "make_printer": "device_drivers.printer.factory",
    "Cut": "device_drivers.printer.layout",
    "Feed": "device_drivers.printer.layout",
    "LayoutItem": "device_drivers.printer.layout",
    "QRCode": "device_drivers.printer.layout",
    "ReceiptLayout": "device_drivers.printer.layout",
    "Separator": "device_drivers.printer.layout",
    "TextLine": "device_drivers.printer.layout",
    "PaperState": "device_drivers.printer.protocol",
    "PrinterStatus": "device_drivers.printer.protocol",
    "PrintResult": "device_drivers.printer.protocol",
    "ReceiptPrinter": "device_drivers.printer.protocol",
    "SimulatedPrinter": "device_drivers.printer.simulated",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
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
    from device_drivers.printer.protocol import (
        PaperState,
        PrinterStatus,
        PrintResult,
        ReceiptPrinter,
    )
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
