"""The kiosk's heartbeat: build the report (pure), gather its inputs, send it (thin transport).

Every ``fleet.heartbeat_s`` the agent's heartbeat loop gathers :class:`HeartbeatInputs`
(device health from :mod:`kiosk.health`, outbox counts, disk, memory, versions, the visitor
gate, the errors counted by :class:`ErrorTally`) and :func:`build_heartbeat` turns them into
the ``wire.fleet.Heartbeat`` the job centre expects. Building is a pure function over its
inputs, so the fleet simulator builds and signs thousands per process without an agent;
:func:`send_heartbeat` is one signed ``POST /api/v1/fleet/heartbeat``.

Nothing personal goes out: device states, counts, sizes, versions, the time the last session
ended, and error *codes* (logger name plus the error's code), never log messages.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wire import protocol
from wire.bundle import BundleVerifier
from wire.fleet import (
    DEVICE_KEYS,
    MAX_ERROR_CODES,
    Device,
    DeviceKey,
    DeviceState,
    Disk,
    Errors,
    Heartbeat,
    Memory,
    Outbox,
    error_code,
)
from wire.fleet import HEARTBEAT_PATH as PATH

log = logging.getLogger(__name__)

DISTRIBUTION = "jobcenter-kiosk"
#: where fleet bundles' accepted versions are kept (fleetcfg/fleetupd write it; read-only here)
BUNDLE_STATE = Path("fleet") / "bundles.json"
#: the loggers whose errors a heartbeat counts (the agent's own and what it drives)
COUNTED_LOGGERS = ("kiosk", "device_drivers", "scanning", "wire", "foundation", "config")


@dataclass(frozen=True)
class HeartbeatInputs:
    """Everything one heartbeat reports, gathered from the agent (or made up by a simulator)."""

    site: str
    app_version: str
    interval_s: float
    now: datetime
    health: Mapping[str, Mapping[str, Any]]  #: ``kiosk.health.Health`` as dicts, by key
    outbox_depth: int = 0
    outbox_oldest_age_s: float | None = None
    disk_used_percent: float = 0.0
    disk_free_bytes: int = 0
    agent_rss_bytes: int = 0
    available_bytes: int = 0
    bundle_versions: Mapping[str, int] = field(default_factory=dict)
    in_session: bool = False
    locked: bool = False
    last_session_end: float | None = None  #: wall-clock seconds
    error_count: int = 0
    error_codes: tuple[str, ...] = ()


def device_state(result: Mapping[str, Any]) -> Device:
    """One ``Health`` (as a dict) as the heartbeat's device state."""
    state: DeviceState = ("ok" if result.get("ok") else
                          "failed" if result.get("required", True) else "warn")
    paper = result.get("paper") if result.get("key") == "printer" else None
    if result.get("key") == "printer" and paper is None:
        paper = "unknown"
    return Device(state=state, paper=paper)


def build_heartbeat(inputs: HeartbeatInputs) -> Heartbeat:
    """The heartbeat ``inputs`` describe (pure: no I/O, no clock)."""
    devices: dict[DeviceKey, Device] = {key: device_state(inputs.health[key])
                                        for key in DEVICE_KEYS if key in inputs.health}
    failed = any(not r.get("ok") and r.get("required", True) for r in inputs.health.values())
    end = inputs.last_session_end
    return Heartbeat(
        sent_at=inputs.now,
        site=inputs.site,
        app_version=inputs.app_version,
        bundle_versions=dict(inputs.bundle_versions),
        in_session=inputs.in_session,
        locked=inputs.locked,
        last_session_end=None if end is None else datetime.fromtimestamp(end, UTC),
        devices=devices,
        outbox=Outbox(depth=inputs.outbox_depth, oldest_age_s=inputs.outbox_oldest_age_s),
        disk=Disk(used_percent=round(min(100.0, max(0.0, inputs.disk_used_percent)), 2),
                  free_bytes=inputs.disk_free_bytes),
        memory=Memory(agent_rss_bytes=inputs.agent_rss_bytes,
                      available_bytes=inputs.available_bytes),
        errors=Errors(count=inputs.error_count,
                      codes=tuple(dict.fromkeys(inputs.error_codes))[:MAX_ERROR_CODES]),
        health_failed=failed,
        interval_s=inputs.interval_s,
    )


def heartbeat_body(heartbeat: Heartbeat) -> dict[str, Any]:
    """The JSON body of the heartbeat request."""
    return heartbeat.model_dump(mode="json", exclude_none=True)


