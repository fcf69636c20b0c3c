"""Helper mode on screen: the helper bar, the staff PIN pad, the helper's tools, the visitor's
confirmation and the maintenance panel. They only show ``HelperController`` state and
forward taps to it (``kiosk.controllers.helper``); nothing here touches the card or the
network.

The helper bar lies over the top of every screen while helper mode is on (the screens'
frame leaves its height free: ``app.helper_bar_px``); it names the helper, since when, and
offers "hand back" and, to the visitor, "show my data". Texts are in the visitor's
language with German beneath (``app.tr_helper``), so visitor and staff read the same panel.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.stacklayout import StackLayout

from accessibility.dates import format_time
from kiosk.controllers.helper import SEND_ANYWAY_REASONS, Phase
from kiosk.staffcard.messages import staff_card_message
from kiosk.widgets import KButton, render_stale_labels
from kiosk.widgets.overlays import KioskOverlay

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from kiosk.controllers.helper import HelperController

Builder.load_file(str(Path(__file__).with_name("helper.kv")))

#: The spoken and shown words for each "send anyway" reason code.
REASON_MSGIDS = {
    "readable_for_staff": "Readable enough for the staff",
    "original_is_poor": "The original itself is poor",
    "checked_with_original": "Checked against the original",
}


class HelperBar(StackLayout):
    """Over the top of every screen while a member of staff helps."""

    kiosk = ObjectProperty(None)
    name = StringProperty("")
    since = StringProperty("")
    masked = BooleanProperty(True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fbind("parent", render_stale_labels)

    def on_masked(self, _instance: object, masked: bool) -> None:
        """"Show my data" is offered only while the data is masked."""
        reveal = self.ids.reveal
        if masked and reveal.parent is None:
            self.add_widget(reveal, index=2)
        elif not masked and reveal.parent is not None:
            self.remove_widget(reveal)


class StaffPinPad(KioskOverlay):
    """The staff card's PIN (never shown or spoken) and every refusal's sentence."""

    typed = StringProperty("")
    holder = StringProperty("")
    message = StringProperty("")
    checking = BooleanProperty(False)

    def on_kv_post(self, _base_widget: object) -> None:
        """Build the digit keys."""
        for digit in "1234567890":
            key = KButton(text=digit, action=f"card_pin_{digit}")
            key.bind(on_release=lambda _b, d=digit: self.press(d))
            self.ids.pinpad.add_widget(key)

    def on_message(self, _instance: object, message: str) -> None:
        """A refusal's sentence is at the top of the pad: bring it into sight."""
        if message:
            self.ids.scroller.scroll_y = 1

    def press(self, digit: str) -> None:
        """Type a digit."""
        if len(self.typed) < 8:
            self.typed += digit

    def confirm(self) -> None:
        """Hand the PIN to the card (the controller checks it on its worker)."""
        pin, self.typed = self.typed, ""
        self.kiosk.services.helper.enter_pin(pin)

    def cancel(self) -> None:
        """Close the pad; the card is forgotten until it is taken out."""
        self.typed = ""
        self.kiosk.services.helper.cancel_pin()


class HelperTools(KioskOverlay):
    """The helper's tools for the visitor's current step."""

    status = StringProperty("")
    rejected = ListProperty([])
    taken_over = BooleanProperty(False)

    def on_open(self) -> None:
        """Show the current step's rejected pages and the input mode."""
        self.status = ""
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the rejected-page rows."""
        app: Any = self.kiosk
        helper: HelperController = app.services.helper
        self.taken_over = helper.taken_over
        self.rejected = helper.rejected_pages(app.session)
        box = self.ids.pages
        box.clear_widgets()
        for index in self.rejected:
            again = KButton(text=app.tr_helper("Check page {n} again", n=index + 1),
                            action=f"recheck_{index}")
            again.bind(on_release=lambda _b, i=index: self.recheck(i))
            box.add_widget(again)
            for reason in SEND_ANYWAY_REASONS:
                text = app.tr_helper("Send page {n} anyway: {reason}", n=index + 1,
                                     reason=app.tr_plain(REASON_MSGIDS[reason]))
                button = KButton(text=text, action=f"send_anyway_{index}_{reason}")
                button.bind(on_release=lambda _b, i=index, r=reason: self.send_anyway(i, r))
                box.add_widget(button)

    def _helper(self) -> HelperController:
        return self.kiosk.services.helper  # type: ignore[no-any-return]

    def explain(self) -> None:
        """German beneath the visitor's language, and read the step aloud."""
        self._helper().explain(self.kiosk.session)
        self.dismiss()
        self.kiosk.read_aloud()

    def toggle_input(self) -> None:
        """Take over input, or give it back to the visitor."""
        helper, session = self._helper(), self.kiosk.session
        if helper.taken_over:
            helper.give_input_back(session)
        else:
            helper.take_over(session)
        self.taken_over = helper.taken_over

    def step_back(self) -> None:
        """One step back, if the step has one."""
        if self._helper().step_back(self.kiosk.session):
            self.dismiss()
        else:
            self.status = self.kiosk.tr_helper("There is no step back from here.")

    def recheck(self, index: int) -> None:
        """Run the page's check again."""
        self.status = self.kiosk.tr_helper("Checking page {n} …", n=index + 1)

        def done(accepted: bool, _reasons: tuple[str, ...]) -> None:
            tr = self.kiosk.tr_helper
            self.status = (tr("Page {n} is now accepted.", n=index + 1) if accepted
                           else tr("Page {n} is still not usable.", n=index + 1))
            self.refresh()

        self._helper().recheck(self.kiosk.session, index, done)

    def send_anyway(self, index: int, reason: str) -> None:
        """Keep the page with the chosen reason."""
        self._helper().send_anyway(self.kiosk.session, index, reason)
        self.status = self.kiosk.tr_helper("Page {n} will be sent anyway.", n=index + 1)
        self.refresh()

    def call_colleague(self) -> None:
        """Raise a desk call marked "staff asks for support"."""
        self.status = self.kiosk.tr_helper("Calling a colleague …")

        def done(ok: bool) -> None:
            tr = self.kiosk.tr_helper
            self.status = (tr("A colleague has been called.") if ok
                           else tr("The colleague could not be called."))

        self._helper().call_colleague(self.kiosk.session, done)


