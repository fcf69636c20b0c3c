"""Live guidance on preview frames: page outline, hint codes, steadiness, auto-capture.

``analyze_preview`` is a pure function of the frame and the previous ``PreviewState``; the
returned guidance carries the next state, so the caller keeps no hidden tracker:

    state = PreviewState()
    for frame in camera_frames:
        guidance = analyze_preview(frame, state, config)
        state = guidance.state
        if guidance.ready_to_capture: ...

Work happens on a small copy (``config.preview_width``), well within a 12 fps budget.
"""

from __future__ import annotations

import cv2
import numpy as np

from config.scanning import ScanQualityConfig
from scanning.detect import detect_page
from scanning.models import Corners, PreviewGuidance, PreviewState

_THUMB = (64, 48)


def _steadiness(
    state: PreviewState,
    thumb: np.ndarray,
    corners: np.ndarray | None,
    diagonal: float,
    max_motion: float,
) -> tuple[bool, float]:
    """Whether the scene held still since the last frame, and a 0–1 steadiness score."""
    if state.thumbnail is None:
        return False, 0.0
    image_change = float(np.mean(cv2.absdiff(thumb, state.thumbnail))) / 255
    corner_move = 0.0
    if corners is not None and state.corners is not None:
        corner_move = float(np.max(np.linalg.norm(corners - state.corners, axis=1))) / diagonal
    elif (corners is None) != (state.corners is None):
        corner_move = 1.0
    motion = max(corner_move, image_change * 0.5)
    return motion <= max_motion, float(np.clip(1 - motion / (3 * max_motion), 0, 1))


def analyze_preview(
    frame: np.ndarray, state: PreviewState, config: ScanQualityConfig | None = None
) -> PreviewGuidance:
    """Guidance for one preview frame (BGR); corners are in this frame's pixels."""
    config = config or ScanQualityConfig()
    h, w = frame.shape[:2]
    scale = min(1.0, config.preview_width / w)
    small = (
        cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if scale < 1
        else frame
    )
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    if small.ndim == 2:
        small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
    detection = detect_page(small, work_size=max(small.shape[:2]))
    corners = detection.corners if detection.found else None
    hints: list[str] = []
    brightness = float(np.mean(grey))
    if corners is None or detection.cut_off:
        hints.append("move_into_frame")
    region = grey
    if corners is not None:
        mask = np.zeros_like(grey)
        cv2.fillConvexPoly(mask, np.round(corners).astype(np.int32), 255)
        if np.count_nonzero(mask) > 100:
            region = grey[mask > 0]
            brightness = float(np.median(region))
        if detection.area_fraction < config.preview_min_page_fraction and not detection.cut_off:
            hints.append("move_closer")
        if float(np.mean(region >= 250)) > 0.01 and brightness < 235:
            hints.append("avoid_glare")
    if brightness < config.min_paper_level + 20:
        hints.append("more_light")
    elif corners is not None and float(np.mean(region >= 250)) > config.max_clipped_fraction:
        hints.append("less_light")
    thumb = cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA)
    diagonal = float(np.hypot(*grey.shape[:2]))
    still, steadiness = _steadiness(state, thumb, corners, diagonal, config.preview_max_motion)
    steady_frames = state.steady_frames + 1 if still else 0
    ready = not hints and steady_frames >= config.preview_steady_frames
    if not hints:  # a good frame: "ready" once it held still long enough
        hints.append("ready" if ready else "hold_still")
    out_corners: Corners | None = None
    if corners is not None:
        full = corners / scale
        out_corners = tuple((round(float(x), 1), round(float(y), 1)) for x, y in full)  # type: ignore[assignment]
    new_state = PreviewState(thumb, corners, steady_frames)
    return PreviewGuidance(
        out_corners, tuple(hints), ready, round(steadiness, 3), round(brightness, 1), new_state
    )
