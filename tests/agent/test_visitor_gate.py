"""The visitor gate: fleet work never starts while a visitor is in a session."""

from __future__ import annotations

import threading

from kiosk.agent.visitor_gate import VisitorGate

WAIT_S = 10.0  # against hanging only


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _gate(clock: FakeClock) -> VisitorGate:
    gate = VisitorGate(clock, ui_silent_s=5.0, wall_clock=lambda: 1_700_000_000.0)
    gate.start()
    return gate


def test_job_waits_for_the_session_to_end_and_closes_the_gate_meanwhile() -> None:
    clock = FakeClock()
    gate = _gate(clock)
    try:
        assert gate.report(in_session=True).admit
        ran = threading.Event()
        job = gate.between_sessions("apply", ran.set)
        assert not gate.report(in_session=True).admit  # no new visitor from now on
        assert not gate.wait(job, 0.5) and not ran.is_set()  # the visitor is still there
        answer = gate.report(in_session=False)
        assert not answer.admit
        assert gate.wait(job, WAIT_S) and ran.is_set()
        assert gate.last_session_end == 1_700_000_000.0
        assert gate.report(in_session=False).admit  # open again after the job
    finally:
        gate.stop()


def test_job_needs_a_report_after_it_was_queued() -> None:
    """A report from before the gate closed proves nothing: a visitor may have come since."""
    clock = FakeClock()
    gate = _gate(clock)
    try:
        gate.report(in_session=False)
        job = gate.between_sessions("apply", lambda: 1)
        assert not gate.wait(job, 0.5)
        gate.report(in_session=False)
        assert gate.wait(job, WAIT_S) and job.result == 1
    finally:
        gate.stop()


def test_without_a_ui_the_job_runs_and_a_failing_job_does_not_stop_the_next() -> None:
    clock = FakeClock()
    gate = _gate(clock)
    try:
        gate.report(in_session=True)
        clock.now += 6.0  # the UI went quiet (restarting, or none on this terminal)
        assert not gate.in_session

        def broken() -> None:
            raise OSError("disk")

        first = gate.between_sessions("broken", broken)
        second = gate.between_sessions("fine", lambda: "done")
        assert gate.wait(first, WAIT_S) and isinstance(first.error, OSError)
        assert gate.wait(second, WAIT_S) and second.result == "done"
    finally:
        gate.stop()


def test_lock_keeps_the_gate_closed_and_shows_the_overlay_restart_waits() -> None:
    gate = VisitorGate(FakeClock())
    gate.close("lock")
    gate.set_overlay("out_of_service")
    gate.request_restart()
    answer = gate.report(in_session=True)
    assert (answer.admit, answer.overlay, answer.restart) == (False, "out_of_service", False)
    answer = gate.report(in_session=False)
    assert answer.restart  # only between visitors
    gate.open("lock")
    gate.set_overlay(None)
    assert gate.report(in_session=False).admit
