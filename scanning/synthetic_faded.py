"""Faded-text pages for the scanning corpus (``scanning.synthetic``): text lost into the paper.

Two ways a page loses part of its text while the paper stays bright:

* ``fade_print``: a weak printer. The toner runs thin in a streak along the paper feed
  (a vertical band through the text) or over the lower part of the text; ink there keeps
  only 5–30 % of its contrast, with a soft ramp into the well-printed part.
* ``whiten_paper`` then ``synthetic.add_glare`` over ``text_area``: a page photographed so
  brightly that the paper is at full white, with a lamp's reflection over the text. The paper
  cannot get brighter, so the reflection shows only as ink fading away (the "amounts are
  gone" case).

Both are rejected by ``scanning.fade``: ``faded_text`` for the printer, ``glare`` for light.
"""

from __future__ import annotations

import cv2
import numpy as np


def _ramp(length: int, start: float, end: float, soft: float) -> np.ndarray:
    """1 inside [start, end] (fractions of ``length``), falling to 0 over ``soft`` outside."""
    x = np.linspace(0.0, 1.0, length, dtype=np.float32)
    rise = np.clip((x - (start - soft)) / max(soft, 1e-3), 0, 1)
    fall = np.clip(((end + soft) - x) / max(soft, 1e-3), 0, 1)
    return np.asarray(np.minimum(rise, fall), np.float32)


def text_area(page: np.ndarray) -> tuple[float, float, float, float]:
    """Left, right, top, bottom of the printed text as fractions of the page (rules ignored)."""
    h, w = page.shape[:2]
    ink = page < 160
    per_row = ink.sum(axis=1)
    rows = np.nonzero((per_row > 0) & (per_row < 0.5 * w))[0]
    cols = np.nonzero(ink[rows].any(axis=0))[0] if rows.size else np.array([], int)
    if not rows.size or not cols.size:
        return 0.0, 1.0, 0.0, 1.0
    return cols[0] / w, cols[-1] / w, rows[0] / h, rows[-1] / h


def fade_print(page: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A greyscale page (white paper, dark ink) whose print is faint in one part."""
    h, w = page.shape[:2]
    left, right, top, bottom = text_area(page)
    keep = float(rng.uniform(0.05, 0.3))  # share of the ink contrast left where faded
    soft = float(rng.uniform(0.03, 0.08))
    if rng.random() < 0.6:  # a streak along the paper feed
        width = float(rng.uniform(0.25, 0.4)) * (right - left)
        start = left + float(rng.uniform(0.1, 0.9)) * (right - left - width)
        weight = _ramp(w, start, start + width, soft)[None, :]
    else:  # toner running out towards the end of the sheet
        start = top + float(rng.uniform(0.3, 0.6)) * (bottom - top)
        weight = _ramp(h, start, 1.5, soft)[:, None]
    factor = 1.0 - (1.0 - keep) * weight
    ink = 255.0 - page.astype(np.float32)
    return np.asarray((255.0 - ink * factor).clip(0, 255), np.uint8)


def whiten_paper(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Expose a desk photo so that the page's brightest paper sits at full white (ink dark)."""
    grey = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    paper = float(np.percentile(grey, 97))
    gain = rng.uniform(1.05, 1.2) * 255.0 / max(paper, 1.0)
    return np.asarray((photo.astype(np.float32) * gain).clip(0, 255), np.uint8)
