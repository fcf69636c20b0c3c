"""The page verdict on synthetic photos and scans: right verdict, reason, corners, rotation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from config.scanning import ScanQualityConfig
from scanning import CHECK_STEPS, HINT_FOR_REASON, check_page, complete_page
from scanning.detect import detect_page
from scanning.synthetic import EXPECTED_REASON
from tests.scanning.conftest import corpus_case


def _corner_error(truth: np.ndarray, found: object, diag: float) -> float:
    return float(np.max(np.linalg.norm(truth - np.array(found), axis=1))) / diag


@pytest.mark.parametrize("kind", sorted(EXPECTED_REASON))
def test_bad_pages_rejected_with_the_right_reason(kind: str, config: ScanQualityConfig) -> None:
    case = corpus_case(kind, 300)
    verdict = check_page(case.image, config)
    assert not verdict.accepted
    assert case.expected_reason in verdict.reasons
    assert HINT_FOR_REASON[case.expected_reason] in verdict.hints
    if kind in ("wall", "hand", "blank"):
        assert verdict.reasons == ("no_page",)
        assert not verdict.page_found and verdict.corners is None


@pytest.mark.parametrize(("kind", "seed"), [("good", 301), ("scan", 302), ("good_rot180", 303)])
def test_good_pages_accepted_upright_with_corners(
    kind: str, seed: int, config: ScanQualityConfig
) -> None:
    case = corpus_case(kind, seed)
    verdict = check_page(case.image, config)
    assert verdict.accepted, verdict.reasons
    assert verdict.hints == ("ready",)
    assert verdict.rotation == case.rotation
    assert verdict.effective_dpi >= config.min_effective_dpi
    assert case.corners is not None and verdict.corners is not None
    diag = float(np.hypot(*case.image.shape[:2]))
    assert _corner_error(case.corners, verdict.corners, diag) < 0.02
    assert verdict.image is not None and verdict.image.shape[0] > verdict.image.shape[1]
    assert verdict.scores.ocr_confidence is not None and verdict.scores.ocr_confidence > 70
    assert [name for name, _ in CHECK_STEPS][0] == "detect_page"
    assert set(verdict.timings) <= {name for name, _ in CHECK_STEPS}


def test_sideways_page_is_turned_upright(config: ScanQualityConfig) -> None:
    case = corpus_case("good_rot90", 304)
    verdict = check_page(case.image, config)
    assert verdict.accepted
    assert verdict.rotation == case.rotation in (90, 270)
    assert verdict.image is not None and verdict.image.shape[0] > verdict.image.shape[1]


def test_greyscale_input_is_accepted(config: ScanQualityConfig) -> None:
    case = corpus_case("scan", 305)
    grey = cv2.cvtColor(case.image, cv2.COLOR_BGR2GRAY)
    assert check_page(grey, config).accepted


def test_stricter_resolution_threshold_rejects(config: ScanQualityConfig) -> None:
    case = corpus_case("good", 306)
    strict = config.model_copy(update={"min_effective_dpi": 600.0})
    assert "low_resolution" in check_page(case.image, strict).reasons


def test_detect_page_on_plain_noise_finds_nothing_usable(config: ScanQualityConfig) -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 255, (600, 800, 3), dtype=np.uint8)
    assert check_page(noise, config).reasons == ("no_page",)
    assert detect_page(np.zeros((10, 10, 3), np.uint8)).found is False


@pytest.mark.slow
def test_complete_page_reads_text_and_type(config: ScanQualityConfig) -> None:
    case = corpus_case("good", 307)
    assert case.document is not None
    result = complete_page(check_page(case.image, config), config)
    assert result.language == "de"
    assert result.document_type == case.document.doc_type
    assert result.document_type_confidence > 0.5
    found = set(result.text.split())
    words = case.document.words
    assert sum(w in found for w in words) / len(words) > 0.9
    assert result.ocr is not None and result.ocr.text_pdf is not None


def test_complete_page_without_image_is_safe(config: ScanQualityConfig) -> None:
    verdict = check_page(corpus_case("wall", 308).image, config)
    result = complete_page(verdict, config)
    assert result.text == "" and result.document_type == "other"


def test_scan_lying_against_the_image_edges_is_not_cut_off(config: ScanQualityConfig) -> None:
    case = corpus_case("scan", 309)
    assert case.corners is not None
    x0, y0 = np.maximum(case.corners.min(axis=0).astype(int), 0)
    x1, y1 = case.corners.max(axis=0).astype(int)
    verdict = check_page(np.ascontiguousarray(case.image[y0:y1, x0 + 20 : x1]), config)
    assert verdict.accepted, verdict.reasons
