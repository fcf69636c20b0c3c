"""Faded text: does every text region of the page keep its ink contrast?

A page can look well exposed and still have lost part of its text into the paper: a lamp's
reflection or a bright window over paper that is already at full white (the paper cannot
get brighter, so the only trace of the light is ink fading away), or a printer running out
of toner. A "brighter than the paper" test sees none of this, so ``score_fade`` compares the
ink instead: on the rectified thumbnail, every small tile's darkest ink relative to its own
paper (``1 - ink / paper``, independent of smooth lighting) against the page's usual ink.
Tiles whose ink is visible but far too pale, in a connected patch, are faded.

Which cause: a weak printer leaves faint but present text all through its streak or region
(``print``, reason ``faded_text``); a reflection over full-white paper wipes the text out at
its centre and leaves only a faint rim (``light``, reason ``glare``).
(Over paper that is not yet white, ``quality.score_exposure`` sees the reflection itself.)
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_MIN_INK = 0.06  # darkness below this is paper grain, JPEG noise or nothing
_STRONG_INK = 0.3  # darkness of the page's normal ink is measured on tiles above this
_FAINT_SHARE = 0.45  # a tile whose ink is below this share of the normal ink is faint
_MIN_PATCH_TILES = 3
_MIN_PALE_PX = 6  # pale pixels in a tile that look like a faint stroke, not grain
_PRINT_FADE_SHARE = 0.15  # a printer's fade covers a wide part of the text ...
_MAX_PRINT_GAPS = 0.1  # ... and leaves its characters: few empty tiles along faded lines


@dataclass(frozen=True)
class FadeScore:
    """How much of the page's text has faded, and whether light or the print is the cause."""

    faded_fraction: float  # faded text tiles / all text tiles
    normal_ink: float  # the page's usual ink darkness (0 paper … 1 black)
    cause: str  # "light", "print" or "none"
    text_tiles: int


def _darkness(grey: np.ndarray) -> np.ndarray:
    """Per-pixel ink darkness relative to the local paper level (smooth light divides out)."""
    k = max(15, (min(grey.shape[:2]) // 25) | 1)
    paper = cv2.morphologyEx(
        grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    paper = cv2.GaussianBlur(paper, (0, 0), k / 3).astype(np.float32)
    dark = 1.0 - grey.astype(np.float32) / np.maximum(paper, 1.0)
    return np.asarray(np.clip(dark, 0.0, 1.0), np.float32)


def _gap_share(faint: np.ndarray, inked: np.ndarray, touched: np.ndarray) -> float:
    """Share of empty tiles among faint and empty tiles along the text lines that fade:
    where a reflection wiped the text out, a line has a gap; faint print leaves none."""
    gaps = kept = 0
    for row in range(faint.shape[0]):
        if not faint[row].any():
            continue
        cols = np.nonzero(faint[row] | inked[row])[0]
        span = slice(int(cols[0]), int(cols[-1]) + 1)
        gaps += int(np.count_nonzero(~touched[row, span]))
        kept += int(np.count_nonzero(faint[row]))
    return gaps / max(gaps + kept, 1)


def _cause(fraction: float, gap_share: float) -> str:
    """``print`` for a wide plateau of faint but present text, else ``light``.

    A weak printer leaves its characters, only pale, over a whole streak or region. A
    reflection over full-white paper wipes the text out where it is strongest and leaves a
    faint rim around that gap. When unsure, ``light``: tilting the page costs the visitor
    nothing, and after two refusals the page may be sent anyway.
    """
    return "print" if fraction >= _PRINT_FADE_SHARE and gap_share < _MAX_PRINT_GAPS else "light"


def _tile_max(values: np.ndarray, tile: int) -> np.ndarray:
    h, w = values.shape
    rows, cols = h // tile, w // tile
    cut = values[: rows * tile, : cols * tile].reshape(rows, tile, cols, tile)
    return np.asarray(cut.max(axis=(1, 3)), np.float32)


def _tile_sum(mask: np.ndarray, tile: int) -> np.ndarray:
    h, w = mask.shape
    rows, cols = h // tile, w // tile
    cut = mask[: rows * tile, : cols * tile].reshape(rows, tile, cols, tile)
    return np.asarray(cut.sum(axis=(1, 3)), np.int32)


def score_fade(grey: np.ndarray) -> FadeScore:
    """Faded share of the text on a rectified page (greyscale thumbnail, ~1000 px)."""
    h, w = grey.shape[:2]
    m = max(2, min(h, w) // 30)
    inner = grey[m:-m, m:-m]
    dark = _darkness(inner)
    tile = max(6, max(inner.shape) // 64)
    peaks = _tile_max(dark, tile)
    strong = peaks[peaks > _STRONG_INK]
    if strong.size < 20:
        return FadeScore(0.0, 0.0, "none", 0)
    normal = float(np.median(strong))  # the darkest ink of a well-printed tile
    inked = (dark >= _FAINT_SHARE * normal).astype(np.uint8)
    # pale pixels away from normal ink: not the soft edge of a well-printed letter
    near = cv2.dilate(inked, np.ones((5, 5), np.uint8)).astype(bool)
    pale = ((dark > _MIN_INK) & ~near).astype(np.uint8)
    pale_n, inked_n = _tile_sum(pale, tile), _tile_sum(inked, tile)
    faint = ((pale_n >= _MIN_PALE_PX) & (inked_n == 0)).astype(np.uint8)
    text = (inked_n > 0) | faint.astype(bool)
    # one patch across the blank rows between faded lines
    bridged = cv2.morphologyEx(faint, cv2.MORPH_CLOSE, np.ones((3, 1), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bridged, connectivity=8)
    patches = [
        i for i in range(1, count)
        if stats[i, cv2.CC_STAT_AREA] >= _MIN_PATCH_TILES
        and min(stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]) >= 2  # not a rule
    ]
    faded = int(np.count_nonzero(faint.astype(bool) & np.isin(labels, patches)))
    fraction = faded / max(int(text.sum()), 1)
    cause = "none"
    if patches:
        touched = (pale_n > 0) | (inked_n > 0)
        cause = _cause(fraction, _gap_share(faint.astype(bool), inked_n > 0, touched))
    return FadeScore(round(fraction, 4), round(normal, 3), cause, int(text.sum()))


def fade_reason(fade: FadeScore, max_fraction: float, reasons: list[str]) -> list[str]:
    """The reason to add for a faded page (``glare`` for light, ``faded_text`` for print),
    none when too little faded or the reason is already given."""
    if fade.faded_fraction <= max_fraction:
        return []
    reason = "glare" if fade.cause == "light" else "faded_text"
    return [] if reason in reasons else [reason]
