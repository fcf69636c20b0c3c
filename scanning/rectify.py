"""Geometry steps: perspective correction to the page's aspect, deskew, text-line direction.

The page's physical size is inferred from its aspect ratio (A-series portrait or landscape,
or an ID-1 card); the effective resolution follows from the page's pixel size in the
photo. One homography maps the photo to the rectified page, so the full-resolution image is
warped once.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# (long side mm, short side mm) of the page formats we recognise by aspect ratio
_FORMATS = {"a_series": (297.0, 210.0), "id1": (85.6, 53.98)}


@dataclass(frozen=True, eq=False)
class PageGeometry:
    """Homography from the photo to an upright-or-sideways rectified page, and its scale."""

    matrix: np.ndarray  # 3x3, input pixels -> rectified pixels
    size: tuple[int, int]  # rectified width, height
    effective_dpi: float  # pixels per inch the photo holds for this page
    page_size_mm: tuple[float, float]  # width, height as displayed


@dataclass(frozen=True)
class LineDirection:
    """Dominant text-line direction and residual skew of a page image."""

    skew_deg: float  # anticlockwise angle of the text lines
    vertical: bool  # lines run top-to-bottom: the page lies sideways
    strength: float  # profile sharpness ratio, ~1 = no clear lines


def _side_lengths(corners: np.ndarray) -> tuple[float, float]:
    tl, tr, br, bl = corners
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(width), float(height)


def infer_page_size(width_px: float, height_px: float) -> tuple[float, float]:
    """Physical (width, height) in mm guessed from the aspect ratio; A4 when unsure."""
    long_px, short_px = max(width_px, height_px), min(width_px, height_px)
    ratio = long_px / max(short_px, 1.0)
    best = "a_series"
    best_err = 1.0
    for name, (long_mm, short_mm) in _FORMATS.items():
        err = abs(ratio - long_mm / short_mm) / (long_mm / short_mm)
        if err < best_err:
            best, best_err = name, err
    long_mm, short_mm = _FORMATS[best] if best_err < 0.08 else _FORMATS["a_series"]
    return (short_mm, long_mm) if height_px >= width_px else (long_mm, short_mm)


def plan_rectification(corners: np.ndarray, max_dpi: float = 300.0) -> PageGeometry:
    """Homography and output size that correct perspective to the page's own aspect."""
    width_px, height_px = _side_lengths(corners)
    width_mm, height_mm = infer_page_size(width_px, height_px)
    dpi = min(width_px / (width_mm / 25.4), height_px / (height_mm / 25.4))
    out_dpi = min(dpi, max_dpi)
    out_w = max(8, round(width_mm / 25.4 * out_dpi))
    out_h = max(8, round(height_mm / 25.4 * out_dpi))
    dst = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), dst)
    return PageGeometry(
        matrix.astype(np.float64), (out_w, out_h), float(dpi), (width_mm, height_mm)
    )


def scaled(geometry: PageGeometry, long_side: int) -> tuple[np.ndarray, tuple[int, int]]:
    """The homography and size for a smaller copy of the rectified page."""
    w, h = geometry.size
    factor = min(1.0, long_side / max(w, h))
    scale = np.diag([factor, factor, 1.0])
    return scale @ geometry.matrix, (max(1, round(w * factor)), max(1, round(h * factor)))


def thumbnail(image: np.ndarray, geometry: PageGeometry, long_side: int = 1000) -> np.ndarray:
    """A small rectified copy of the page (for exposure, content and line direction)."""
    matrix, size = scaled(geometry, long_side)
    return warp(image, matrix, size)


def page_matrix(geometry: PageGeometry, direction: LineDirection) -> np.ndarray:
    """The homography to the rectified page, levelling clearly skewed text lines."""
    skew = direction.skew_deg
    if 0.15 < abs(skew) < 5 and direction.strength > 1.3:
        return np.asarray(deskew_matrix(skew, geometry.size) @ geometry.matrix)
    return geometry.matrix


def coarse_rotation(direction: LineDirection | None) -> int:
    """Clockwise degrees (0 or 90) that turn lines running top-to-bottom into rows."""
    return 90 if direction is not None and direction.vertical else 0


