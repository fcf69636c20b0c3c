"""``judge_page`` equals ``complete_page(check_page(...))``, whatever its early OCR guessed."""

from __future__ import annotations

import numpy as np
import pytest

from config.scanning import ScanQualityConfig
from scanning.judge import judge_page
from scanning.models import OcrResult, PageResult
from scanning.ocr import OcrReader, run_ocr
from scanning.pipeline import check_page, complete_page
from tests.scanning.conftest import corpus_case


def _summary(result: PageResult) -> tuple[object, ...]:
    v = result.verdict
    return (v.verdict, v.reasons, v.corners, v.rotation, v.effective_dpi, v.scores.as_dict(),
            result.language, result.text, result.document_type,
            result.document_type_confidence, result.ocr_confidence)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "seed"),
    [("good", 5004), ("good_rot180", 5005), ("good_rot90", 5013), ("good_foreign", 5017),
     ("defocus", 5001), ("wall", 5015)],
)
def test_same_result_as_check_then_complete(kind: str, seed: int) -> None:
    config = ScanQualityConfig()
    image = corpus_case(kind, seed).image
    expected = complete_page(check_page(image, config), config)
    assert _summary(judge_page(image, config)) == _summary(expected)


class _CountingReader:
    """Records how often the full-page OCR had to be run after the checks."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, image: np.ndarray, lang: str, *, psm: int = 3, dpi: int | None = None,
                 want_pdf: bool = False, timeout_s: float = 20.0) -> OcrResult:
        self.calls.append(lang)
        return run_ocr(image, lang, psm=psm, dpi=dpi, want_pdf=want_pdf, timeout_s=timeout_s)


@pytest.mark.slow
def test_upright_german_page_is_read_once_by_the_early_ocr() -> None:
    counting = _CountingReader()
    reader: OcrReader = counting
    result = judge_page(corpus_case("good", 5004).image, ScanQualityConfig(), read=reader)
    assert result.verdict.accepted and result.ocr is not None and len(result.text) > 50
    assert counting.calls == []  # the early run's result was used, no second full read


@pytest.mark.slow
def test_upside_down_page_is_read_again() -> None:
    counting = _CountingReader()
    reader: OcrReader = counting
    result = judge_page(corpus_case("good_rot180", 5005).image, ScanQualityConfig(),
                        read=reader)
    assert result.verdict.rotation == 180
    assert counting.calls == ["deu"]  # the early guess (upright) was dropped
