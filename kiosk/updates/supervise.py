"""``kiosk supervise``: what systemd does for the agent and the UI, for development and tests.

It runs ``<root>/current/bin/kiosk agent`` (and with ``--ui`` also ``kiosk run``) as
children and starts them again whenever they end, exactly like the units in ``systemd/``
(``Restart=always``): before every agent start it runs the update guard (``ExecStartPre``
there), and when the agent exits with ``RESTART_EXIT_CODE`` after an update switched
``current`` it restarts the UI too, so both run the new version. SIGTERM/SIGINT stop the
children (SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``) and end it.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from kiosk.updates.apply import RESTART_EXIT_CODE
from kiosk.updates.layout import Layout
from kiosk.updates.trial import run_guard

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 20.0


def _stop_child(child: subprocess.Popen[bytes] | None) -> None:
    if child is None or child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=STOP_TIMEOUT_S)


def supervise(layout: Layout, common: Sequence[str], *, ui: bool = False,
              restart_delay_s: float = 1.0, stop: threading.Event | None = None,
              config: Path | None = None) -> int:
    """Keep the agent (and the UI) running from ``current`` until ``stop`` or a signal.

    ``config`` reaches the children as ``KIOSK_CONFIG`` (as in the systemd units), so the
    processes they start, such as an update's health check, read the same site file.
    """
    stop = stop or threading.Event()
    environ = dict(os.environ)
    if config is not None:
        environ["KIOSK_CONFIG"] = str(config.absolute())

    def _signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    kiosk = str(layout.current / "bin" / "kiosk")
    agent: subprocess.Popen[bytes] | None = None
    face: subprocess.Popen[bytes] | None = None
    try:
        while not stop.is_set():
            if agent is None or agent.poll() is not None:
                code = None if agent is None else agent.returncode
                if code is not None:
                    log.info("agent exited with %d; starting it again", code)
                    if code == RESTART_EXIT_CODE:
                        _stop_child(face)
                    if stop.wait(restart_delay_s):
                        break
                run_guard(layout)
                agent = subprocess.Popen([kiosk, "agent", *common], env=environ,
                                         stdin=subprocess.DEVNULL)
            if ui and (face is None or face.poll() is not None):
                face = subprocess.Popen([kiosk, "run", *common], env=environ,
                                        stdin=subprocess.DEVNULL)
            stop.wait(0.2)
        return 0
    finally:
        _stop_child(face)
        _stop_child(agent)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
