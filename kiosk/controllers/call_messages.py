"""The job centre's call messages that only change what the call screens show.

``note_message`` applies one live-channel message (``call.*``, docs/video.md) to the
``CallView``; the messages that touch the media (offers, parties leaving, the end of the
call) stay with ``CallController``. Pure data, no I/O.
"""

from __future__ import annotations

from typing import Any

from kiosk.controllers.call_view import CallView, ChatLine, estimate_minutes

REQUEST_FIELDS = ("request_id", "requested_item", "note", "counsellor_id", "requested_at")


def note_message(view: CallView, kind: str, body: dict[str, Any]) -> bool:
    """Apply a view-only message; False if ``kind`` is not one of them."""
    party = str(body.get("from", ""))
    if kind == "call.accepted":
        view.counsellor_name = str(body.get("counsellor_name") or "")[:80]  # may be null
    elif kind == "call.queue":
        view.position = body.get("position")
        view.estimate_min = estimate_minutes(body.get("estimated_wait_s"))
    elif kind == "call.chat":
        view.chat[party] = ChatLine(str(body.get("name", ""))[:80],
                                    str(body.get("text", ""))[:500], bool(body.get("final")))
    elif kind == "call.screen":
        view.screen_shared = bool(body.get("on"))
    elif kind == "call.request_document":
        view.document_requests.append({k: body.get(k) for k in REQUEST_FIELDS})
    elif kind == "call.hand_in":
        request_id = str(body.get("request_id", ""))
        if request_id in view.shown_pages and request_id not in view.hand_in_requests:
            view.hand_in_requests.append(request_id)
    else:
        return False
    return True
