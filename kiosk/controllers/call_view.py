"""What the video-call screens show: the call's phase and view, and the session event
each phase leads to. Pure data, no I/O (``kiosk.controllers.call`` fills it in)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from kiosk.session.states import Event


class CallPhase(StrEnum):
    """Where the visitor is in the call workflow."""

    IDLE = "idle"
    CHECK = "check"
    CONSENT = "consent"
    WAITING = "waiting"
    IN_CALL = "in_call"
    ENDED = "ended"


PHASE_EVENTS = {
    CallPhase.CONSENT: Event.DEVICES_OK,
    CallPhase.WAITING: Event.CONSENTED,
    CallPhase.IN_CALL: Event.CALL_CONNECTED,
    CallPhase.ENDED: Event.CALL_ENDED,
}


#: Why an appointment code did not open the call, by ``CallError`` code (kiosk.call.signalling);
#: the screens translate them (the catalog extractor reads ``*_MSGIDS``).
CALL_CODE_MSGIDS: dict[str, str] = {
    "code_invalid": "This is not an appointment code. It has 12 letters and digits.",
    "code_unknown": "This appointment code is not known. Please compare it with your letter.",
    "code_expired": "This appointment code has expired. Please ask the staff for help.",
    "code_used": "This appointment code has already been used.",
    "code_too_early": "Your appointment has not begun yet. You can join 30 minutes before it.",
    "code_not_found": "No appointment code was found. Hold the QR code of the letter in front "
                      "of the camera.",
}
CALL_FAILED_TEXT = "The video call could not be started. Please ask the staff."


@dataclass
class ChatLine:
    """One party's current chat line."""

    name: str
    text: str
    final: bool


@dataclass
class CallView:
    """Everything the call screens show; replaced on wipe."""

    phase: CallPhase = CallPhase.IDLE
    call_id: str | None = None
    position: int | None = None
    estimate_min: int | None = None
    counsellor_name: str = ""
    connected: bool = False
    reconnecting: bool = False
    muted: bool = False
    camera_on: bool = True
    volume: float = 0.8
    confirm_end: bool = False
    starting: bool = False  # asked to join the queue, no answer yet
    staff_called: bool = False
    screen_shared: bool = False
    error: str | None = None
    ended_reason: str | None = None
    mic_level_dbfs: float = -100.0
    chat: dict[str, ChatLine] = field(default_factory=dict)
    document_requests: list[dict[str, Any]] = field(default_factory=list)
    #: pages shown to the counsellor in this call (memory only), by request id
    shown_pages: dict[str, np.ndarray] = field(default_factory=dict)
    capturing_for: str | None = None  # the request the capture steps are open for
    #: request ids the counsellor asked to have handed in to the file
    hand_in_requests: list[str] = field(default_factory=list)
    #: the session's document (DocumentDraft) each shown page was captured into
    page_documents: dict[str, Any] = field(default_factory=dict)
    self_view: np.ndarray | None = None
    remote_frame: np.ndarray | None = None


def estimate_minutes(seconds: int | None) -> int | None:
    """The server's estimate rounded up to 5 minutes (docs/video.md); none for no wait (a
    booked appointment answers 0)."""
    if not seconds or seconds <= 0:
        return None
    return max(5, 5 * math.ceil(seconds / 300))