def signed_heartbeat(kiosk_key: Ed25519PrivateKey, kiosk_id: str, heartbeat: Heartbeat,
                     timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """Body and signed headers of one heartbeat request, without any I/O (for a simulator
    that sends many kiosks' heartbeats over its own connections)."""
    body = protocol.canonical_json(heartbeat_body(heartbeat))
    headers = protocol.sign_request(kiosk_key, kiosk_id, "POST", PATH, body, timestamp)
    return body, {**headers, "Content-Type": "application/json"}


def send_heartbeat(client: Any, heartbeat: Heartbeat) -> int:
    """POST ``heartbeat`` with ``client`` (a ``ServerClient``); returns the HTTP status."""
    response = client.call_json("POST", PATH, heartbeat_body(heartbeat))
    return int(response.status_code)


# --- gathering the inputs on a real kiosk ----------------------------------------------------

def app_version() -> str:
    """The installed version of this software (``importlib.metadata``)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def bundle_versions(data_dir: Path, kiosk_id: str) -> dict[str, int]:
    """Fleet bundle versions by kind (empty when none arrived or the file is bad).

    ``site_config`` is the layer in force (``kiosk.agent.fleet.config.active_version``): after
    a rollback the kiosk holds a newer version than it runs, and the dashboard shows what
    runs. ``app_update`` is the newest accepted; the running release is ``app_version``.
    """
    from kiosk.agent.fleet.config import active_version

    try:
        versions = BundleVerifier(kiosk_id, {}, data_dir / BUNDLE_STATE).accepted_versions()
    except Exception:  # noqa: BLE001 - a damaged state file must not stop the heartbeat
        versions = {}
    if "site_config" in versions:
        versions["site_config"] = active_version(data_dir)
    return versions


def disk_usage(path: Path) -> tuple[float, int]:
    """Used percent and free bytes of the file system holding ``path``."""
    usage = shutil.disk_usage(path)
    used = 100.0 * (usage.total - usage.free) / usage.total if usage.total else 0.0
    return used, usage.free


def memory() -> tuple[int, int]:
    """This process's resident set and the system's available memory, in bytes."""
    rss = 0
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    available = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        available = 0
    return rss, available


class ErrorTally(logging.Handler):
    """Counts log records at ERROR or above and keeps their codes (never their messages).

    A record's code is its logger's last name part plus the error code it carries: the
    ``code`` attribute (``extra={"code": ...}``), the code of the ``KioskError`` in
    ``exc_info``, or a first argument that already looks like a code.
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self._lock_counts = threading.Lock()
        self._count = 0
        self._codes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Count one record."""
        code = record.__dict__.get("code")
        if code is None and record.exc_info and record.exc_info[1] is not None:
            code = getattr(record.exc_info[1], "code", None) or type(record.exc_info[1]).__name__
        if code is None and isinstance(record.args, tuple) and record.args:
            first = record.args[0]
            if isinstance(first, str) and first and first.replace("_", "").isalnum():
                code = first
        where = record.name.rsplit(".", 1)[-1]
        text = error_code(f"{where}:{code}" if code else where)
        with self._lock_counts:
            self._count += 1
            if text not in self._codes and len(self._codes) < MAX_ERROR_CODES:
                self._codes.append(text)

    def take(self) -> tuple[int, tuple[str, ...]]:
        """The count and codes since the last call, and start counting afresh."""
        with self._lock_counts:
            count, codes = self._count, tuple(self._codes)
            self._count, self._codes = 0, []
        return count, codes

    def install(self) -> None:
        """Attach to the counted loggers."""
        for name in COUNTED_LOGGERS:
            logging.getLogger(name).addHandler(self)

    def remove(self) -> None:
        """Detach again."""
        for name in COUNTED_LOGGERS:
            logging.getLogger(name).removeHandler(self)


def gather_inputs(agent: Any, tally: ErrorTally, now: datetime | None = None) -> HeartbeatInputs:
    """The inputs of one heartbeat from a running ``Agent``."""
    from kiosk.agent.fleet.operations import is_locked

    config = agent.config
    counts = agent.require_outbox().counts()
    used, free = disk_usage(agent.data_dir)
    rss, available = memory()
    errors, codes = tally.take()
    return HeartbeatInputs(
        site=config.identity.site,
        app_version=app_version(),
        interval_s=config.fleet.heartbeat_s,
        now=now or datetime.now(UTC),
        health=agent.health_report(),
        outbox_depth=int(counts.get("stored", 0)),
        outbox_oldest_age_s=counts.get("oldest_waiting_s"),
        disk_used_percent=used,
        disk_free_bytes=free,
        agent_rss_bytes=rss,
        available_bytes=available,
        bundle_versions=bundle_versions(agent.data_dir, config.identity.kiosk_id),
        in_session=agent.gate.in_session,
        locked=is_locked(agent.data_dir),
        last_session_end=agent.gate.last_session_end,
        error_count=errors,
        error_codes=codes,
    )
