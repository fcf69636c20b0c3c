"""The invitation code read from the appointment letter's QR code (as the console prints it,
``qrcode`` PNG of the 12 characters) and sent to the job centre as a typed code would be."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
import qrcode

from foundation.errors import CallError
from kiosk.call.signalling import CallSignalling, code_from_letter
from scanning.barcodes import is_available

pytestmark = pytest.mark.skipif(not is_available(), reason="zxing-cpp not installed")

CODE = "K7MQ-4XP2-AB3D"


def letter_with_qr(payload: str | None, extra: str | None = None) -> np.ndarray:
    """A white A4 page at 150 dpi with text lines and the QR code(s) bottom right."""
    page = np.full((1754, 1240, 3), 255, np.uint8)
    for row in range(12):
        cv2.putText(page, f"Einladung zur Videoberatung - Zeile {row}", (100, 300 + row * 60),
                    cv2.FONT_HERSHEY_SIMPLEX, 1.0, (20, 20, 20), 2)
    for index, text in enumerate(p for p in (extra, payload) if p is not None):
        image = qrcode.make(text, box_size=8, border=4).convert("L")
        qr = cv2.cvtColor(np.array(image, dtype=np.uint8), cv2.COLOR_GRAY2BGR)
        y, x = 1100, 120 + index * 600
        page[y:y + qr.shape[0], x:x + qr.shape[1]] = qr
    return page


def test_the_code_is_read_from_the_letter_and_joined() -> None:
    sent: list[dict[str, Any]] = []

    def agent_call(op: str, **params: Any) -> dict[str, Any]:
        sent.append({"op": op, **params})
        return {"ok": True, "status": 201, "body": {"call_id": "c_1", "state": "waiting",
                                                    "position": 1, "estimated_wait_s": 0}}

    letter = letter_with_qr(CODE.replace("-", ""), extra="KDNR 123D456789")
    assert code_from_letter(letter) == "K7MQ4XP2AB3D"
    ticket = CallSignalling(agent_call).join_with_letter(cv2.cvtColor(letter,
                                                                      cv2.COLOR_BGR2GRAY))
    assert ticket.call_id == "c_1"
    assert sent == [{"op": "call_http", "action": "join", "call_id": None,
                     "body": {"code": "K7MQ4XP2AB3D"}}]


def test_a_letter_without_an_invitation_code_says_so() -> None:
    with pytest.raises(CallError) as caught:
        code_from_letter(letter_with_qr(None, extra="https://jobcenter.example/termine"))
    assert caught.value.code == "code_not_found"
    with pytest.raises(CallError) as blank:
        code_from_letter(np.full((800, 600), 255, np.uint8))
    assert blank.value.code == "code_not_found"
