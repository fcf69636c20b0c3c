"""The signed fleet layer on the kiosk: what may change, where it is kept, how it is merged.

The job centre pushes site settings as a signed ``site_config`` bundle (payload
``{"config": {...}}``); the kiosk keeps the layer it applied last, and the one before, in
``<data>/fleet/config-active.json`` and ``config-previous.json`` (``{"version": N,
"config": {...}}``, fsync'd, replaced atomically). Every start (``kiosk run``, ``kiosk
agent``, ``kiosk doctor``) merges the active layer over the site file with
:func:`with_active_layer`; a layer that no longer validates against the site file (the site
file changed under it) is skipped for the previous one, then for none, with a warning.

A push may never touch trust anchors or identity (:func:`trust_anchor_problem`): those
change only by re-enrollment.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.loader import describe_validation_error, merge_layers
from config.model import KioskConfig
from foundation.errors import ConfigError
from foundation.files import fsync_dir, write_synced

log = logging.getLogger(__name__)

FOLDER = "fleet"
ACTIVE = "config-active.json"
PREVIOUS = "config-previous.json"
#: settings a fleet push may never set (dotted paths; a table forbids everything below it)
TRUST_ANCHORS = ("data_dir", "identity.kiosk_id", "backend.mode", "backend.url",
                 "backend.ca_file", "backend.pin_sha256")
#: any setting whose name holds one of these words is key material or a secret
SECRET_WORDS = frozenset({"key", "keys", "pin", "secret", "secrets", "password", "token",
                          "cert", "certificate", "kek"})


@dataclass(frozen=True)
class FleetLayer:
    """One applied fleet layer: the bundle version it came from and its settings."""

    version: int
    config: Mapping[str, Any]

    def wire(self) -> dict[str, Any]:
        """The stored form."""
        return {"version": self.version, "config": dict(self.config)}


EMPTY = FleetLayer(0, {})


def _paths(layer: Mapping[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key, value in layer.items():
        path = f"{prefix}{key}"
        out.append(path)
        if isinstance(value, Mapping):
            out.extend(_paths(value, path + "."))
    return out


def trust_anchor_problem(layer: Mapping[str, Any]) -> str | None:
    """The first setting in ``layer`` a fleet push may not change, or None."""
    for path in _paths(layer):
        leaf = path.rsplit(".", 1)[-1].lower()
        if any(path == a or path.startswith(a + ".") for a in TRUST_ANCHORS) or (
                SECRET_WORDS & set(leaf.split("_"))):
            return path
    return None


def base_settings(config: KioskConfig) -> dict[str, Any]:
    """The settings a config was built from (site file and overrides, without defaults)."""
    return config.model_dump(mode="json", exclude_unset=True)


def merge_layer(base: KioskConfig, layer: Mapping[str, Any]) -> KioskConfig:
    """``base`` with the fleet ``layer`` on top; ``ConfigError`` naming the field if invalid."""
    merged = merge_layers(base_settings(base), layer)
    try:
        return KioskConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error("fleet configuration", exc)) from exc


class LayerStore:
    """The active and previous fleet layer in ``<data>/fleet/``."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / FOLDER

    def _read(self, name: str) -> FleetLayer | None:
        try:
            data = json.loads((self.folder / name).read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.folder / name}: damaged fleet layer ({exc})") from exc
        if (not isinstance(data, dict) or not isinstance(data.get("version"), int)
                or not isinstance(data.get("config"), dict)):
            raise ConfigError(f"{self.folder / name}: not a fleet layer")
        return FleetLayer(data["version"], data["config"])

    def active(self) -> FleetLayer | None:
        """The layer in use, or None before the first push."""
        return self._read(ACTIVE)

    def previous(self) -> FleetLayer | None:
        """The layer in use before the active one."""
        return self._read(PREVIOUS)

    def _write(self, name: str, layer: FleetLayer) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.folder / f".{name}.{os.getpid()}.tmp"
        write_synced(tmp, json.dumps(layer.wire(), sort_keys=True).encode(), exclusive=False)
        os.replace(tmp, self.folder / name)
        fsync_dir(self.folder)

    def activate(self, layer: FleetLayer) -> FleetLayer:
        """Make ``layer`` active, keeping the one it replaces as previous; returns that one."""
        old = self.active() or EMPTY
        self._write(PREVIOUS, old)
        self._write(ACTIVE, layer)
        return old

    def restore(self, layer: FleetLayer) -> None:
        """Put ``layer`` back as the active one (self-rollback)."""
        self._write(ACTIVE, layer)


def with_active_layer(base: KioskConfig) -> KioskConfig:
    """``base`` (site file + overrides) with the active fleet layer of its data dir on top."""
    store = LayerStore(base.resolved_data_dir)
    for name, read in (("active", store.active), ("previous", store.previous)):
        try:
            layer = read()
            if layer is None:
                continue
            if (where := trust_anchor_problem(layer.config)) is not None:
                raise ConfigError(f"fleet layer sets {where}, which only enrollment may change")
            return merge_layer(base, layer.config)
        except ConfigError as exc:
            log.warning("the %s fleet layer is not used: %s", name, str(exc).splitlines()[0])
    return base
