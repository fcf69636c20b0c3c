"""Helper mode: staff tap in with card and PIN during a visit; the visit goes on (issue #12).

The card watcher runs on one worker (``run``) and is the only user of the card reader::

    no card ─inserted→ identify ─known→ PIN ─ok→ ACTIVE (helper bar) ─card pulled→ no card
                          │               ├ wrong PIN → PIN (tries left shown)
                          └ refused ──────┴ blocked / revoked / unknown / pulled → refusal
                            (shown until the card is taken out)

Every answer comes back on the UI thread (``post``), which alone touches the session: the
``HELPER`` overlay goes up (input stays the visitor's, the inactivity countdown pauses) and
comes down at "hand back" or when the card is pulled (the countdown starts over); the
visitor then confirms "I was helped by …". An ``ops`` or ``admin`` card at the attract
screen (no visit running) opens the maintenance panel instead.

The helper's tools (``kiosk.controllers.helper_tools``) act on the session passed in: explain
the step (German beneath the visitor's language), take over input and give it back (steps
done meanwhile are written as done by staff), go back one step, re-check a rejected page and
"send anyway" with a reason, call a colleague (a desk call marked ``staff_support``).
Personal data stays masked for the helper until the visitor taps to reveal it. Every action
lands in the visit's ``HelperAudit`` (``kiosk.session.helper_audit``), which goes into each
document's transfer note. Refusals arrive as ``KioskError`` codes; ``staff_card_message``
gives the sentence.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial

from foundation.errors import CardRemoved, KioskError, SessionError, WrongPin
from kiosk.controllers.helper_tools import (
    SEND_ANYWAY_REASONS,
    SUPPORT_STEP,
    AgentCall,
    CheckImage,
    HelperTools,
    page_check,
)
from kiosk.controllers.runner import Post, Runner
from kiosk.session import helper_audit as audit
from kiosk.session.session import Session
from kiosk.session.states import Overlay, SessionState
from kiosk.staffcard.authenticator import CardHolder, StaffCardAuthenticator, StaffLogin
from wire.transfer_note import NoteExtension

log = logging.getLogger(__name__)

Now = Callable[[], datetime]
MAINTENANCE_ROLES = frozenset({"ops", "admin"})
__all__ = ["SEND_ANYWAY_REASONS", "SUPPORT_STEP", "HelperController", "Phase", "page_check"]


class Phase(StrEnum):
    """Where the card login is."""

    IDLE = "idle"  # no card, or helper mode was handed back with the card still in
    PIN = "pin"  # a known card is in the reader: its PIN is asked for
    CHECKING = "checking"  # the card checks the PIN and signs the challenge
    REFUSED = "refused"  # the card was refused; shown until it is taken out
    ACTIVE = "active"  # helper mode: the helper bar is up
    MAINTENANCE = "maintenance"  # an ops/admin card at the idle terminal


def short_name(login: StaffLogin) -> str:
    """The helper bar's name: the first name, or the staff id if the directory has none."""
    first = login.display_name.split()[0] if login.display_name.split() else ""
    if len(first) < 2 or first.endswith("."):
        return login.staff_id
    return first


