"""Collect the agent's and the UI's log lines for ``collect_logs``, redacted and size-capped.

Sources, in this order:

* the log files ``<data>/logs/agent.log`` and ``ui.log`` (``kiosk.logfiles``), the last
  ``lines`` lines of each (rotated files are not read);
* under systemd (``INVOCATION_ID`` set), ``journalctl -u kiosk-agent -u kiosk-ui -n LINES
  -o short-iso`` with a 10 s timeout.

Every line goes through one function, ``foundation.masking.redact_log_line`` (with the
site's customer-number patterns), before it is kept. The newest lines are kept up to
``max_bytes`` (UTF-8) in all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from foundation.masking import redact_log_line
from kiosk.logfiles import log_file

LOG_NAMES = ("agent", "ui")
JOURNAL_UNITS = ("kiosk-agent", "kiosk-ui")
JOURNAL_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class CollectedLogs:
    """Redacted lines, where they came from and whether older lines were left out."""

    lines: list[str]
    sources: list[str]
    truncated: bool


def _tail(path: Path, count: int) -> list[str]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        return [line.rstrip("\n") for line in deque(handle, maxlen=count)]


def _journal(count: int) -> list[str] | None:
    journalctl = shutil.which("journalctl")
    if journalctl is None or not os.environ.get("INVOCATION_ID"):
        return None
    command = [journalctl, "--no-pager", "-o", "short-iso", "-n", str(count)]
    for unit in JOURNAL_UNITS:
        command += ["-u", unit]
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              timeout=JOURNAL_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.splitlines() if done.returncode == 0 else None


def collect_logs(data_dir: Path, count: int, max_bytes: int,
                 patterns: tuple[str, ...] = ()) -> CollectedLogs:
    """The last ``count`` lines of each source, redacted, newest kept within ``max_bytes``."""
    raw: list[str] = []
    sources: list[str] = []
    for name in LOG_NAMES:
        path = log_file(data_dir, name)
        if path.is_file():
            raw += [f"[{name}] {line}" for line in _tail(path, count)]
            sources.append(f"file:{name}")
    journal = _journal(count)
    if journal is not None:
        raw += [f"[journal] {line}" for line in journal]
        sources.append("journald")
    kept: deque[str] = deque()
    size = 0
    truncated = False
    for line in reversed([redact_log_line(line, patterns) for line in raw]):
        cost = len(line.encode()) + 1
        if size + cost > max_bytes:
            truncated = True
            break
        kept.appendleft(line)
        size += cost
    return CollectedLogs(list(kept), sources, truncated)
