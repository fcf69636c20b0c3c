"""Overlays over any screen: language picker, options, inactivity warning, end confirmation.

They change presentation or end the session through the app; progress is never lost by
opening or closing one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView

from accessibility.bidi_text import font_for, prepare_for_label
from accessibility.languages import get_language
from kiosk.widgets import KButton, render_stale_labels
from kiosk.widgets.render_batches import add_flush_points

if TYPE_CHECKING:
    from kiosk.app import KioskApp

Builder.load_file(str(Path(__file__).with_name("overlays.kv")))


class KioskOverlay(ModalView):
    """A modal panel styled by the theme; never dismissed by touching outside by accident."""

    kiosk = ObjectProperty(None)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fbind("parent", render_stale_labels)  # texts changed while the panel was closed
        self.fbind("parent", add_flush_points)  # bounded memory per frame under llvmpipe
        if self.kiosk is not None:
            self.kiosk.fbind("helper_bar_px", self._align_center)

    def open(self, *args: Any, **kwargs: Any) -> None:
        """Open, then centre below the helper bar (ModalView centres in the window first)."""
        super().open(*args, **kwargs)
        self._align_center()

    def _align_center(self, *_args: Any) -> None:
        """Centre in the window below the helper bar (which stays in sight while it is up)."""
        if self._is_open:
            bar = getattr(self.kiosk, "helper_bar_px", 0) or 0
            self.center = (self._window.center[0], (self._window.height - bar) / 2)


_Panel = TypeVar("_Panel", bound=KioskOverlay)


class LanguagePicker(KioskOverlay):
    """All offered languages in their own script."""

    def on_open(self) -> None:
        """Fill the list."""
        grid = self.ids.grid
        grid.clear_widgets()
        app = self.kiosk
        for code in app.session.config.accessibility.languages:
            button = KButton(text=prepare_for_label(get_language(code).native_name, code),
                             selected=code == app.lang, action=code, font=font_for(code))
            button.bind(on_release=lambda _b, c=code: self.pick(c))
            grid.add_widget(button)

    def pick(self, code: str) -> None:
        """Switch language, keep everything else."""
        self.dismiss()
        self.kiosk.session.set_language(code)


class OptionsPanel(KioskOverlay):
    """Contrast, dual-language view, low-reach layout, speech and volume."""


class TimeoutWarning(KioskOverlay):
    """Shown ≥ 20 s before the session is erased; the visitor can ask for more time."""

    seconds_left = NumericProperty(0)


class ConfirmEnd(KioskOverlay):
    """Ask before erasing everything."""


class StaffUnlock(KioskOverlay):
    """Staff PIN after the exit gesture (sites without cards); never shown or spoken.

    The PIN is checked against its salted scrypt hash with a growing lockout
    (``kiosk.exit_pin``, set by ``kiosk exit-pin set``), off the UI thread.
    """

    typed = StringProperty("")
    failed = BooleanProperty(False)
    locked_s = NumericProperty(0)

    def on_kv_post(self, _base_widget: object) -> None:
        """Build the digit keys."""
        for digit in "1234567890":
            key = KButton(text=digit, action=f"pin_{digit}")
            key.bind(on_release=lambda _b, d=digit: self.press(d))
            self.ids.pinpad.add_widget(key)

    def on_open(self) -> None:
        """Start empty."""
        self.typed, self.failed, self.locked_s = "", False, 0

    def press(self, key: str) -> None:
        """Type a digit."""
        if len(self.typed) < 12:
            self.typed += key

    def confirm(self) -> None:
        """Leave kiosk mode if the exit PIN is right (checked on a worker)."""
        pin, self.typed = self.typed, ""
        self.kiosk.services.maintenance.try_exit_pin(pin, self.answered)

    def answered(self, answer: Any) -> None:
        """The PIN check's answer: stop the app, or say why not."""
        if answer.ok:
            self.dismiss()
            self.kiosk.stop()
            return
        self.failed = True
        self.locked_s = round(answer.wait_s)


