"""Every screen rendered in every language at 100 % and 200 % text: nothing clipped,
every touch target ≥ 15 mm, every screen has spoken text."""

from __future__ import annotations

from pathlib import Path

import pytest

from accessibility.languages import LANGUAGE_CODES
from tests.ui.conftest import ARTIFACTS, run_scenario

pytestmark = pytest.mark.ui


def test_every_screen_every_language_both_text_sizes(agent_data: Path) -> None:
    result = run_scenario("all_screens", agent_data, ARTIFACTS / "all",
                          "--langs", ",".join(LANGUAGE_CODES), "--scales", "1.0,2.0")
    assert result["shots"] == 10 * len(LANGUAGE_CODES) * 2
    assert result["problems"] == {}
    empty = [key for key, text in result["spoken"].items() if len(text) < 10]
    assert empty == []


def test_high_contrast_theme_renders_without_problems(agent_data: Path) -> None:
    result = run_scenario("all_screens", agent_data, ARTIFACTS / "high-contrast",
                          "--langs", "de,ar", "--scales", "2.0", "--theme", "high_contrast")
    assert result["problems"] == {}
