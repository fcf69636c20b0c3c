"""A small, printer-independent model of a receipt.

The kiosk's receipt code builds a :class:`ReceiptLayout` out of a few frozen items and hands
it to a :class:`~device_drivers.printer.protocol.ReceiptPrinter`. The layout says *what* to
print (text in any language, a separator, a QR code, blank lines, a cut); the encoder decides
*how* (code-page text where possible, a raster image for scripts the printer cannot encode).

Example::

    layout = ReceiptLayout.of(
        TextLine("Eingangsbestätigung", bold=True, size=2, align="center"),
        TextLine("إيصال استلام", align="center"),
        Separator(),
        QRCode(signed_payload),
        Feed(2),
        Cut(),
    )
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Align = Literal["start", "left", "center", "right"]
Direction = Literal["auto", "ltr", "rtl"]

MAX_QR_PAYLOAD = 1500
"""Upper bound for a QR payload (ASCII); a signed receipt payload is a few hundred characters."""


@dataclass(frozen=True)
class TextLine:
    """One logical line of text; the encoder wraps it to the paper width.

    ``align='start'`` means left for left-to-right text and right for right-to-left text.
    ``direction='auto'`` takes the direction from the first strong character (Unicode bidi P2).
    """

    text: str
    bold: bool = False
    size: Literal[1, 2] = 1
    align: Align = "start"
    direction: Direction = "auto"

    def __post_init__(self) -> None:
        if self.size not in (1, 2):
            raise ValueError(f"TextLine.size must be 1 or 2, not {self.size!r}")
        if self.align not in ("start", "left", "center", "right"):
            raise ValueError(f"TextLine.align is not valid: {self.align!r}")
        if self.direction not in ("auto", "ltr", "rtl"):
            raise ValueError(f"TextLine.direction is not valid: {self.direction!r}")
        if any(ch in self.text for ch in "\n\r\x00\x1b\x1d\x10"):
            raise ValueError("TextLine.text must not contain line breaks or control characters")


@dataclass(frozen=True)
class Separator:
    """A horizontal rule across the paper."""

    char: str = "-"

    def __post_init__(self) -> None:
        if len(self.char) != 1 or not (" " < self.char < "\x7f"):
            raise ValueError("Separator.char must be one printable ASCII character")


@dataclass(frozen=True)
class QRCode:
    """A native QR code (model 2, error correction M), centred; ``module_px`` is the dot size."""

    payload: str
    module_px: int = 4

    def __post_init__(self) -> None:
        if not self.payload:
            raise ValueError("QRCode.payload must not be empty")
        if not self.payload.isascii():
            raise ValueError("QRCode.payload must be ASCII (encode binary data, e.g. base64url)")
        if len(self.payload) > MAX_QR_PAYLOAD:
            raise ValueError(f"QRCode.payload is longer than {MAX_QR_PAYLOAD} characters")
        if not 1 <= self.module_px <= 16:
            raise ValueError("QRCode.module_px must be between 1 and 16")


@dataclass(frozen=True)
class Feed:
    """Blank lines (paper feed)."""

    lines: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.lines <= 255:
            raise ValueError("Feed.lines must be between 1 and 255")


@dataclass(frozen=True)
class Cut:
    """Feed the paper past the cutter and cut it."""

    partial: bool = False


LayoutItem = TextLine | Separator | QRCode | Feed | Cut


@dataclass(frozen=True)
class ReceiptLayout:
    """An ordered, immutable sequence of layout items."""

    items: tuple[LayoutItem, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.items, tuple):
            raise TypeError("ReceiptLayout.items must be a tuple")
        for item in self.items:
            if not isinstance(item, TextLine | Separator | QRCode | Feed | Cut):
                raise TypeError(f"not a layout item: {type(item).__name__}")

    @classmethod
    def of(cls, *items: LayoutItem) -> ReceiptLayout:
        """Build a layout from items given as arguments."""
        return cls(tuple(items))

    @property
    def ends_with_cut(self) -> bool:
        """Whether the last item cuts the paper."""
        return bool(self.items) and isinstance(self.items[-1], Cut)
