"""A captured page as the counsellor sees it during a call: a JPEG small enough to travel
over the call's data channel within a second or two, large enough to read a letter."""

from __future__ import annotations

import cv2
import numpy as np

from foundation.errors import CallError

MAX_SIDE = 1600
QUALITY = 80


def encode_page(image: np.ndarray, max_side: int = MAX_SIDE, quality: int = QUALITY) -> bytes:
    """``image`` (BGR or grey) scaled to at most ``max_side`` pixels and JPEG-encoded."""
    if image.ndim not in (2, 3) or image.size == 0:
        raise CallError("not a page image", code="invalid_request")
    scale = max_side / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise CallError("page could not be encoded", code="invalid_request")
    return bytes(data.tobytes())
