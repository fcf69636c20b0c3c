"""Video call settings (``<data>/video.json``) and ICE servers with short-lived TURN credentials.

TURN uses coturn's REST scheme (``use-auth-secret`` + ``static-auth-secret``): the user name
is ``<unix expiry>:<label>`` and the password ``base64(HMAC-SHA1(secret, user name))``, so
coturn checks a credential without a database and refuses it after the expiry. The secret
never leaves the server; a label is a party name, never a person's name.

``video.json`` (all optional)::

    {"stun_urls": ["stun:turn.jobcenter.example:3478"],
     "turn_urls": ["turn:turn.jobcenter.example:3478?transport=udp"],
     "turn_secret": "...", "turn_ttl_s": 3600, "ice_transport_policy": "all",
     "limits": {"kiosk_timeout_s": 20, "browser_timeout_s": 30, ...}}
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from foundation.errors import SetupError

SETTINGS_FILE = "video.json"


class CallLimits(BaseModel):
    """Timeouts and lifetimes of calls (tests shorten them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    heartbeat_s: float = Field(default=5.0, gt=0)
    kiosk_timeout_s: float = Field(default=20.0, gt=0)
    browser_timeout_s: float = Field(default=30.0, gt=0)
    sweep_s: float = Field(default=1.0, gt=0)
    max_wait_s: float = Field(default=3600.0, gt=0)
    ticket_ttl_s: float = Field(default=60.0, gt=0)
    guest_ttl_s: float = Field(default=1800.0, gt=0)
    chat_per_s: int = Field(default=10, gt=0)


class VideoSettings(BaseModel):
    """STUN/TURN servers and call limits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""
    turn_ttl_s: int = Field(default=3600, gt=0, le=86400)
    ice_transport_policy: Literal["all", "relay"] = "all"
    guest_base_url: str = ""  # public origin of /guest/ links, e.g. https://video.jobcenter.example
    limits: CallLimits = Field(default_factory=CallLimits)


def load_settings(data_dir: Path) -> VideoSettings:
    """The settings from ``<data>/video.json``, defaults without it; names the file on errors."""
    path = Path(data_dir) / SETTINGS_FILE
    if not path.exists():
        return VideoSettings()
    try:
        return VideoSettings.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        raise SetupError(f"{path}: {exc}") from exc


def turn_credential(secret: str, label: str, expires: int) -> tuple[str, str]:
    """``(username, password)`` for coturn's ``use-auth-secret``."""
    username = f"{expires}:{label}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(settings: VideoSettings, label: str, now: datetime) -> list[dict[str, Any]]:
    """The ``iceServers`` list for one party, TURN credentials valid ``turn_ttl_s``."""
    servers: list[dict[str, Any]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls and settings.turn_secret:
        user, password = turn_credential(settings.turn_secret, label,
                                         int(now.timestamp()) + settings.turn_ttl_s)
        servers.append({"urls": list(settings.turn_urls), "username": user,
                        "credential": password})
    return servers
