"""Unsent fleet command reports on disk: order, private files, damaged files."""

from __future__ import annotations

import stat
from pathlib import Path

from kiosk.agent.fleet.report_store import ReportStore
from wire.fleet_command import result_body

COMMAND = "0f4a7c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b"


def test_reports_come_back_in_the_order_they_were_kept_until_sent(tmp_path: Path) -> None:
    store = ReportStore(tmp_path)
    first = store.keep(result_body(COMMAND, "delivered"))
    store.keep(result_body(COMMAND, "done", {"ok": True}))
    again = ReportStore(tmp_path)  # the next start
    assert [body["state"] for _, body in again.unsent()] == ["delivered", "done"]
    assert first is not None and stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE(again.folder.stat().st_mode) == 0o700
    again.sent(first)
    assert [body["state"] for _, body in again.unsent()] == ["done"]


def test_a_damaged_report_is_removed_and_the_others_kept(tmp_path: Path) -> None:
    store = ReportStore(tmp_path)
    store.keep(result_body(COMMAND, "done", {"ok": True}))
    (store.folder / "00000000000000000001-1-000000.json").write_bytes(b"{cut off")
    (store.folder / "00000000000000000002-1-000000.json").write_bytes(b'["no id"]')
    assert [body["state"] for _, body in store.unsent()] == ["done"]
    assert len(list(store.folder.glob("*.json"))) == 1


def test_a_disk_that_refuses_the_report_does_not_stop_it(tmp_path: Path) -> None:
    (tmp_path / "fleet").write_bytes(b"a file where the folder should be")
    assert ReportStore(tmp_path).keep(result_body(COMMAND, "done")) is None
    assert ReportStore(tmp_path).unsent() == []
