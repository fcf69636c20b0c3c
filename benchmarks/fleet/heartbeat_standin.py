"""Stand-in for ``kiosk.agent.fleet.heartbeat`` until branch ``fleethb`` is merged.

Same names and call shape as the agent's module (``HeartbeatInputs`` → ``build_heartbeat``
→ ``heartbeat_body``, and its ``PATH``), building the same JSON fields as ``wire.fleet
.Heartbeat``. ``benchmarks/fleet/kiosk_code.py`` imports it in one line; once the agent's
module exists that line names it instead and this file is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from wire import codec

PATH = "/api/v1/fleet/heartbeat"
DEVICE_KEYS = ("disk", "camera", "scanner", "printer", "card_reader", "audio", "microphone")


@dataclass(frozen=True)
class HeartbeatInputs:
    """What one heartbeat reports (the agent's fields)."""

    site: str
    app_version: str
    interval_s: float
    now: datetime
    health: Mapping[str, Mapping[str, Any]]
    outbox_depth: int = 0
    outbox_oldest_age_s: float | None = None
    disk_used_percent: float = 0.0
    disk_free_bytes: int = 0
    agent_rss_bytes: int = 0
    available_bytes: int = 0
    bundle_versions: Mapping[str, int] = field(default_factory=dict)
    in_session: bool = False
    last_session_end: float | None = None
    error_count: int = 0
    error_codes: tuple[str, ...] = ()


def build_heartbeat(inputs: HeartbeatInputs) -> dict[str, Any]:
    """The heartbeat ``inputs`` describe."""
    devices: dict[str, Any] = {}
    for key in DEVICE_KEYS:
        result = inputs.health.get(key)
        if result is None:
            continue
        state = "ok" if result.get("ok") else ("failed" if result.get("required", True)
                                               else "warn")
        devices[key] = {"state": state, **({"paper": result.get("paper", "unknown")}
                                           if key == "printer" else {})}
    end = inputs.last_session_end
    beat: dict[str, Any] = {
        "sent_at": codec.format_time(inputs.now), "site": inputs.site,
        "app_version": inputs.app_version, "bundle_versions": dict(inputs.bundle_versions),
        "in_session": inputs.in_session, "devices": devices,
        "outbox": {"depth": inputs.outbox_depth},
        "disk": {"used_percent": round(inputs.disk_used_percent, 2),
                 "free_bytes": inputs.disk_free_bytes},
        "memory": {"agent_rss_bytes": inputs.agent_rss_bytes,
                   "available_bytes": inputs.available_bytes},
        "errors": {"count": inputs.error_count, "codes": list(inputs.error_codes)},
        "health_failed": any(not r.get("ok") and r.get("required", True)
                             for r in inputs.health.values()),
        "interval_s": inputs.interval_s,
    }
    if end is not None:
        beat["last_session_end"] = codec.format_time(datetime.fromtimestamp(end, UTC))
    if inputs.outbox_oldest_age_s is not None:
        beat["outbox"]["oldest_age_s"] = inputs.outbox_oldest_age_s
    return beat


def heartbeat_body(heartbeat: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of the heartbeat request."""
    return heartbeat
