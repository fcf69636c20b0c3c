"""A small ESC/POS interpreter that draws what a thermal printer would print, as a PNG.

The simulated printer uses it so a reviewer can *read* a receipt without hardware. It
understands the commands our encoder sends (and a few more): ``ESC @``, ``ESC t`` code
pages, ``ESC E``/``ESC !``/``GS !`` bold and sizes, ``ESC a`` alignment, ``LF``, ``ESC d``,
``ESC J``, ``GS v 0`` raster images, ``GS ( k`` QR codes (drawn with ``qrcode``), ``GS V``
cuts. Code-page text is drawn with a monospaced font in 12×24-dot cells like the printer's
Font A, without anti-aliasing. Status queries are skipped; unknown commands are counted in
``unknown`` so tests notice them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from device_drivers.printer.escpos_lib import CodePages, get_profile

MONO = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
MONO_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf")
CELL_W, CELL_H = 12, 24
LINE_SPACING = 30
"""Default line feed of an Epson TM printer: 1/6 inch at 180 dpi."""
MARGIN = 24
_QR_EC = {48: ERROR_CORRECT_L, 49: ERROR_CORRECT_M, 50: ERROR_CORRECT_Q, 51: ERROR_CORRECT_H}
_ONE_ARG = {b"\x1b" + c for c in (b"-", b"G", b"M", b"V", b"{", b"c", b"=", b"R", b"r", b"U")}
_ONE_ARG |= {b"\x1d" + c for c in (b"r", b"a", b"B", b"H", b"f", b"h", b"w", b"I")}


def _mono_font(path: Path) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans Mono at the size that fills a 12×24 cell; Pillow's own font otherwise."""
    return ImageFont.truetype(str(path), 20) if path.exists() else ImageFont.load_default(20)


@dataclass
class _Style:
    bold: bool = False
    width: int = 1
    height: int = 1
    align: int = 0
    codec: str = "cp437"


@dataclass
class _Qr:
    size: int = 3
    ec: int = ERROR_CORRECT_L
    data: bytes = b""


@dataclass
class RenderedReceipt:
    """The drawing of one job plus what the interpreter noticed."""

    image: Image.Image
    cuts: int = 0
    qr_payloads: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


