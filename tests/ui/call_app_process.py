"""The parent's side of ``tests.ui.call_app``: start the kiosk app in a call, read its
events, send it commands. Used by the call benchmark and the in-call capture UI test."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class KioskAppProcess:
    """``python -m tests.ui.call_app`` under ``xvfb-run`` (offscreen SDL without it)."""

    def __init__(self, data: Path, host_ip: str, *, shots: Path | None = None,
                 cpu: int | None = None, log: Path | None = None) -> None:
        cmd = [sys.executable, "-m", "tests.ui.call_app", "--data", str(data),
               "--host-ip", host_ip]
        if shots is not None:
            cmd += ["--shots", str(shots)]
        if cpu is not None:
            cmd += ["--cpu", str(cpu)]
        env = dict(os.environ)
        xvfb = shutil.which("xvfb-run")
        if xvfb is not None:
            cmd = [xvfb, "-a", "-s", "-screen 0 1280x800x24 -nolisten tcp", *cmd]
            env.pop("SDL_VIDEODRIVER", None)
        else:
            env["SDL_VIDEODRIVER"] = "offscreen"
        self.log = open(log or os.devnull, "w")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     start_new_session=True)
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True, name="kiosk-app-out")
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("@@ "):
                self.events.put(json.loads(line[3:]))
            else:
                self.log.write(line)
        self.events.put({"event": "exited"})

    def expect(self, event: str, timeout_s: float = 120.0) -> dict[str, Any]:
        """The next event, which must be ``event``."""
        try:
            got = self.events.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError(f"kiosk app: no '{event}' within {timeout_s} s "
                                 f"(log: {self.log.name})") from None
        if got["event"] != event:
            raise AssertionError(f"kiosk app: expected '{event}', got {got} "
                                 f"(log: {self.log.name})")
        return got

    def send(self, cmd: str, **fields: Any) -> None:
        """One command line."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.proc.stdin.flush()

    def close(self, timeout_s: float = 30.0) -> int:
        """Wait for the process to end (killing its group after ``timeout_s``)."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            code = self.proc.wait(timeout=10)
        self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()
        return code
