"""Image-quality checks on the rectified page: pure functions over arrays, frozen results.

* ``score_focus`` estimates the edge spread (Gaussian sigma) of the page's strongest edges
  in four directions: defocus widens all of them, motion blur mainly one
  (``motion_ratio``). Edge spread in millimetres on paper is what decides legibility.
* ``score_exposure`` measures paper level, ink contrast, clipped pixels and glare.
* ``score_content`` tells a printed page from a blank sheet, a wall or a hand.
"""

from __future__ import annotations

import cv2
import numpy as np

from scanning.models import ContentScore, ExposureScore, FocusScore
from scanning.rectify import ink_mask

_SQRT_2PI = float(np.sqrt(2 * np.pi))


def _pick_tiles(grey: np.ndarray, tile: int, count: int) -> list[tuple[int, int]]:
    """Top-left corners of the ``count`` tiles with the most contrast (text, not margins)."""
    h, w = grey.shape
    rows, cols = h // tile, w // tile
    if rows == 0 or cols == 0:
        return [(0, 0)]
    crop = grey[: rows * tile, : cols * tile].astype(np.float32)
    mean = cv2.resize(crop, (cols, rows), interpolation=cv2.INTER_AREA)
    sq = cv2.resize(crop * crop, (cols, rows), interpolation=cv2.INTER_AREA)
    std = np.sqrt(np.maximum(sq - mean * mean, 0))
    std[0, :] = std[-1, :] = 0  # page edges may carry background
    std[:, 0] = std[:, -1] = 0
    order = np.argsort(std.ravel())[::-1][:count]
    return [(int(i // cols) * tile, int(i % cols) * tile) for i in order if std.ravel()[i] > 8]


def _directional_sigmas(tile: np.ndarray, window: int) -> list[float] | None:
    g = tile.astype(np.float32)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (window, window))
    contrast = cv2.dilate(g, kernel) - cv2.erode(g, kernel)
    c_max = float(np.percentile(contrast, 99))
    if c_max < 20:
        return None
    valid = contrast > 0.6 * c_max
    dx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3) / 8
    dy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3) / 8
    sigmas = []
    for deriv in (dx, dy, (dx + dy) / np.sqrt(2), (dx - dy) / np.sqrt(2)):
        mag = np.abs(deriv)[valid]
        if mag.size < 50:
            return None
        cut = np.percentile(mag, 97)
        strong = mag >= cut
        sig = contrast[valid][strong] / np.maximum(mag[strong] * _SQRT_2PI, 1e-3)
        sigmas.append(float(np.median(sig)))
    return sigmas


def score_focus(grey: np.ndarray, px_per_mm: float, tile: int = 160, tiles: int = 12) -> FocusScore:
    """Edge spread of the sharpest text edges (px and mm) and its anisotropy."""
    window = int(np.clip(round(2.5 * px_per_mm), 15, 41)) | 1
    per_tile = []
    for y, x in _pick_tiles(grey, tile, tiles):
        sigmas = _directional_sigmas(grey[y : y + tile, x : x + tile], window)
        if sigmas is not None:
            per_tile.append(sigmas)
    if not per_tile:
        return FocusScore(0.0, 0.0, 1.0, 0)
    directional = np.median(np.array(per_tile), axis=0)
    blur_px = float(directional.max())
    motion = float(directional.max() / max(directional.min(), 1e-3))
    return FocusScore(
        round(blur_px, 3), round(blur_px / px_per_mm, 4), round(motion, 3), len(per_tile)
    )


def _glare_fraction(grey: np.ndarray, paper_level: float) -> float:
    """Share of the page under a specular highlight: saturated, compact, above the lighting trend.

    Uneven lighting is smooth over the whole page; a reflection is a compact bright patch, so
    the paper level is compared with a strongly smoothed copy of itself.
    """
    if paper_level >= 240:
        return 0.0
    factor = min(1.0, 400 / max(grey.shape))
    small = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    k = max(5, (min(small.shape) // 40) | 1)
    paper = cv2.morphologyEx(
        small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    paper = cv2.blur(paper, (3, 3)).astype(np.float32)
    trend = cv2.GaussianBlur(paper, (0, 0), max(small.shape) * 0.12)
    hot = ((paper >= 249) & (paper - trend > 18)).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(hot, connectivity=8)
    min_area = 0.0005 * hot.size
    area = sum(
        int(stats[i, cv2.CC_STAT_AREA])
        for i in range(1, count)
        if stats[i, cv2.CC_STAT_AREA] >= min_area
    )
    return float(area) / hot.size


def score_exposure(grey: np.ndarray) -> ExposureScore:
    """Paper level, ink contrast, clipped share and glare share of a rectified page (thumbnail)."""
    h, w = grey.shape
    m = max(2, min(h, w) // 30)
    inner = grey[m:-m, m:-m]
    ink = ink_mask(inner).astype(bool)
    paper_px = inner[~ink] if np.count_nonzero(~ink) > 100 else inner.ravel()
    paper_level = float(np.median(paper_px))
    ink_level = float(np.percentile(inner, 0.5))
    clipped = float(np.mean(inner >= 250))
    glare = _glare_fraction(inner, paper_level)
    return ExposureScore(
        round(paper_level, 2), round(paper_level - ink_level, 2), round(clipped, 4), round(glare, 5)
    )


def score_content(grey: np.ndarray, mask: np.ndarray | None = None) -> ContentScore:
    """Share of ink and number of text lines on a rectified page (thumbnail).

    ``mask`` is ``ink_mask(grey)`` when the caller has it already.
    """
    if mask is None:
        mask = ink_mask(grey)
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    area = grey.shape[0] * grey.shape[1]
    a, bw, bh = (stats[1:, i] for i in (cv2.CC_STAT_AREA, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    marks = int(np.count_nonzero(
        (a >= 3) & (a <= 0.01 * area) & (bw < grey.shape[1] / 3) & (bh < grey.shape[0] / 8)
    ))
    rows = mask.sum(axis=1).astype(np.float64)
    lines = 0
    if rows.max(initial=0) > 0:
        active = rows > max(2.0, 0.05 * rows.max())
        lines = int(np.count_nonzero(np.diff(active.astype(np.int8)) == 1))
    ink_fraction = float(mask.mean())
    return ContentScore(round(ink_fraction, 5), lines if marks >= 15 else 0)
