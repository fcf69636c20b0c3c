"""Tesseract OCR, always with a timeout and one OpenMP thread per process.

On two cores, several single-threaded Tesseract processes side by side beat one process
using OpenMP, so ``OMP_THREAD_LIMIT=1`` is set for the child processes and parallel work
(several pages: ``run_parallel``; the early full-page read of ``scanning.judge``) runs as
separate processes. Images reach ``tesseract stdin stdout`` as uncompressed PGM/PPM/TIFF
(in an in-memory file named on its standard input, or piped) and the results are read from
its standard output, so no page image or recognised text ever lands in a temporary file
(which a kill -9 would leave behind; pytesseract's own helpers write temp files). A
``PendingOcr`` starts Tesseract (which first loads its model, ~0.1 s) before the image is
ready, or takes over one a ``PrestartedOcr`` started even earlier (``scanning.tesseract``).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Protocol, TypeVar

import cv2
import numpy as np

from foundation.errors import OcrFailed
from scanning.models import OcrResult, OcrWord
from scanning.tesseract import (
    TESSERACT_BINARY,
    PrestartedOcr,
    hand_over,
    start_tesseract,
    stop_tesseract,
    tesseract_command,
)

log = logging.getLogger(__name__)

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

# the image header tells a prestarted Tesseract (started without --dpi) the resolution
_TIFF_INCH = 2


def run_tesseract_in_memory(image: np.ndarray, args: Sequence[str], timeout_s: float) -> bytes:
    """Run Tesseract on an in-memory image (stdin) and return what it writes to stdout."""
    ok, encoded = cv2.imencode(".pgm" if image.ndim == 2 else ".ppm", image)
    if not ok:
        raise OcrFailed("could not encode the OCR input image")
    command = [TESSERACT_BINARY, "stdin", "stdout", *args]
    try:
        done = subprocess.run(
            command, input=encoded.tobytes(), capture_output=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as exc:
        log.warning("tesseract timed out after %.1f s", timeout_s)
        raise OcrFailed("tesseract timed out", code="ocr_timeout") from exc
    except OSError as exc:
        log.warning("tesseract failed: %s", type(exc).__name__)
        raise OcrFailed("tesseract failed") from exc
    if done.returncode != 0:
        log.warning("tesseract failed with exit code %d", done.returncode)
        raise OcrFailed("tesseract failed")
    return done.stdout


_OBJ = re.compile(rb"\d+ 0 obj\b")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


def split_tsv_pdf(out: bytes) -> tuple[str, bytes]:
    """Separate the TSV and the PDF that one Tesseract run wrote together to stdout.

    Tesseract writes each part as it goes: TSV heading, the PDF's opening objects, the
    page's TSV rows, then the PDF's page objects and trailer. The PDF's cross-reference
    table finds the cut: every object after the rows sits their length later than listed.
    """
    start = out.find(b"%PDF-")
    xref = out.rfind(b"\nxref\n") + 1
    end = _STARTXREF.search(out)
    if start < 0 or xref <= start or end is None:
        raise OcrFailed("tesseract output not understood")
    rest = out[start:]
    gap = xref - start - int(end.group(1))
    offsets = sorted(int(o) for o in re.findall(rb"(\d{10}) 00000 n", out[xref:]))
    cut = next((o for o in offsets if not _OBJ.match(rest, o)), len(rest) - gap)
    rows, pdf = rest[cut : cut + gap], rest[:cut] + rest[cut + gap :]
    if gap < 0 or not offsets or not all(_OBJ.match(pdf, o) for o in offsets):
        raise OcrFailed("tesseract output not understood")
    return (out[:start] + rows).decode("utf-8", errors="replace"), pdf


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
            pending.feed(grey)                                # hands the image over
            result = pending.result(timeout_s=20)             # OcrResult or OcrFailed

    The image reaches Tesseract as an in-memory file named on its standard input
    (``scanning.tesseract.hand_over``) and the TSV (and text-only PDF) come back on its
    standard output: nothing is written to disk. With ``prestarted``, a
    process already waiting for exactly this language, mode and output is taken instead of
    starting one; it gets the resolution in the image header rather than on its command line.
    """

    def __init__(
        self,
        lang: str,
        *,
        psm: int = 3,
        dpi: int | None = None,
        want_pdf: bool = False,
        prestarted: PrestartedOcr | None = None,
    ) -> None:
        self.lang, self.psm, self.dpi, self.want_pdf = lang, psm, dpi or 300, want_pdf
        self.image: np.ndarray | None = None  # what was fed, for callers that compare inputs
        waiting = prestarted.take(lang, psm, want_pdf) if prestarted is not None else None
        self._dpi_in_image = waiting is not None
        self._proc = waiting or start_tesseract(
            tesseract_command(lang, psm=psm, dpi=self.dpi, want_pdf=want_pdf)
        )
        self._fed = False
        self._memory: int | None = None  # the in-memory file holding the fed image

    def _encode(self, image: np.ndarray) -> np.ndarray | None:
        if self._dpi_in_image:
            params = [cv2.IMWRITE_TIFF_COMPRESSION, 1, cv2.IMWRITE_TIFF_RESUNIT, _TIFF_INCH,
                      cv2.IMWRITE_TIFF_XDPI, self.dpi, cv2.IMWRITE_TIFF_YDPI, self.dpi]
            ok, encoded = cv2.imencode(".tif", image, params)
        else:
            ok, encoded = cv2.imencode(".pgm" if image.ndim == 2 else ".ppm", image)
        return encoded if ok else None

    def feed(self, image: np.ndarray) -> None:
        """Hand Tesseract the image (greyscale or BGR); returns without waiting for it."""
        encoded = self._encode(image)
        if encoded is None:
            self.cancel()
            raise OcrFailed("could not encode the OCR input image")
        self.image, self._fed = image, True
        self._memory = hand_over(self._proc, encoded.tobytes())

    def result(self, timeout_s: float) -> OcrResult:
        """Wait for Tesseract (at most ``timeout_s`` after feeding); raises OcrFailed."""
        if not self._fed:
            self.cancel()
            raise OcrFailed("no image was fed to tesseract")
        try:
            out, _ = self._proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            self.cancel()
            log.warning("tesseract timed out after %.1f s", timeout_s)
            raise OcrFailed("tesseract timed out", code="ocr_timeout") from exc
        self._release()
        if self._proc.returncode != 0:
            log.warning("tesseract failed with exit status %d", self._proc.returncode)
            raise OcrFailed("tesseract failed")
        if self.want_pdf:
            tsv, pdf = split_tsv_pdf(out)
        else:
            tsv, pdf = out.decode("utf-8", errors="replace"), None
        words, text = parse_tsv(tsv)
        return OcrResult(words, text, self.lang, pdf)

    def cancel(self) -> None:
        """Stop Tesseract if it still runs (safe to call twice)."""
        stop_tesseract(self._proc)
        self._release()

    def _release(self) -> None:
        memory, self._memory = self._memory, None
        if memory is not None:
            os.close(memory)

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
    return read_prestarted(image, lang, None, psm=psm, dpi=dpi, want_pdf=want_pdf,
                           timeout_s=timeout_s)


