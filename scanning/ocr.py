"""Tesseract OCR, always with a timeout and one OpenMP thread per process.

On two cores, several single-threaded Tesseract processes side by side beat one process
using OpenMP, so ``OMP_THREAD_LIMIT=1`` is set for the child processes and parallel work
(several pages: ``run_parallel``; the early full-page read of ``scanning.judge``) runs as
separate processes. Images are handed over as uncompressed PGM/PPM files, so nothing is
spent on PNG compression, and a ``PendingOcr`` can start Tesseract (which first loads its
model, ~0.1 s) before the image is ready. OSD and the version check go through
pytesseract.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Protocol, TypeVar

import cv2
import numpy as np

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


class OcrReader(Protocol):
    """The signature of ``run_ocr``: how pipeline steps read an image (injectable)."""

    def __call__(
        self,
        image: np.ndarray,
        lang: str,
        *,
        psm: int = 3,
        dpi: int | None = None,
        want_pdf: bool = False,
        timeout_s: float = 20.0,
    ) -> OcrResult: ...


class PendingOcr:
    """One Tesseract run started before its image is ready (it loads its model meanwhile).

        with PendingOcr("deu", psm=3, dpi=200) as pending:   # spawns tesseract
            ...                                               # find and straighten the page
            pending.feed(grey)                                # writes the image, names it
            result = pending.result(timeout_s=20)             # OcrResult or OcrFailed

    Tesseract reads a list of image files from standard input (one name here), so it can be
    started first; handing over the pixels themselves through the pipe costs Tesseract
    ~0.05 s more CPU per page than reading the file.
    """

    def __init__(
        self, lang: str, *, psm: int = 3, dpi: int | None = None, want_pdf: bool = False
    ) -> None:
        self.lang, self.psm, self.dpi, self.want_pdf = lang, psm, dpi or 300, want_pdf
        self.image: np.ndarray | None = None  # what was fed, for callers that compare inputs
        self._folder = Path(tempfile.mkdtemp(prefix="kiosk-ocr-"))
        self._base = self._folder / "out"
        command = ["tesseract", "stdin", str(self._base), "-l", lang, "--psm", str(psm),
                   "--dpi", str(self.dpi), "-c", "tessedit_create_tsv=1"]
        if want_pdf:
            command += ["-c", "textonly_pdf=1", "pdf"]
        try:
            with open(self._folder / "stderr", "wb") as errors:
                self._proc = subprocess.Popen(command, stdin=subprocess.PIPE,
                                              stdout=subprocess.DEVNULL, stderr=errors)
        except OSError as exc:
            shutil.rmtree(self._folder, ignore_errors=True)
            log.warning("tesseract cannot be started: %s", type(exc).__name__)
            raise OcrFailed("tesseract failed") from exc
        self._fed = False

    def feed(self, image: np.ndarray) -> None:
        """Hand the image (greyscale or BGR) to Tesseract without waiting for it."""
        try:
            path = _write_image(image, str(self._folder))
        except OcrFailed:
            self.cancel()
            raise
        self.image, self._fed = image, True
        stdin = self._proc.stdin
        assert stdin is not None
        # a dead tesseract (e.g. unknown language) breaks the pipe: result() reports it
        with contextlib.suppress(OSError):
            stdin.write(path.encode() + b"\n")
        with contextlib.suppress(OSError):
            stdin.close()

    def result(self, timeout_s: float) -> OcrResult:
        """Wait for Tesseract (at most ``timeout_s`` after feeding); raises OcrFailed."""
        if not self._fed:
            self.cancel()
            raise OcrFailed("no image was fed to tesseract")
        try:
            self._proc.wait(timeout_s)
        except subprocess.TimeoutExpired as exc:
            self.cancel()
            log.warning("tesseract timed out after %.1f s", timeout_s)
            raise OcrFailed("tesseract timed out", code="ocr_timeout") from exc
        try:
            if self._proc.returncode != 0:
                log.warning("tesseract failed with exit status %d", self._proc.returncode)
                raise OcrFailed("tesseract failed")
            tsv = self._base.with_suffix(".tsv").read_text("utf-8", errors="replace")
            pdf = self._base.with_suffix(".pdf").read_bytes() if self.want_pdf else None
        except OSError as exc:
            log.warning("tesseract output unreadable: %s", type(exc).__name__)
            raise OcrFailed("tesseract failed") from exc
        finally:
            self.cancel()
        words, text = parse_tsv(tsv)
        return OcrResult(words, text, self.lang, pdf)

    def cancel(self) -> None:
        """Stop Tesseract if it still runs and remove its files (safe to call twice)."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> PendingOcr:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cancel()


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
    with PendingOcr(lang, psm=psm, dpi=dpi, want_pdf=want_pdf) as pending:
        pending.feed(image)
        return pending.result(timeout_s)


def detect_script(image: np.ndarray, timeout_s: float = 10.0) -> tuple[str, float]:
    """Tesseract OSD's script guess ('Latin', 'Cyrillic', 'Arabic', …) and its confidence."""
    import pytesseract  # only OSD and the version check use it

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
    import pytesseract

    try:
        pytesseract.get_tesseract_version()
    except (pytesseract.TesseractNotFoundError, OSError):
        return False
    return True
