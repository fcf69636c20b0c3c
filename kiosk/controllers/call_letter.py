""""Show me the letter" in the visitor's session: the counsellor's request opens the capture
steps as a sub-flow of the call (the call goes on), the confirmed page goes back to the call.

Pure session logic for ``CallController`` (on the UI thread): ``follow_request`` enters the
``CAPTURE_IN_CALL`` sub-flow for the newest unanswered request, ``captured_page`` gives the
page the visitor confirmed, ``leave_capture`` closes the sub-flow when the call ends, so
the session can follow the call to its goodbye. The pages stay in the session's encrypted
scratch space, which the wipe removes.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from foundation.errors import CallError
from kiosk.session.states import SessionState, SubFlow


def pending_request(view: Any) -> dict[str, Any] | None:
    """The newest document request not yet opened at the kiosk."""
    for request in reversed(view.document_requests):
        if not request.get("opened"):
            return dict(request)
    return None


def follow_request(session: Any, view: Any) -> bool:
    """Open the capture steps for a pending request when the visitor is in the call; True
    if the sub-flow began."""
    request = pending_request(view)
    if (request is None or session.state is not SessionState.IN_CALL
            or session.sub_flows.current is not None or not session.accepts_input):
        return False
    for asked in view.document_requests:
        if asked.get("request_id") == request["request_id"]:
            asked["opened"] = True
    view.capturing_for = request["request_id"]
    session.enter_sub_flow(SubFlow.CAPTURE_IN_CALL)
    session.start_document()
    return True


def captured_page(session: Any) -> np.ndarray:
    """The last accepted page of the document in view, decoded (BGR)."""
    document = session.current_document
    pages = [p for p in (document.pages if document is not None else []) if p.accepted]
    if not pages:
        raise CallError("no confirmed page to show", code="no_page")
    data = np.frombuffer(session.page_image(pages[-1]), np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise CallError("the page image cannot be read", code="no_page")
    return image


def leave_capture(session: Any) -> None:
    """Close the capture steps (page shown, or the call ended meanwhile): back to the call
    step, which then follows the call."""
    while session.sub_flows.current is not None and \
            session.sub_flows.current.flow is SubFlow.CAPTURE_IN_CALL:
        session.leave_sub_flow()
