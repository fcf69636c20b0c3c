"""The kiosk's memory of fleet command ids it has taken, so a replayed command is refused.

Each id is kept with its command's expiry time in ``<data>/fleet/commands-seen.json``
(written to a temporary file, fsync'd, renamed, folder fsync'd), so a replay is refused
after an agent restart too. An expired id is forgotten: the command itself is refused as
``expired`` from then on. At most ``MAX_IDS`` ids are kept; beyond that the ones expiring
soonest go first (with the default 24 h validity that takes more than ``MAX_IDS`` commands
for one kiosk in a day).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from foundation.files import fsync_dir, write_synced
from wire import codec

FILE = Path("fleet") / "commands-seen.json"
MAX_IDS = 5000


class SeenCommands:
    """Command ids taken, with their expiry (unix seconds), persisted."""

    def __init__(self, path: Path, max_ids: int = MAX_IDS) -> None:
        self.path = path
        self.max_ids = max_ids
        self._lock = threading.Lock()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> SeenCommands:
        """The kiosk's own memory under ``data_dir``."""
        return cls(data_dir / FILE)

    def _load(self) -> dict[str, float]:
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except ValueError:  # damaged: start again (expiry still refuses old commands)
            return {}
        return {k: float(v) for k, v in data.items() if isinstance(v, (int, float))}

    def seen(self, command_id: str) -> bool:
        """Whether ``command_id`` was taken before."""
        with self._lock:
            return command_id in self._load()

    def remember(self, command_id: str, expires_at: float, now: float) -> bool:
        """Record ``command_id``; False if it was already there (a replay)."""
        with self._lock:
            ids = {k: v for k, v in self._load().items() if v > now}
            if command_id in ids:
                return False
            ids[command_id] = expires_at
            if len(ids) > self.max_ids:
                ids = dict(sorted(ids.items(), key=lambda kv: kv[1])[-self.max_ids:])
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            write_synced(tmp, codec.canonical_json(ids), exclusive=False)
            os.replace(tmp, self.path)
            fsync_dir(self.path.parent)
            return True
