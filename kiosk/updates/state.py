"""Where an app update stands, kept in ``<root>/update-state.json`` across restarts.

States: ``trial`` (switched to the new environment; its agent must pass the health check
before ``deadline``), ``applied`` (it did), ``rolled_back`` (it did not: ``current`` points
to the old environment again, ``reason`` says why). ``reported`` turns true once the job
centre has the final state (``bundle-report``). ``starts`` counts agent starts during the
trial: the guard (``kiosk update guard``, run before every agent start) rolls back when the
new agent keeps failing to start. The file holds versions and reason codes, nothing personal.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

from foundation.files import fsync_dir, write_synced

State = Literal["trial", "applied", "rolled_back"]


@dataclass(frozen=True)
class UpdateState:
    """One update's progress after the switch."""

    state: State
    app_version: str
    bundle_version: int
    from_env: str
    to_env: str
    switched_at: float
    deadline: float
    #: whether a UI reported to the agent just before the switch (it must come back)
    ui_expected: bool = False
    #: required health checks that already failed before the switch (not the update's fault)
    failing_before: tuple[str, ...] = field(default_factory=tuple)
    starts: int = 0
    reason: str = ""
    reported: bool = False

    def but(self, **changes: object) -> UpdateState:
        """A copy with ``changes``."""
        return replace(self, **changes)  # type: ignore[arg-type]


def load_state(path: Path) -> UpdateState | None:
    """The state in ``path``, or None (no update, or a damaged file)."""
    try:
        data = json.loads(path.read_bytes())
        data["failing_before"] = tuple(data.get("failing_before", ()))
        return UpdateState(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        return None


def save_state(path: Path, state: UpdateState) -> None:
    """Write ``state`` atomically (fsync'd)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_synced(tmp, json.dumps(asdict(state), sort_keys=True).encode(), exclusive=False)
    os.replace(tmp, path)
    fsync_dir(path.parent)