class HelperConfirm(KioskOverlay):
    """After helper mode: the visitor confirms "I was helped by …"."""

    name = StringProperty("")


class MaintenancePanel(KioskOverlay):
    """An ops/admin card at the idle terminal: checks, test page, camera, outbox, exit."""

    result = StringProperty("")

    def show(self, lines: list[str]) -> None:
        """Show a check's answer."""
        self.result = "\n".join(lines)

    def act(self, what: str) -> None:
        """Start one of the maintenance actions."""
        self.result = self.kiosk.tr_plain("Please wait …")
        maintenance = self.kiosk.services.maintenance
        {"doctor": maintenance.run_doctor, "print": maintenance.print_test,
         "camera": maintenance.camera_test, "outbox": maintenance.outbox}[what](self.show)

    def leave_kiosk_mode(self) -> None:
        """Close the terminal app (systemd or staff start it again)."""
        self.dismiss()
        self.kiosk.stop()

    def close(self) -> None:
        """End the maintenance login."""
        self.dismiss()
        self.kiosk.services.helper.close_maintenance()


class HelperUi:
    """Follows the helper controller and opens or closes the pieces above."""

    def __init__(self, app: KioskApp) -> None:
        self.app = app
        self.bar = HelperBar(kiosk=app)
        self.pin = StaffPinPad(kiosk=app)
        self.tools = HelperTools(kiosk=app)
        self.confirm = HelperConfirm(kiosk=app)
        self.maintenance = MaintenancePanel(kiosk=app)
        self.bar.bind(height=lambda _w, h: setattr(app, "helper_bar_px", h if self.shown else 0))

    @property
    def shown(self) -> bool:
        """Whether the helper bar is on the window."""
        return self.bar.parent is not None

    def on_change(self, what: str) -> None:
        """A change of helper mode (on the UI thread)."""
        app: Any = self.app
        helper: HelperController = app.services.helper
        phase = helper.phase
        self.pin.holder = helper.holder_name
        self.pin.checking = phase is Phase.CHECKING
        self.pin.message = (staff_card_message(helper.error, "de") if helper.error else "")
        wants_pin = phase in (Phase.PIN, Phase.CHECKING, Phase.REFUSED) or (
            phase is Phase.IDLE and helper.error is not None)
        self._toggle(self.pin, wants_pin)
        self._toggle(self.maintenance, phase is Phase.MAINTENANCE)
        if phase is Phase.ACTIVE:
            self.bar.name = helper.helper_name()
            since = helper.since
            self.bar.since = format_time(since.astimezone(), app.lang) if since else ""
            self.bar.masked = helper.masks_personal_data
            self._show_bar(True)
        else:
            self._show_bar(False)
            self._toggle(self.tools, False)
        awaiting = app.session.data.helper.awaiting_confirmation
        if what == "ended" and awaiting:
            self.confirm.name = app.session.data.helper.display_name
            self._say(app.tr_plain("I was helped by {name}.", name=self.confirm.name) + " "
                      + app.tr_plain("Please confirm this. It is noted with your documents."))
        elif what == "card" and phase is Phase.ACTIVE:
            self._say(app.tr_plain("Staff is helping you: {name}, since {time}",
                                   name=self.bar.name, time=self.bar.since))
        self._toggle(self.confirm, awaiting and phase is not Phase.ACTIVE)

    def spoken_text(self) -> str:
        """What read-aloud says about the helper bar (in the visitor's language)."""
        from kiosk.screens.base import spoken_form

        return spoken_form(self.bar.ids.who.text)

    def refresh_time(self) -> None:
        """Language changes: the "since" time in the visitor's digits."""
        helper = self.app.services.helper
        if helper is not None and helper.since is not None and self.shown:
            self.bar.since = format_time(helper.since.astimezone(), self.app.lang)

    def _say(self, text: str) -> None:
        """Speak to the visitor when read-aloud is on."""
        app: Any = self.app
        if app.session.presentation.speech:
            app.services.speech.speak(text, app.lang)

    @staticmethod
    def _toggle(view: KioskOverlay, show: bool) -> None:
        if show and view.parent is None:
            view.open(animation=False)
        elif not show and view.parent is not None:
            view.dismiss(animation=False)

    def _show_bar(self, show: bool) -> None:
        if show and self.bar.parent is None:
            Window.add_widget(self.bar)
            Clock.schedule_once(lambda _dt: setattr(self.app, "helper_bar_px",
                                                    self.bar.height), 0)
        elif not show and self.bar.parent is not None:
            Window.remove_widget(self.bar)
            self.app.helper_bar_px = 0

    def close_all(self) -> None:
        """After a wipe nothing of the visit stays on screen."""
        for view in (self.tools, self.confirm):
            self._toggle(view, False)
