"""Every way to the attract screen wipes: each edge of the transition table, BACK, END and
the timeouts are walked from a session whose visitor changed everything they could."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import pytest

from config.model import KioskConfig
from kiosk.session.session import Presentation, Session, SessionData
from kiosk.session.states import BACK, TIMED_STATES, TRANSITIONS, Event, Overlay, SessionState

S = SessionState


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def path_to(goal: SessionState) -> list[Event]:
    """The shortest list of events from attract to ``goal`` through the table itself."""
    edges = [(s, e, t) for (s, e), t in TRANSITIONS.items()]
    edges += [(s, Event.BACK, t) for s, t in BACK.items()]
    queue: deque[tuple[SessionState, list[Event]]] = deque([(S.ATTRACT, [])])
    seen = {S.ATTRACT}
    while queue:
        state, events = queue.popleft()
        if state is goal:
            return events
        for source, event, target in edges:
            if source is state and target not in seen:
                seen.add(target)
                queue.append((target, [*events, event]))
    raise AssertionError(f"{goal} cannot be reached")


def all_edges() -> list[tuple[SessionState, Event]]:
    edges = list(TRANSITIONS) + [(state, Event.BACK) for state in BACK]
    edges += [(state, event) for state in S if state is not S.ATTRACT
              for event in (Event.END, Event.TIMEOUT)]
    return edges


def visitor_in(state: SessionState, tmp_path: Path, clock: FakeClock) -> Session:
    """A session in ``state`` whose visitor changed every setting and left personal data."""
    session = Session(KioskConfig(data_dir=tmp_path), clock, tmp_path / "session")
    for event in path_to(state):
        session.dispatch(event)
    assert session.state is state
    if state is not S.ATTRACT:
        session.set_language("ar")
        session.set_text_scale(2.0)
        for option in ("high_contrast", "speech", "dual_language", "low_reach"):
            session.toggle(option)
        session.data.customer_number = "123A456789"
        session.show_overlay(Overlay.HELPER)  # staff were helping: that goes with the visit
    return session


def assert_wiped(session: Session, visits_before: int) -> None:
    assert session.state is S.ATTRACT
    assert session.presentation == Presentation(
        language=session.config.accessibility.default_language)
    assert session.data == SessionData()
    assert session.scratch is None
    assert session.overlays.shown == ()
    assert session.sub_flows.current is None
    assert session.visit == visits_before + 1
    assert list((session.scratch_root).iterdir()) == []


@pytest.mark.parametrize(("state", "event"), all_edges(),
                         ids=lambda v: v.value if hasattr(v, "value") else str(v))
def test_every_edge_to_attract_wipes_and_every_other_keeps_the_visitor(
        state: SessionState, event: Event, tmp_path: Path) -> None:
    clock = FakeClock()
    session = visitor_in(state, tmp_path, clock)
    before, visits = session.presentation, session.visit
    session.dispatch(event)
    if session.state is S.ATTRACT:
        assert_wiped(session, visits)
    elif state is S.ATTRACT:  # a new visit starts with the terminal's defaults
        assert session.presentation == Presentation(language="de") and session.scratch
    else:
        assert session.presentation is before and session.presentation.text_scale == 2.0
        assert session.data.customer_number == "123A456789"


def test_back_from_the_language_screen_wipes(tmp_path: Path) -> None:
    """The regression: BACK to attract kept text size, contrast, speech and language."""
    session = visitor_in(S.LANGUAGE, tmp_path, FakeClock())
    session.dispatch(Event.BACK)
    assert_wiped(session, 0)
    assert session.presentation.text_scale == 1.0 and session.presentation.theme == "default"
    assert not session.presentation.speech and session.presentation.language == "de"


@pytest.mark.parametrize("state", sorted(TIMED_STATES | {S.GOODBYE}), ids=str)
def test_every_countdown_to_attract_wipes(state: SessionState, tmp_path: Path) -> None:
    clock = FakeClock()
    session = visitor_in(state, tmp_path, clock)
    session.close_overlay(Overlay.HELPER)  # the helper bar holds the countdown
    visits = session.visit
    cfg = session.config.session
    clock.now += max(cfg.inactivity_timeout_s, cfg.goodbye_s) + 1
    session.tick()
    assert_wiped(session, visits)


def test_the_walk_covers_every_state_and_reaches_attract_by_back(tmp_path: Path) -> None:
    edges = all_edges()
    assert {state for state, _ in edges} == set(S)
    assert (S.LANGUAGE, Event.BACK) in edges and BACK[S.LANGUAGE] is S.ATTRACT
