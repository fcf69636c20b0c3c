"""Benchmark of the scanning pipeline on a generated corpus (``scanning.synthetic``).

    .venv/bin/python benchmarks/bench_scanning.py [--pages 40] [--ocr-ratio-pages 6]

Prints verdict times (p50/p95), verdict accuracy (good accepted, bad rejected with the
right reason), the rejection rate of faded-text pages (``--faded-pages``: faint print and a
reflection over full-white paper, ``scanning.synthetic_faded``), page-corner error, OCR
word recall on accepted pages, document-type accuracy, live-preview fps, the ratio of our
full-page OCR step to a bare ``tesseract`` run on the same rectified page, and the size of a
3-page PDF.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.scanning import ScanQualityConfig  # noqa: E402
from scanning import analyze_preview, build_document_pdf, check_page, complete_page  # noqa: E402
from scanning.models import PreviewState  # noqa: E402
from scanning.ocr import run_ocr  # noqa: E402
from scanning.pipeline import ocr_input  # noqa: E402
from scanning.synthetic import FADED_KINDS, SyntheticCase, corpus_kinds, make_case  # noqa: E402

TARGETS = {"good": 95.0, "bad": 95.0, "corner": 2.0, "recall": 95.0, "doctype": 90.0,
           "p95": 1.5, "fps": 12.0, "ratio": 1.2, "faded": 95.0}


def _make(args: tuple[str, int]) -> SyntheticCase:
    return make_case(*args)


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _norm(word: str) -> str:
    return re.sub(r"[^\w]", "", word.lower())


def word_recall(truth: list[str], text: str) -> float:
    """Share of ground-truth words found in the OCR text (multiset match)."""
    found = Counter(_norm(w) for w in text.split())
    hits = total = 0
    for word in (_norm(w) for w in truth):
        if not word:
            continue
        total += 1
        if found[word] > 0:
            found[word] -= 1
            hits += 1
    return hits / total if total else 1.0


def corner_error(truth: np.ndarray, corners: tuple[tuple[float, float], ...], diag: float,
                 ordered: bool) -> float:
    """Median corner distance in % of the image diagonal (any cyclic order unless ordered)."""
    found = np.array(corners, np.float64)
    shifts = [0] if ordered else range(4)
    return min(float(np.median(np.linalg.norm(np.roll(truth, s, 0) - found, axis=1)))
               for s in shifts) / diag * 100


def bare_vs_ours(pages: list[tuple[np.ndarray, str, float]]) -> tuple[float, float]:
    """Total seconds of our OCR step and of a bare tesseract CLI run on the same pages."""
    ours = bare = 0.0
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.TemporaryDirectory() as folder:
        for i, (image, lang, dpi) in enumerate(pages):
            flat = ocr_input(image)
            path = Path(folder) / f"p{i}.png"
            cv2.imwrite(str(path), flat)
            start = time.perf_counter()
            subprocess.run(["tesseract", str(path), str(Path(folder) / f"o{i}"), "-l", lang],
                           capture_output=True, timeout=120, env=env, check=True)
            bare += time.perf_counter() - start
            start = time.perf_counter()
            run_ocr(ocr_input(image), lang, dpi=round(dpi), want_pdf=True, timeout_s=120)
            ours += time.perf_counter() - start
    return ours, bare


def preview_fps(images: list[np.ndarray], frames: int = 90) -> float:
    """Frames per second of analyze_preview on 1920x1080 frames."""
    config = ScanQualityConfig()
    video = [cv2.resize(img, (1920, 1080)) for img in images[:6]]
    state = PreviewState()
    start = time.perf_counter()
    for i in range(frames):
        state = analyze_preview(video[(i // 15) % len(video)], state, config).state
    return frames / (time.perf_counter() - start)


def faded_verdicts(
    cases: list[SyntheticCase], config: ScanQualityConfig
) -> tuple[dict[str, list[str]], set[str]]:
    """Faded-text pages refused (name -> reasons), and those refused with the expected reason."""
    rejected: dict[str, list[str]] = {}
    right: set[str] = set()
    for case in cases:
        verdict = check_page(case.image, config)
        if not verdict.accepted:
            rejected[case.name] = list(verdict.reasons)
            if case.expected_reason in verdict.reasons:
                right.add(case.name)
    return rejected, right


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--seed", type=int, default=5000)
    parser.add_argument("--ocr-ratio-pages", type=int, default=6)
    parser.add_argument("--faded-pages", type=int, default=20,
                        help="faded-text pages (half faint print, half a reflection on white)")
    args = parser.parse_args()
    config = ScanQualityConfig()
    t0 = time.perf_counter()
    jobs = [(kind, args.seed + i) for i, kind in enumerate(corpus_kinds(args.pages))]
    faded_jobs = [(FADED_KINDS[i % len(FADED_KINDS)], args.seed + 10_000 + i)
                  for i in range(args.faded_pages)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        cases = list(pool.map(_make, jobs))
        faded_cases = list(pool.map(_make, faded_jobs))
    print(f"corpus: {len(cases)} + {len(faded_cases)} faded images generated in "
          f"{time.perf_counter() - t0:.1f} s")
    faded_rejected, faded_right = faded_verdicts(faded_cases, config)

    verdict_times, complete_times, recalls, corner_any, corner_ordered = [], [], [], [], []
    good = good_ok = bad = bad_ok = bad_rejected = types = types_ok = 0
    accepted_pages, failures = [], []
    for case in cases:
        start = time.perf_counter()
        verdict = check_page(case.image, config)
        verdict_times.append(time.perf_counter() - start)
        diag = float(np.hypot(*case.image.shape[:2]))
        if case.corners is not None and verdict.corners is not None:
            corner_any.append(corner_error(case.corners, verdict.corners, diag, False))
            if verdict.accepted:
                corner_ordered.append(corner_error(case.corners, verdict.corners, diag, True))
        if case.expected_verdict == "accept":
            good += 1
            good_ok += verdict.accepted
        else:
            bad += 1
            bad_rejected += not verdict.accepted
            bad_ok += case.expected_reason in verdict.reasons
        ok = verdict.accepted if case.expected_verdict == "accept" else \
            case.expected_reason in verdict.reasons
        if not ok:
            failures.append(f"{case.name}: got {verdict.verdict} {list(verdict.reasons)}")
        if verdict.accepted and case.document is not None:
            start = time.perf_counter()
            result = complete_page(verdict, config)
            complete_times.append(time.perf_counter() - start)
            recalls.append(word_recall(case.document.words, result.text))
            types += 1
            types_ok += result.document_type == case.document.doc_type
            lang = result.ocr.tesseract_lang if result.ocr else "deu"
            accepted_pages.append((result, lang))

    ours, bare = bare_vs_ours([(r.verdict.image, lang, r.verdict.image_dpi)
                               for r, lang in accepted_pages[: args.ocr_ratio_pages]
                               if r.verdict.image is not None])
    fps = preview_fps([c.image for c in cases if c.expected_verdict == "accept"])
    pdf_pages = [r for r, _ in accepted_pages if r.ocr is not None][:3]
    pdf_size = len(build_document_pdf(pdf_pages, {"kiosk_id": "bench"})) if pdf_pages else 0

    def line(label: str, value: str, target: str) -> None:
        print(f"  {label:<44s} {value:>14s}   target {target}")

    print("\nresults")
    line("verdict time p50 / p95 (s)",
         f"{_pct(verdict_times, 50):.2f} / {_pct(verdict_times, 95):.2f}", "p95 <= 1.5")
    line("full OCR+lang+type p50 / p95 (s, background)",
         f"{_pct(complete_times, 50):.2f} / {_pct(complete_times, 95):.2f}", "-")
    line("good pages accepted", f"{100 * good_ok / max(good, 1):.1f}% of {good}", ">= 95%")
    line("bad pages rejected with the right reason",
         f"{100 * bad_ok / max(bad, 1):.1f}% of {bad}", ">= 95%")
    line("bad pages rejected (any reason)", f"{100 * bad_rejected / max(bad, 1):.1f}%", "-")
    line("faded-text pages rejected",
         f"{100 * len(faded_rejected) / max(len(faded_cases), 1):.1f}% of {len(faded_cases)}",
         ">= 95%")
    line("  ... with the right reason (faded_text/glare)",
         f"{100 * len(faded_right) / max(len(faded_cases), 1):.1f}%", "-")
    line("page-corner error, median (% of diagonal)",
         f"{statistics.median(corner_any):.2f}%" if corner_any else "n/a", "<= 2%")
    line("corner order from page top-left correct",
         f"{100 * np.mean([e < 2 for e in corner_ordered]):.1f}%" if corner_ordered else "n/a", "-")
    line("OCR word recall on accepted pages (mean)",
         f"{100 * np.mean(recalls):.1f}%" if recalls else "n/a", ">= 95%")
    line("document type accuracy", f"{100 * types_ok / max(types, 1):.1f}% of {types}", ">= 90%")
    line("live preview analysis (fps, 1080p)", f"{fps:.1f}", ">= 12")
    line("our OCR step / bare tesseract (same pages)",
         f"{ours / bare:.2f}x ({ours:.1f}/{bare:.1f}s)" if bare else "n/a", "<= 1.2x")
    line(f"{len(pdf_pages)}-page PDF size", f"{pdf_size / 1e6:.2f} MB", "<= 1.5 MB")
    failures += [f"{c.name}: accepted" for c in faded_cases if c.name not in faded_rejected]
    failures += [f"{name}: {reasons}" for name, reasons in faded_rejected.items()
                 if name not in faded_right]
    if failures:
        print("\nmisjudged:")
        for failure in failures:
            print("  " + failure)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
