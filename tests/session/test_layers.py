"""Overlays and sub-flows above the visitor's step: input, countdowns, wipe, return."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.model import KioskConfig
from foundation.errors import SessionError
from kiosk.session.inactivity import Inactivity
from kiosk.session.session import Session
from kiosk.session.states import Event, Overlay, SessionState, SubFlow

S = SessionState


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def session(tmp_path: Path, clock: FakeClock) -> Session:
    return Session(KioskConfig(data_dir=tmp_path), clock, tmp_path / "session")


def to_documents(session: Session) -> None:
    session.dispatch(Event.TOUCH)
    session.choose_language("uk")
    assert session.identify("123A456789").ok
    session.choose_upload()
    session.store_page(b"page-one", True, (), (100, 100))
    session.dispatch(Event.PAGE_DONE)


def to_staff_help(session: Session) -> None:
    session.dispatch(Event.TOUCH)
    session.choose_language("de")
    assert session.identify("123A456789").ok
    session.dispatch(Event.CHOOSE_STAFF_HELP)


def test_helper_overlay_keeps_the_step_and_input_but_pauses_the_countdown(
        session: Session, clock: FakeClock) -> None:
    to_documents(session)
    timeout = session.config.session.inactivity_timeout_s
    session.show_overlay(Overlay.HELPER)
    assert session.overlays.top is Overlay.HELPER and session.accepts_input
    clock.now += timeout * 5  # staff explain at length
    assert session.tick() is Inactivity.ACTIVE and session.state is S.DOCUMENTS
    session.close_overlay(Overlay.HELPER)
    clock.now += timeout - 1  # a full period again from when the helper left
    assert session.tick() is not Inactivity.EXPIRED
    assert session.state is S.DOCUMENTS and len(session.current_document.pages) == 1  # type: ignore[union-attr]
    clock.now += 2
    assert session.tick() is Inactivity.EXPIRED and session.state is S.ATTRACT


def test_helper_arriving_takes_the_warning_away(session: Session, clock: FakeClock) -> None:
    to_documents(session)
    changes: list[str] = []
    session.subscribe(lambda _s, what: changes.append(what))
    cfg = session.config.session
    clock.now += cfg.inactivity_timeout_s - cfg.warning_before_s + 1
    assert session.tick() is Inactivity.WARNING and session.warning_shown
    session.show_overlay(Overlay.HELPER)
    assert not session.warning_shown and changes[-2:] == ["warning", "overlay"]


def test_lock_blocks_input_pauses_the_countdown_and_survives_the_wipe(
        session: Session, clock: FakeClock) -> None:
    to_documents(session)
    session.show_overlay(Overlay.OUT_OF_SERVICE)
    assert not session.accepts_input
    assert not session.can(Event.FINISH) and not session.can(Event.BACK)
    with pytest.raises(SessionError) as refused:
        session.dispatch(Event.FINISH)
    assert refused.value.code == "input_locked"
    with pytest.raises(SessionError):
        session.enter_sub_flow(SubFlow.CAPTURE_IN_CALL)
    clock.now += session.config.session.inactivity_timeout_s * 3
    assert session.tick() is Inactivity.ACTIVE and session.state is S.DOCUMENTS
    assert session.can(Event.END)  # the terminal (or staff) may still end the visit
    session.dispatch(Event.END)
    assert session.state is S.ATTRACT and session.data.customer_number is None
    assert session.overlays.shown == (Overlay.OUT_OF_SERVICE,)  # the next visitor is locked out too
    with pytest.raises(SessionError):
        session.dispatch(Event.TOUCH)
    session.close_overlay(Overlay.OUT_OF_SERVICE)
    session.dispatch(Event.TOUCH)
    assert session.state is S.LANGUAGE


def test_lock_lifted_under_a_helper_keeps_the_countdown_paused(
        session: Session, clock: FakeClock) -> None:
    to_documents(session)
    session.show_overlay(Overlay.HELPER)
    session.show_overlay(Overlay.OUT_OF_SERVICE)
    session.show_overlay(Overlay.HELPER)  # already up: stays where it is
    assert session.overlays.shown == (Overlay.HELPER, Overlay.OUT_OF_SERVICE)
    session.close_overlay(Overlay.OUT_OF_SERVICE)
    assert session.accepts_input
    clock.now += session.config.session.inactivity_timeout_s * 2
    assert session.tick() is Inactivity.ACTIVE
    session.close_overlay(Overlay.HELPER)
    assert session.tick() is Inactivity.ACTIVE and session.overlays.top is None


def test_goodbye_countdown_waits_for_the_helper(session: Session, clock: FakeClock) -> None:
    to_staff_help(session)
    session.dispatch(Event.DONE)
    session.show_overlay(Overlay.HELPER)
    clock.now += session.config.session.goodbye_s * 3
    assert session.tick() is Inactivity.ACTIVE and session.state is S.GOODBYE
    session.close_overlay(Overlay.HELPER)
    clock.now += session.config.session.goodbye_s + 0.1
    assert session.tick() is Inactivity.EXPIRED and session.state is S.ATTRACT


def test_sub_flow_returns_to_its_step_with_the_document_in_view(session: Session) -> None:
    to_staff_help(session)
    with pytest.raises(SessionError):
        session.leave_sub_flow()
    session.start_document()
    session.enter_sub_flow(SubFlow.CAPTURE_IN_CALL)
    assert session.state is S.CAPTURE and session.sub_flows.current is not None
    session.store_page(b"letter", True, (), (100, 100))
    session.dispatch(Event.PAGE_DONE)
    assert session.state is S.DOCUMENTS  # a step of the sub-flow
    session.dispatch(Event.FINISH)  # would lead to the summary: the sub-flow returns instead
    assert session.state is S.STAFF_HELP and session.sub_flows.current is None
    assert session.data.current == 0 and len(session.data.documents) == 1
    assert session.data.customer_number == "123A456789"


def test_back_from_the_sub_flow_entry_or_out_of_its_steps_returns(session: Session) -> None:
    to_staff_help(session)
    session.enter_sub_flow(SubFlow.CAPTURE_IN_CALL)
    assert session.can(Event.BACK)
    session.dispatch(Event.BACK)  # BACK from the entry step
    assert session.state is S.STAFF_HELP
    session.enter_sub_flow(SubFlow.CAPTURE_IN_CALL)
    session.start_document()
    session.store_page(b"page", True, (), (100, 100))
    session.dispatch(Event.PAGE_DONE)
    session.dispatch(Event.ADD_PAGE)  # inside the sub-flow: stays
    assert session.state is S.CAPTURE and session.sub_flows.current is not None
    session.dispatch(Event.PAGE_DONE)
    session.dispatch(Event.BACK)  # documents → choose task leaves the sub-flow's steps
    assert session.state is S.STAFF_HELP and session.data.current == -1


def test_sub_flow_only_from_its_host_and_the_wipe_ends_it(
        session: Session, clock: FakeClock) -> None:
    to_documents(session)
    with pytest.raises(SessionError):
        session.enter_sub_flow(SubFlow.CAPTURE_IN_CALL)
    session.dispatch(Event.END)
    to_staff_help(session)
    session.enter_sub_flow(SubFlow.CAPTURE_IN_CALL)
    clock.now += session.config.session.inactivity_timeout_s + 1
    assert session.tick() is Inactivity.EXPIRED
    assert session.state is S.ATTRACT and session.sub_flows.current is None
