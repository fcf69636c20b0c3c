"""Text the printer's code page cannot hold, rendered to a 1-bit raster with Pillow.

Pillow with libraqm shapes Arabic (joining forms, ligatures) and applies bidi. A font covers
one script, and Pillow has no font fallback, so a line is split into script runs (Arabic
script vs. everything else) that are shaped one by one and placed in visual order: left to
right for a left-to-right line, right to left for a right-to-left line. That is enough for
the mixed lines a receipt has ("رقم الإيصال: R-2024-0042").

The raster goes to the printer as ``GS v 0`` (raster bit image), full paper width.
"""

from __future__ import annotations

import functools
import logging
import textwrap
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

log = logging.getLogger(__name__)

NOTO = Path("/usr/share/fonts/truetype/noto")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_FONTS: dict[tuple[str, bool], tuple[Path, ...]] = {
    ("arabic", False): (NOTO / "NotoSansArabic-Regular.ttf", NOTO / "NotoNaskhArabic-Regular.ttf",
                        DEJAVU / "DejaVuSans.ttf"),
    ("arabic", True): (NOTO / "NotoSansArabic-Bold.ttf", NOTO / "NotoNaskhArabic-Bold.ttf",
                       DEJAVU / "DejaVuSans-Bold.ttf"),
    ("hebrew", False): (NOTO / "NotoSansHebrew-Regular.ttf", DEJAVU / "DejaVuSans.ttf"),
    ("hebrew", True): (NOTO / "NotoSansHebrew-Bold.ttf", DEJAVU / "DejaVuSans-Bold.ttf"),
    ("other", False): (NOTO / "NotoSans-Regular.ttf", DEJAVU / "DejaVuSans.ttf"),
    ("other", True): (NOTO / "NotoSans-Bold.ttf", DEJAVU / "DejaVuSans-Bold.ttf"),
}
BASE_FONT_PX = 24
"""Glyph size for size-1 text: the 24-dot height of the printer's own Font A."""

BASIC = ImageFont.Layout.BASIC
RAQM = ImageFont.Layout.RAQM


def has_raqm() -> bool:
    """Whether Pillow can shape complex scripts (libraqm present)."""
    return bool(features.check("raqm"))


def script_of(ch: str) -> str | None:
    """The font script of a character, or None for neutrals (digits, spaces, punctuation)."""
    if unicodedata.category(ch)[0] not in "LM":
        return None
    cp = ord(ch)
    if 0x0600 <= cp <= 0x08FF or 0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFF:
        return "arabic"
    if 0x0590 <= cp <= 0x05FF or 0xFB1D <= cp <= 0xFB4F:
        return "hebrew"
    return "other"


def is_rtl(text: str) -> bool:
    """Base direction by Unicode bidi rule P2: the first strong character decides."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return True
        if bidi == "L":
            return False
    return False


@functools.lru_cache(maxsize=32)
def load_font(
    script: str, bold: bool, px: int, engine: ImageFont.Layout
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The first installed font for a script (Noto, then DejaVu)."""
    for path in _FONTS[(script, bold)]:
        if path.exists():
            return ImageFont.truetype(str(path), px, layout_engine=engine)
    log.warning("no TrueType font for script %s found; using Pillow's default font", script)
    return ImageFont.load_default(px)


def split_runs(text: str) -> list[tuple[str, str]]:
    """Split logical text into (script, text) runs; neutrals join the run before them."""
    runs: list[tuple[str, str]] = []
    lead = ""  # neutrals before the first letter
    for ch in text:
        script = script_of(ch)
        if script is None and runs:
            runs[-1] = (runs[-1][0], runs[-1][1] + ch)
        elif script is None:
            lead += ch
        elif runs and runs[-1][0] == script:
            runs[-1] = (script, runs[-1][1] + ch)
        else:
            runs.append((script, lead + ch))
            lead = ""
    if lead:  # the text has no letters at all
        runs.append(("other", lead))
    return runs


