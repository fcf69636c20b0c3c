"""``kiosk run``'s host (kiosk.ui_host): the screen goes from one UI process to the next only
after the next one drew, exit codes pass through, a next process that fails is retried.

The UI processes here are small real Python processes that speak the handover protocol of
``kiosk.controllers.recycle`` (the real Kivy UI goes through the same host in
benchmarks/bench_ui.py); each appends what it did to a shared log file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from kiosk.controllers.gate import UI_RESTART_EXIT_CODE
from kiosk.ui_host import UiHost

# Behaviour by start number (1-based), from the argument: "recycle", "draw",
# "exit:<code>" (before drawing), "draw-exit:<code>" (after drawing).
FAKE_UI = r"""
import sys, time
from pathlib import Path
log, plan = Path(sys.argv[1]), sys.argv[2].split(",")
count = log.with_suffix(".count")
n = int(count.read_text()) + 1 if count.exists() else 1
count.write_text(str(n))
step = plan[min(n, len(plan)) - 1]
def note(what):
    with log.open("a") as f:
        f.write(f"{n} {what} {time.time():.6f}\n")
note("start")
if step.startswith("exit:"):
    note("fail")
    sys.exit(int(step.split(":")[1]))
time.sleep(0.2)  # "building the first frame"
note("first-frame")
print(f"first-frame {time.time():.6f}", flush=True)
if step == "recycle":
    print("recycle", flush=True)
    for line in sys.stdin:
        if line.strip() == "exit":
            break
    time.sleep(0.05)  # one more frame
    note("last-frame")
    print(f"last-frame {time.time():.6f}", flush=True)
    sys.exit(0)
if step.startswith("draw-exit:"):
    sys.exit(int(step.split(":")[1]))
sys.exit(0)
"""


def host(tmp_path: Path, *plan: str, environ: dict[str, str] | None = None
         ) -> tuple[UiHost, Path]:
    log = tmp_path / "ui.log"
    command = [sys.executable, "-c", FAKE_UI, str(log), ",".join(plan)]
    return UiHost(command, environ=environ, first_frame_timeout_s=30), log


def events(log: Path) -> list[tuple[int, str, float]]:
    rows = [line.split() for line in log.read_text().splitlines()]
    return [(int(n), what, float(t)) for n, what, t in rows]


def test_the_old_ui_leaves_only_after_the_new_one_drew(tmp_path: Path) -> None:
    ui, log = host(tmp_path, "recycle", "draw")
    assert ui.run() == 0
    seen = events(log)
    when = {(n, what): t for n, what, t in seen}
    assert when[(2, "first-frame")] < when[(1, "last-frame")]  # never without a window
    assert ui.recycles == 1 and len(ui.gaps_s) == 1
    assert ui.gaps_s[0] == pytest.approx(when[(2, "first-frame")] - when[(1, "last-frame")],
                                         abs=0.01)
    assert ui.gaps_s[0] < 0


def test_a_next_ui_that_fails_is_started_again_while_the_old_one_stays(
        tmp_path: Path) -> None:
    ui, log = host(tmp_path, "recycle", "exit:1", "draw")
    assert ui.run() == 0
    seen = [(n, what) for n, what, _t in events(log)]
    assert (2, "fail") in seen and (3, "first-frame") in seen
    assert seen.index((1, "last-frame")) > seen.index((3, "first-frame"))
    assert ui.recycles == 1


def test_a_restart_request_ends_the_host_under_systemd(tmp_path: Path) -> None:
    environ = dict(os.environ, INVOCATION_ID="test")
    ui, log = host(tmp_path, f"draw-exit:{UI_RESTART_EXIT_CODE}", environ=environ)
    os.environ["INVOCATION_ID"] = "test"  # what systemd sets for the host itself
    try:
        assert ui.run() == UI_RESTART_EXIT_CODE
    finally:
        del os.environ["INVOCATION_ID"]
    assert [what for _n, what, _t in events(log)] == ["start", "first-frame"]


def test_a_restart_request_starts_a_new_ui_in_development(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.delenv("INVOCATION_ID", raising=False)
    ui, log = host(tmp_path, f"draw-exit:{UI_RESTART_EXIT_CODE}", "draw-exit:3")
    assert ui.run() == 3  # any other exit code of the UI on screen ends the host with it
    assert [n for n, what, _t in events(log) if what == "start"] == [1, 2]