class HelperController(HelperTools):
    """Staff card logins during a visit and the helper's tools (Kivy-free)."""

    def __init__(self, auth: StaffCardAuthenticator, agent_call: AgentCall,
                 check_image: CheckImage, *, run: Runner, post: Post,
                 now: Now = lambda: datetime.now(UTC), poll_s: float = 0.5) -> None:
        self.auth = auth
        self.agent_call = agent_call
        self.check_image = check_image
        self.run = run
        self.post = post
        self.now = now
        self.poll_s = poll_s
        self.phase = Phase.IDLE
        self.holder_name = ""  # the inserted card's name while its PIN is asked for
        self.error: KioskError | None = None  # the last refusal (shown with the PIN pad)
        self.login: StaffLogin | None = None
        self.since: datetime | None = None
        self.taken_over = False
        self.revealed = False
        self._listeners: list[Callable[[str], None]] = []
        self._pins: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._logout = threading.Event()
        self._session: Session | None = None

    # -- observers ---------------------------------------------------------------------
    def subscribe(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(what)`` on the UI thread after every change."""
        self._listeners.append(listener)

    def _changed(self, what: str) -> None:
        for listener in list(self._listeners):
            listener(what)

    # -- the card watcher (worker thread) -----------------------------------------------
    def start(self, session: Session) -> None:
        """Watch the reader for staff cards during ``session`` (the kiosk's one session)."""
        self._session = session
        session.subscribe(self._on_session)
        self._stop.clear()
        self.run("staff-card", self._watch)

    def stop(self) -> None:
        """Stop watching (the app closes); the worker ends within ``poll_s``."""
        self._stop.set()
        self._pins.put(None)

    def _watch(self) -> None:
        last_fault = ""
        while not self._stop.is_set():
            try:
                self.poll_card()
                last_fault = ""
            except KioskError as exc:  # no reader, pcscd stopped: try again a little later
                if exc.code != last_fault:  # once per fault, not every few seconds
                    log.warning("staff card reader not usable (%s)", exc.code)
                    last_fault = exc.code
                self._stop.wait(self.poll_s * 10)
            except Exception:  # noqa: BLE001 - the watcher must outlive any one card
                log.exception("staff card watcher failed; restarting it")
                self._stop.wait(self.poll_s * 10)

    def poll_card(self) -> None:
        """One round: wait for a card (``poll_s``) and see its login through to the end."""
        if not self.auth.wait_for_card(self.poll_s):
            return
        try:
            holder = self.auth.identify()
        except KioskError as exc:
            self.post(partial(self._refused, exc))
            self._await_removal()
            return
        self._drain_pins()
        self.post(partial(self._card_known, holder))
        self._ask_pin(holder)

    def _ask_pin(self, holder: CardHolder) -> None:
        while not self._stop.is_set():
            try:
                pin = self._pins.get(timeout=self.poll_s)
            except queue.Empty:
                if self.auth.wait_for_removal(0):
                    self.auth.end()
                    self.post(partial(self._card_gone, CardRemoved(
                        "the card was pulled before its PIN was entered")))
                    return
                continue
            if pin is None:  # the PIN pad was cancelled: the card must come out first
                self.auth.end()
                self.post(lambda: self._card_gone(None))
                self._await_removal()
                return
            try:
                login = self.auth.authenticate(holder, pin)
            except WrongPin as exc:
                self.post(partial(self._wrong_pin, exc))
                continue
            except KioskError as exc:
                self.post(partial(self._refused, exc))
                self._await_removal()
                return
            self._logout.clear()
            self.post(partial(self._logged_in, login))
            self._await_removal()
            self.auth.end()
            self.post(self._card_pulled)
            return

    def _await_removal(self) -> None:
        """Until the card is out; a hand-back meanwhile resets the card (PIN state gone)."""
        while not self._stop.is_set():
            if self._logout.is_set():
                self._logout.clear()
                self.auth.end()
            if self.auth.wait_for_removal(self.poll_s):
                self.post(self._card_out)
                return

    def _drain_pins(self) -> None:
        while not self._pins.empty():
            self._pins.get_nowait()

    # -- answers on the UI thread ---------------------------------------------------------
    def _card_known(self, holder: CardHolder) -> None:
        self.phase, self.error = Phase.PIN, None
        self.holder_name = holder.member.display_name or holder.member.staff_id
        self._changed("card")

    def _wrong_pin(self, error: WrongPin) -> None:
        self.phase, self.error = Phase.PIN, error
        self._changed("card")

    def _refused(self, error: KioskError) -> None:
        self.phase, self.error = Phase.REFUSED, error
        self._changed("card")

    def _card_gone(self, error: KioskError | None) -> None:
        if self.phase in (Phase.PIN, Phase.CHECKING):
            self.phase, self.error = Phase.IDLE, error
            self._changed("card")

    def _card_out(self) -> None:
        if self.phase is Phase.REFUSED:  # the refusal stays readable until it is closed
            self.phase = Phase.IDLE
            self._changed("card")

    def _logged_in(self, login: StaffLogin) -> None:
        session = self._session
        assert session is not None
        self.error, self.holder_name = None, ""
        if session.state is SessionState.ATTRACT:
            if MAINTENANCE_ROLES & set(login.roles):
                self.login, self.phase = login, Phase.MAINTENANCE
                log.info("maintenance opened with a staff card")
            else:
                self.phase = Phase.REFUSED
                self.error = SessionError("helper mode needs a visitor's session",
                                          code="helper_needs_session")
                self._logout.set()
            self._changed("card")
            return
        self.login, self.phase, self.since = login, Phase.ACTIVE, self.now()
        self.taken_over = self.revealed = False
        session.data.helper.begin(login.staff_id, short_name(login), self.since)
        session.show_overlay(Overlay.HELPER)
        log.info("helper mode began")
        self._changed("card")

    def _card_pulled(self) -> None:
        if self.phase is Phase.ACTIVE:
            self._end(audit.CARD_PULLED)
        elif self.phase in (Phase.MAINTENANCE, Phase.PIN, Phase.CHECKING):
            self.phase, self.login = Phase.IDLE, None
            self._changed("card")

    def _on_session(self, session: Session, what: str) -> None:
        if what == "wipe" and self.phase in (Phase.ACTIVE, Phase.MAINTENANCE):
            self.phase, self.login, self.taken_over = Phase.IDLE, None, False
            self._logout.set()
            self._changed("card")
        elif what == "state" and self.phase is Phase.ACTIVE and self.taken_over:
            session.data.helper.record(self.now(), audit.STEP_BY_STAFF, session.state.value)

    # -- what the UI asks --------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Helper mode is on (the bar is shown)."""
        return self.phase is Phase.ACTIVE

    @property
    def masks_personal_data(self) -> bool:
        """Personal data is masked: a helper is present and the visitor has not revealed it."""
        return self.active and not self.revealed

    def helper_name(self) -> str:
        """The name on the helper bar (first name or staff id)."""
        return short_name(self.login) if self.login is not None else ""

    def enter_pin(self, pin: str) -> None:
        """The PIN typed on the PIN pad (checked on the card by the worker)."""
        if self.phase is not Phase.PIN:
            return
        self.phase, self.error = Phase.CHECKING, None
        self._pins.put(pin)
        self._changed("card")

    def cancel_pin(self) -> None:
        """The PIN pad was closed: forget the card until it is taken out."""
        if self.phase is Phase.PIN:
            self._pins.put(None)
        if self.phase in (Phase.PIN, Phase.REFUSED, Phase.IDLE):
            self.phase, self.error = Phase.IDLE, None
            self._changed("card")

    def close_maintenance(self) -> None:
        """The maintenance panel was closed: the card's login ends."""
        if self.phase is Phase.MAINTENANCE:
            self.phase, self.login = Phase.IDLE, None
            self._logout.set()
            self._changed("card")

    def hand_back(self, session: Session) -> None:
        """End helper mode; the visit goes on and the visitor is asked to confirm."""
        if self.active:
            self._logout.set()
            self._end(audit.HANDED_BACK)

    def _end(self, how: str) -> None:
        session = self._session
        assert session is not None and self.login is not None
        session.data.helper.end(self.now(), how, self.login.staff_id)
        self.phase, self.taken_over, self.revealed = Phase.IDLE, False, False
        self.login = None
        session.close_overlay(Overlay.HELPER)
        log.info("helper mode ended (%s)", how)
        self._changed("ended")

    def confirm(self, session: Session) -> None:
        """The visitor confirmed "I was helped by …"."""
        if session.data.helper.awaiting_confirmation:
            session.data.helper.confirm(self.now())
            self._changed("confirmed")

    def decline(self, session: Session) -> None:
        """The visitor did not confirm (recorded as such)."""
        helper = session.data.helper
        if helper.awaiting_confirmation:
            helper.awaiting_confirmation = False
            helper.record(self.now(), audit.DECLINED)
            self._changed("confirmed")

    @staticmethod
    def note_extensions(session: Session) -> list[NoteExtension]:
        """The visit's helper audit as a transfer-note extension (none if nobody helped)."""
        extension = session.data.helper.extension()
        return [] if extension is None else [extension]