class HelpNotice(KioskOverlay):
    """"Get help" from any screen: the desk is called, the visitor's step stays as it is.

    Shows the help controller's answer ("A member of staff has been called …", "Help is on
    the way: Dora", or where the service desk is when the kiosk is offline) and asks for
    news every few seconds while it is open.
    """

    text = StringProperty("")
    _poll: Any = None

    def ask(self) -> None:
        """Raise the call (or repeat the open one) and show the answer."""
        app = self.kiosk
        app.services.help.raise_call(app.lang, app.session.state.value, self.show)
        if self.parent is None:
            self.open()

    def on_open(self) -> None:
        """Poll while open."""
        from kivy.clock import Clock

        if self._poll is None:
            self._poll = Clock.schedule_interval(self._ask_news, 3.0)

    def on_dismiss(self) -> None:
        """Stop polling (the call stays open until the visit ends)."""
        if self._poll is not None:
            self._poll.cancel()
            self._poll = None

    def _ask_news(self, _dt: float) -> None:
        help_ = self.kiosk.services.help
        if help_.active:
            help_.poll(self.kiosk.lang, self.show)

    def show(self, view: Any) -> None:
        """The call's state in the visitor's language (spoken once when the desk answers)."""
        app = self.kiosk
        self.text = prepare_for_label(view.text, app.lang)
        if view.speak and app.session.presentation.speech:
            app.services.speech.speak(view.text, app.lang)


class Overlays:
    """Opens and closes the app's overlays.

    Each panel is built when first opened: most visits open none, and the six cost ~9 MB
    in every UI process (issue #9 memory); building one takes a frame or two.
    """

    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self._built: dict[type[KioskOverlay], KioskOverlay] = {}

    def _panel(self, kind: type[_Panel]) -> _Panel:
        view = self._built.get(kind)
        if view is None:
            view = self._built[kind] = kind(kiosk=self.app)
        assert isinstance(view, kind)
        return view

    @property
    def language(self) -> LanguagePicker:
        """The language list."""
        return self._panel(LanguagePicker)

    @property
    def options(self) -> OptionsPanel:
        """The options panel."""
        return self._panel(OptionsPanel)

    @property
    def timeout(self) -> TimeoutWarning:
        """The inactivity warning."""
        return self._panel(TimeoutWarning)

    @property
    def end(self) -> ConfirmEnd:
        """The end-of-session question."""
        return self._panel(ConfirmEnd)

    @property
    def staff(self) -> StaffUnlock:
        """The staff PIN entry."""
        return self._panel(StaffUnlock)

    @property
    def help(self) -> HelpNotice:
        """The "help is called" notice."""
        return self._panel(HelpNotice)

    @property
    def built(self) -> tuple[str, ...]:
        """Class names of the panels built so far."""
        return tuple(kind.__name__ for kind in self._built)

    def open_language_picker(self) -> None:
        """Show the language list."""
        self.language.open()

    def open_options(self) -> None:
        """Show the options."""
        self.options.open()

    def confirm_end(self) -> None:
        """Ask whether to end the session."""
        self.end.open()

    def staff_unlock(self) -> None:
        """Ask for the staff PIN (after the exit gesture)."""
        self.staff.open()

    def show_timeout_warning(self, show: bool) -> None:
        """Open or close the inactivity warning (and speak it)."""
        if show and self.timeout.parent is None:
            app: Any = self.app
            timer = app.session.timer
            self.timeout.seconds_left = round(timer.seconds_left(app.session.clock()))
            self.timeout.open()
            app.services.speech.speak(app.tr_plain(
                "Are you still there? Touch the screen to continue."), app.lang)
        elif not show and TimeoutWarning in self._built and self.timeout.parent is not None:
            self.timeout.dismiss()

    def close_all(self) -> None:
        """Close every overlay (after a wipe nothing of the last visitor stays visible)."""
        for view in self._built.values():
            if view.parent is not None:
                view.dismiss(animation=False)
