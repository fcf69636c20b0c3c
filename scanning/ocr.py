"""Tesseract OCR through pytesseract, always with a timeout and one OpenMP thread per process.

On two cores, several single-threaded Tesseract processes side by side beat one process
using OpenMP, so ``OMP_THREAD_LIMIT=1`` is set for the child processes and parallel work
(two orientations, several pages) runs as separate processes via ``run_parallel``. Images
are handed over as uncompressed PGM/PPM files so nothing is spent on PNG compression.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
import pytesseract

from foundation.errors import OcrFailed
from scanning.models import OcrResult, OcrWord

log = logging.getLogger(__name__)

# Child Tesseract processes inherit the environment; OpenMP threads hurt on 2 cores.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

#: ISO 639-1 language -> Tesseract traineddata name
TESSERACT_LANG = {
    "de": "deu",
    "en": "eng",
    "uk": "ukr",
    "ru": "rus",
    "ar": "ara",
    "fa": "fas",
    "tr": "tur",
    "pl": "pol",
    "ro": "ron",
}
#: what to read a text sample with, per script, before the language is known
SCRIPT_SAMPLE_LANG = {"Latin": "deu", "Cyrillic": "ukr+rus", "Arabic": "ara+fas"}

T = TypeVar("T")



def _write_image(image: np.ndarray, folder: str) -> str:
    path = str(Path(folder) / ("page.pgm" if image.ndim == 2 else "page.ppm"))
    if not cv2.imwrite(path, image):
        raise OcrFailed("could not write the OCR input image")
    return path


def parse_tsv(tsv: str) -> tuple[tuple[OcrWord, ...], str]:
    """Words and plain text (lines, blank line between blocks) from Tesseract TSV output."""
    words: list[OcrWord] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            conf = float(cols[10])
            box = (int(cols[6]), int(cols[7]), int(cols[8]), int(cols[9]))
            line = (int(cols[2]), int(cols[3]), int(cols[4]))
        except ValueError:
            continue
        words.append(OcrWord(cols[11].strip(), max(conf, 0.0), box, line))
    lines: list[str] = []
    last: tuple[int, int, int] | None = None
    for word in words:
        if last is None or word.line != last:
            if last is not None and word.line[0] != last[0]:
                lines.append("")
            lines.append(word.text)
        else:
            lines[-1] += " " + word.text
        last = word.line
    return tuple(words), "\n".join(lines)


def run_ocr(
    image: np.ndarray,
    lang: str,
    *,
    psm: int = 3,
    dpi: int | None = None,
    want_pdf: bool = False,
    timeout_s: float = 20.0,
) -> OcrResult:
    """Recognise text in an image (greyscale or BGR); optionally also a text-only PDF page."""
    config = f"--psm {psm} --dpi {dpi or 300} -c tessedit_create_tsv=1"
    extension = "tsv"
    if want_pdf:
        extension += " pdf"
        config += " -c textonly_pdf=1"
    with tempfile.TemporaryDirectory(prefix="kiosk-ocr-") as folder:
        path = _write_image(image, folder)
        base = str(Path(folder) / "out")
        try:
            pytesseract.pytesseract.run_tesseract(
                path, base, extension, lang, config=config, timeout=timeout_s
            )
            tsv = Path(base + ".tsv").read_text("utf-8", errors="replace")
            pdf = Path(base + ".pdf").read_bytes() if want_pdf else None
        except RuntimeError as exc:  # pytesseract signals its timeout this way
            log.warning("tesseract timed out after %.1f s", timeout_s)
            raise OcrFailed("tesseract timed out", code="ocr_timeout") from exc
        except (pytesseract.TesseractError, OSError) as exc:
            log.warning("tesseract failed: %s", type(exc).__name__)
            raise OcrFailed("tesseract failed") from exc
    words, text = parse_tsv(tsv)
    return OcrResult(words, text, lang, pdf)


def detect_script(image: np.ndarray, timeout_s: float = 10.0) -> tuple[str, float]:
    """Tesseract OSD's script guess ('Latin', 'Cyrillic', 'Arabic', …) and its confidence."""
    with tempfile.TemporaryDirectory(prefix="kiosk-osd-") as folder:
        path = _write_image(image, folder)
        try:
            osd = pytesseract.image_to_osd(path, config="--psm 0 --dpi 300", timeout=timeout_s)
        except (RuntimeError, pytesseract.TesseractError, OSError):
            return "unknown", 0.0
    script, conf = "unknown", 0.0
    for line in str(osd).splitlines():
        if line.startswith("Script:"):
            script = line.split(":", 1)[1].strip()
        elif line.startswith("Script confidence:"):
            try:
                conf = float(line.split(":", 1)[1])
            except ValueError:
                conf = 0.0
    return script, conf


def run_parallel(tasks: Sequence[Callable[[], T]], workers: int = 2) -> list[T | OcrFailed]:
    """Run OCR tasks side by side (each spawns its own Tesseract process); failures returned."""

    def guard(task: Callable[[], T]) -> T | OcrFailed:
        try:
            return task()
        except OcrFailed as exc:
            return exc

    if len(tasks) == 1:
        return [guard(tasks[0])]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(guard, tasks))


def tesseract_available() -> bool:
    """True when the tesseract binary can be run."""
    try:
        pytesseract.get_tesseract_version()
    except (pytesseract.TesseractNotFoundError, OSError):
        return False
    return True
