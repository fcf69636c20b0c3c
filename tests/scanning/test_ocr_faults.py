"""OCR degrades gracefully: a Tesseract timeout or a missing language becomes OcrFailed."""

from __future__ import annotations

import numpy as np
import pytest

from config.scanning import ScanQualityConfig
from foundation.errors import OcrFailed
from scanning import check_page, complete_page
from scanning.ocr import parse_tsv, run_ocr, run_parallel
from scanning.synthetic_docs import render_document
from tests.scanning.conftest import corpus_case


def test_timeout_raises_ocr_failed() -> None:
    page = render_document("payslip", 1, dpi=300).image
    with pytest.raises(OcrFailed) as info:
        run_ocr(page, "deu", timeout_s=0.05)
    assert info.value.code == "ocr_timeout"


def test_unknown_language_raises_ocr_failed() -> None:
    with pytest.raises(OcrFailed):
        run_ocr(np.full((64, 64), 255, np.uint8), "xxx", timeout_s=10)


def test_run_parallel_returns_failures_instead_of_raising() -> None:
    def boom() -> int:
        raise OcrFailed("x")

    out = run_parallel([lambda: 1, boom])
    assert out[0] == 1 and isinstance(out[1], OcrFailed)


def test_parse_tsv_builds_lines_and_blocks() -> None:
    head = "\t".join(["level", "page_num", "block_num", "par_num", "line_num", "word_num",
                      "left", "top", "width", "height", "conf", "text"])
    rows = [
        "5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t96\tHallo",
        "5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t91\tWelt",
        "5\t1\t2\t1\t1\t1\t0\t0\t10\t10\t-1\tEnde",
    ]
    words, text = parse_tsv("\n".join([head, *rows]))
    assert [w.text for w in words] == ["Hallo", "Welt", "Ende"]
    assert text == "Hallo Welt\n\nEnde"
    assert words[2].confidence == 0.0


def test_complete_page_survives_ocr_timeout() -> None:
    config = ScanQualityConfig()
    verdict = check_page(corpus_case("scan", 320).image, config)
    tight = config.model_copy(update={"ocr_timeout_s": 0.01})
    result = complete_page(verdict, tight)
    assert result.ocr is None and result.text == ""
