"""The real app, tapped through from attract to goodbye on simulated devices."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from accessibility.i18n import translate
from kiosk.session.customer_number import PROBLEM_MESSAGES
from tests.ui.conftest import ARTIFACTS, run_scenario

pytestmark = pytest.mark.ui


def test_upload_flow_attract_to_goodbye_wipes_the_session(agent_data: Path) -> None:
    result = run_scenario("upload_flow", agent_data, ARTIFACTS / "flow")
    assert result["screens"] == ["attract", "language", "identify", "choose_task", "capture",
                                 "documents", "summary", "receipt", "goodbye", "attract"]
    assert result["typo_problem"] == "too_short"
    too_short = translate("de", PROBLEM_MESSAGES["too_short"])
    assert too_short in result["typo_spoken"], result["typo_spoken"]  # spoken when shown
    assert result["verdict"]["accepted"], result["verdict"]
    assert result["receipt_number"].startswith("kiosk-dev-01-")
    assert result["printed"] is True
    assert result["customer_number_after"] is None
    # The session left nothing behind: no scratch files, no rows.
    session_dir = agent_data / "session"
    leftovers = [p for p in session_dir.rglob("*")] if session_dir.exists() else []
    assert leftovers == []
    # The submission belongs to the outbox now, and a receipt came out of the printer.
    receipts = sorted((agent_data / "receipts").glob("receipt-*.png"))
    assert receipts, "the simulated printer rendered no receipt"
    outbox_db = agent_data / "outbox" / "outbox.db"
    with sqlite3.connect(outbox_db) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM documents").fetchone()
    db.close()
    assert count == 1


def test_upload_flow_with_keys_only_and_spoken_focus(agent_data: Path) -> None:
    result = run_scenario("keyboard_flow", agent_data, ARTIFACTS / "keyboard")
    assert result["receipt_number"]
    assert result["languages"] == ["uk"]  # after the choice, everything is said in Ukrainian
    # On the language screen each language's name was said in that language.
    assert result["language_names"]["Українська"] == "uk"
    assert result["language_names"]["English"] == "en"
    number = result["spoken_number"]
    assert "1, 2, 3, A, 4, 5, 6, 7, 8, 9" in number
    assert len(result["spoken"]) >= 10  # every focused control was announced
    # When the printer has answered, its outcome is said (printed, or what to do instead).
    assert any(result["print_state"] in text for text in result["spoken"]), result["print_state"]


def test_back_to_attract_leaves_nothing_of_the_visitor(agent_data: Path) -> None:
    """BACK from the language screen wipes: language, size, contrast, speech, volume, rate."""
    result = run_scenario("back_to_attract", agent_data, ARTIFACTS / "back")
    clean, changed, after = result["clean"], result["changed"], result["after"]
    assert all(changed[key] != clean[key] for key in clean), (clean, changed)
    assert after == clean
    assert not result["speech_on"] and not result["rtl"]
