"""Bring the running app to a given screen through the visitor's own actions.

Used by ``kiosk screenshot`` (and the benchmark): the page comes from the simulated
camera through the real capture path, the receipt from a real durable submission.
"""

from __future__ import annotations

from typing import Any

from kiosk.controllers.capture import CapturedPage
from kiosk.demo import walk_to
from kiosk.session.session import Session
from kiosk.session.states import Event, SessionState


def capture_one_page(app: Any) -> Any:
    """Take one page through the real capture controller, synchronously."""
    import threading

    done = threading.Event()
    box: list[Any] = []

    def finished(result: Any) -> None:
        box.append(result)
        done.set()

    controller = app.services.capture
    controller.start()
    try:
        controller.capture(finished)
        if not done.wait(120):
            raise RuntimeError("capture did not finish")
    finally:
        controller.stop()
    result = box[0]
    if not isinstance(result, CapturedPage):
        raise RuntimeError(f"sample page could not be captured: {result}")
    return result


def prepare_screen(app: Any, screen: str, lang: str, font_scale: float, theme_name: str) -> None:
    """Walk the session to ``screen`` with sample data, then apply the presentation."""
    session: Session = app.session

    def capture(s: Session) -> None:
        page = capture_one_page(app)
        documents = app.services.documents
        documents.keep_page(s, page)
        if not page.verdict.accepted:  # a second try, then sent anyway, as a visitor would
            documents.keep_page(s, page)
            documents.send_anyway(s)

    target = SessionState(screen)
    if target in (SessionState.RECEIPT, SessionState.GOODBYE):
        walk_to(session, SessionState.SUMMARY.value, capture)
        app.services.submit.submit_now(session, poke_agent=False)
        if target is SessionState.GOODBYE:
            session.dispatch(Event.DONE)
    else:
        walk_to(session, screen, capture)
    if target in CALL_DEMO and app.services.call is not None:
        show_call_demo(app.services.call, target)
        screen = app.root.get_screen(target.value) if app.root is not None else None
        if screen is not None:
            screen.refresh(app.services.call.view)
            screen.draw_frames()
    session.presentation.language = lang
    session.presentation.text_scale = font_scale
    session.presentation.theme = theme_name
    session.activity()
    session.redraw()


CALL_DEMO = (SessionState.CALL_CHECK, SessionState.CALL_WAITING, SessionState.IN_CALL)


def show_call_demo(call: Any, target: SessionState) -> None:
    """Sample call data for screenshots: a queue place, a counsellor, a chat line, frames."""
    import numpy as np

    from kiosk.controllers.call_view import CallPhase, ChatLine

    view = call.view
    view.position, view.estimate_min = 2, 10
    view.mic_level_dbfs = -20.0
    view.self_view = np.full((240, 320, 3), 120, np.uint8)
    if target is SessionState.IN_CALL:
        view.phase, view.connected, view.counsellor_name = CallPhase.IN_CALL, True, "Frau K."
        view.chat["counsellor"] = ChatLine("Frau K.", "Guten Tag! Wie kann ich helfen?", True)
        gradient = np.linspace(40, 200, 640, dtype=np.uint8)
        view.remote_frame = np.dstack([np.tile(gradient, (480, 1))] * 3)
    call.notify()
