"""Check and complete one page in one go (``kiosk check-image``, files handed in without a camera).

``judge_page(image, config)`` returns what ``complete_page(check_page(image, config), config)``
returns, sooner. The full-page OCR is the slowest step and used to wait for every check, so
here its Tesseract process starts as soon as the page is found and its resolution known (it
loads its model meanwhile), is fed the checks' own straightened page the moment the
``rectify`` step has made it (a helper thread flattens and pipes it), and reads it while the
focus check and the text sample run on the other core. With ``prestarted``
(``scanning.tesseract.PrestartedOcr``) the full-page read and the text sample take processes
that loaded their models even earlier, while the caller imported and decoded.

It starts from a guess: the orientation the text lines suggest, German. The result is used
only if the verdict then asks for exactly that OCR (the very same image, language, resolution
and options); otherwise it is dropped and ``complete_page`` reads the page as usual (upside
down, another script), so the outcome never depends on the guess.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from config.scanning import ScanQualityConfig
from foundation.errors import OcrFailed
from scanning import rectify as geo
from scanning.models import OcrResult, PageDetection, PageResult
from scanning.ocr import OcrReader, PendingOcr, prestarted_reader, run_ocr
from scanning.pipeline import (
    CheckWork,
    check_page,
    complete_page,
    full_ocr_dpi,
    full_ocr_lang,
    ocr_input,
)
from scanning.tesseract import PrestartedOcr

log = logging.getLogger(__name__)

#: modules NumPy loads on first use, in the middle of the checks (``np.percentile`` goes
#: through ``np.unique``, which asks ``numpy.ma``; ``find_line_direction`` samples with
#: ``np.random``): a caller that waits for a decode anyway loads them meanwhile
LAZY_IMPORTS = ("numpy.ma", "numpy.random")


class _EarlyOcr:
    """The speculative full-page OCR of one ``judge_page`` call."""

    def __init__(
        self, config: ScanQualityConfig, fallback: OcrReader, prestarted: PrestartedOcr | None
    ) -> None:
        self.config, self.fallback, self.prestarted = config, fallback, prestarted
        self.pending: PendingOcr | None = None
        self.preparing: threading.Thread | None = None

    def after_step(self, name: str, w: CheckWork) -> None:
        """``check_page`` hook: start Tesseract once the page is found, feed it once rectified."""
        if name == "plan_rectification" and w.geometry is not None:
            image_dpi = min(w.geometry.effective_dpi, self.config.max_page_dpi)
            lang = full_ocr_lang(None, None, self.config)
            try:
                self.pending = PendingOcr(lang, psm=3, dpi=full_ocr_dpi(image_dpi),
                                          want_pdf=True, prestarted=self.prestarted)
            except OcrFailed:
                return  # complete_page will try (and report) again
        elif name == "rectify" and self.pending is not None and w.rectified is not None:
            # OpenCV work and a pipe write without the GIL, beside the remaining checks
            rotation = geo.coarse_rotation(w.direction)
            self.preparing = threading.Thread(
                target=self._feed, args=(self.pending, w.rectified, rotation),
                name="ocr-feed", daemon=True,
            )
            self.preparing.start()

    @staticmethod
    def _feed(pending: PendingOcr, rectified: np.ndarray, rotation: int) -> None:
        """The checks' straightened page, upright as the text lines suggest, into Tesseract."""
        try:
            pending.feed(ocr_input(geo.rotate_upright(rectified, rotation)))
        except Exception:  # a failed guess must not matter: read() then reads as usual
            log.debug("early OCR input not fed", exc_info=True)

    def read(
        self,
        image: np.ndarray,
        lang: str,
        *,
        psm: int = 3,
        dpi: int | None = None,
        want_pdf: bool = False,
        timeout_s: float = 20.0,
    ) -> OcrResult:
        """``run_ocr`` that answers from the early run when it read exactly this."""
        pending, self.pending = self.pending, None
        if self.preparing is not None:
            self.preparing.join()
        if pending is not None:
            if (
                (lang, psm, dpi or 300, want_pdf)
                == (pending.lang, pending.psm, pending.dpi, pending.want_pdf)
                and pending.image is not None
                and pending.image.shape == image.shape
                and np.array_equal(pending.image, image)
            ):
                return pending.result(timeout_s)
            pending.cancel()
        return self.fallback(image, lang, psm=psm, dpi=dpi, want_pdf=want_pdf,
                             timeout_s=timeout_s)

    def cancel(self) -> None:
        """Stop an early run nobody asked for (page rejected before OCR, or an error)."""
        if self.preparing is not None:
            self.preparing.join()
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None


def judge_page(
    image: np.ndarray,
    config: ScanQualityConfig,
    *,
    read: OcrReader = run_ocr,
    prestarted: PrestartedOcr | None = None,
    detection: PageDetection | None = None,
) -> PageResult:
    """Verdict, full OCR, language and document type of one page (BGR or greyscale).

    ``read`` runs any full-page OCR the early run could not answer (injectable for tests);
    ``prestarted`` holds Tesseract processes (``JUDGE_PAGE_JOBS``) that loaded meanwhile;
    ``detection`` is ``detect_page(image)`` if found already.
    """
    early = _EarlyOcr(config, read, prestarted)
    try:
        verdict = check_page(image, config, after_step=early.after_step,
                             read=prestarted_reader(prestarted), detection=detection)
        return complete_page(verdict, config, read=early.read)
    finally:
        early.cancel()
