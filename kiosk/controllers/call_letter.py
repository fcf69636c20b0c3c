""""Show me the letter" in the visitor's session: the counsellor's request opens the capture
steps as a sub-flow of the call (the call goes on), the confirmed page goes back to the call.

Pure session logic for ``CallController`` (on the UI thread): ``follow_request`` enters the
``CAPTURE_IN_CALL`` sub-flow for the newest unanswered request, ``captured_page`` gives the
page the visitor confirmed, ``leave_capture`` closes the sub-flow when the call ends, and
``after_call`` keeps only the documents the counsellor asked to have handed in: with some,
the visitor goes on to the customer number and the summary (then the outbox and the receipt,
like any submission); without, the session follows the call to its goodbye. The pages stay
in the session's encrypted scratch space, which the wipe removes.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from foundation.errors import CallError
from kiosk.controllers.call_view import PHASE_EVENTS, CallPhase
from kiosk.session.states import Event, SessionState, SubFlow


def follow_call(session: Any, view: Any) -> None:
    """Take the visitor's session to the step that fits the call (on the UI thread)."""
    if view.phase is CallPhase.ENDED:
        leave_capture(session)
        if after_call(session, view):  # pages to hand in: on to the number
            return
    elif view.phase is CallPhase.IN_CALL and follow_request(session, view):
        return
    event = PHASE_EVENTS.get(view.phase)
    if event is not None and session.can(event):
        session.dispatch(event)


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


def after_call(session: Any, view: Any) -> bool:
    """The call ended: drop every document not asked for; True if the rest goes on to be
    handed in (the session is then at the customer-number step)."""
    if session.state is not SessionState.IN_CALL:
        return False
    wanted = [view.page_documents[r] for r in view.hand_in_requests if r in view.page_documents]
    for document in session.data.documents:
        if not any(document is kept for kept in wanted) and session.scratch is not None:
            for page in document.pages:
                session.scratch.delete(page.image_ref)
    session.data.documents = [d for d in wanted if d.pages]
    session.data.current, session.data.retake_index = len(session.data.documents) - 1, None
    if not session.data.documents or not session.accepts_input:
        return False
    session.data.hand_in_after_call = True
    session.dispatch(Event.HAND_IN)
    return True
