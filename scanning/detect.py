"""Finding the page in a photo: segmentation of bright, low-saturation paper, then a quad fit.

Works on a downscaled copy (``work_size`` pixels on the long side); corners are refined by
fitting a line to each side of the paper outline and intersecting neighbouring lines, so
they stay accurate where a corner is rounded, shadowed or slightly occluded.
"""

from __future__ import annotations

import cv2
import numpy as np

from scanning.models import PageDetection

_NOT_FOUND = PageDetection(False, None, 0.0, False, False, 0.0)


def order_corners(points: np.ndarray) -> np.ndarray:
    """Order four points clockwise starting at the displayed top-left."""
    pts = np.asarray(points, np.float64).reshape(4, 2)
    center = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - center[1], pts[:, 0] - center[0])
    pts = pts[np.argsort(angles)]  # clockwise on screen (y down)
    start = int(np.argmin(pts[:, 0] + pts[:, 1]))
    return np.roll(pts, -start, axis=0)


def _paper_map(small: np.ndarray) -> np.ndarray:
    """Per-pixel 'paperness': bright and unsaturated scores high."""
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    value = hsv[..., 2].astype(np.int16)
    sat = hsv[..., 1].astype(np.int16)
    paper = np.clip(value - sat, 0, 255).astype(np.uint8)
    # close the dark text on the paper so the page is one solid region
    k = max(3, small.shape[1] // 60) | 1
    paper = cv2.morphologyEx(
        paper, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    )
    return cv2.GaussianBlur(paper, (5, 5), 0)


def _largest_component(mask: np.ndarray) -> np.ndarray | None:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    if count <= 1:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    region = (labels == best).astype(np.uint8) * 255
    # fill holes (a dark logo or a photo on the page)
    contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros_like(region)
    cv2.drawContours(filled, contours, -1, 255, thickness=cv2.FILLED)
    return np.asarray(filled, np.uint8)


def _approx_quad(contour: np.ndarray) -> np.ndarray | None:
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for eps in np.linspace(0.01, 0.12, 23):
        approx = cv2.approxPolyDP(hull, eps * perimeter, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float64)
        if len(approx) < 4:
            break
    box = cv2.boxPoints(cv2.minAreaRect(hull))
    return np.asarray(box, np.float64)


def _intersect(p1: np.ndarray, d1: np.ndarray, p2: np.ndarray, d2: np.ndarray) -> np.ndarray | None:
    matrix = np.array([d1, -d2]).T
    if abs(np.linalg.det(matrix)) < 1e-6:
        return None
    t = np.linalg.solve(matrix, p2 - p1)
    return np.asarray(p1 + t[0] * d1, np.float64)


def _refine_quad(quad: np.ndarray, contour: np.ndarray) -> np.ndarray:
    """Fit a line to the outline points along each side and intersect neighbours."""
    pts = contour.reshape(-1, 2).astype(np.float64)
    lines: list[tuple[np.ndarray, np.ndarray]] = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        side = b - a
        length = float(np.linalg.norm(side))
        if length < 1:
            return quad
        direction = side / length
        normal = np.array([-direction[1], direction[0]])
        rel = pts - a
        along = rel @ direction
        dist = np.abs(rel @ normal)
        keep = (along > 0.1 * length) & (along < 0.9 * length) & (dist < max(3.0, 0.02 * length))
        if keep.sum() < 10:
            lines.append((a, direction))
            continue
        vx, vy, x0, y0 = cv2.fitLine(
            pts[keep].astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01
        ).ravel()
        lines.append((np.array([x0, y0], np.float64), np.array([vx, vy], np.float64)))
    refined = []
    for i in range(4):
        p = _intersect(*lines[i - 1], *lines[i])
        if p is None or np.linalg.norm(p - quad[i]) > 0.1 * np.linalg.norm(quad[2] - quad[0]):
            p = quad[i]
        refined.append(p)
    return np.array(refined)


def _border_contact(mask: np.ndarray) -> tuple[float, int]:
    """Fraction of the frame border covered by the region, and how many sides it touches."""
    edges = (mask[0, :], mask[-1, :], mask[:, 0], mask[:, -1])
    fractions = [float(np.count_nonzero(e)) / e.size for e in edges]
    return float(np.mean(fractions)), sum(f > 0.03 for f in fractions)


def _candidate_masks(small: np.ndarray, paper: np.ndarray) -> list[np.ndarray]:
    _, otsu = cv2.threshold(paper, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    masks = [otsu]
    # edge-based: closed outlines for pages on light, low-contrast backgrounds
    grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
    edges = cv2.Canny(grey, 30, 90)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    inv = cv2.bitwise_not(edges)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(inv, connectivity=4)
    area = small.shape[0] * small.shape[1]
    for label in range(1, count):
        x, y, w, h, a = stats[label]
        if (
            0.15 * area < a < 0.97 * area
            and x > 0
            and y > 0
            and x + w < small.shape[1]
            and y + h < small.shape[0]
        ):
            masks.append((labels == label).astype(np.uint8) * 255)
    return masks


def _score_quad(mask: np.ndarray, quad: np.ndarray, paper: np.ndarray) -> float:
    area_img = mask.shape[0] * mask.shape[1]
    quad_area = abs(cv2.contourArea(quad.astype(np.float32)))
    if quad_area < 0.04 * area_img:
        return 0.0
    region_area = float(np.count_nonzero(mask))
    solidity = min(region_area, quad_area) / max(region_area, quad_area)
    quad_mask = np.zeros_like(mask)
    cv2.fillConvexPoly(quad_mask, np.round(quad).astype(np.int32), 255)
    inside = float(paper[quad_mask > 0].mean())
    outside_px = paper[quad_mask == 0]
    outside = float(outside_px.mean()) if outside_px.size > 0.02 * area_img else 0.0
    # relative contrast, so a page in a dim room is still found (and judged too dark)
    contrast = np.clip((inside - outside) / max(25.0, 0.4 * inside), 0, 1) if outside else 0.8
    return float(solidity**2 * (0.4 + 0.6 * contrast) * min(1.0, quad_area / (0.1 * area_img)))


def detect_page(image: np.ndarray, work_size: int = 800) -> PageDetection:
    """Find the page quad in a BGR image; corners in input pixels."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    h, w = image.shape[:2]
    scale = work_size / max(h, w)
    small = (
        cv2.resize(
            image,
            (max(1, round(w * scale)), max(1, round(h * scale))),
            interpolation=cv2.INTER_AREA,
        )
        if scale < 1
        else image
    )
    scale = small.shape[1] / w
    bright = float(np.percentile(small, 99))
    if bright < 120:  # underexposed: find the page anyway, the checks then say "too dark"
        gain = 200.0 / max(bright, 8.0)
        small = cv2.convertScaleAbs(cv2.GaussianBlur(small, (5, 5), 0), alpha=gain)
    paper = _paper_map(small)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for mask in _candidate_masks(small, paper):
        region = _largest_component(mask)
        if region is None:
            continue
        contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        contour = max(contours, key=cv2.contourArea)
        quad = _approx_quad(contour)
        if quad is None:
            continue
        quad = _refine_quad(order_corners(quad), contour)
        score = _score_quad(region, quad, paper)
        if best is None or score > best[0]:
            best = (score, quad, region)
    if best is None or best[0] < 0.2:
        return _NOT_FOUND
    score, quad, region = best
    contact, sides = _border_contact(region)
    area_fraction = float(np.count_nonzero(region)) / region.size
    fills = sides >= 3 and area_fraction > 0.8
    sh, sw = small.shape[:2]
    if fills:
        quad = np.array([[0, 0], [sw, 0], [sw, sh], [0, sh]], np.float64)
    margin = 0.004 * max(sh, sw)
    outside = np.any((quad < margin) | (quad > np.array([sw, sh]) - margin), axis=1)
    # a page filling most of the image (flatbed, cropped file) may lie against the edges
    cut_off = area_fraction < 0.8 and (sides > 0 and contact > 0.01 or bool(outside.any()))
    corners = order_corners(quad / scale)
    return PageDetection(True, corners, round(score, 4), cut_off, fills, round(area_fraction, 4))
