"""Fleet command reports kept on disk until the job centre has them.

A report (``delivered``, ``done``, ``failed``) is written (fsync'd) to
``<data>/fleet/reports/`` before it is sent and removed once the centre answered 200 or
refused it for good (4xx other than 429). A report the agent could not send before it
stopped (a ``restart`` command, a line that is down, a power cut) goes out after the next
start, in the order the reports were made. The centre keeps a command's state monotonic
(``delivered`` never undoes ``done``), so a report sent again is harmless. Reports carry a
command id, a state and the command's answer: nothing personal.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from foundation.files import fsync_dir, write_synced
from wire import codec

log = logging.getLogger(__name__)

REPORTS = Path("fleet") / "reports"


class ReportStore:
    """An ordered folder of unsent command reports (one JSON file each)."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / REPORTS
        self._counter = itertools.count()

    def keep(self, body: dict[str, Any]) -> Path | None:
        """Write ``body`` durably; returns its file (None if the disk refused: sent anyway)."""
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(self._counter):06d}.json"
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.folder / f".{name}.tmp"
            write_synced(tmp, codec.canonical_json(body), exclusive=False)
            path = self.folder / name
            os.replace(tmp, path)
            fsync_dir(self.folder)
        except OSError as exc:
            log.warning("command report not kept on disk (%s); sending it anyway",
                        exc.strerror or type(exc).__name__)
            return None
        return path

    def unsent(self) -> list[tuple[Path, dict[str, Any]]]:
        """Reports kept by an earlier run, oldest first; unreadable ones are removed."""
        if not self.folder.is_dir():
            return []
        found: list[tuple[Path, dict[str, Any]]] = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                body = json.loads(path.read_bytes())
                if not isinstance(body, dict) or not isinstance(body.get("id"), str):
                    raise ValueError("not a command report")
            except (OSError, ValueError) as exc:
                log.warning("unreadable command report removed (%s)", type(exc).__name__)
                path.unlink(missing_ok=True)
                continue
            found.append((path, body))
        return found

    def sent(self, path: Path | None) -> None:
        """Forget a report the centre has (or refused for good)."""
        if path is not None:
            path.unlink(missing_ok=True)