def warp(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Apply a homography (bilinear, replicated border)."""
    return cv2.warpPerspective(
        image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def ink_mask(grey: np.ndarray, threshold: float = 0.8) -> np.ndarray:
    """Pixels clearly darker than the local paper level (illumination-independent)."""
    k = max(15, (min(grey.shape[:2]) // 25) | 1)
    paper = cv2.morphologyEx(
        grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    paper = cv2.GaussianBlur(paper, (0, 0), k / 3).astype(np.float32)
    ratio = grey.astype(np.float32) / np.maximum(paper, 1.0)
    mask = (ratio < threshold).astype(np.uint8)
    border = max(2, min(grey.shape[:2]) // 40)
    mask[:border, :] = 0
    mask[-border:, :] = 0
    mask[:, :border] = 0
    mask[:, -border:] = 0
    return mask


def text_band(grey: np.ndarray, fraction: float = 0.2) -> np.ndarray:
    """The horizontal band of an upright page holding the most text, cut between lines."""
    h, w = grey.shape
    factor = min(1.0, 500 / w)
    small = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    rows = ink_mask(small).sum(axis=1).astype(np.float64)
    band = max(4, int(len(rows) * fraction))
    window = np.convolve(rows, np.ones(band), mode="valid")
    top = int(np.argmax(window)) if len(window) else 0
    reach = max(2, band // 6)

    def quiet(row: int) -> int:
        lo, hi = max(0, row - reach), min(len(rows), row + reach + 1)
        return lo + int(np.argmin(rows[lo:hi])) if hi > lo else row

    y0, y1 = quiet(top), quiet(top + band)
    cols = np.nonzero(ink_mask(small)[y0:y1].sum(axis=0))[0]
    x0, x1 = (int(cols.min()), int(cols.max()) + 1) if cols.size else (0, small.shape[1])
    pad = 6
    y0, y1 = max(0, round(y0 / factor) - pad), min(h, round(y1 / factor) + pad)
    x0, x1 = max(0, round(x0 / factor) - pad), min(w, round(x1 / factor) + pad)
    return grey[y0:y1, x0:x1]


def _profile_sharpness(points: np.ndarray, angle_deg: float, bins: int) -> float:
    theta = np.deg2rad(angle_deg)
    proj = points[:, 1] * np.cos(theta) - points[:, 0] * np.sin(theta)
    hist, _ = np.histogram(proj, bins=bins)
    hist = hist.astype(np.float64)
    return float(np.sum(hist**2) / max(np.sum(hist) ** 2, 1.0) * bins)


def find_line_direction(mask: np.ndarray, max_skew: float = 5.0) -> LineDirection:
    """Text-line angle by projection-profile sharpness over candidate angles (0° and 90°)."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 200:
        return LineDirection(0.0, False, 1.0)
    rng = np.random.default_rng(0)
    if len(xs) > 30000:
        pick = rng.choice(len(xs), 30000, replace=False)
        xs, ys = xs[pick], ys[pick]
    points = np.stack([xs, ys], axis=1).astype(np.float64)
    swapped = points[:, ::-1].copy()
    bins_h, bins_v = max(mask.shape[0] // 2, 16), max(mask.shape[1] // 2, 16)
    coarse = np.arange(-max_skew, max_skew + 0.01, 0.5)
    horiz = [_profile_sharpness(points, a, bins_h) for a in coarse]
    vert = [_profile_sharpness(swapped, a, bins_v) for a in coarse]
    vertical = max(vert) > max(horiz) * 1.15
    scores, pts, bins = (vert, swapped, bins_v) if vertical else (horiz, points, bins_h)
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - 0.5, best + 0.51, 0.1)
    fine_scores = [_profile_sharpness(pts, a, bins) for a in fine]
    angle = float(fine[int(np.argmax(fine_scores))])
    strength = max(max(horiz), max(vert)) / max(min(max(horiz), max(vert)), 1e-6)
    # image y points down: a profile angle a means lines descending to the right, i.e. a
    # clockwise tilt; for sideways text the swapped axes flip the sign
    return LineDirection(angle if vertical else -angle, vertical, float(strength))


def deskew_matrix(skew_deg: float, size: tuple[int, int]) -> np.ndarray:
    """3x3 rotation about the page centre that levels lines tilted by ``skew_deg``."""
    w, h = size
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), -skew_deg, 1.0)
    return np.vstack([rot, [0, 0, 1]])


def rotate_upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """Rotate clockwise by ``rotation`` (0/90/180/270) degrees."""
    return np.ascontiguousarray(np.rot90(image, -(rotation // 90) % 4))


def corners_from_page_top_left(corners: np.ndarray, rotation: int) -> np.ndarray:
    """Reorder displayed-order corners so they start at the page's own top-left."""
    k = (rotation // 90) % 4
    return np.array([corners[(i - k) % 4] for i in range(4)])


def flatten_illumination(grey: np.ndarray) -> np.ndarray:
    """Divide out uneven lighting and shadows: white paper, dark ink (for OCR and the PDF)."""
    h, w = grey.shape
    factor = min(1.0, 600 / max(h, w))
    small = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    k = max(5, (max(small.shape) // 60) | 1)
    paper = cv2.morphologyEx(
        small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    paper = cv2.GaussianBlur(paper, (0, 0), k / 2)
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(grey, np.maximum(paper, 1), scale=255)
    return np.asarray(flat, np.uint8)
