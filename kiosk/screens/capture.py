"""Capture screen: live preview with the page outline, hints, auto-capture, and the
verdict of each page in plain words (retry, or send anyway after two tries).

The camera and the checks run in the capture controller; keeping, retaking and sending
pages and the way back are the documents controller's (``kiosk.controllers``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock, mainthread
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty

from foundation.errors import KioskError
from kiosk.controllers.capture import CapturedPage
from kiosk.screens.base import KioskScreen
from kiosk.screens.call_base import call_request
from kiosk.screens.messages import HINT_TEXTS, REASON_TEXTS
from kiosk.session.documents import REJECTIONS_BEFORE_OVERRIDE

Builder.load_file(str(Path(__file__).with_name("capture.kv")))

PREVIEW_FPS = 15


class CaptureScreen(KioskScreen):
    """Photograph one page at a time."""

    mode = StringProperty("live")  # live | checking | verdict
    hint = StringProperty("move_into_frame")
    accepted = BooleanProperty(False)
    reasons = ListProperty([])
    may_send_anyway = BooleanProperty(False)
    outline = ListProperty([])
    page_count = ListProperty([0])
    camera_problem = StringProperty("")
    in_call = BooleanProperty(False)  # the counsellor asked for a page during a video call
    asked_for = StringProperty("")  # what the counsellor asked for, as they typed it

    def on_pre_enter(self, *_args: Any) -> None:
        """Say so when these steps run inside a video call (the call goes on)."""
        self.in_call, self.asked_for = call_request(self)

    def on_enter(self, *_args: Any) -> None:
        """Open the camera and start the preview clock."""
        self.mode, self.reasons, self.outline, self.camera_problem = "live", [], [], ""
        self._update_count()
        try:
            self.app.services.capture.start()
        except KioskError as exc:
            self.camera_problem = exc.code
        self._event = Clock.schedule_interval(self._tick, 1 / PREVIEW_FPS)

    def on_leave(self, *_args: Any) -> None:
        """Stop the preview, release the camera and the last frame's texture."""
        event = getattr(self, "_event", None)
        if event is not None:
            event.cancel()
        self.app.services.capture.stop()
        self.ids.preview.texture = None

    def _update_count(self) -> None:
        doc = self.session.current_document
        self.page_count = [len(doc.pages) if doc is not None else 0]

    def _tick(self, _dt: float) -> None:
        if self.mode != "live":
            return
        controller = self.app.services.capture
        update = controller.poll_preview()
        if controller.last_error:
            self.camera_problem = controller.last_error
        if update is None:
            return
        self.camera_problem = ""
        self._show_frame(update.frame)
        guidance = update.guidance
        self.hint = guidance.hints[0] if guidance.hints else "ready"
        self._show_outline(guidance.corners, update.frame.shape, update.scale)
        if guidance.ready_to_capture:
            self.take_photo()

    def is_settled(self) -> bool:
        """A preview frame is on screen (or the camera problem is shown)."""
        return self.ids.preview.texture is not None or bool(self.camera_problem)

    def _show_frame(self, frame: Any) -> None:
        """Show a preview frame. A fresh texture per frame: rewriting the texture the GPU is
        still drawing stalls until that draw ends (~100 ms per frame with Mesa llvmpipe)."""
        height, width = frame.shape[:2]
        texture = Texture.create(size=(width, height), colorfmt="bgr")
        texture.flip_vertical()
        texture.blit_buffer(frame.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.ids.preview.texture = texture

    def _show_outline(self, corners: Any, shape: tuple[int, ...], frame_scale: float) -> None:
        if corners is None:
            self.outline = []
            return
        image = self.ids.preview
        fw, fh = shape[1], shape[0]
        scale = min(image.width / fw, image.height / fh)
        ox = image.x + (image.width - fw * scale) / 2
        oy = image.y + (image.height - fh * scale) / 2
        points: list[float] = []
        for x, y in [*corners, corners[0]]:
            dx, dy = float(x) * frame_scale, float(y) * frame_scale  # camera → display pixels
            points += [ox + dx * scale, oy + (fh - dy) * scale]
        self.outline = points

    def take_photo(self) -> None:
        """Manual shutter (or auto-capture): judge a full-resolution still."""
        if self.mode != "live":
            return
        self.mode = "checking"
        self.app.services.capture.capture(self._judged)

    @mainthread
    def _judged(self, result: CapturedPage | KioskError) -> None:
        if self.manager is None or self.manager.current != self.name:
            return
        if isinstance(result, KioskError):
            self.accepted, self.reasons, self.may_send_anyway = False, [result.code], False
            self.mode = "verdict"
            return
        verdict = result.verdict
        page = self.app.services.documents.keep_page(self.session, result)
        self.accepted = verdict.accepted
        self.reasons = list(verdict.reasons)
        self.may_send_anyway = page.rejections >= REJECTIONS_BEFORE_OVERRIDE
        self._update_count()
        self.mode = "verdict"
        if self.session.presentation.speech:
            self.app.read_aloud()

    def try_again(self) -> None:
        """Back to the live preview for the same page."""
        self.mode, self.reasons = "live", []

    def next_page(self) -> None:
        """Capture another page of this document."""
        self.app.services.documents.next_page(self.session)
        self.mode, self.reasons = "live", []

    def send_anyway(self) -> None:
        """Keep a twice-rejected page, flagged with its reasons."""
        self.app.services.documents.send_anyway(self.session)
        self.document_done()

    def document_done(self) -> None:
        """Go to the page list of this document."""
        self.app.services.documents.document_done(self.session)

    def go_back(self) -> None:
        """Back goes to the page list if there are pages, else one step back."""
        self.app.services.documents.back_from_capture(self.session)

    def status_text(self, mode: str, hint: str, accepted: bool, reasons: list[str],
                    problem: str, *_deps: Any) -> str:
        """The one instruction shown under the preview."""
        tr = self.app.tr
        if problem:
            return tr(REASON_TEXTS.get(problem, REASON_TEXTS["camera_no_frame"]))
        if mode == "checking":
            return tr("Checking the page …")
        if mode == "verdict":
            if accepted:
                return tr("This page is good.")
            lines = [tr("This page cannot be used yet:")]
            lines += [tr(REASON_TEXTS.get(r, REASON_TEXTS["capture_failed"])) for r in reasons]
            return "\n".join(lines)
        return tr(HINT_TEXTS.get(hint, HINT_TEXTS["move_into_frame"])[1])

    def status_icon(self, mode: str, hint: str, accepted: bool, problem: str) -> str:
        """An icon that carries the same meaning as the colour."""
        if problem or (mode == "verdict" and not accepted):
            return "\u26A0"
        if mode == "verdict":
            return "\u2714"
        if mode == "checking":
            return "\u25F7"
        return HINT_TEXTS.get(hint, HINT_TEXTS["move_into_frame"])[0]

    def extra_spoken_text(self) -> list[str]:
        """The current instruction or verdict."""
        return [self.app.tr_plain("Page {number}", number=self.page_count[0] + 1),
                self.status_text(self.mode, self.hint, self.accepted, list(self.reasons),
                                 self.camera_problem)]
