"""Loading page images from files (USB stick, ``kiosk check-image``) without trusting them.

The file's content decides the format, never its name. Size limits are checked before any
pixel is decoded: the byte size first, then the pixel count from the header, so a
decompression bomb is refused unread. Corrupt, truncated, empty or unsupported files raise
``ScanRejected`` with ``unsupported_file`` or ``too_large``; nothing else escapes.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from foundation.errors import ScanRejected


class SizeLimits(Protocol):
    """What loading a file reads from its settings: ``ScanQualityConfig`` or ``FileLimits``."""

    @property
    def max_file_mb(self) -> float: ...

    @property
    def max_input_megapixels(self) -> float: ...

SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "TIFF", "BMP", "WEBP", "PPM", "MPO"})

# EXIF orientation -> the transposition Pillow's ``exif_transpose`` applies, on a BGR array
_ORIENT: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    1: lambda a: a,
    2: lambda a: cv2.flip(a, 1),
    3: lambda a: cv2.rotate(a, cv2.ROTATE_180),
    4: lambda a: cv2.flip(a, 0),
    5: lambda a: cv2.transpose(a),
    6: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),
    7: lambda a: cv2.rotate(cv2.transpose(a), cv2.ROTATE_180),
    8: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE),
}


def _decode_jpeg(data: bytes, image: Image.Image) -> np.ndarray | None:
    """A complete colour or grey JPEG decoded by OpenCV straight into BGR, else None.

    Same libjpeg-turbo, same pixels as Pillow (tests check it), without Pillow's two
    full-size copies on the way to NumPy (~0.15 s for 12 MP). The orientation is Pillow's
    reading of EXIF/XMP. Truncated files (no end-of-image marker) are left to Pillow, which
    refuses them where libjpeg would fill in grey.
    """
    if image.format not in ("JPEG", "MPO") or image.mode not in ("RGB", "L"):
        return None
    if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        return None
    orientation = image.getexif().get(0x0112, 1)
    if orientation not in _ORIENT:
        return None
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if decoded is None or decoded.shape[1::-1] != image.size:
        return None
    return np.ascontiguousarray(_ORIENT[orientation](decoded))


def file_limits(config: SizeLimits) -> tuple[float, float]:
    """The settings loading a file depends on: equal limits, equal outcome."""
    return (config.max_file_mb, config.max_input_megapixels)


def load_image_bytes(data: bytes, config: SizeLimits) -> np.ndarray:
    """Decode image bytes to a BGR array, applying EXIF orientation; raises ScanRejected."""
    if not data:
        raise ScanRejected(["unsupported_file"], "empty file")
    if len(data) > config.max_file_mb * 1024 * 1024:
        raise ScanRejected(["too_large"], "file too large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in SUPPORTED_FORMATS:
                raise ScanRejected(["unsupported_file"], "unsupported image format")
            width, height = image.size
            if width * height > config.max_input_megapixels * 1_000_000:
                raise ScanRejected(["too_large"], "too many pixels")
            if width < 16 or height < 16:
                raise ScanRejected(["unsupported_file"], "image too small")
            fast = _decode_jpeg(data, image)
            if fast is not None:
                return fast
            image.load()
            ImageOps.exif_transpose(image, in_place=True)  # no copy of 12 MP when upright
            rgb = image if image.mode == "RGB" else image.convert("RGB")
    except ScanRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise ScanRejected(["too_large"], "too many pixels") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, cv2.error) as exc:
        raise ScanRejected(["unsupported_file"], "not a readable image") from exc
    return np.asarray(cv2.cvtColor(np.asarray(rgb, dtype=np.uint8), cv2.COLOR_RGB2BGR))


def load_image_file(path: Path | str, config: SizeLimits) -> np.ndarray:
    """Read and decode an image file safely; raises ScanRejected with a reason code."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > config.max_file_mb * 1024 * 1024:
            raise ScanRejected(["too_large"], "file too large")
        if not path.is_file():
            raise ScanRejected(["unsupported_file"], "not a regular file")
        data = path.read_bytes()
    except OSError as exc:
        raise ScanRejected(["unsupported_file"], "file cannot be read") from exc
    return load_image_bytes(data, config)