def read_prestarted(
    image: np.ndarray,
    lang: str,
    prestarted: PrestartedOcr | None,
    *,
    psm: int = 3,
    dpi: int | None = None,
    want_pdf: bool = False,
    timeout_s: float = 20.0,
) -> OcrResult:
    """``run_ocr`` on a process ``prestarted`` holds for this job, if it holds one."""
    with PendingOcr(lang, psm=psm, dpi=dpi, want_pdf=want_pdf, prestarted=prestarted) as pending:
        pending.feed(image)
        return pending.result(timeout_s)


def prestarted_reader(prestarted: PrestartedOcr | None) -> OcrReader:
    """An ``OcrReader`` that first looks for a waiting process in ``prestarted``."""
    if prestarted is None:
        return run_ocr

    def read(
        image: np.ndarray,
        lang: str,
        *,
        psm: int = 3,
        dpi: int | None = None,
        want_pdf: bool = False,
        timeout_s: float = 20.0,
    ) -> OcrResult:
        return read_prestarted(image, lang, prestarted, psm=psm, dpi=dpi, want_pdf=want_pdf,
                               timeout_s=timeout_s)

    return read


def detect_script(image: np.ndarray, timeout_s: float = 10.0) -> tuple[str, float]:
    """Tesseract OSD's script guess ('Latin', 'Cyrillic', 'Arabic', …) and its confidence."""
    try:
        args = ["-l", "osd", "--psm", "0", "--dpi", "300"]
        osd = run_tesseract_in_memory(image, args, timeout_s).decode("utf-8", "replace")
    except OcrFailed:
        return "unknown", 0.0
    script, conf = "unknown", 0.0
    for line in osd.splitlines():
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
