"""What the four video-counselling screens share: the call controller's view as Kivy
properties, and frames drawn into ``Image`` widgets at the screen's own pace.

The controller stores frames (``view.self_view`` BGR, ``view.remote_frame`` RGB); a screen
that is showing draws the newest ones 15 times a second and never asks for more.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from kivy.app import App
from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, DictProperty, NumericProperty, StringProperty

from kiosk.screens.base import KioskScreen
from kiosk.session.states import SubFlow

DRAW_EVERY_S = 1 / 15


def call_request(screen: Any) -> tuple[bool, str]:
    """Whether ``screen`` shows the capture steps inside a video call ("show me the
    letter"), and what the counsellor asked for ("" if unknown)."""
    bookmark = screen.session.sub_flows.current
    if bookmark is None or bookmark.flow is not SubFlow.CAPTURE_IN_CALL:
        return False, ""
    call = getattr(screen.app.services, "call", None)
    if call is None:
        return True, ""
    for request in call.view.document_requests:
        if request.get("request_id") == call.view.capturing_for:
            return True, str(request.get("requested_item") or "")
    return True, ""


def show_frame(image_widget: Any, frame: np.ndarray | None, colorfmt: str) -> None:
    """Put ``frame`` into the ``Image`` widget (a new texture only when the size changes)."""
    if frame is None:
        return
    height, width = frame.shape[:2]
    texture = image_widget.texture
    if texture is None or texture.size != (width, height) or \
            getattr(image_widget, "_fmt", None) != colorfmt:
        texture = Texture.create(size=(width, height), colorfmt=colorfmt)
        texture.flip_vertical()
        image_widget._fmt = colorfmt
    texture.blit_buffer(np.ascontiguousarray(frame).tobytes(), colorfmt=colorfmt,
                        bufferfmt="ubyte")
    image_widget.texture = texture
    image_widget.canvas.ask_update()


class CallScreen(KioskScreen):
    """A screen showing the call controller's state."""

    phase = StringProperty("idle")
    error = StringProperty("")
    position = NumericProperty(0)
    estimate_min = NumericProperty(0)
    counsellor = StringProperty("")
    connected = BooleanProperty(False)
    reconnecting = BooleanProperty(False)
    muted = BooleanProperty(False)
    camera_on = BooleanProperty(True)
    confirm_end = BooleanProperty(False)
    starting = BooleanProperty(False)
    staff_called = BooleanProperty(False)
    level = NumericProperty(0.0)  # microphone level 0..1 for the meter
    chat = DictProperty({})
    chat_text = StringProperty("")  # every party's current line, one per line
    _draw_event: Any = None

    @property
    def call(self) -> Any:
        """The call controller (None without one, or once the app has stopped)."""
        app = App.get_running_app()
        return getattr(getattr(app, "services", None), "call", None)

    def on_pre_enter(self, *_args: object) -> None:
        """Follow the controller while shown."""
        if self.call is not None:
            self.call.subscribe(self.refresh)
            self.refresh(self.call.view)
        self.draw_frames()
        self._draw_event = Clock.schedule_interval(self.draw_frames, DRAW_EVERY_S)

    def on_leave(self, *_args: object) -> None:
        """Stop following."""
        if self._draw_event is not None:
            self._draw_event.cancel()
        if self.call is not None:
            self.call.unsubscribe(self.refresh)

    def refresh(self, view: Any) -> None:
        """Copy the view into properties (the .kv rules redraw from them)."""
        self.phase, self.error = view.phase.value, view.error or ""
        self.position, self.estimate_min = view.position or 0, view.estimate_min or 0
        self.counsellor, self.connected = view.counsellor_name, view.connected
        self.reconnecting, self.muted, self.camera_on = view.reconnecting, view.muted, \
            view.camera_on
        self.confirm_end, self.staff_called = view.confirm_end, view.staff_called
        self.starting = view.starting
        self.level = max(0.0, min(1.0, (view.mic_level_dbfs + 60) / 60))
        self.chat = {party: line.text for party, line in view.chat.items()}
        self.chat_text = "\n".join(line.text for line in view.chat.values() if line.text)

    def draw_frames(self, _dt: float = 0.0) -> None:
        """Draw the newest frames into the screen's video views (only while showing)."""
        if self.call is None or self.manager is None or self.manager.current != self.name:
            if self._draw_event is not None and self.call is None:
                self._draw_event.cancel()  # the app has stopped
            return
        view = self.call.view
        if "self_view" in self.ids:
            show_frame(self.ids.self_view, view.self_view, "bgr")
        if "remote_view" in self.ids:
            show_frame(self.ids.remote_view, view.remote_frame, "rgb")
