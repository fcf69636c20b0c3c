"""The real app: "Ask staff for help" keeps the visitor's step, and the desk's answer
("Help is on the way: Dora", sent on the embedded service's live channel) is shown and
spoken in the visitor's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import ARTIFACTS, run_scenario

pytestmark = pytest.mark.ui


def test_help_call_keeps_the_step_and_shows_the_desks_answer(agent_data: Path) -> None:
    result = run_scenario("staff_help", agent_data, ARTIFACTS / "help")
    assert result["state"] == "sent", result
    assert "has been called" in result["called"]
    assert result["answer"] == "Help is on the way: Dora"
    assert "Help is on the way: Dora" in result["spoken"]
    assert result["screen"] == "choose_task" and result["customer_number_kept"]
