"""The simulated printer's state scripted through a file (read by another process's check)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.model import PrinterConfig
from device_drivers.printer.factory import make_printer
from device_drivers.printer.simulated import STATE_FILE, SimulatedPrinter, write_state


def test_the_state_file_scripts_every_status_until_it_is_written_again(tmp_path: Path) -> None:
    printer = make_printer(PrinterConfig(driver="simulated"), tmp_path)
    assert printer.status().paper == "ok"  # no file: fine
    write_state(tmp_path, "near_end")
    assert [printer.status().paper for _ in range(3)] == ["near_end"] * 3
    write_state(tmp_path, "out_of_paper")
    assert printer.check()[0] is False
    write_state(tmp_path, "ok")
    assert printer.check()[0] is True


def test_queued_entries_come_first_and_bad_files_count_as_ok(tmp_path: Path) -> None:
    printer = SimulatedPrinter(tmp_path, ["cover_open"], state_file=tmp_path / STATE_FILE)
    write_state(tmp_path, "near_end")
    assert printer.status().cover_open is True
    assert printer.status().paper == "near_end"
    (tmp_path / STATE_FILE).write_text("on fire\n")
    assert printer.status().paper == "ok"
    with pytest.raises(ValueError, match="unknown simulated printer fault"):
        write_state(tmp_path, "on fire")  # type: ignore[arg-type]
