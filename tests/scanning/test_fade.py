"""Faded text: a page whose text fades into bright paper is refused, and why."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from config.scanning import ScanQualityConfig
from scanning import check_page
from scanning.fade import FadeScore, fade_reason, score_fade
from scanning.synthetic_docs import render_document
from scanning.synthetic_faded import fade_print, text_area
from tests.scanning.conftest import corpus_case


def thumbnail(page: np.ndarray) -> np.ndarray:
    """A rectified page as the checks see it: about 1000 px long, a little noise."""
    factor = 1000 / max(page.shape)
    small = cv2.resize(page, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    noise = np.random.default_rng(1).normal(0, 2.0, small.shape)
    return np.asarray((small.astype(np.float64) + noise).clip(0, 255), np.uint8)


def lit(page: np.ndarray, seed: int) -> np.ndarray:
    """A lamp's reflection over the text of a full-white page: the ink is lifted to white."""
    rng = np.random.default_rng(seed)
    left, right, top, bottom = text_area(page)
    h, w = page.shape
    cx, cy = w * rng.uniform(left + 0.2, right - 0.2), h * rng.uniform(top, bottom)
    yy, xx = np.ogrid[:h, :w]
    blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (0.12 * h) ** 2))
    return np.asarray((page + 420.0 * blob).clip(0, 255), np.uint8)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_well_printed_page_has_no_faded_text(seed: int) -> None:
    page = render_document("bank_statement", seed).image
    score = score_fade(thumbnail(page))
    assert score.faded_fraction == 0.0 and score.cause == "none"
    assert score.text_tiles > 50


@pytest.mark.parametrize("seed", [21, 22, 23, 24])
def test_faint_print_is_faded_text(seed: int) -> None:
    page = render_document("payslip", seed).image
    faded = fade_print(page, np.random.default_rng(seed))
    score = score_fade(thumbnail(faded))
    assert score.faded_fraction > ScanQualityConfig().max_faded_fraction
    assert fade_reason(score, ScanQualityConfig().max_faded_fraction, []) == ["faded_text"]


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_a_reflection_on_white_paper_is_glare(seed: int) -> None:
    page = render_document("bank_statement", seed).image
    score = score_fade(thumbnail(lit(page, seed)))
    assert score.faded_fraction > ScanQualityConfig().max_faded_fraction
    assert score.cause == "light"


def test_the_reason_is_added_once() -> None:
    score = FadeScore(0.2, 0.8, "light", 300)
    assert fade_reason(score, 0.01, ["glare"]) == []
    assert fade_reason(FadeScore(0.005, 0.8, "print", 300), 0.01, []) == []


@pytest.mark.parametrize(("kind", "seed"), [("good", 311), ("scan", 312), ("good_foreign", 313)])
def test_good_photos_are_not_faded(kind: str, seed: int, config: ScanQualityConfig) -> None:
    verdict = check_page(corpus_case(kind, seed).image, config)
    assert verdict.accepted, verdict.reasons
    assert verdict.scores.faded_fraction == 0.0
