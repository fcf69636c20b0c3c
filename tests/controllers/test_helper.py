"""Helper mode without a window: the real session, authenticator and scripted card reader.

The card watcher runs on a real worker thread (as in the kiosk); its answers wait in the
test's "UI thread" until the test drains them. The same flows run through a real pcscd in
tests/device_drivers/test_card_reader_pcsc.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from config.loader import load_config
from device_drivers.card_reader.piv_card import VirtualPivCard
from device_drivers.card_reader.simulated import CardFault, SimulatedCardReader
from kiosk.controllers.helper import SUPPORT_STEP, HelperController, Phase
from kiosk.controllers.runner import Work, start_thread
from kiosk.session.session import Session
from kiosk.session.states import Event, Overlay, SessionState
from kiosk.staffcard.authenticator import StaffCardAuthenticator
from kiosk.staffcard.directory import StaffDirectoryStore
from kiosk.staffcard.messages import staff_card_message
from tests.controllers.conftest import UiThread
from tests.staffcard.fakes import PIN, directory_bundle, directory_store, member
from wire.note_kinds import HelperAuditV1


class Clock:
    """The session's clock (seconds) and the audit's (datetime), moved by the test."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(seconds=self.t)


class FakeAgent:
    """Answers the agent's help commands; records them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, op: str, **params: Any) -> dict[str, Any]:
        self.calls.append((op, params))
        return {"ok": True, "state": "sent", "call_id": "c1"}


def runner(name: str, work: Work) -> None:
    """The card watcher on its own thread (as in the kiosk); other work inline."""
    if name == "staff-card":
        start_thread(name, work)
    else:
        work()


@dataclass
class Rig:
    session: Session
    helper: HelperController
    reader: SimulatedCardReader
    ui: UiThread
    clock: Clock
    agent: FakeAgent
    store: StaffDirectoryStore

    def phase(self) -> Phase:
        """The helper's phase now (a call, so checks after actions are not narrowed)."""
        return self.helper.phase

    def state(self) -> SessionState:
        """The session's step now."""
        return self.session.state

    def until(self, check: Callable[[], bool], timeout_s: float = 10.0) -> None:
        """Drain the UI thread until ``check()`` holds."""
        deadline = time.monotonic() + timeout_s
        while not check():
            assert time.monotonic() < deadline, "the card watcher did not answer"
            self.ui.arrived.wait(0.05)
            self.ui.arrived.clear()
            self.ui.drain()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    config = load_config(data_dir=tmp_path, environ={})
    clock = Clock()
    session = Session(config, clock, tmp_path / "session")
    reader = SimulatedCardReader()
    store = directory_store(tmp_path)
    ui, agent = UiThread(), FakeAgent()
    helper = HelperController(StaffCardAuthenticator(reader, store), agent,
                              lambda _image: (True, ()), run=runner, post=ui, now=clock.now,
                              poll_s=0.02)
    rig = Rig(session, helper, reader, ui, clock, agent, store)
    helper.start(session)
    yield rig
    helper.stop()
    session.wipe()


def _directory(rig: Rig, *entries: dict[str, object]) -> None:
    rig.store.apply(directory_bundle(list(entries)))


def _visitor_at_choose_task(session: Session) -> None:
    session.dispatch(Event.TOUCH)
    session.choose_language("ar")
    assert session.identify(session.config.site.customer_number_formats[0].example).ok


def _tap_in(rig: Rig, card: VirtualPivCard, pin: str = PIN) -> None:
    rig.reader.insert(card)
    rig.until(lambda: rig.helper.phase is Phase.PIN)
    rig.helper.enter_pin(pin)
    rig.until(lambda: rig.helper.phase is not Phase.CHECKING)


