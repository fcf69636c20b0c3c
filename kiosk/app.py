"""The Kivy application shell: builds the screens, follows the session, applies the
visitor's presentation (language, direction, text size, theme) and runs the clock.

Only this module, ``kiosk/screens/`` and ``kiosk/widgets/`` import Kivy. The session and
all services arrive ready-made through the constructor (see ``kiosk.services``), so tests
can start the real app with simulated devices and a fake clock.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.config import Config
from kivy.core.window import Window
from kivy.properties import (
    BooleanProperty,
    DictProperty,
    NumericProperty,
    StringProperty,
)
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import NoTransition, ScreenManager

from accessibility import theme
from accessibility.bidi_text import font_for, prepare_for_label
from accessibility.fonts import prepare_fonts
from accessibility.i18n import translate
from accessibility.languages import get_language, is_rtl
from kiosk.kivy_env import release_free_memory_in_background
from kiosk.session.session import Session
from kiosk.session.states import Event, SessionState
from kiosk.widgets.focus import FocusNavigator
from kiosk.widgets.overlays import Overlays
from kiosk.widgets.render_batches import add_flush_points

if TYPE_CHECKING:
    from kiosk.services import KioskServices

log = logging.getLogger(__name__)

SYMBOL_FONT = "DejaVuSans"
# Marks the German lines of the dual-language view (invisible), so speech can skip them.
GERMAN_LINE = "\u2063"
STAFF_HOLD_S = 5.0


class KioskApp(App):
    """The touchscreen terminal."""

    lang = StringProperty("de")
    rtl = BooleanProperty(False)
    font = StringProperty(SYMBOL_FONT)
    symbol_font = StringProperty(SYMBOL_FONT)
    c = DictProperty({})
    fs_title = NumericProperty(30)
    fs_body = NumericProperty(22)
    fs_button = NumericProperty(22)
    fs_small = NumericProperty(18)
    fs_numpad = NumericProperty(32)
    touch_px = NumericProperty(60)
    pad_px = NumericProperty(16)
    gap_px = NumericProperty(10)
    radius_px = NumericProperty(6)
    low_reach = BooleanProperty(False)
    dual = BooleanProperty(False)
    scale_text = StringProperty("100 %")
    language_button_text = StringProperty("")
    helper_bar_px = NumericProperty(0)  # height of the helper bar over every screen (or 0)
    helper_masks = BooleanProperty(False)  # a helper is present: personal data shown masked
    admitting = BooleanProperty(True)  # the agent's gate lets a new visitor start

    def __init__(self, session: Session, services: KioskServices, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.services = services
        self.title = "Jobcenter Terminal"
        self.overlays: Overlays | None = None
        self.helper_ui: Any = None  # kiosk.widgets.helper.HelperUi with a card reader
        self.manager: ScreenManager | None = None
        self._unbuilt: list[str] = []
        self.first_frame_at: float | None = None  # time.time() of the first frame on screen
        self._window_shown = False
        self.exit_code = 0  # kiosk.controllers.gate.UI_RESTART_EXIT_CODE: restart the UI
        self.recycled = False  # ended because a fresh UI process took over the screen
        self.lock: Any = None  # kiosk.widgets.out_of_service.TerminalLock (the visitor gate)
        prepare_fonts()  # merged Arabic+Latin font; built once per machine, then cached
        self._apply_presentation()

    # -- building ------------------------------------------------------------------------
    def build(self) -> ScreenManager:
        """Create the shown screen and start following the session; the screens of an
        upload visit are built one per frame after the first frame is on screen (a faster
        start), the rarer ones (``ON_DEMAND_SCREENS``) when a visitor first goes there."""
        from kiosk.screens import ON_DEMAND_SCREENS, SCREEN_CLASSES

        Window.clearcolor = self.c["background"]
        self.manager = ScreenManager(transition=NoTransition())
        first = self.session.state.value
        self._unbuilt = [name for name in SCREEN_CLASSES
                         if name != first and name not in ON_DEMAND_SCREENS]
        self._ensure_screen(first)
        Window.bind(on_flip=self._on_first_flip)
        self.overlays = Overlays(self)
        self.focus = FocusNavigator(self)
        self.session.subscribe(self._on_session_change)
        self._start_helper_mode()
        from kiosk.widgets.out_of_service import TerminalLock

        self.lock = TerminalLock(self)
        Clock.schedule_interval(lambda _dt: self.session.tick(), 0.5)
        Window.bind(on_key_down=self._on_key_down, on_request_close=self._on_request_close)
        Window.bind(on_touch_down=self._on_touch_down, on_touch_up=self._on_touch_up)
        self.manager.current = self.session.state.value
        return self.manager

    def _ensure_screen(self, name: str) -> None:
        """Build screen ``name`` now if it is not built yet."""
        from kiosk.screens import SCREEN_CLASSES

        assert self.manager is not None
        if not self.manager.has_screen(name):
            self.manager.add_widget(SCREEN_CLASSES[name](name=name))
        if name in self._unbuilt:
            self._unbuilt.remove(name)

    def _on_first_flip(self, *_args: Any) -> None:
        if not self._window_shown:
            self._window_shown = True
            if Config.get("graphics", "window_state") == "hidden":
                # A UI replacing another starts hidden (kiosk.launch): shown only once it
                # has drawn, so it never covers the old window with an empty one.
                Window.show()
                Window.canvas.ask_update()
                return  # the next frame is the first one on screen
        Window.unbind(on_flip=self._on_first_flip)
        self.first_frame_at = time.time()
        if self.services.recycle is not None:  # the previous UI process may go now
            self.services.recycle.first_frame(self.first_frame_at)
        Clock.schedule_once(self._build_next_screen, 0)

    def _build_next_screen(self, _dt: float) -> None:
        if self._unbuilt:
            self._ensure_screen(self._unbuilt[0])
        if self._unbuilt:
            Clock.schedule_once(self._build_next_screen, 0)
        else:
            self._freeze_widget_tree()

    @staticmethod
    def _freeze_widget_tree() -> None:
        """Move the long-lived widget tree out of the garbage collector's way: otherwise a
        full collection walks every widget and stalls a screen change by 100 ms or more."""
        gc.collect()
        gc.freeze()

    @property
    def ready(self) -> bool:
        """The first frame is drawn and every screen but the on-demand ones is built."""
        return self.first_frame_at is not None and not self._unbuilt

    def on_stop(self) -> None:
        """The window is gone: stop following the session (a later wipe must not redraw)."""
        self.session.unsubscribe(self._on_session_change)
        if self.lock is not None:
            self.lock.stop()
        if self.services.helper is not None:
            self.services.helper.stop()

    # -- helper mode (staff cards) ---------------------------------------------------------
    def _start_helper_mode(self) -> None:
        helper = self.services.helper
        if helper is None:
            return
        from kiosk.widgets.helper import HelperUi

        self.helper_ui = HelperUi(self)

        def follow(what: str) -> None:
            self.helper_masks = helper.masks_personal_data
            self.helper_ui.on_change(what)

        helper.subscribe(follow)
        helper.start(self.session)

    def helper_reveal(self) -> None:
        """The visitor taps "show my data to staff"."""
        helper = self.services.helper
        if helper is not None:
            helper.reveal(self.session)

    def personal(self, text: str, *_deps: Any) -> str:
        """Personal data as shown now: masked while a helper is present (until revealed)."""
        from foundation.masking import mask_customer_number

        return mask_customer_number(text) if self.helper_masks and text else text

    def tr_helper(self, msgid: str, *_deps: Any, **values: Any) -> str:
        """Helper mode's texts: the visitor's language with German beneath, for both."""
        text = prepare_for_label(translate(self.lang, msgid, **values), self.lang)
        if not self.lang.startswith("de"):
            german = translate("de", msgid, **values).split("\n")
            text += "\n" + "\n".join(GERMAN_LINE + line for line in german)
        return text

    # -- translation ---------------------------------------------------------------------
    def tr(self, msgid: str, *_deps: Any, **values: Any) -> str:
        """Translate for display (shaped for right-to-left); in dual view with German below."""
        text = prepare_for_label(translate(self.lang, msgid, **values), self.lang)
        if self.dual and not self.lang.startswith("de"):
            german = translate("de", msgid, **values).split("\n")
            text += "\n" + "\n".join(GERMAN_LINE + line for line in german)
        return text

    def tr_plain(self, msgid: str, **values: Any) -> str:
        """Translate without shaping (for speech and logs of codes)."""
        return translate(self.lang, msgid, **values)

    # -- presentation ---------------------------------------------------------------------
    def _apply_presentation(self) -> None:
        p = self.session.presentation
        display = self.session.config.display
        px_per_mm = display.pixels_per_mm
        palette = theme.palette(p.theme)
        self.c = {name: theme.rgba(getattr(palette, name)) for name in palette.__dataclass_fields__}
        t = theme.TYPOGRAPHY
        # Points → pixels: 1 pt = 0.3528 mm on the physical screen.
        pt = 0.3528 * px_per_mm * p.text_scale
        self.fs_title, self.fs_body = t.title * pt, t.body * pt
        self.fs_button, self.fs_small, self.fs_numpad = t.button * pt, t.small * pt, t.numpad * pt
        self.touch_px = max(theme.SPACING.touch_target_mm, display.min_touch_target_mm) * px_per_mm
        self.pad_px = theme.SPACING.padding_mm * px_per_mm
        self.gap_px = theme.SPACING.gap_mm * px_per_mm
        self.radius_px = theme.SPACING.corner_radius_mm * px_per_mm
        self.low_reach, self.dual = p.low_reach, p.dual_language
        self.lang = p.language
        self.rtl = is_rtl(p.language)
        self.font = font_for(p.language)
        self.scale_text = f"{round(p.text_scale * 100)} %"
        self.language_button_text = prepare_for_label(get_language(p.language).native_name,
                                                      p.language)
        Window.clearcolor = self.c["background"]

    def _on_session_change(self, session: Session, what: str) -> None:
        if what in ("presentation", "wipe"):
            self._apply_presentation()
            if self.helper_ui is not None:
                self.helper_ui.refresh_time()
        if what == "warning" and self.overlays is not None:
            self.overlays.show_timeout_warning(session.warning_shown)
        if what == "wipe":
            # Speech, volume, rate and the page images held for OCR go with the visitor;
            # language, size, contrast and layout were reset by _apply_presentation above.
            self.services.reset_for_next_visitor()
            if self.overlays is not None:
                self.overlays.close_all()
            if self.helper_ui is not None:
                self.helper_ui.close_all()
            # The visitor's pages, PDFs and textures are gone: give their memory back (off the
            # UI thread, once the attract screen is drawn).
            Clock.schedule_once(lambda _dt: release_free_memory_in_background(), 0.1)
        if self.manager is not None and self.manager.current != session.state.value:
            self._ensure_screen(session.state.value)
            self.manager.current = session.state.value
            self.focus.reset()
        screen = self.manager.current_screen if self.manager else None
        if screen is not None and hasattr(screen, "on_session_change"):
            screen.on_session_change(what)
        if screen is not None:  # widgets the change added get their flush points too
            add_flush_points(screen)
        if what == "state" and session.presentation.speech:
            self.read_aloud()

    # -- actions from the bars -------------------------------------------------------------
    def on_visitor_activity(self) -> None:
        """A touch or key: keep the session alive."""
        if self.session.state is not SessionState.ATTRACT:
            self.session.activity()

    def cycle_text_scale(self) -> None:
        """100 % → 125 % → 150 % → 200 % → 100 %."""
        scales = theme.TEXT_SCALES
        current = self.session.presentation.text_scale
        following = [s for s in scales if s > current + 1e-6]
        self.session.set_text_scale(following[0] if following else scales[0])

    def open_language_picker(self) -> None:
        """Show every offered language in its own script."""
        if self.overlays is not None:
            self.overlays.open_language_picker()

    def open_options(self) -> None:
        """Contrast, dual-language view, low reach, speech and volume."""
        if self.overlays is not None:
            self.overlays.open_options()

    def get_help(self) -> None:
        """Call staff to the terminal from any screen; the visitor's step stays."""
        if self.overlays is not None:
            self.overlays.help.ask()

    def confirm_end(self) -> None:
        """Ask before erasing the session."""
        if self.overlays is not None:
            self.overlays.confirm_end()

    def end_session(self) -> None:
        """Erase everything of this visitor now."""
        if self.session.state is not SessionState.ATTRACT:
            self.session.dispatch(Event.END)

    def change_volume(self, delta: int) -> None:
        """One volume step up or down (clamped to the available steps)."""
        speech = self.services.speech
        step = min(len(speech.volume_steps) - 1, max(0, speech.volume_step + delta))
        speech.set_volume_step(step)
        speech.speak(self.tr_plain("Volume {step} of {steps}", step=step + 1,
                                   steps=len(speech.volume_steps)), self.lang)

    def change_rate(self, delta: int) -> None:
        """One speaking-rate step slower or faster (EN 301 549 5.1.3.12)."""
        from accessibility.audio import RATE_FACTORS

        speech = self.services.speech
        step = min(len(RATE_FACTORS) - 1, max(0, speech.rate_step + delta))
        speech.set_rate_step(step)
        speech.speak(self.tr_plain("Speaking speed {step} of {steps}", step=step + 1,
                                   steps=len(RATE_FACTORS)), self.lang)

    def read_aloud(self) -> None:
        """Speak the current screen in the visitor's language."""
        screen = self.manager.current_screen if self.manager else None
        if screen is None or not hasattr(screen, "spoken_text"):
            return
        text = screen.spoken_text()
        if self.helper_ui is not None and self.helper_ui.shown:  # the helper bar first
            text = f"{self.helper_ui.spoken_text()}. {text}"
        self.services.speech.speak(text, self.lang)

    # -- kiosk lock-down -------------------------------------------------------------------
    def _on_key_down(self, _window: Any, key: int, _scancode: int, _text: Any,
                     modifiers: list[str] | None = None) -> bool:
        """Keypad/keyboard: the screen first (typing), then focus navigation.

        The first key of a session switches read-aloud on: the keypad is how people who
        cannot see the screen use the kiosk (the next visitor starts with it off again).
        """
        self.on_visitor_activity()
        if not self.session.presentation.speech:
            self.session.toggle("speech")
        overlay_open = any(isinstance(w, ModalView) for w in Window.children)
        screen = self.manager.current_screen if self.manager else None
        if not overlay_open and screen is not None and screen.on_key(key):
            return True
        handled = self.focus.handle_key(key, "shift" in (modifiers or []))
        # In kiosk mode Escape must never reach Kivy's exit handling.
        return handled or key == 27

    def go_back_or_close(self) -> None:
        """Escape: close the top overlay, else go back one step."""
        overlays = [w for w in Window.children if isinstance(w, ModalView)]
        if overlays:
            overlays[0].dismiss()
            return
        screen = self.manager.current_screen if self.manager else None
        if screen is not None:
            screen.go_back()

    def speak_control(self, widget: Any) -> None:
        """Say the focused control's text in the visitor's language."""
        from kiosk.screens.base import spoken_form

        text = getattr(widget, "text", "") or getattr(widget, "action", "")
        lang = getattr(widget, "speech_lang", "") or self.lang
        self.services.speech.speak(spoken_form(text), lang)

    def _on_touch_down(self, _window: Any, touch: Any) -> None:
        self.on_visitor_activity()
        # Staff exit gesture: hold the top-right corner for STAFF_HOLD_S seconds.
        corner = self.touch_px
        if touch.x > Window.width - corner and touch.y > Window.height - corner:
            self._staff_hold = Clock.schedule_once(self._staff_gesture, STAFF_HOLD_S)

    def _on_touch_up(self, _window: Any, _touch: Any) -> None:
        hold = getattr(self, "_staff_hold", None)
        if hold is not None:
            hold.cancel()
            self._staff_hold = None

    def _staff_gesture(self, _dt: float) -> None:
        self._staff_hold = None
        if self.overlays is not None:
            self.overlays.staff_unlock()

    def _on_request_close(self, *_args: Any) -> bool:
        # In kiosk mode only the staff gesture + credential may close the app.
        return self.session.config.display.mode == "fullscreen"

