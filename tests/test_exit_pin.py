"""The PIN-only staff exit: salted scrypt on disk, a lockout that grows and survives a
restart, set from the ``kiosk exit-pin`` command (PIN on stdin)."""

from __future__ import annotations

import io
import json
import stat
import sys
from pathlib import Path

import pytest

from foundation.errors import SessionError
from kiosk.cli import main as kiosk_main
from kiosk.exit_pin import BASE_DELAY_S, FILE, FREE_TRIES, MAX_DELAY_S, ExitPin


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_pin_is_stored_salted_and_slow_never_in_clear(tmp_path: Path) -> None:
    ExitPin(tmp_path).set("2468013")
    ExitPin(tmp_path / "other").set("2468013")
    record = json.loads((tmp_path / FILE).read_text())
    other = json.loads((tmp_path / "other" / FILE).read_text())
    assert record["kdf"] == "scrypt" and record["n"] >= 2**15
    assert record["salt"] != other["salt"] and record["hash"] != other["hash"]
    assert "2468013" not in (tmp_path / FILE).read_text()
    assert stat.S_IMODE((tmp_path / FILE).stat().st_mode) == 0o600


def test_right_pin_opens_and_wrong_ones_lock_with_growing_delays(tmp_path: Path) -> None:
    clock = Clock()
    pin = ExitPin(tmp_path, clock)
    pin.set("135790")
    for _ in range(FREE_TRIES - 1):
        assert pin.try_pin("000000").reason == "wrong_pin"
    delays = []
    for _ in range(4):
        answer = pin.try_pin("000000")
        assert not answer.ok and answer.reason == "locked"
        delays.append(answer.wait_s)
        locked = pin.try_pin("135790")  # even the right PIN waits while locked
        assert not locked.ok and locked.reason == "locked"
        clock.t += answer.wait_s
    assert delays == [BASE_DELAY_S, 2 * BASE_DELAY_S, 4 * BASE_DELAY_S, 8 * BASE_DELAY_S]
    # A restart (a new object on the same folder) keeps the count.
    restarted = ExitPin(tmp_path, clock)
    assert restarted.try_pin("000000").wait_s == 16 * BASE_DELAY_S
    clock.t += MAX_DELAY_S
    assert restarted.try_pin("135790").ok
    assert restarted.try_pin("000000").reason == "wrong_pin"  # the count starts over


def test_no_pin_set_never_opens(tmp_path: Path) -> None:
    assert ExitPin(tmp_path).try_pin("123456").reason == "not_set"


@pytest.mark.parametrize("bad", ["12345", "1234567890123", "12a456", "", "١٢٣٤٥٦"])
def test_pin_format_is_checked(tmp_path: Path, bad: str) -> None:
    with pytest.raises(SessionError) as caught:
        ExitPin(tmp_path).set(bad)
    assert caught.value.code == "exit_pin_invalid"


def test_kiosk_exit_pin_set_reads_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("97531086\n"))
    assert kiosk_main(["exit-pin", "--data", str(tmp_path), "set"]) == 0
    assert ExitPin(tmp_path).try_pin("97531086").ok
    assert kiosk_main(["exit-pin", "--data", str(tmp_path), "status"]) == 0
    assert "staff exit PIN set" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("12\n"))
    assert kiosk_main(["exit-pin", "--data", str(tmp_path), "set"]) == 2
    assert "6 to 12 digits" in capsys.readouterr().err
