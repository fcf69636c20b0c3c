"""The real app with a real agent: a lock from the job centre shows the out-of-service screen
(no visitor can start), unlock removes it. Screens: artifacts/screens/fleet-lock/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import ARTIFACTS, run_scenario

pytestmark = pytest.mark.ui


def test_lock_shows_out_of_service_and_unlock_removes_it(agent_data: Path) -> None:
    result = run_scenario("fleet_lock", agent_data, ARTIFACTS / "fleet-lock")
    assert result["locked_screen"] == "attract" and result["admitting_locked"] is False
    assert "Außer Betrieb" in result["texts"] and "Dieses Terminal ist außer Betrieb." in \
        result["texts"]
    assert all(not problems for problems in result["clipped"].values()), result["clipped"]
    moment = result["one_moment"]  # the gate holds new visitors back: no session starts
    assert moment.pop("screen_after_tap") == "attract"
    assert all(not problems for problems in moment.values()), moment
    assert result["staff_pin_opened"]  # staff still reach maintenance on a locked terminal
    assert result["unlock"] == "done" and result["after_unlock"] == "language"


def test_restart_waits_for_the_visitor_then_the_ui_exits_to_be_restarted(
        agent_data: Path) -> None:
    from kiosk.controllers.gate import UI_RESTART_EXIT_CODE

    result = run_scenario("fleet_restart", agent_data, ARTIFACTS / "fleet-restart")
    assert result["during_visit"] == {"screen": "language", "exit_code": 0}
    assert result["exit_code"] == UI_RESTART_EXIT_CODE and result["command"] == "done"
