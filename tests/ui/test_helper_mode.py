"""The real app in helper mode: a staff card (scripted reader, test-signed staff directory)
and PIN during a visit put the helper bar over the screen, in German and Arabic at 100 % and
200 %; the number is masked until the visitor reveals it; hand back keeps the visit and the
visitor confirms (the request is read aloud in Arabic). Screens go to
artifacts/screens/helper/ (the card E2E through a real pcscd is in
tests/device_drivers/test_card_reader_pcsc.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accessibility.i18n import translate
from tests.ui.conftest import ARTIFACTS, run_scenario

pytestmark = pytest.mark.ui


def test_helper_bar_hand_back_and_confirmation(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    result = run_scenario("helper_mode", data, ARTIFACTS / "helper")
    assert result["masked"].replace(" ", "") == "123A****89"
    assert result["revealed"] and result["confirmed"] and result["bar_gone"]
    assert result["bar_px_after"] == 0
    assert result["screen"] == "identify" and result["number_kept"] == "123A456789"
    assert result["actions"] == ["helper_joined", "took_over_input",
                                 "visitor_revealed_data", "handed_back"]
    assert translate("ar", "I was helped by {name}.", name="Anna") in result["spoken_confirm"]
    # Keys reach the bar first (it is on top; Arabic here: right to left), then the screen.
    assert result["focusable"][:3] == ["helper_reveal", "helper_tools", "helper_hand_back"]
    assert "next" in result["focusable"]
    assert result["wrong_pin"] == "Falsche PIN. Noch 2 Versuche."
    assert "Service-Theke am Eingang" in result["offline_help"]  # the site's desk text
    assert result["maintenance"].startswith("Testseite ")
    for name in result["shots"]:
        assert (ARTIFACTS / "helper" / f"{name}.png").stat().st_size > 10_000
