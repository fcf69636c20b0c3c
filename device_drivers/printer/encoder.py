"""Turn a :class:`ReceiptLayout` into the exact ESC/POS bytes for a thermal receipt printer.

python-escpos (an in-memory printer like its ``Dummy``, with the configured profile, e.g.
TM-T88V) generates the styling, native QR and cut commands. ``Dummy`` itself is not imported:
``escpos.printer`` imports pyusb, pyserial and CUPS eagerly, and hardware libraries are
imported lazily here. Three things are written here by hand because
python-escpos gets them wrong for us:

* **Code page.** With a fixed encoding python-escpos never sends ``ESC t n``, so the printer
  keeps whatever page it booted with (the classic "ä prints as õ" bug); in automatic mode it
  silently switches pages or prints ``?``. We select the page explicitly after ``ESC @`` and
  encode with Python's codec, so ä, ö, ü, ß and € come out as the page's exact bytes.
* **Scripts the page cannot hold** (Arabic, Persian, Cyrillic, ...) are shaped with
  Pillow/raqm and sent as a ``GS v 0`` raster (see :mod:`text_raster`).
* **Raster images.** ``Escpos.image()`` refuses images wider than the profile's media width,
  which would override the configured ``paper_width_px``; ``GS v 0`` is written directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from device_drivers.printer import text_raster
from device_drivers.printer.escpos_lib import QR_ECLEVEL_M, CodePages, Escpos, get_profile
from device_drivers.printer.layout import Cut, Feed, QRCode, ReceiptLayout, Separator, TextLine

log = logging.getLogger(__name__)

INIT = b"\x1b@"
FONT_A_DOTS = 12
"""Width of one character of the printer's Font A in dots (42 columns on 512 dots)."""


def select_code_page(page_id: int) -> bytes:
    """``ESC t n``: select character code table ``n``."""
    return b"\x1bt" + bytes((page_id,))


class EscPosEncoder:
    """Encodes layouts for one printer model, paper width and code page."""

    def __init__(
        self, profile: str = "TM-T88V", paper_width_px: int = 512, code_page: str = "CP858"
    ) -> None:
        self.profile = profile
        self.paper_width_px = paper_width_px
        pages: dict[str, str] = get_profile(profile).get_code_pages()
        if code_page not in pages:
            raise ValueError(
                f"printer profile {profile} has no code page {code_page}; "
                f"it has: {', '.join(sorted(pages))}"
            )
        self.code_page = code_page
        self.code_page_id = int(pages[code_page])
        self.codec: str = CodePages.get_encoding(code_page)["python_encode"]
        self.columns = paper_width_px // FONT_A_DOTS
        self._dummy = _Recorder(profile=profile)
        self._reset_style = self._escpos(
            lambda p: p.set(align="left", bold=False, normal_textsize=True)
        )

    def describe(self) -> dict[str, object]:
        """Facts about the encoding for the fleet view."""
        return {
            "profile": self.profile,
            "paper_width_px": self.paper_width_px,
            "code_page": self.code_page,
            "code_page_id": self.code_page_id,
            "columns": self.columns,
            "complex_text_shaping": text_raster.has_raqm(),
        }

    def can_encode(self, text: str) -> bool:
        """Whether text can be printed with the printer's own font in the selected code page."""
        try:
            text.encode(self.codec)
        except UnicodeEncodeError:
            return False
        return True

    def encode(self, layout: ReceiptLayout) -> bytes:
        """The complete ESC/POS job for a layout, starting with init and code page."""
        chunks = [INIT, select_code_page(self.code_page_id)]
        for item in layout.items:
            if isinstance(item, TextLine):
                chunks.append(self.encode_text(item))
            elif isinstance(item, Separator):
                chunks.append((item.char * self.columns).encode("ascii") + b"\n")
            elif isinstance(item, QRCode):
                chunks.append(self.encode_qr(item))
            elif isinstance(item, Feed):
                chunks.append(self._escpos(partial(_feed, lines=item.lines)))
            elif isinstance(item, Cut):
                chunks.append(self._escpos(partial(_cut, mode="PART" if item.partial else "FULL")))
        return b"".join(chunks)

    def encode_text(self, line: TextLine) -> bytes:
        """One text line: code-page text if possible, else a shaped raster."""
        rtl = line.direction == "rtl" or (
            line.direction == "auto" and text_raster.is_rtl(line.text)
        )
        if not rtl and self.can_encode(line.text):
            return self._encode_codepage_text(line)
        return self.encode_raster_text(line, rtl)

    def _encode_codepage_text(self, line: TextLine) -> bytes:
        align = "left" if line.align == "start" else line.align
        double = line.size == 2
        style = self._escpos(
            lambda p: p.set(
                align=align,
                bold=line.bold,
                normal_textsize=not double,
                double_width=double,
                double_height=double,
            )
        )
        body = b"".join(
            part.encode(self.codec) + b"\n"
            for part in text_raster.wrap_columns(line.text, self.columns // line.size)
        )
        return style + body + self._reset_style

    def encode_raster_text(self, line: TextLine, rtl: bool) -> bytes:
        """Shape and rasterise a line (wrapped to the paper width) as ``GS v 0`` images."""
        px = text_raster.BASE_FONT_PX * line.size
        parts = text_raster.wrap(line.text, self.paper_width_px, line.bold, px)
        out = [self._reset_style]
        for part in parts:
            img = text_raster.render_line(
                part, self.paper_width_px, bold=line.bold, size=line.size, align=line.align,
                rtl=rtl,
            )
            out.append(text_raster.raster_command(img))
        return b"".join(out)

    def encode_qr(self, item: QRCode) -> bytes:
        """Native QR code (``GS ( k``, model 2, error correction M), centred, with quiet zone."""
        check = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
        check.add_data(item.payload)
        check.make(fit=True)
        width = check.modules_count * item.module_px
        if width > self.paper_width_px:
            raise ValueError(
                f"QR code is {width} dots wide, paper has {self.paper_width_px}: "
                "use a smaller module_px or a shorter payload"
            )
        quiet = b"\x1bJ" + bytes((min(4 * item.module_px, 255),))  # ESC J n: quiet zone
        return (
            quiet
            + self._escpos(lambda p: p.set(align="center"))
            + self._escpos(
                lambda p: p.qr(item.payload, ec=QR_ECLEVEL_M, size=item.module_px, native=True)
            )
            + self._escpos(lambda p: p.set(align="left"))
            + quiet
        )


    def _escpos(self, call: Callable[[Any], None]) -> bytes:
        """Bytes that python-escpos generates for one call on the recording printer."""
        self._dummy.clear()
        call(self._dummy)
        data: bytes = self._dummy.output
        self._dummy.clear()
        return data



class _Recorder(Escpos):  # type: ignore[misc]
    """python-escpos' ``Dummy`` without importing ``escpos.printer``: records ``_raw`` bytes."""

    def __init__(self, profile: str) -> None:
        super().__init__(profile=profile)
        self._chunks: list[bytes] = []

    def _raw(self, msg: bytes) -> None:
        self._chunks.append(msg)

    @property
    def output(self) -> bytes:
        """All bytes recorded since the last :meth:`clear`."""
        return b"".join(self._chunks)

    def clear(self) -> None:
        """Forget the recorded bytes."""
        self._chunks.clear()


def _feed(printer: Any, lines: int) -> None:
    printer.print_and_feed(lines)


def _cut(printer: Any, mode: str) -> None:
    printer.cut(mode=mode)
