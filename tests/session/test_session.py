"""The session state machine: every edge, inactivity with a fake clock, the wipe."""

import sqlite3
from pathlib import Path

import pytest

from config.model import KioskConfig, SessionConfig
from foundation.errors import SessionError
from kiosk.session.inactivity import Inactivity
from kiosk.session.session import Session
from kiosk.session.states import BACK, TRANSITIONS, Event, SessionState


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


def walk_to_documents(session: Session) -> None:
    session.dispatch(Event.TOUCH)
    session.choose_language("uk")
    assert session.identify("123A456789").ok
    session.choose_upload()
    session.store_page(b"page-one-image", True, (), (2480, 3508))
    session.dispatch(Event.PAGE_DONE)


def test_upload_flow_to_goodbye_and_wipe(session: Session, tmp_path: Path) -> None:
    walk_to_documents(session)
    assert session.state is SessionState.DOCUMENTS
    scratch_dir = session.scratch.directory  # type: ignore[union-attr]
    assert any(scratch_dir.iterdir())
    session.dispatch(Event.FINISH)
    session.mark_submitted({"receipt": "K-1"})
    assert session.state is SessionState.RECEIPT
    session.dispatch(Event.DONE)
    assert session.state is SessionState.GOODBYE
    session.dispatch(Event.TOUCH)
    assert session.state is SessionState.ATTRACT
    assert session.data.customer_number is None
    assert not scratch_dir.exists()
    assert list((tmp_path / "session").iterdir()) == []


def test_language_change_keeps_progress(session: Session) -> None:
    walk_to_documents(session)
    session.set_language("ar")
    session.set_text_scale(2.0)
    assert session.state is SessionState.DOCUMENTS
    assert session.data.customer_number == "123A456789"
    assert len(session.current_document.pages) == 1  # type: ignore[union-attr]


def test_bad_number_stays_with_problem(session: Session) -> None:
    session.dispatch(Event.TOUCH)
    session.choose_language("de")
    result = session.identify("123A4567")
    assert not result.ok and session.state is SessionState.IDENTIFY
    assert session.data.number_problem is not None


def test_every_transition_is_reachable_and_illegal_events_refused(session: Session) -> None:
    targets = set(TRANSITIONS.values()) | set(BACK.values())
    assert set(SessionState) <= targets | {SessionState.ATTRACT}
    with pytest.raises(SessionError):
        session.dispatch(Event.FINISH)


def test_inactivity_warns_then_expires_and_wipes(session: Session, clock: FakeClock) -> None:
    walk_to_documents(session)
    cfg = session.config.session
    clock.now += cfg.inactivity_timeout_s - cfg.warning_before_s - 1
    assert session.tick() is Inactivity.ACTIVE
    clock.now += 2
    assert session.tick() is Inactivity.WARNING and session.warning_shown
    assert cfg.warning_before_s >= 20
    clock.now += cfg.warning_before_s
    assert session.tick() is Inactivity.EXPIRED
    assert session.state is SessionState.ATTRACT and session.scratch is None


def test_extend_at_least_ten_times(tmp_path: Path, clock: FakeClock) -> None:
    cfg = KioskConfig(data_dir=tmp_path, session=SessionConfig(max_extensions=10))
    session = Session(cfg, clock, tmp_path / "s")
    walk_to_documents(session)
    for _ in range(10):
        clock.now += cfg.session.inactivity_timeout_s - 5
        assert session.tick() is Inactivity.WARNING
        assert session.extend()
    assert not session.extend()
    assert session.state is SessionState.DOCUMENTS


def test_goodbye_times_out(session: Session, clock: FakeClock) -> None:
    walk_to_documents(session)
    session.dispatch(Event.FINISH)
    session.mark_submitted(None)
    session.dispatch(Event.DONE)
    clock.now += session.config.session.goodbye_s + 0.1
    assert session.tick() is Inactivity.EXPIRED
    assert session.state is SessionState.ATTRACT


def test_rejected_page_retake_and_send_anyway(session: Session) -> None:
    session.dispatch(Event.TOUCH)
    session.choose_language("de")
    session.identify("123A456789")
    session.choose_upload()
    session.store_page(b"blurry-1", False, ("blur",), (100, 100))
    doc = session.current_document
    assert doc is not None and not doc.ready
    with pytest.raises(SessionError):
        doc.send_anyway(0)
    session.store_page(b"blurry-2", False, ("blur",), (100, 100))
    assert len(doc.pages) == 1 and doc.pages[0].rejections == 2
    doc.send_anyway(0)
    assert doc.ready and doc.pages[0].sent_anyway
    assert len(session.scratch.refs("page")) == 1  # type: ignore[union-attr]


def test_scratch_is_encrypted_and_secure_deleted(session: Session) -> None:
    walk_to_documents(session)
    scratch = session.scratch
    assert scratch is not None
    marker = b"VERY-PERSONAL-PAYSLIP-TEXT"
    ref = scratch.put(marker * 10)
    raw = b"".join(p.read_bytes() for p in scratch.directory.iterdir() if p.is_file())
    assert marker not in raw
    assert scratch.get(ref) == marker * 10
    db = scratch.directory / "scratch.sqlite3"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
    conn.close()
    session.dispatch(Event.END)
    assert not scratch.directory.exists()
