""""Show me the letter" in the real app, inside a running call (run by ``tests.ui.call_app``).

The counsellor has asked for a document: the capture steps open as the call's sub-flow.
The visitor's page is photographed and checked, the page list says "Show it in the call",
and the visitor goes back to the call. Each step is shot in German and Arabic at 100 % and
200 % text and checked for clipped labels and small targets; meanwhile the call goes on
(the counsellor's frames keep arriving and the call stays ``IN_CALL``).
"""

from __future__ import annotations

from typing import Any

from kiosk.controllers.call_view import CallPhase
from tests.ui.driver import UiDriver

LOOKS = (("de", 1.0), ("ar", 1.0), ("de", 2.0), ("ar", 2.0))


async def look(ui: UiDriver, name: str, observed: dict[str, Any]) -> None:
    """Shoot screen ``name`` in every language and size of ``LOOKS``; note problems and the
    frame's title and next-button texts."""
    from tests.ui.layout_checks import clipped_labels, small_targets

    app, session = ui.app, ui.app.session
    screen = app.root.current_screen
    for lang, scale in LOOKS:
        session.presentation.language, session.presentation.text_scale = lang, scale
        session.redraw()
        await ui.frames(6)
        key = f"{name}-{lang}-{int(scale * 100)}"
        await ui.shot(key)
        found = clipped_labels(screen) + small_targets(screen, app.touch_px)
        if found:
            observed["problems"][key] = found
        frame = screen.ids.get("frame")
        if frame is not None:
            note = screen.ids.get("call_note")
            observed["texts"][key] = {"title": frame.title, "instruction": frame.instruction,
                                      "next": frame.next_text,
                                      "call_note": note.text if note is not None else None}
    session.presentation.language, session.presentation.text_scale = "de", 1.0
    session.redraw()
    await ui.frames(4)


async def capture_in_call(ui: UiDriver) -> dict[str, Any]:
    """Follow the counsellor's request through the capture steps and back to the call."""
    app, call = ui.app, ui.app.services.call
    observed: dict[str, Any] = {"problems": {}, "texts": {}, "screens": [], "phases": set()}

    def note() -> None:
        observed["phases"].add(call.view.phase.value)

    await ui.wait_for(lambda: app.root.current == "capture", 60)
    link = call.engine.links["counsellor"]
    frames_at_start = link.media.video_frames
    observed["screens"].append("capture")
    observed["request"] = dict(call.view.document_requests[-1])
    capture = app.root.get_screen("capture")
    await ui.wait_for(lambda: capture.ids.preview.texture is not None, 30)
    await look(ui, "in_call-capture-live", observed)
    note()
    await ui.wait_for(lambda: capture.mode == "verdict", 120)
    await look(ui, "in_call-capture-verdict", observed)
    observed["accepted"] = bool(capture.accepted)
    note()
    await ui.tap("next")
    await ui.wait_for(lambda: app.root.current == "documents", 30)
    observed["screens"].append("documents")
    await look(ui, "in_call-documents", observed)
    note()
    await ui.tap("next")
    await ui.wait_for(lambda: app.root.current == "in_call", 30)
    observed["screens"].append("in_call")
    await ui.wait_for(lambda: observed["request"]["request_id"] in call.view.shown_pages, 30)
    await look(ui, "in_call-after-page", observed)
    note()
    link = call.engine.links["counsellor"]  # the same link unless the call renegotiated
    observed["frames_during_capture"] = link.media.video_frames - frames_at_start
    observed["phase"] = call.view.phase.value
    observed["phases"] = sorted(observed["phases"])
    observed["in_call"] = call.view.phase is CallPhase.IN_CALL
    observed["request"].pop("opened", None)
    return observed
