"""Theme tokens: every colour, font size and spacing of the UI in one place.

The Kivy layer reads these tokens (through ``kiosk.widgets``); nothing else hard-codes a
colour. Two themes: ``default`` (all text ≥ 4.5:1 contrast, WCAG 1.4.3) and
``high_contrast`` (≥ 7:1, WCAG 1.4.6). Contrast is computed, not asserted by eye: see
``contrast_ratio`` and the test over all text/background pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]


def _hex(value: str) -> RGB:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


@dataclass(frozen=True)
class Palette:
    """Colours of one theme; each ``*_text`` is drawn on the background named in TEXT_PAIRS."""

    background: RGB
    surface: RGB
    text: RGB
    muted_text: RGB
    primary: RGB
    primary_text: RGB
    secondary: RGB
    secondary_text: RGB
    danger: RGB
    danger_text: RGB
    success: RGB
    success_text: RGB
    warning: RGB
    warning_text: RGB
    focus: RGB
    outline: RGB


# (foreground, background) attribute pairs where text is drawn; the contrast test walks them.
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    ("text", "background"),
    ("text", "surface"),
    ("muted_text", "background"),
    ("muted_text", "surface"),
    ("primary_text", "primary"),
    ("secondary_text", "secondary"),
    ("danger_text", "danger"),
    ("success_text", "success"),
    ("warning_text", "warning"),
)

PALETTES: dict[str, Palette] = {
    "default": Palette(
        background=_hex("#F4F6F8"),
        surface=_hex("#FFFFFF"),
        text=_hex("#1B1F24"),
        muted_text=_hex("#4A5560"),
        primary=_hex("#0B5394"),
        primary_text=_hex("#FFFFFF"),
        secondary=_hex("#DDE5EE"),
        secondary_text=_hex("#12263A"),
        danger=_hex("#B3261E"),
        danger_text=_hex("#FFFFFF"),
        success=_hex("#1E6B34"),
        success_text=_hex("#FFFFFF"),
        warning=_hex("#FFD166"),
        warning_text=_hex("#1B1F24"),
        focus=_hex("#C25E00"),  # ≥ 3:1 on background and surface (WCAG 1.4.11)
        outline=_hex("#5B6B7A"),
    ),
    "high_contrast": Palette(
        background=_hex("#000000"),
        surface=_hex("#111111"),
        text=_hex("#FFFFFF"),
        muted_text=_hex("#E6E6E6"),
        primary=_hex("#FFE600"),
        primary_text=_hex("#000000"),
        secondary=_hex("#FFFFFF"),
        secondary_text=_hex("#000000"),
        danger=_hex("#FF9C9C"),
        danger_text=_hex("#000000"),
        success=_hex("#8CFF9E"),
        success_text=_hex("#000000"),
        warning=_hex("#FFE600"),
        warning_text=_hex("#000000"),
        focus=_hex("#00E5FF"),
        outline=_hex("#FFFFFF"),
    ),
}


@dataclass(frozen=True)
class Typography:
    """Font sizes in points at text scale 1.0 (multiplied by the visitor's text size)."""

    title: float = 30
    body: float = 22
    button: float = 22
    small: float = 18
    numpad: float = 32


@dataclass(frozen=True)
class Spacing:
    """Spacing in millimetres (converted to pixels via the screen's physical density)."""

    padding_mm: float = 5.0
    gap_mm: float = 3.0
    touch_target_mm: float = 15.0
    corner_radius_mm: float = 2.0


TYPOGRAPHY = Typography()
SPACING = Spacing()
TEXT_SCALES: tuple[float, ...] = (1.0, 1.25, 1.5, 2.0)
THEME_NAMES: tuple[str, ...] = tuple(PALETTES)


def palette(name: str) -> Palette:
    """Return the palette called ``name`` (``default`` or ``high_contrast``)."""
    try:
        return PALETTES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; allowed: {', '.join(PALETTES)}") from None


def relative_luminance(color: RGB) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio between two colours (1.0 … 21.0)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def rgba(color: RGB, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """Colour as Kivy's 0..1 RGBA tuple."""
    return (color[0] / 255, color[1] / 255, color[2] / 255, alpha)
