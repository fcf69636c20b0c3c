"""Codes printed on letters (QR, DataMatrix, 1-D): find and decode them in a page image.

zxing-cpp is imported lazily behind ``is_available()``, so scanning imports on a machine
without it; without it, letters are read from their text alone. The payload is returned as
text and never logged (it may hold a customer number).
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)

_MAX_SIDE = 2600  # larger pages are scaled down first: decoding time grows with the area


def is_available() -> bool:
    """True when the zxing-cpp decoder is installed."""
    return importlib.util.find_spec("zxingcpp") is not None


def decode_codes(image: np.ndarray) -> tuple[str, ...]:
    """Payloads of every readable code in a page image (BGR or grey), in no special order."""
    if not is_available() or image.size == 0:
        return ()
    import zxingcpp

    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = _MAX_SIDE / max(grey.shape)
    if scale < 1:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    kinds = zxingcpp.BarcodeFormat
    formats: Any = [kinds.QRCode, kinds.DataMatrix, kinds.Code128, kinds.Code39, kinds.ITF]
    try:  # letters print dark codes on white: no inverted pass (saves a third of the time)
        found = zxingcpp.read_barcodes(np.ascontiguousarray(grey), formats=formats,
                                       try_invert=False)
    except (RuntimeError, ValueError) as exc:  # a decoder fault must not stop the letter
        log.warning("code decoding failed: %s", type(exc).__name__)
        return ()
    return tuple(dict.fromkeys(code.text for code in found if code.valid and code.text))
