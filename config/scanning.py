"""Thresholds of the page-quality checks (owned by the scanning pipeline).

Operators tune these with ``kiosk check-image`` on their own sample pages: the JSON output
prints every score next to the verdict, so a threshold can be moved with evidence.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from config.file_limits import MAX_FILE_MB, MAX_INPUT_MEGAPIXELS

OcrLanguage = Literal["de", "en", "uk", "ru", "ar", "tr", "fa", "pl", "ro"]


class ScanQualityConfig(BaseModel):
    """Numeric thresholds for accepting a captured page, plus OCR, PDF and preview settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # input files
    min_effective_dpi: float = Field(default=150.0, ge=50, le=1200)
    max_input_megapixels: float = Field(default=MAX_INPUT_MEGAPIXELS, gt=0, le=200)
    max_file_mb: float = Field(default=MAX_FILE_MB, gt=0, le=500)
    # geometry
    max_page_dpi: float = Field(
        default=300.0, ge=100, le=600, description="Rectified pages are never stored finer."
    )
    min_page_confidence: float = Field(default=0.2, ge=0, le=1)
    # focus: a page is blurred when its edges spread wider than both limits
    max_blur_mm: float = Field(
        default=0.24, gt=0, le=5, description="Edge spread (Gaussian sigma) on paper, in mm."
    )
    max_blur_px: float = Field(
        default=2.3, gt=0, le=50, description="Edge spread in captured pixels."
    )
    # exposure
    min_paper_level: float = Field(default=70.0, ge=0, le=255)
    max_clipped_fraction: float = Field(default=0.4, ge=0, le=1)
    min_ink_contrast: float = Field(default=90.0, ge=0, le=255)
    max_glare_fraction: float = Field(default=0.004, ge=0, le=1)
    max_faded_fraction: float = Field(
        default=0.01, ge=0, le=1,
        description="Share of the text tiles whose ink has faded into the paper (scanning.fade).",
    )
    # content: less ink than this is a blank sheet, a wall or a hand
    min_ink_fraction: float = Field(default=0.0015, ge=0, le=1)
    max_paper_saturation: float = Field(default=55.0, ge=0, le=255)
    # OCR legibility of the text sample
    min_ocr_confidence: float = Field(default=55.0, ge=0, le=100)
    min_real_word_share: float = Field(default=0.55, ge=0, le=1)
    min_sample_words: int = Field(default=3, ge=0, le=100)
    ocr_timeout_s: float = Field(default=20.0, gt=0, le=300)
    sample_ocr_timeout_s: float = Field(default=5.0, gt=0, le=60)
    ocr_languages: tuple[OcrLanguage, ...] = ("de", "en", "uk", "ru", "ar", "tr", "fa", "pl", "ro")
    # PDF
    pdf_jpeg_quality: int = Field(default=55, ge=20, le=95)
    pdf_max_dpi: float = Field(default=200.0, ge=100, le=600)
    # live preview
    preview_width: int = Field(default=640, ge=160, le=1920)
    preview_min_page_fraction: float = Field(
        default=0.3, gt=0, le=1, description="Page area / frame area below which to move closer."
    )
    preview_steady_frames: int = Field(default=6, ge=1, le=60)
    preview_max_motion: float = Field(
        default=0.006, gt=0, le=1, description="Corner movement per frame / frame diagonal."
    )
