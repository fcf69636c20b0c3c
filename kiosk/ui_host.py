"""The ``kiosk run`` parent: keeps one UI process on screen and replaces it between visitors.

No Kivy here: this small process only starts UI processes (``kiosk run`` with
``KIOSK_UI_HOSTED`` set, which then opens the window) and relays the handover of
``kiosk.controllers.recycle``:

* the UI on screen writes ``recycle`` (attract screen, no visitor, its memory is high);
* the host starts the next UI process; once that writes ``first-frame <time>``, the host
  writes ``exit`` to the old one, which closes its window. There is no moment without a
  window, so no blank screen; the gap between the old one's last frame and the new one's
  first is logged;
* a next UI process that does not draw within ``FIRST_FRAME_TIMEOUT_S`` is killed and
  started again (``MAX_TRIES``); the old one stays on screen meanwhile.

Exit codes of the UI on screen pass through: ``UI_RESTART_EXIT_CODE`` (the agent asked for
a restart, e.g. after an update) ends the host with it under systemd, whose
``Restart=always`` then starts the new version; in development the host starts a new UI
itself. SIGTERM/SIGINT stop the UI processes and the host.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType

from kiosk.controllers.gate import UI_RESTART_EXIT_CODE
from kiosk.controllers.recycle import HOSTED_ENV, PROTOCOL

log = logging.getLogger(__name__)

FIRST_FRAME_TIMEOUT_S = 60.0
MAX_TRIES = 3
STOP_TIMEOUT_S = 20.0


@dataclass
class UiProcess:
    """One UI child and what it said."""

    process: subprocess.Popen[str]
    started: float = field(default_factory=time.time)
    first_frame: float | None = None
    exit_sent: float | None = None
    successor_first_frame: float | None = None  # when the one replacing it drew

    def send_exit(self) -> None:
        """Tell it to close its window (it is being replaced)."""
        self.exit_sent = time.time()
        try:
            assert self.process.stdin is not None
            self.process.stdin.write("exit\n")
            self.process.stdin.flush()
        except (OSError, ValueError):
            log.warning("the old UI process did not take the exit message")


Event = tuple[UiProcess, str | None]  # a line, or None when the process ended


class UiHost:
    """Runs UI processes from ``command`` and hands over between them."""

    def __init__(self, command: Sequence[str], *, environ: dict[str, str] | None = None,
                 first_frame_timeout_s: float = FIRST_FRAME_TIMEOUT_S) -> None:
        self.command = list(command)
        self.environ = dict(os.environ if environ is None else environ)
        self.environ[HOSTED_ENV] = PROTOCOL
        self.first_frame_timeout_s = first_frame_timeout_s
        self.events: queue.Queue[Event] = queue.Queue()
        self.recycles = 0
        #: the new process's first frame minus the old one's last (negative: both showed)
        self.gaps_s: list[float] = []
        self.stop = threading.Event()

    def start_ui(self) -> UiProcess:
        """Start one UI process and follow its stdout."""
        process = subprocess.Popen(self.command, env=self.environ, text=True, bufsize=1,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ui = UiProcess(process)
        threading.Thread(target=self._follow, args=(ui,), name="ui-host-read",
                         daemon=True).start()
        return ui

    def _follow(self, ui: UiProcess) -> None:
        assert ui.process.stdout is not None
        with ui.process.stdout:
            for line in ui.process.stdout:
                self.events.put((ui, line.rstrip("\n")))
        ui.process.wait()
        if ui.process.stdin is not None:
            with contextlib.suppress(OSError):  # a broken pipe: nothing left to flush
                ui.process.stdin.close()
        self.events.put((ui, None))

    def run(self) -> int:
        """Until the UI on screen ends for good; returns its exit code."""
        shown = self.start_ui()
        coming: UiProcess | None = None
        leaving: list[UiProcess] = []  # told to exit, closing their windows
        try:
            return self._loop(shown, coming, leaving)
        finally:
            for old in leaving:
                _end(old, grace_s=STOP_TIMEOUT_S)
            while not self.events.empty():  # what the old ones said while closing
                ui, line = self.events.get_nowait()
                if line is not None and line.startswith("last-frame "):
                    self._note_gap(ui, line)

    def _note_gap(self, ui: UiProcess, line: str) -> None:
        if ui.successor_first_frame is not None:
            gap = ui.successor_first_frame - float(line.split()[1])
            self.gaps_s.append(gap)
            log.info("handover: new first frame %+.3f s after the old last frame", gap)

    def _loop(self, shown: UiProcess, coming: UiProcess | None,
              leaving: list[UiProcess]) -> int:
        tries = 0
        while not self.stop.is_set():
            try:
                ui, line = self.events.get(timeout=0.5)
            except queue.Empty:
                if coming is not None and coming.first_frame is None and \
                        time.time() - coming.started > self.first_frame_timeout_s:
                    log.warning("the next UI process did not draw in time; starting another")
                    _end(coming)
                continue
            if line is None:  # a process ended
                code = ui.process.returncode
                if ui in leaving:
                    leaving.remove(ui)
                    continue
                if ui is coming:
                    coming, tries = None, tries + 1
                    if tries >= MAX_TRIES:
                        log.error("the next UI process failed %d times (exit %s)", tries, code)
                        shown.send_exit()
                        continue
                    coming = self.start_ui()
                elif ui is shown:
                    if coming is not None:  # ended while the next one starts: it takes over
                        log.warning("the UI process ended (exit %s) during a handover", code)
                        shown, coming = coming, None
                        continue
                    if code == UI_RESTART_EXIT_CODE and not os.environ.get("INVOCATION_ID"):
                        log.info("the UI restarts (development: in place)")
                        shown = self.start_ui()
                        continue
                    return code
                continue
            if line == "recycle" and ui is shown and coming is None:
                tries = 0
                coming = self.start_ui()
            elif line.startswith("first-frame ") and ui is coming:
                coming.first_frame = float(line.split()[1])
                shown.successor_first_frame = coming.first_frame
                shown.send_exit()
                leaving.append(shown)
                self.recycles += 1
                log.info("UI process replaced (%d so far)", self.recycles)
                shown, coming = coming, None
            elif line.startswith("last-frame "):
                self._note_gap(ui, line)
            elif not line.startswith(("first-frame ", "last-frame ")):
                print(line, flush=True)  # whatever else the UI prints goes on
        for left in (shown, coming):
            if left is not None:
                _end(left)
        return 0


def _end(ui: UiProcess, grace_s: float = 0.0) -> None:
    """Wait ``grace_s`` for it to end, then SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        ui.process.wait(timeout=grace_s)
    if ui.process.poll() is not None:
        return
    ui.process.terminate()
    try:
        ui.process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        ui.process.kill()
        ui.process.wait(timeout=STOP_TIMEOUT_S)


def run_host(argv: Sequence[str]) -> int:
    """``kiosk run`` as the host of its UI processes (``argv``: the ``kiosk`` arguments)."""
    host = UiHost([sys.executable, "-m", "kiosk.cli", *argv])

    def _signal(signum: int, frame: FrameType | None) -> None:
        host.stop.set()

    previous = {sig: signal.signal(sig, _signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return host.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
