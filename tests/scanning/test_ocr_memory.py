"""OCR keeps page images and recognised text in memory: no temporary files, even briefly."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from foundation.errors import OcrFailed
from scanning.ocr import detect_script, run_ocr, split_tsv_pdf
from scanning.synthetic_docs import render_document

_CHILD = """
import sys, numpy as np
from scanning.ocr import detect_script, run_ocr
from scanning.synthetic_docs import render_document
page = render_document("payslip", 1, dpi=200).image
with_pdf = run_ocr(page, "deu", dpi=200, want_pdf=True, timeout_s=120)
plain = run_ocr(page[: page.shape[0] // 3], "deu", psm=6, timeout_s=120)
script = detect_script(page, timeout_s=60)
assert with_pdf.words and with_pdf.text_pdf and plain.words, "OCR found nothing"
print(script[0])
"""


def _names(folder: Path) -> set[str]:
    """Everything below ``folder`` right now (entries vanishing meanwhile are fine)."""
    return {name for _, dirs, files in os.walk(folder) for name in dirs + files}


def test_no_file_appears_in_the_temp_dir_during_ocr(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "TEMP": str(scratch), "TMP": str(scratch)}
    seen: set[str] = set()
    child = subprocess.Popen([sys.executable, "-c", _CHILD], env=env, cwd=Path.cwd(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while child.poll() is None:  # watch while it runs: a temp file removed later still counts
        seen.update(_names(scratch))
    out, err = child.communicate(timeout=300)
    seen.update(_names(scratch))
    assert child.returncode == 0, err[-2000:]
    assert out.strip() == "Latin"
    assert not seen, f"temporary files written during OCR: {sorted(seen)}"


def test_tsv_and_pdf_from_one_run_match_separate_runs() -> None:
    page = render_document("payslip", 2, dpi=200).image
    both = run_ocr(page, "deu", dpi=200, want_pdf=True, timeout_s=120)
    alone = run_ocr(page, "deu", dpi=200, timeout_s=120)
    assert [w.text for w in both.words] == [w.text for w in alone.words]
    assert both.text == alone.text and len(both.words) > 20
    assert both.text_pdf is not None
    with pikepdf.open(io.BytesIO(both.text_pdf)) as pdf:
        assert len(pdf.pages) == 1
        assert b"BT" in pdf.pages[0].Contents.read_bytes()


def test_split_refuses_output_it_does_not_understand() -> None:
    for junk in (b"", b"level\t\n1\t1\n", b"%PDF-1.5\nxref\nstartxref\n99\n%%EOF\n"):
        with pytest.raises(OcrFailed):
            split_tsv_pdf(junk)


def test_script_detection_degrades_to_unknown() -> None:
    import numpy as np

    assert detect_script(np.full((8, 8), 255, np.uint8), timeout_s=10) == ("unknown", 0.0)
