"""The fleet heartbeat: what a kiosk reports about itself every ``fleet.heartbeat_s`` seconds.

``POST /api/v1/fleet/heartbeat`` (signed like every kiosk request) carries one
:class:`Heartbeat`; the job centre keeps the newest per kiosk and a thinned history, and
raises alerts from it (``jobcentre/fleet/``). The model is strict and forbids unknown
fields, so both sides agree on every name. Nothing personal: device states, counts, sizes,
versions, times and error *codes* (never messages).

    device states  printer (paper ok / near_end / out / unknown), camera, scanner,
                   card_reader, audio, microphone, disk: state ok / failed / warn / absent
    outbox         depth and age of the oldest unsent item (seconds)
    disk, memory   used %, free bytes; agent RSS, system available bytes
    versions       app version, accepted bundle versions by kind (site_config, app_update)
    visitors       in_session, last_session_end (UTC time, no personal data)
    locked         the terminal shows the out-of-service screen (a fleet ``lock``)
    errors         count and codes of log records >= ERROR since the last report
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

HEARTBEAT_PATH = "/api/v1/fleet/heartbeat"
#: device keys a heartbeat may report (the keys of ``kiosk.health``'s checks)
DeviceKey = Literal["disk", "camera", "scanner", "printer", "card_reader", "audio", "microphone"]
DEVICE_KEYS: tuple[DeviceKey, ...] = get_args(DeviceKey)
DeviceState = Literal["ok", "warn", "failed", "absent"]
PaperLevel = Literal["ok", "near_end", "out", "unknown"]
#: the most error codes one heartbeat carries (the count still counts all)
MAX_ERROR_CODES = 20
ErrorCode = Annotated[str, Field(pattern=r"^[a-z0-9_.:-]{1,64}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Device(_Strict):
    """One device's state; ``paper`` only for the printer."""

    state: DeviceState
    paper: PaperLevel | None = None


class Outbox(_Strict):
    """Unsent submissions waiting on the kiosk."""

    depth: int = Field(ge=0)
    oldest_age_s: float | None = Field(default=None, ge=0)


class Disk(_Strict):
    """The data directory's file system."""

    used_percent: float = Field(ge=0, le=100)
    free_bytes: int = Field(ge=0)


class Memory(_Strict):
    """The agent's resident memory and what the system still has available."""

    agent_rss_bytes: int = Field(ge=0)
    available_bytes: int = Field(ge=0)


class Errors(_Strict):
    """Log records at ERROR or above since the last heartbeat: a count and their codes."""

    count: int = Field(default=0, ge=0)
    codes: tuple[ErrorCode, ...] = Field(default=(), max_length=MAX_ERROR_CODES)


class Heartbeat(_Strict):
    """One report of one kiosk (the body of ``POST /api/v1/fleet/heartbeat``)."""

    sent_at: datetime
    site: str = Field(min_length=1, max_length=120)
    app_version: str = Field(min_length=1, max_length=64)
    #: the highest accepted bundle version per kind (``site_config``, ``app_update``)
    bundle_versions: dict[str, int] = Field(default_factory=dict, max_length=8)
    in_session: bool
    locked: bool = False
    last_session_end: datetime | None = None
    devices: dict[DeviceKey, Device]
    outbox: Outbox
    disk: Disk
    memory: Memory
    errors: Errors = Errors()
    health_failed: bool
    interval_s: float = Field(gt=0, le=3600)

    @property
    def config_version(self) -> int | None:
        """The active site configuration version, if one was pushed."""
        return self.bundle_versions.get("site_config")

    @property
    def update_version(self) -> int | None:
        """The app-update bundle version in use, if one was pushed."""
        return self.bundle_versions.get("app_update")

    def failed_devices(self) -> list[str]:
        """Keys of the devices reported as failed."""
        return [key for key, device in self.devices.items() if device.state == "failed"]


def error_code(text: str) -> str:
    """``text`` as an error code a heartbeat accepts (lower case, safe characters, ≤ 64)."""
    cleaned = "".join(c if c.isalnum() or c in "_.:-" else "_" for c in text.lower())
    return cleaned[:64] or "error"
