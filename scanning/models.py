"""Frozen result types of the scanning pipeline (what steps return and what the UI receives).

Arrays inside these dataclasses are never modified after construction; ``eq=False`` because
NumPy arrays have no meaningful ``==`` for dataclass comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

ReasonCode = Literal[
    "unsupported_file",
    "too_large",
    "no_page",
    "cut_off",
    "low_resolution",
    "blur",
    "too_dark",
    "too_bright",
    "glare",
    "faded_text",
    "unreadable_text",
]
HintCode = Literal[
    "move_into_frame",
    "hold_still",
    "more_light",
    "less_light",
    "avoid_glare",
    "move_closer",
    "clearer_copy",
    "ready",
]
REASON_CODES: tuple[str, ...] = (
    "unsupported_file",
    "too_large",
    "no_page",
    "cut_off",
    "low_resolution",
    "blur",
    "too_dark",
    "too_bright",
    "glare",
    "faded_text",
    "unreadable_text",
)
#: What the visitor should do about each rejection reason (a hint code for the screen).
HINT_FOR_REASON: Mapping[str, str] = {
    "no_page": "move_into_frame",
    "cut_off": "move_into_frame",
    "low_resolution": "move_closer",
    "blur": "hold_still",
    "too_dark": "more_light",
    "too_bright": "less_light",
    "glare": "avoid_glare",
    "faded_text": "clearer_copy",
    "unreadable_text": "hold_still",
}

Corners = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


@dataclass(frozen=True, eq=False)
class PageDetection:
    """Where the page is in an image (corners clockwise from the displayed top-left)."""

    found: bool
    corners: np.ndarray | None  # 4x2 float64, input-image pixels
    confidence: float
    cut_off: bool  # the page runs over the frame edge
    fills_frame: bool  # the page is the whole image (flatbed scan, cropped file)
    area_fraction: float


@dataclass(frozen=True, eq=False)
class Rectified:
    """The perspective-corrected page and its geometry."""

    image: np.ndarray  # BGR, displayed orientation
    matrix: np.ndarray  # 3x3 homography input -> rectified
    effective_dpi: float
    page_size_mm: tuple[float, float]  # assumed physical width, height
    skew_deg: float


@dataclass(frozen=True)
class FocusScore:
    """Edge spread of the page's strongest edges; large = blurred, anisotropic = motion."""

    blur_px: float
    blur_mm: float
    motion_ratio: float
    edge_pixels: int


@dataclass(frozen=True)
class ExposureScore:
    """Brightness of the paper, ink contrast, saturation and glare on the page."""

    paper_level: float
    ink_contrast: float
    clipped_fraction: float
    glare_fraction: float


@dataclass(frozen=True)
class ContentScore:
    """How much printed content the page carries (blank pages, walls and hands have none)."""

    ink_fraction: float
    text_lines: int


@dataclass(frozen=True)
class OcrWord:
    """One recognised word with its confidence (0–100) and box in page pixels."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]  # left, top, width, height
    line: tuple[int, int, int]  # block, paragraph, line number


@dataclass(frozen=True)
class OcrResult:
    """Tesseract's output for one image: words, text and optional text-only PDF."""

    words: tuple[OcrWord, ...]
    text: str
    tesseract_lang: str
    text_pdf: bytes | None = None

    @property
    def mean_confidence(self) -> float:
        """Mean confidence of words with at least two characters (0 when none)."""
        confs = [w.confidence for w in self.words if len(w.text) >= 2]
        return float(np.mean(confs)) if confs else 0.0


@dataclass(frozen=True)
class Legibility:
    """How readable the sampled text is: OCR confidence and share of real words."""

    mean_confidence: float
    real_word_share: float
    word_count: int
    script: str
    language: str


@dataclass(frozen=True)
class QualityScores:
    """All numeric scores of a page, flat so they serialise to JSON as they are."""

    page_confidence: float = 0.0
    effective_dpi: float = 0.0
    blur_px: float = 0.0
    blur_mm: float = 0.0
    motion_ratio: float = 1.0
    paper_level: float = 0.0
    ink_contrast: float = 0.0
    clipped_fraction: float = 0.0
    glare_fraction: float = 0.0
    faded_fraction: float = 0.0
    ink_fraction: float = 0.0
    text_lines: int = 0
    ocr_confidence: float | None = None
    real_word_share: float | None = None

    def as_dict(self) -> dict[str, float | int | None]:
        """The scores as a JSON-ready dict with rounded values."""
        out: dict[str, float | int | None] = {}
        for key, value in self.__dict__.items():
            out[key] = round(value, 4) if isinstance(value, float) else value
        return out


@dataclass(frozen=True, eq=False)
class PageVerdict:
    """The fast answer for one captured page: accept or reject, why, and what to do."""

    reasons: tuple[str, ...]
    hints: tuple[str, ...]
    page_found: bool
    corners: Corners | None  # input pixels, clockwise from the page's own top-left
    rotation: int  # clockwise degrees applied to the rectified page to make it upright
    effective_dpi: float
    scores: QualityScores
    image: np.ndarray | None  # upright rectified page, BGR
    image_dpi: float = 0.0  # pixels per inch of ``image`` (capped at max_page_dpi)
    page_size_mm: tuple[float, float] = (210.0, 297.0)  # upright width, height
    language: str | None = None  # guess from the text sample ("de", "uk", …)
    script: str | None = None
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        """True when the page is usable (no reasons)."""
        return not self.reasons

    @property
    def verdict(self) -> str:
        """``accept`` or ``reject``."""
        return "accept" if self.accepted else "reject"


@dataclass(frozen=True, eq=False)
class PageResult:
    """A page after full OCR: text, language, document type, text layer for the PDF."""

    verdict: PageVerdict
    ocr: OcrResult | None
    language: str | None
    document_type: str
    document_type_confidence: float
    ocr_confidence: float
    real_word_share: float

    @property
    def text(self) -> str:
        """The recognised text of the upright page ('' when no OCR ran)."""
        return self.ocr.text if self.ocr is not None else ""


@dataclass(frozen=True, eq=False)
class PreviewState:
    """What the live-preview tracker remembers between frames."""

    thumbnail: np.ndarray | None = None
    corners: np.ndarray | None = None
    steady_frames: int = 0


@dataclass(frozen=True, eq=False)
class PreviewGuidance:
    """Guidance for one preview frame: outline, hints, and whether to auto-capture."""

    corners: Corners | None  # preview-frame pixels, clockwise from displayed top-left
    hints: tuple[str, ...]
    ready_to_capture: bool
    steadiness: float  # 0 (moving) … 1 (still)
    brightness: float
    state: PreviewState
