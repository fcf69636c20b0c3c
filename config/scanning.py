"""Thresholds of the page-quality checks (owned by the scanning pipeline).

Operators tune these with ``kiosk check-image`` on their own sample pages.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ScanQualityConfig(BaseModel):
    """Numeric thresholds for accepting a captured page."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_effective_dpi: float = Field(default=150.0, ge=50, le=1200)
    max_input_megapixels: float = Field(default=40.0, gt=0, le=200)
    max_file_mb: float = Field(default=50.0, gt=0, le=500)
    ocr_timeout_s: float = Field(default=20.0, gt=0, le=300)
