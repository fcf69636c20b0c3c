"""The out-of-service screen: a full-window panel over the screens while the terminal is locked.

Shown while the session carries ``Overlay.OUT_OF_SERVICE`` (set by the gate controller,
``kiosk.controllers.gate``, when the job centre locks the terminal). It swallows every touch
meant for the screens below, but sits *under* the helper bar and the staff overlays, so a
staff card or the staff gesture (hold the top-right corner) still reach maintenance. The
main text is in the terminal's current language; below it the short notice in every other
offered language, each in a font for its script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.uix.floatlayout import FloatLayout

from accessibility.bidi_text import font_for, prepare_for_label
from accessibility.i18n import translate
from accessibility.languages import is_rtl

Builder.load_file(str(Path(__file__).with_name("out_of_service.kv")))

#: the notice shown in every language (msgids of the visitor catalogue)
NOTICE = "This terminal is out of service."
#: after a wipe: the memory release (0.1 s) has run when the recycle policy reads the RSS
RECYCLE_CHECK_AFTER_S = 0.5
OUT_OF_SERVICE_MSGIDS = (
    "Out of service",
    NOTICE,
    "Please go to the service desk. Staff will help you there.",
)


class OutOfServicePanel(FloatLayout):
    """Covers the screens; touches do not reach them (staff gestures still do)."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        self.kiosk = app
        super().__init__(**kwargs)

    def on_touch_down(self, touch: Any) -> bool:
        """Nothing below may be touched while the terminal is locked."""
        super().on_touch_down(touch)
        return True

    def on_touch_move(self, touch: Any) -> bool:
        """Swallowed (see ``on_touch_down``)."""
        return True

    def on_touch_up(self, touch: Any) -> bool:
        """Swallowed (see ``on_touch_down``)."""
        return True

    def refresh(self) -> None:
        """The notice in every offered language except the one shown large."""
        lines = self.ids.languages
        lines.clear_widgets()
        app = self.kiosk
        for code in app.session.config.accessibility.languages:
            if code == app.lang:
                continue
            text = prepare_for_label(translate(code, NOTICE), code)
            line = Factory.NoticeLine(text=text, font_name=font_for(code))
            line.fit = 0.42 if is_rtl(code) else 0.6
            line.halign = "center"
            lines.add_widget(line)

    def show(self) -> None:
        """Lay the panel over the screens, under the helper bar and staff overlays."""
        if self.parent is not None:
            return
        self.refresh()
        above = [w for w in Window.children if w is not self.kiosk.root]  # bars, overlays
        Window.add_widget(self)
        for widget in reversed(above):  # lay them over the panel again, in their order
            Window.remove_widget(widget)
            Window.add_widget(widget)

    def hide(self) -> None:
        """Take the panel away."""
        if self.parent is not None:
            self.parent.remove_widget(self)


class TerminalLock:
    """The app's side of the gate: starts the gate controller and follows its answers.

    Shows :class:`OutOfServicePanel` while the session carries the out-of-service overlay,
    mirrors ``admit`` into ``app.admitting`` (the attract screen reads it) and, asked to
    restart between visitors, stops the app with ``UI_RESTART_EXIT_CODE``. After each
    visitor it also asks the recycle policy and, when due, hands the screen to a fresh UI
    process (no visitor is admitted meanwhile).
    """

    def __init__(self, app: Any) -> None:
        from kiosk.controllers.gate import GateController

        self.app = app
        self.panel = OutOfServicePanel(app)
        self.gate: GateController | None = None
        factory = getattr(app.services, "gate_factory", None)
        if factory is not None:
            self.gate = factory(app.session)
            self.gate.subscribe(self._on_answer)
            self.gate.on_restart = self._restart
            self.gate.start()
        app.session.subscribe(self._on_session_change)
        self._follow_overlay()

    def stop(self) -> None:
        """Stop reporting (the app is closing)."""
        if self.gate is not None:
            self.gate.stop()
        self.app.session.unsubscribe(self._on_session_change)

    def _on_answer(self, answer: Any) -> None:
        recycle = getattr(self.app.services, "recycle", None)
        handing_over = recycle is not None and recycle.pending  # the next UI takes visitors
        admit = bool(self.gate.admit) if self.gate is not None else True
        self.app.admitting = admit and not handing_over

    def _on_session_change(self, _session: Any, what: str) -> None:
        if what in ("overlay", "wipe"):
            self._follow_overlay()
        if what == "wipe":
            Clock.schedule_once(self._after_visit, RECYCLE_CHECK_AFTER_S)
        elif what == "presentation" and self.panel.parent is not None:
            self.panel.refresh()

    def _follow_overlay(self) -> None:
        from kiosk.session.states import Overlay

        if Overlay.OUT_OF_SERVICE in self.app.session.overlays.shown:
            self.panel.show()
        else:
            self.panel.hide()

    def _after_visit(self, _dt: float) -> None:
        """At the attract screen, after the memory release: make way for a fresh UI process
        if the recycle policy says so (``kiosk.controllers.recycle``, ``kiosk.ui_host``)."""
        from kiosk.session.states import SessionState

        recycle = getattr(self.app.services, "recycle", None)
        if recycle is None or self.app.session.state is not SessionState.ATTRACT:
            return
        if recycle.visit_ended(self._end_for_recycle):
            self.app.admitting = False  # "One moment, please." until the next one is up

    def _end_for_recycle(self) -> None:
        """The next UI process is on screen: close this one."""
        self.app.recycled = True
        self.app.services.recycle.last_frame()
        self.app.stop()

    def _restart(self) -> None:
        from kiosk.controllers.gate import UI_RESTART_EXIT_CODE

        self.app.exit_code = UI_RESTART_EXIT_CODE
        self.app.stop()
