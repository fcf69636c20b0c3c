"""Tesseract processes started before their image: same reads, resolution from the image header."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.scanning import ScanQualityConfig
from foundation.errors import OcrFailed
from scanning.judge import judge_page
from scanning.ocr import PendingOcr, parse_tsv, read_prestarted, run_ocr, run_tesseract_in_memory
from scanning.pipeline import check_page, complete_page
from scanning.synthetic_docs import render_document
from scanning.tesseract import JUDGE_PAGE_JOBS, PRESTART_NICENESS, PrestartedOcr, stop_tesseract
from tests.scanning.conftest import corpus_case
from tests.scanning.test_judge import _CountingReader, _summary


def _media_box_width(pdf: bytes) -> float:
    found = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert found is not None, "no MediaBox in Tesseract's PDF"
    return float(found.group(1))


def test_prestarted_read_equals_a_read_with_dpi_on_the_command_line() -> None:
    page = render_document("payslip", 3, dpi=200).image
    expected = run_ocr(page, "deu", dpi=150, want_pdf=True, timeout_s=120)
    with PrestartedOcr([("deu", 3, True)]) as prestarted:
        got = read_prestarted(page, "deu", prestarted, dpi=150, want_pdf=True, timeout_s=120)
        assert not prestarted.waiting  # the waiting process did the read
    assert got.words == expected.words and got.text == expected.text and got.words
    # the text-only PDF page is as large as the pixels at the resolution Tesseract used
    assert got.text_pdf is not None and expected.text_pdf is not None
    assert _media_box_width(got.text_pdf) == pytest.approx(page.shape[1] * 72 / 150, abs=1)
    assert _media_box_width(got.text_pdf) == _media_box_width(expected.text_pdf)


def test_a_read_for_another_job_starts_its_own_process() -> None:
    page = render_document("payslip", 3, dpi=200).image[:400]
    with PrestartedOcr([("deu", 3, True)]) as prestarted:
        got = read_prestarted(page, "deu", prestarted, psm=6, timeout_s=120)
        assert prestarted.waiting == (("deu", 3, True),)
    assert got.words == run_ocr(page, "deu", psm=6, timeout_s=120).words


def _children() -> set[int]:
    """Process ids of this test process's children (a fresh one may not have exec'd yet)."""
    pids: set[int] = set()
    for children in Path("/proc/self/task").glob("*/children"):
        with contextlib.suppress(OSError):
            pids.update(int(pid) for pid in children.read_text().split())
    return pids


def test_close_stops_the_processes_nobody_took() -> None:
    before = _children()
    prestarted = PrestartedOcr([("deu", 6, False), ("deu", 3, True), ("deu", 6, False)])
    assert prestarted.waiting == (("deu", 6, False), ("deu", 3, True))
    assert len(_children() - before) == 2
    taken = prestarted.take("deu", 6, False)
    assert taken is not None and prestarted.take("deu", 6, False) is None
    prestarted.close()
    assert not prestarted.waiting
    assert _children() - before == {taken.pid}  # the taken one is the caller's
    stop_tesseract(taken)
    assert _children() - before == set()


def test_a_prestarted_process_for_an_unknown_language_fails_the_read() -> None:
    page = render_document("payslip", 3, dpi=200).image[:300]
    with PrestartedOcr([("xxx", 3, False)]) as prestarted, pytest.raises(OcrFailed):
        read_prestarted(page, "xxx", prestarted, timeout_s=30)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "seed"), [("good", 5004), ("good_rot180", 5005), ("good_foreign", 5017),
                       ("wall", 5015)],
)
def test_judge_page_with_prestarted_processes_gives_the_same_result(kind: str,
                                                                     seed: int) -> None:
    config = ScanQualityConfig()
    image = corpus_case(kind, seed).image
    expected = complete_page(check_page(image, config), config)
    with PrestartedOcr(JUDGE_PAGE_JOBS) as prestarted:
        assert _summary(judge_page(image, config, prestarted=prestarted)) == _summary(expected)


@pytest.mark.slow
def test_upright_german_page_uses_both_prestarted_processes_and_reads_once() -> None:
    counting = _CountingReader()
    with PrestartedOcr(JUDGE_PAGE_JOBS) as prestarted:
        result = judge_page(corpus_case("good", 5004).image, ScanQualityConfig(),
                            read=counting, prestarted=prestarted)
        assert not prestarted.waiting
    assert result.verdict.accepted and result.language == "de" and len(result.text) > 50
    assert counting.calls == []


def test_starting_processes_imports_neither_numpy_nor_opencv() -> None:
    probe = ("import sys; from scanning.tesseract import PrestartedOcr; "
             "PrestartedOcr([]).close(); "
             "print(sorted(m for m in ('numpy', 'cv2', 'PIL', 'pydantic') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def _memory_files() -> int:
    """How many in-memory OCR input files this process holds open."""
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            count += Path(fd).readlink().name.startswith("memfd:ocr-page")
    return count


def test_the_image_goes_over_as_an_in_memory_file_released_after_the_read() -> None:
    page = render_document("payslip", 3, dpi=200).image[:600]
    piped = parse_tsv(run_tesseract_in_memory(  # the image itself through the pipe
        page, ["-l", "deu", "--psm", "6", "--dpi", "200", "-c", "tessedit_create_tsv=1"], 120
    ).decode())
    before = _memory_files()
    with PendingOcr("deu", psm=6, dpi=200) as pending:
        pending.feed(page)
        assert _memory_files() == before + 1
        got = pending.result(timeout_s=120)
        assert _memory_files() == before
    assert (got.words, got.text) == piped and got.words
    with PendingOcr("deu", psm=6, dpi=200) as cancelled:
        cancelled.feed(page)
    assert _memory_files() == before  # a cancelled read releases it too


def test_the_text_sample_process_runs_at_lower_priority_than_the_full_page() -> None:
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    lower = min(19, ours + PRESTART_NICENESS[("deu", 6, False)])
    with PrestartedOcr(JUDGE_PAGE_JOBS) as prestarted:
        sample, page = prestarted.take("deu", 6, False), prestarted.take("deu", 3, True)
        assert sample is not None and page is not None
        try:
            assert os.getpriority(os.PRIO_PROCESS, sample.pid) == lower > ours
            assert os.getpriority(os.PRIO_PROCESS, page.pid) == ours
        finally:
            stop_tesseract(sample)
            stop_tesseract(page)
