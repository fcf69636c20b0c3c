"""Benchmark the receipt printer: encoding a typical receipt and rendering the simulated PNG.

Run: ``.venv/bin/python benchmarks/bench_printer.py [--repeat N]``. Prints cold (first call,
fonts loading) and warm (median, best) figures for: encoding a German + Arabic + Ukrainian
receipt with a QR code to ESC/POS bytes, interpreting those bytes into the PNG strip, and
the whole simulated print (encode + render + write files).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device_drivers.printer import (  # noqa: E402
    Cut,
    EscPosEncoder,
    Feed,
    QRCode,
    ReceiptLayout,
    Separator,
    SimulatedPrinter,
    TextLine,
)
from device_drivers.printer.escpos_render import EscPosRenderer  # noqa: E402

PAYLOAD = "KIOSK1." + "eyJyIjoiUi0yMDI0LTAwNDIiLCJ0IjoiMjAyNC0wNS0xNFQxMDoxMjowMFoifQ" * 5 + ".sig"


def typical_receipt() -> ReceiptLayout:
    """A receipt like the kiosk prints: German + visitor's language, QR, cut."""
    return ReceiptLayout.of(
        TextLine("Jobcenter Musterstadt", bold=True, align="center"),
        TextLine("Eingangsbestätigung", bold=True, size=2, align="center"),
        TextLine("إيصال استلام المستندات", bold=True, size=2, align="center"),
        Separator(),
        TextLine("Datum: 14.05.2024, 10:12 Uhr"),
        TextLine("Eingegangen: 3 Dokumente (Lohnabrechnung, Kontoauszüge, Mietvertrag)"),
        TextLine("تم استلام 3 مستندات. رقم الإيصال: R-2024-0042"),
        TextLine("Отримано 3 документи. Номер квитанції: R-2024-0042"),
        TextLine("Bitte bewahren Sie diesen Beleg auf. Er gilt als Nachweis der Abgabe."),
        Separator(),
        QRCode(PAYLOAD, module_px=4),
        TextLine("Prüfen: jobcenter.example/verify", align="center"),
        Feed(1),
        Cut(),
    )


def measure(label: str, fn: Callable[[], object], repeat: int) -> None:
    """Time one cold call and ``repeat`` warm calls; print the figures."""
    start = time.perf_counter()
    fn()
    cold = (time.perf_counter() - start) * 1000
    warm = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        warm.append((time.perf_counter() - start) * 1000)
    print(f"{label:<34} cold {cold:8.1f} ms   warm median {statistics.median(warm):7.1f} ms"
          f"   best {min(warm):7.1f} ms   (n={repeat})")


def main() -> None:
    """Run the benchmark and print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    layout = typical_receipt()
    encoder = EscPosEncoder()
    renderer = EscPosRenderer(encoder.paper_width_px, encoder.profile)
    measure("encode layout -> ESC/POS bytes", lambda: encoder.encode(layout), args.repeat)
    data = encoder.encode(layout)
    measure("render ESC/POS bytes -> PNG image", lambda: renderer.render(data), args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        printer = SimulatedPrinter(Path(tmp), encoder=encoder)
        measure("simulated print (encode+render+io)", lambda: printer.print_layout(layout),
                args.repeat)
        png = Path(tmp) / "receipt-1.png"
        image = renderer.render(data).image
        print(f"job size {len(data)} bytes; PNG {image.width}x{image.height} px, "
              f"{png.stat().st_size} bytes on disk")


if __name__ == "__main__":
    main()