def test_card_and_pin_open_helper_mode_and_hand_back_keeps_the_visit(rig: Rig) -> None:
    card = VirtualPivCard()
    _directory(rig, member(card, name="Anna Schmidt", staff_id="aschmidt"))
    session = rig.session
    _visitor_at_choose_task(session)
    session.choose_upload()
    _tap_in(rig, card)
    assert rig.helper.phase is Phase.ACTIVE and rig.helper.helper_name() == "Anna"
    assert session.overlays.top is Overlay.HELPER and session.accepts_input
    assert session.state is SessionState.CAPTURE  # nothing of the visit was wiped
    assert session.data.customer_number is not None
    assert rig.helper.masks_personal_data
    # The inactivity countdown stands still while a helper is present.
    rig.clock.t += 10_000
    session.tick()
    assert session.state is SessionState.CAPTURE
    rig.helper.explain(session)
    assert session.presentation.dual_language
    rig.helper.take_over(session)
    session.dispatch(Event.PAGE_DONE)  # staff tap for the visitor
    rig.helper.give_input_back(session)
    assert rig.helper.step_back(session) and rig.state() is SessionState.CHOOSE_TASK
    rig.helper.reveal(session)
    assert not rig.helper.masks_personal_data
    rig.helper.hand_back(session)
    assert rig.helper.phase is Phase.IDLE and session.overlays.top is None
    assert session.data.helper.awaiting_confirmation
    # The countdown starts over from a full period at hand back.
    assert session.timer.last_activity == rig.clock.t
    rig.clock.t += 30
    rig.helper.confirm(session)
    extension = rig.helper.note_extensions(session)[0]
    data = HelperAuditV1.model_validate(extension.data)
    assert data.staff_id == "aschmidt" and data.visitor_confirmed
    assert [a.action for a in data.actions] == [
        "helper_joined", "explained_screen", "took_over_input", "step_by_staff",
        "gave_input_back", "went_back_step", "visitor_revealed_data", "handed_back"]
    assert data.actions[3].detail == "documents"
    assert data.ended_at is not None and data.confirmed_at is not None
    # The card still in the reader is not read again until it has been taken out.
    rig.reader.remove()
    rig.until(lambda: not rig.ui.posted and rig.helper.phase is Phase.IDLE)
    session.wipe()
    assert session.data.helper.empty  # the trail goes with the visit


def test_pulling_the_card_ends_helper_mode_and_the_visit_goes_on(rig: Rig) -> None:
    card = VirtualPivCard()
    _directory(rig, member(card, name="M. Müller"))
    _visitor_at_choose_task(rig.session)
    _tap_in(rig, card)
    assert rig.helper.helper_name() == "mmueller"  # no first name in the directory
    rig.reader.remove()
    rig.until(lambda: rig.helper.phase is Phase.IDLE)
    assert rig.session.state is SessionState.CHOOSE_TASK and rig.session.overlays.top is None
    assert rig.session.data.helper.entries[-1].action == "card_pulled"
    assert rig.reader.card is None


def test_wrong_pin_then_the_right_one(rig: Rig) -> None:
    card = VirtualPivCard()
    _directory(rig, member(card))
    _visitor_at_choose_task(rig.session)
    _tap_in(rig, card, "654321")
    assert rig.helper.phase is Phase.PIN and rig.helper.error is not None
    assert staff_card_message(rig.helper.error, "de") == "Falsche PIN. Noch 2 Versuche."
    rig.helper.enter_pin(PIN)
    rig.until(lambda: rig.helper.phase is Phase.ACTIVE)


@pytest.mark.parametrize(("case", "code"), [
    ("blocked", "staff_card_blocked"), ("unknown", "staff_card_unknown"),
    ("revoked", "staff_card_revoked"), ("pulled", "staff_card_removed")])