def _run_direction(script: str) -> str:
    return "rtl" if script in ("arabic", "hebrew") else "ltr"


def _draw_kwargs(script: str, engine: ImageFont.Layout) -> dict[str, str]:
    return {"direction": _run_direction(script)} if engine == RAQM else {}


def measure(text: str, bold: bool, px: int, engine: ImageFont.Layout = RAQM) -> int:
    """Width in dots of a line of text as it will be rendered."""
    total = 0.0
    for script, run in split_runs(text):
        font = load_font(script, bold, px, engine)
        total += font.getlength(run, **_draw_kwargs(script, engine))  # type: ignore[arg-type]
    return int(total + 0.999)


def wrap(text: str, width_px: int, bold: bool, px: int) -> list[str]:
    """Word-wrap logical text so that each line fits ``width_px`` dots."""
    words = text.split(" ")
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if measure(candidate, bold, px) <= width_px or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    out: list[str] = []
    for line in lines:  # a single word wider than the paper: break it by characters
        out.extend(_break_long(line, width_px, bold, px))
    return out


def _break_long(line: str, width_px: int, bold: bool, px: int) -> Iterator[str]:
    while measure(line, bold, px) > width_px and len(line) > 1:
        cut = len(line) - 1
        while cut > 1 and measure(line[:cut], bold, px) > width_px:
            cut -= 1
        yield line[:cut]
        line = line[cut:]
    yield line


def render_line(
    text: str,
    width_px: int,
    *,
    bold: bool = False,
    size: int = 1,
    align: str = "start",
    rtl: bool | None = None,
    engine: ImageFont.Layout = RAQM,
) -> Image.Image:
    """Render one line (already wrapped) to a 1-bit image ``width_px`` wide, black = 1."""
    px = BASE_FONT_PX * size
    rtl = is_rtl(text) if rtl is None else rtl
    runs = split_runs(text)
    if rtl:
        runs.reverse()  # visual order of runs in a right-to-left paragraph
    # tight line box from the ink, but never smaller than a Latin line of this size
    ascent, descent = int(px * 0.95), int(px * 0.3)
    for script, run in runs:
        font = load_font(script, bold, px, engine)
        box = font.getbbox(run, anchor="ls", **_draw_kwargs(script, engine))  # type: ignore[arg-type]
        ascent, descent = max(ascent, int(-box[1]) + 1), max(descent, int(box[3]) + 1)
    height = ascent + descent + 2 * size
    img = Image.new("L", (width_px, height), 255)
    draw = ImageDraw.Draw(img)
    line_width = measure(text, bold, px, engine)
    if align == "start":
        align = "right" if rtl else "left"
    x = {"left": 0, "center": (width_px - line_width) // 2, "right": width_px - line_width}[align]
    x = max(0, x)
    for script, run in runs:
        font = load_font(script, bold, px, engine)
        kwargs = _draw_kwargs(script, engine)
        draw.text((x, ascent + size), run, font=font, fill=0, anchor="ls", **kwargs)  # type: ignore[arg-type]
        x += int(font.getlength(run, **kwargs) + 0.5)  # type: ignore[arg-type]
    return img.point(lambda v: 255 if v >= 128 else 0, mode="1")


def raster_command(img: Image.Image) -> bytes:
    """``GS v 0`` raster bit image command for a 1-bit image (black pixels print)."""
    bw = img.convert("1")
    width_bytes = (bw.width + 7) // 8
    padded = Image.new("1", (width_bytes * 8, bw.height), 1)
    padded.paste(bw, (0, 0))
    # mode "1" packs 8 pixels per byte with white = 1; the printer wants black = 1
    data = bytes(b ^ 0xFF for b in padded.tobytes())
    header = b"\x1dv0\x00" + width_bytes.to_bytes(2, "little") + bw.height.to_bytes(2, "little")
    return header + data


def wrap_columns(text: str, columns: int) -> list[str]:
    """Word-wrap code-page text to the printer's character columns."""
    return textwrap.wrap(text, columns, break_on_hyphens=False) or [""]