class EscPosRenderer:
    """Interprets ESC/POS bytes into a receipt-strip image ``paper_width_px`` + margins wide."""

    def __init__(self, paper_width_px: int = 512, profile: str = "TM-T88V") -> None:
        self.width = paper_width_px
        self._pages = {int(n): name for name, n in get_profile(profile).get_code_pages().items()}
        self._fonts = {False: _mono_font(MONO), True: _mono_font(MONO_BOLD)}

    def _codec(self, page: int) -> str:
        name = self._pages.get(page, "CP437")
        try:
            return str(CodePages.get_encoding(name)["python_encode"])
        except (KeyError, LookupError):
            return "cp437"

    def render(self, data: bytes) -> RenderedReceipt:
        """Interpret a whole job and return its drawing."""
        self._bands: list[Image.Image] = []
        self._line: list[tuple[str, _Style]] = []
        self._style = _Style()
        self._qr = _Qr()
        self._spacing = LINE_SPACING
        out = RenderedReceipt(Image.new("L", (1, 1), 255))
        i, n = 0, len(data)
        while i < n:
            b = data[i]
            two = data[i:i + 2]
            if b == 0x0A:
                self._flush_line(feed_if_empty=True)
                i += 1
            elif b in (0x0D, 0x00):
                i += 1
            elif b == 0x09:
                self._line.append((" " * 8, self._copy_style()))
                i += 1
            elif two == b"\x10\x04":
                i += 3
            elif two == b"\x1b@":
                self._style, self._spacing = _Style(), LINE_SPACING
                i += 2
            elif two == b"\x1bt":
                self._style.codec = self._codec(data[i + 2])
                i += 3
            elif two == b"\x1bE":
                self._style.bold = bool(data[i + 2] & 1)
                i += 3
            elif two == b"\x1b!":
                mode = data[i + 2]
                self._style.bold = bool(mode & 0x08)
                self._style.height = 2 if mode & 0x10 else 1
                self._style.width = 2 if mode & 0x20 else 1
                i += 3
            elif two == b"\x1d!":
                mode = data[i + 2]
                self._style.width, self._style.height = (mode >> 4) + 1, (mode & 0x0F) + 1
                i += 3
            elif two == b"\x1ba":
                self._style.align = data[i + 2] % 48
                i += 3
            elif two == b"\x1bd":
                self._flush_line()
                self._blank(data[i + 2] * self._spacing)
                i += 3
            elif two == b"\x1bJ":
                self._flush_line()
                self._blank(data[i + 2])
                i += 3
            elif two == b"\x1b2":
                self._spacing = LINE_SPACING
                i += 2
            elif two == b"\x1b3":
                self._spacing = data[i + 2]
                i += 3
            elif data[i:i + 3] == b"\x1dv0":
                i = self._raster(data, i)
            elif data[i:i + 3] == b"\x1d(k":
                i = self._qr_command(data, i, out)
            elif two == b"\x1dV":
                m = data[i + 2]
                self._flush_line()
                if m in (65, 66):
                    self._blank(data[i + 3])
                    i += 1
                self._cut_mark()
                out.cuts += 1
                i += 3
            elif two[:1] in (b"\x1b", b"\x1d") and two in _ONE_ARG:
                i += 3
            elif b in (0x1B, 0x1D, 0x10):
                out.unknown.append(data[i:i + 2].hex())
                i += 2
            elif b < 0x20:
                out.unknown.append(f"{b:02x}")
                i += 1
            else:
                end = i
                while end < n and data[end] >= 0x20:
                    end += 1
                text = data[i:end].decode(self._style.codec, errors="replace")
                self._line.append((text, self._copy_style()))
                i = end
        self._flush_line()
        out.image = self._assemble()
        return out

    def _copy_style(self) -> _Style:
        s = self._style
        return _Style(s.bold, s.width, s.height, s.align, s.codec)

    def _place(self, img: Image.Image, align: int) -> None:
        band = Image.new("L", (self.width, img.height), 255)
        x = {0: 0, 1: (self.width - img.width) // 2, 2: self.width - img.width}.get(align, 0)
        band.paste(img, (max(0, x), 0))
        self._bands.append(band)

    def _blank(self, dots: int) -> None:
        if dots > 0:
            self._bands.append(Image.new("L", (self.width, dots), 255))

    def _flush_line(self, feed_if_empty: bool = False) -> None:
        """Print the line buffer (like LF); an empty buffer feeds one line only on LF."""
        if not self._line:
            if feed_if_empty:
                self._blank(self._spacing)
            return
        height = max(CELL_H * s.height for _, s in self._line)
        glyphs: list[Image.Image] = []
        for text, style in self._line:
            for ch in text:
                cell = Image.new("1", (CELL_W, CELL_H), 1)
                draw = ImageDraw.Draw(cell)
                draw.fontmode = "1"
                draw.text((0, 1), ch, font=self._fonts[style.bold], fill=0)
                if style.width != 1 or style.height != 1:
                    cell = cell.resize((CELL_W * style.width, CELL_H * style.height),
                                       Image.Resampling.NEAREST)
                glyphs.append(cell)
        line = Image.new("L", (min(sum(g.width for g in glyphs), self.width), height), 255)
        x = 0
        for glyph in glyphs:  # the printer wraps at the paper edge; we clip
            line.paste(glyph.convert("L"), (x, height - glyph.height))
            x += glyph.width
        align = self._line[0][1].align
        self._line = []
        self._place(line, align)
        self._blank(max(0, self._spacing - CELL_H) if height <= self._spacing else 6)

    def _raster(self, data: bytes, i: int) -> int:
        self._flush_line()
        m = data[i + 3]
        wb = int.from_bytes(data[i + 4:i + 6], "little")
        h = int.from_bytes(data[i + 6:i + 8], "little")
        raw = data[i + 8:i + 8 + wb * h]
        img = Image.frombytes("1", (wb * 8, h), bytes(v ^ 0xFF for v in raw)).convert("L")
        if m & 1 or m & 2:
            img = img.resize((img.width * (2 if m & 1 else 1), h * (2 if m & 2 else 1)))
        self._place(img.crop((0, 0, min(img.width, self.width), img.height)), self._style.align)
        return i + 8 + wb * h

    def _qr_command(self, data: bytes, i: int, out: RenderedReceipt) -> int:
        length = int.from_bytes(data[i + 3:i + 5], "little")
        body = data[i + 5:i + 5 + length]
        cn, fn = body[0], body[1]
        if cn == 0x31 and fn == 0x43:
            self._qr.size = body[2]
        elif cn == 0x31 and fn == 0x45:
            self._qr.ec = _QR_EC.get(body[2], ERROR_CORRECT_L)
        elif cn == 0x31 and fn == 0x50:
            self._qr.data = body[3:]
        elif cn == 0x31 and fn == 0x51:
            self._flush_line()
            code = qrcode.QRCode(error_correction=self._qr.ec, box_size=self._qr.size, border=0)
            code.add_data(self._qr.data)
            code.make(fit=True)
            img = code.make_image().get_image().convert("L")
            self._place(img, self._style.align)
            out.qr_payloads.append(self._qr.data.decode("latin-1"))
        return i + 5 + length

    def _cut_mark(self) -> None:
        band = Image.new("L", (self.width, 17), 255)
        draw = ImageDraw.Draw(band)
        for x in range(0, self.width, 16):
            draw.line((x, 8, x + 8, 8), fill=128, width=2)
        self._bands.append(band)

    def _assemble(self) -> Image.Image:
        height = sum(b.height for b in self._bands) + 2 * MARGIN
        strip = Image.new("L", (self.width + 2 * MARGIN, height), 255)
        y = MARGIN
        for band in self._bands:
            strip.paste(band, (MARGIN, y))
            y += band.height
        return strip