def test_refusals_show_their_message_and_leave_the_visit_alone(
        rig: Rig, case: str, code: str) -> None:
    card = VirtualPivCard(tries_left=0 if case == "blocked" else 3)
    listed = VirtualPivCard() if case == "unknown" else card
    _directory(rig, member(listed, revoked=case == "revoked"))
    _visitor_at_choose_task(rig.session)
    rig.reader.insert(card)
    if case == "pulled":
        rig.until(lambda: rig.helper.phase is Phase.PIN)
        rig.reader.push(CardFault("remove_after", 1))  # gone after VERIFY, before signing
        rig.helper.enter_pin(PIN)
    rig.until(lambda: rig.helper.error is not None)
    error = rig.helper.error
    assert error is not None and error.code == code
    assert staff_card_message(error, "en") != staff_card_message(error, "de")
    assert rig.session.overlays.top is None and rig.session.state is SessionState.CHOOSE_TASK
    rig.reader.remove()
    rig.until(lambda: rig.helper.phase is Phase.IDLE)
    assert rig.helper.error is not None  # the message stays until it is closed
    rig.helper.cancel_pin()
    assert rig.helper.error is None


def test_an_ops_card_at_the_idle_terminal_opens_maintenance(rig: Rig) -> None:
    ops, desk = VirtualPivCard(), VirtualPivCard()
    _directory(rig, member(ops, staff_id="ops1", roles=("ops",)),
               member(desk, staff_id="desk1", roles=("desk",)))
    _tap_in(rig, desk)
    assert rig.helper.phase is Phase.REFUSED
    assert rig.helper.error is not None and rig.helper.error.code == "helper_needs_session"
    rig.reader.remove()
    rig.until(lambda: rig.helper.phase is Phase.IDLE)
    rig.helper.cancel_pin()
    _tap_in(rig, ops)
    assert rig.phase() is Phase.MAINTENANCE and rig.session.overlays.top is None
    rig.reader.remove()
    rig.until(lambda: rig.helper.phase is Phase.IDLE)


def test_rejected_page_recheck_send_anyway_and_call_a_colleague(rig: Rig) -> None:
    card = VirtualPivCard()
    _directory(rig, member(card))
    session = rig.session
    _visitor_at_choose_task(session)
    session.choose_upload()
    session.store_page(b"page-one", accepted=True, reasons=(), size=(10, 10))
    session.store_page(b"page-two", accepted=False, reasons=("blur",), size=(10, 10))
    _tap_in(rig, card)
    helper = rig.helper
    assert helper.rejected_pages(session) == [1]
    seen: list[bytes] = []
    results: list[tuple[bool, tuple[str, ...]]] = []

    def still_blurred(image: bytes) -> tuple[bool, tuple[str, ...]]:
        seen.append(image)
        return False, ("blur",)

    helper.check_image = still_blurred
    helper.recheck(session, 1, lambda ok, reasons: results.append((ok, reasons)))
    rig.until(lambda: bool(results))
    assert seen == [b"page-two"] and results == [(False, ("blur",))]
    with pytest.raises(Exception, match="reason"):
        helper.send_anyway(session, 1, "because")
    helper.send_anyway(session, 1, "readable_for_staff")
    assert session.current_document is not None and session.current_document.ready
    assert session.current_document.pages[1].sent_anyway
    called: list[bool] = []
    helper.call_colleague(session, called.append)
    rig.until(lambda: bool(called))
    assert called == [True]
    assert rig.agent.calls == [("help_cancel", {}),
                               ("staff_call", {"language": "de", "step": SUPPORT_STEP})]
    details = [(e.action, e.detail) for e in session.data.helper.entries[1:]]
    assert details == [("rechecked_page", "page 2 rejected: blur"),
                       ("sent_anyway", "page 2: readable_for_staff"),
                       ("called_colleague", "capture")]


def test_the_watcher_survives_a_reader_fault(rig: Rig) -> None:
    rig.reader.push(CardFault("no_service"))
    time.sleep(0.1)
    rig.reader.service_running = True
    card = VirtualPivCard()
    _directory(rig, member(card))
    _visitor_at_choose_task(rig.session)
    _tap_in(rig, card)
    assert rig.helper.phase is Phase.ACTIVE
    assert threading.active_count() >= 2
