"""Base class of every screen: access to the app, session and services, spoken text; and
``post_to_ui``, the UI thread's post that the controllers get injected (``kiosk.services``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.screenmanager import Screen

from accessibility.bidi_text import strip_marks
from kiosk.session.states import Event
from kiosk.widgets import render_stale_labels
from kiosk.widgets.frame import KioskFrame  # noqa: F401 - registers the frame for the .kv files
from kiosk.widgets.render_batches import add_flush_points

if TYPE_CHECKING:
    from kiosk.app import KioskApp


class KioskScreen(Screen):
    """A screen shows session state and forwards the visitor's actions; no I/O of its own."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fbind("parent", render_stale_labels)  # texts changed while the screen was hidden
        self.fbind("parent", add_flush_points)  # bounded memory per frame under llvmpipe

    @property
    def app(self) -> KioskApp:
        """The running kiosk app."""
        app = App.get_running_app()
        assert app is not None
        return app  # type: ignore[return-value]

    @property
    def session(self) -> Any:
        """The visitor's session."""
        return self.app.session

    def go_back(self) -> None:
        """The bottom bar's back button."""
        if self.session.can(Event.BACK):
            self.session.dispatch(Event.BACK)

    def spoken_text(self) -> str:
        """What "read aloud" says on this screen: title, instruction, then the buttons."""
        frame = self.ids.get("frame")
        parts: list[str] = []
        if frame is not None:
            parts += [frame.title, frame.instruction]
        parts += self.extra_spoken_text()
        return ". ".join(spoken_form(p) for p in parts if p)

    def extra_spoken_text(self) -> list[str]:
        """Screens add the texts of their own controls here."""
        return []

    def on_session_change(self, what: str) -> None:
        """Refresh after a session change (pages added, problem shown, …)."""

    def is_settled(self) -> bool:
        """True when the screen shows its final content (screenshots wait for this)."""
        return True

    def on_key(self, key: int) -> bool:
        """A hardware key; return True if handled."""
        return False


def post_to_ui(work: Callable[[], None]) -> None:
    """Run ``work`` on the UI thread at the next frame (safe to call from any thread)."""
    Clock.schedule_once(lambda _dt: work(), 0)


def spoken_form(text: str) -> str:
    """Display text → speech text: drop German lines of the dual view and layout marks."""
    from kiosk.app import GERMAN_LINE

    lines = [line for line in text.split("\n") if not line.startswith(GERMAN_LINE)]
    return strip_marks(" ".join(lines))
