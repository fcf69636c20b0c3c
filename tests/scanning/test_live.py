"""Live preview guidance: outline, hints, steadiness tracker and auto-capture."""

from __future__ import annotations

import cv2
import numpy as np

from config.scanning import ScanQualityConfig
from scanning import PreviewState, analyze_preview
from scanning.synthetic import make_background
from tests.scanning.conftest import corpus_case


def _frame(kind: str, seed: int) -> np.ndarray:
    return cv2.resize(corpus_case(kind, seed).image, (1920, 1440), interpolation=cv2.INTER_AREA)


def test_steady_good_page_becomes_ready() -> None:
    config = ScanQualityConfig()
    frame = _frame("good", 360)
    state = PreviewState()
    guidance = analyze_preview(frame, state, config)
    assert guidance.corners is not None and len(guidance.corners) == 4
    assert not guidance.ready_to_capture
    for _ in range(config.preview_steady_frames + 1):
        guidance = analyze_preview(frame, guidance.state, config)
    assert guidance.ready_to_capture
    assert guidance.hints == ("ready",)
    assert guidance.steadiness == 1.0


def test_moving_page_asks_to_hold_still() -> None:
    frame = _frame("good", 360)
    moved = np.roll(frame, 120, axis=1)
    guidance = analyze_preview(frame, PreviewState())
    for image in (moved, frame, moved):
        guidance = analyze_preview(image, guidance.state)
        assert "hold_still" in guidance.hints
        assert not guidance.ready_to_capture


def test_hints_for_bad_scenes() -> None:
    assert "more_light" in analyze_preview(_frame("dark", 361), PreviewState()).hints
    assert "move_into_frame" in analyze_preview(_frame("cut_off", 362), PreviewState()).hints
    assert "move_closer" in analyze_preview(_frame("far", 363), PreviewState()).hints
    assert "avoid_glare" in analyze_preview(_frame("glare", 364), PreviewState()).hints
    desk = make_background(np.random.default_rng(3), (1280, 720))
    assert "move_into_frame" in analyze_preview(desk, PreviewState()).hints
    dark = np.full((720, 1280, 3), 10, np.uint8)
    assert "more_light" in analyze_preview(dark, PreviewState()).hints
