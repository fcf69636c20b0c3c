"""Built-in size limits for image files, importable without pydantic.

``kiosk check-image`` decodes its first file while the configuration (pydantic) still loads
(``scanning.cli.EarlyStart``), under these limits; ``config.scanning`` uses them as its
defaults, so a site that changes neither gets the very same decode.
"""

from __future__ import annotations

from dataclasses import dataclass

#: images with more pixels are refused unread (decompression bombs)
MAX_INPUT_MEGAPIXELS = 40.0
#: larger files are refused unread
MAX_FILE_MB = 50.0


@dataclass(frozen=True)
class FileLimits:
    """The two settings loading an image file depends on (``scanning.files``)."""

    max_file_mb: float = MAX_FILE_MB
    max_input_megapixels: float = MAX_INPUT_MEGAPIXELS
