"""The page pipeline: an ordered list of named steps from a captured image to a verdict.

``check_page`` runs ``CHECK_STEPS`` (each a thin wrapper around a pure function in
``detect``, ``rectify``, ``quality`` or ``ocr``) and stops early once the page is clearly
unusable, so a rejection with its hint reaches the screen at once. ``complete_page`` does
the slow part (full OCR with a text-only PDF layer, language, document type) and may run in
a worker thread while the visitor photographs the next page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from config.scanning import ScanQualityConfig
from foundation.errors import OcrFailed
from scanning import rectify as geo
from scanning.detect import detect_page
from scanning.doctype import classify_text
from scanning.fade import FadeScore, fade_reason, score_fade
from scanning.language import detect_language, legibility
from scanning.models import (
    HINT_FOR_REASON,
    ContentScore,
    ExposureScore,
    FocusScore,
    Legibility,
    OcrResult,
    PageDetection,
    PageResult,
    PageVerdict,
    QualityScores,
)
from scanning.ocr import (
    SCRIPT_SAMPLE_LANG,
    TESSERACT_LANG,
    OcrReader,
    detect_script,
    run_ocr,
)
from scanning.quality import score_content, score_exposure, score_focus

log = logging.getLogger(__name__)


@dataclass
class CheckWork:
    """Mutable state of one ``check_page`` run, seen by ``after_step`` hooks (results: frozen)."""

    image: np.ndarray
    config: ScanQualityConfig
    detection: PageDetection | None = None
    geometry: geo.PageGeometry | None = None
    thumb: np.ndarray | None = None
    saturation: float = 0.0  # median HSV saturation of the thumbnail
    ink: np.ndarray | None = None  # ink mask of the thumbnail
    direction: geo.LineDirection | None = None
    rectified: np.ndarray | None = None
    focus: FocusScore | None = None
    exposure: ExposureScore | None = None
    content: ContentScore | None = None
    legibility: Legibility | None = None
    fade: FadeScore | None = None
    rotation: int = 0
    reasons: list[str] = field(default_factory=list)
    stop: bool = False
    read: OcrReader = run_ocr  # how the text sample is read (injectable)


def _step_detect(w: CheckWork) -> None:
    if w.detection is None:  # else found already (check_page's ``detection``)
        w.detection = detect_page(w.image)
    if not w.detection.found or w.detection.confidence < w.config.min_page_confidence:
        w.reasons, w.stop = ["no_page"], True


def _step_plan(w: CheckWork) -> None:
    assert w.detection is not None and w.detection.corners is not None
    w.geometry = geo.plan_rectification(w.detection.corners, w.config.max_page_dpi)


def _step_find_lines(w: CheckWork) -> None:
    """A small straightened copy of the page, its ink and the direction of its text lines."""
    assert w.geometry is not None
    thumb_bgr = geo.thumbnail(w.image, w.geometry)
    w.saturation = float(np.median(cv2.cvtColor(thumb_bgr, cv2.COLOR_BGR2HSV)[..., 1]))
    w.thumb = cv2.cvtColor(thumb_bgr, cv2.COLOR_BGR2GRAY)
    w.ink = geo.ink_mask(w.thumb)
    w.direction = geo.find_line_direction(w.ink)


def _step_analyse_thumbnail(w: CheckWork) -> None:
    assert w.thumb is not None and w.ink is not None
    w.exposure = score_exposure(w.thumb)
    w.content = score_content(w.thumb, w.ink)
    exposure_bad = (
        w.exposure.paper_level < w.config.min_paper_level
        or w.exposure.clipped_fraction > w.config.max_clipped_fraction
    )
    # dark, noisy frames look colourful to HSV: judge paper colour only in decent light
    colourful = w.saturation > w.config.max_paper_saturation and not exposure_bad
    if colourful or (
        w.content.ink_fraction < w.config.min_ink_fraction and not exposure_bad
    ):
        w.reasons, w.stop = ["no_page"], True


def _step_rectify(w: CheckWork) -> None:
    assert w.geometry is not None and w.direction is not None
    w.rectified = geo.warp(w.image, geo.page_matrix(w.geometry, w.direction), w.geometry.size)


def _px_per_mm(w: CheckWork) -> float:
    assert w.geometry is not None
    return min(w.geometry.effective_dpi, w.config.max_page_dpi) / 25.4


def _step_score_focus(w: CheckWork) -> None:
    assert w.rectified is not None
    w.focus = score_focus(cv2.cvtColor(w.rectified, cv2.COLOR_BGR2GRAY), _px_per_mm(w))


def _step_judge(w: CheckWork) -> None:
    assert w.detection and w.geometry and w.focus and w.exposure
    c, reasons = w.config, []
    if w.detection.cut_off:
        reasons.append("cut_off")
    if w.geometry.effective_dpi < c.min_effective_dpi:
        reasons.append("low_resolution")
    if w.focus.blur_mm > c.max_blur_mm and w.focus.blur_px > c.max_blur_px:
        reasons.append("blur")
    if w.exposure.paper_level < c.min_paper_level:
        reasons.append("too_dark")
    if (
        w.exposure.clipped_fraction > c.max_clipped_fraction
        and w.exposure.ink_contrast < c.min_ink_contrast
    ):
        reasons.append("too_bright")
    if w.exposure.glare_fraction > c.max_glare_fraction:
        reasons.append("glare")
    if w.thumb is not None:  # text that fades into bright paper (scanning.fade)
        w.fade = score_fade(w.thumb)
        reasons.extend(fade_reason(w.fade, c.max_faded_fraction, reasons))
    w.reasons = reasons
    w.rotation = geo.coarse_rotation(w.direction)


# An upright read this legible settles the orientation: on the corpus, upright samples read
# at 87-96 % mean confidence, upside-down ones (and upright reads of upside-down pages) at
# 18-37 %; the score of the upside-down read was never above a third of the upright one.
_SURE_UPRIGHT_CONFIDENCE = 80.0
_SURE_UPRIGHT_REAL_WORDS = 0.6


def _read_both_ways(
    band: np.ndarray, lang: str, timeout: float, min_words: int, reader: OcrReader = run_ocr
) -> tuple[OcrResult | None, bool]:
    """OCR a sample upright, and upside down unless the upright read is clearly legible.

    Returns the better read and whether it was the upside-down one. Reading only one way
    when the page is plainly upright halves the sample's CPU, which the full-page OCR uses.
    """

    def read(image: np.ndarray) -> OcrResult | OcrFailed:
        try:
            return reader(image, lang, psm=6, timeout_s=timeout)
        except OcrFailed as exc:
            return exc

    upright = read(band)
    if not isinstance(upright, OcrFailed):
        leg = legibility(upright)
        if (
            leg.mean_confidence >= _SURE_UPRIGHT_CONFIDENCE
            and leg.real_word_share >= _SURE_UPRIGHT_REAL_WORDS
            and leg.word_count >= min_words
        ):
            return upright, False
    results = [upright, read(np.ascontiguousarray(band[::-1, ::-1]))]

    def score(r: OcrResult | OcrFailed) -> float:
        if isinstance(r, OcrFailed):
            return -1.0
        return sum(x.confidence for x in r.words if len(x.text) >= 3)

    best = 0 if score(results[0]) >= score(results[1]) else 1
    chosen = results[best]
    return (None if isinstance(chosen, OcrFailed) else chosen), best == 1


def _step_read_sample(w: CheckWork) -> None:
    """Orientation (upright vs upside down) and legibility from OCR of a text band."""
    if w.reasons or w.rectified is None:
        return
    grey = geo.rotate_upright(cv2.cvtColor(w.rectified, cv2.COLOR_BGR2GRAY), w.rotation)
    band = geo.flatten_illumination(geo.text_band(grey))
    timeout = w.config.sample_ocr_timeout_s
    min_words = w.config.min_sample_words
    result, flipped = _read_both_ways(
        band, SCRIPT_SAMPLE_LANG["Latin"], timeout, min_words, w.read
    )
    leg = legibility(result) if result is not None else None
    if leg is None or leg.mean_confidence < 60 or leg.script != "Latin":
        script, _ = detect_script(band if not flipped else band[::-1, ::-1], timeout)
        if script in ("Cyrillic", "Arabic"):
            other, other_flip = _read_both_ways(
                band, SCRIPT_SAMPLE_LANG[script], timeout, min_words, w.read
            )
            other_leg = legibility(other) if other is not None else None
            if other_leg is not None and (
                leg is None or other_leg.mean_confidence > leg.mean_confidence
            ):
                result, flipped, leg = other, other_flip, other_leg
    if flipped:
        w.rotation = (w.rotation + 180) % 360
    w.legibility = leg
    c = w.config
    few_words = leg is None or leg.word_count < c.min_sample_words
    if (few_words and w.content is not None and w.content.text_lines >= 3) or (
        leg is not None
        and not few_words
        and (
            leg.mean_confidence < c.min_ocr_confidence
            or leg.real_word_share < c.min_real_word_share
        )
    ):
        w.reasons.append("unreadable_text")


CHECK_STEPS: tuple[tuple[str, Callable[[CheckWork], None]], ...] = (
    ("detect_page", _step_detect),
    ("plan_rectification", _step_plan),
    ("find_lines", _step_find_lines),
    # straightened before the thumbnail's exposure and content are judged: the full-size
    # page is what a waiting OCR needs (scanning.judge), the judging can run beside it
    ("rectify", _step_rectify),
    ("analyse_thumbnail", _step_analyse_thumbnail),
    ("score_focus", _step_score_focus),
    ("judge", _step_judge),
    ("read_sample", _step_read_sample),
)


def _scores(w: CheckWork) -> QualityScores:
    d, g, f, e, ct, leg = w.detection, w.geometry, w.focus, w.exposure, w.content, w.legibility
    return QualityScores(
        page_confidence=d.confidence if d else 0.0,
        effective_dpi=round(g.effective_dpi, 1) if g else 0.0,
        blur_px=f.blur_px if f else 0.0,
        blur_mm=f.blur_mm if f else 0.0,
        motion_ratio=f.motion_ratio if f else 1.0,
        paper_level=e.paper_level if e else 0.0,
        ink_contrast=e.ink_contrast if e else 0.0,
        clipped_fraction=e.clipped_fraction if e else 0.0,
        glare_fraction=e.glare_fraction if e else 0.0,
        faded_fraction=w.fade.faded_fraction if w.fade else 0.0,
        ink_fraction=ct.ink_fraction if ct else 0.0,
        text_lines=ct.text_lines if ct else 0,
        ocr_confidence=leg.mean_confidence if leg else None,
        real_word_share=leg.real_word_share if leg else None,
    )


def check_page(
    image: np.ndarray,
    config: ScanQualityConfig,
    *,
    after_step: Callable[[str, CheckWork], None] | None = None,
    read: OcrReader = run_ocr,
    detection: PageDetection | None = None,
) -> PageVerdict:
    """Fast verdict for one captured page (BGR or greyscale array): reasons, hints, corners.

    ``after_step(name, work)`` runs after each step, e.g. to start slow work early
    (``scanning.judge``); it must not change ``work``. ``read`` reads the text sample.
    ``detection`` is ``detect_page(image)`` when the caller has it already.
    """
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    w = CheckWork(image, config, detection=detection, read=read)
    timings: dict[str, float] = {}
    for name, step in CHECK_STEPS:
        if w.stop:
            break
        start = time.perf_counter()
        step(w)
        timings[name] = round(time.perf_counter() - start, 4)
        if after_step is not None:
            after_step(name, w)
    reasons = tuple(dict.fromkeys(w.reasons))
    hints = tuple(dict.fromkeys(HINT_FOR_REASON[r] for r in reasons)) or ("ready",)
    corners = None
    page_found = w.detection is not None and w.detection.found and "no_page" not in reasons
    upright = None
    image_dpi, size_mm = 0.0, (210.0, 297.0)
    if page_found and w.detection is not None and w.detection.corners is not None:
        ordered = geo.corners_from_page_top_left(w.detection.corners, w.rotation)
        corners = tuple((round(float(x), 1), round(float(y), 1)) for x, y in ordered)
    if page_found and w.rectified is not None and w.geometry is not None:
        upright = geo.rotate_upright(w.rectified, w.rotation)
        image_dpi = min(w.geometry.effective_dpi, config.max_page_dpi)
        pw, ph = w.geometry.page_size_mm
        size_mm = (ph, pw) if w.rotation in (90, 270) else (pw, ph)
    log.debug("page checked: %s in %.2f s", reasons or "accept", sum(timings.values()))
    return PageVerdict(
        reasons=reasons,
        hints=hints,
        page_found=page_found,
        corners=corners,  # type: ignore[arg-type]
        rotation=w.rotation,
        effective_dpi=round(w.geometry.effective_dpi, 1) if w.geometry else 0.0,
        scores=_scores(w),
        image=upright,
        image_dpi=image_dpi,
        page_size_mm=size_mm,
        language=w.legibility.language if w.legibility else None,
        script=w.legibility.script if w.legibility else None,
        timings=timings,
    )


def ocr_input(page: np.ndarray) -> np.ndarray:
    """The greyscale, illumination-flattened page that OCR reads (and the PDF shows)."""
    grey = page if page.ndim == 2 else cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    return geo.flatten_illumination(grey)


def full_ocr_lang(language: str | None, script: str | None, config: ScanQualityConfig) -> str:
    """The Tesseract language(s) for the full OCR of a page whose sample read says this."""
    if language in config.ocr_languages and language in TESSERACT_LANG:
        return TESSERACT_LANG[language]
    return SCRIPT_SAMPLE_LANG.get(script or "Latin", "deu")


def full_ocr_dpi(image_dpi: float) -> int:
    """The resolution Tesseract is told for a rectified page of ``image_dpi``."""
    return max(70, round(image_dpi or 300))


def complete_page(
    verdict: PageVerdict, config: ScanQualityConfig, *, read: OcrReader = run_ocr
) -> PageResult:
    """Full OCR (with text-only PDF layer), language and document type of a checked page."""
    if verdict.image is None:
        return PageResult(verdict, None, None, "other", 0.0, 0.0, 0.0)
    grey = ocr_input(verdict.image)
    lang = full_ocr_lang(verdict.language, verdict.script, config)
    dpi = full_ocr_dpi(verdict.image_dpi)
    try:
        ocr = read(grey, lang, psm=3, dpi=dpi, want_pdf=True, timeout_s=config.ocr_timeout_s)
    except OcrFailed:
        return PageResult(verdict, None, verdict.language, "other", 0.0, 0.0, 0.0)
    leg = legibility(ocr)
    language, confidence = detect_language(ocr.text, leg.script)
    better = TESSERACT_LANG.get(language)
    if (
        better
        and better not in lang.split("+")
        and confidence > 0.8
        and language in config.ocr_languages
    ):
        try:
            ocr = read(
                grey, better, psm=3, dpi=dpi, want_pdf=True, timeout_s=config.ocr_timeout_s
            )
            leg = legibility(ocr)
        except OcrFailed:
            pass
    width_mm, height_mm = verdict.page_size_mm
    doc_type, doc_conf = classify_text(ocr.text, aspect=height_mm / width_mm)
    return PageResult(
        verdict,
        ocr,
        language if language != "und" else verdict.language,
        doc_type,
        doc_conf,
        leg.mean_confidence,
        leg.real_word_share,
    )
