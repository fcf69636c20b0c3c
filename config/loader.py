"""Load the kiosk configuration in layers and explain every mistake in plain words.

Layers, later wins: built-in defaults (``KioskConfig()``) → the site file (TOML, given with
``--config`` or ``$KIOSK_CONFIG``) → the signed fleet push (a dict; the kiosk keeps the
active one in its data directory and merges it with ``config.fleet_layer.with_active_layer``)
→ command-line overrides such as ``--data``. Tables are merged key by key, so a site file
names only what differs. Validation is all-or-nothing: a bad file raises ``ConfigError``
naming the file, the field and what is allowed, and the kiosk does not start.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.model import KioskConfig
from foundation.errors import ConfigError

CONFIG_ENV = "KIOSK_CONFIG"


def merge_layers(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base`` table by table (lists and values replace)."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_layers(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_site_file(path: Path) -> dict[str, Any]:
    """Read a TOML site file, turning I/O and syntax errors into ``ConfigError``."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def describe_validation_error(source: str, exc: ValidationError) -> str:
    """One line per problem: file, dotted field, what is wrong and what is allowed."""
    lines = [f"{source}: {exc.error_count()} problem(s) in the configuration:"]
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling; see config/example-site.toml)"
        elif error["type"] == "literal_error":
            expected = error.get("ctx", {}).get("expected", "")
            message = f"not allowed; allowed values: {expected}"
        got = error.get("input")
        if error["type"] != "extra_forbidden" and not isinstance(got, dict | list):
            message += f" (got {got!r})"
        lines.append(f"  - {field}: {message}")
    return "\n".join(lines)


def load_config(
    path: Path | None = None,
    *,
    fleet_layer: Mapping[str, Any] | None = None,
    data_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> KioskConfig:
    """Build the configuration from all layers; raise ``ConfigError`` if any is wrong."""
    env = os.environ if environ is None else environ
    if path is None and env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if path is not None:
        layers.append((str(path), read_site_file(path)))
    if fleet_layer:
        layers.append(("fleet configuration", fleet_layer))
    merged: dict[str, Any] = {}
    for _, layer in layers:
        merged = merge_layers(merged, layer)
    if data_dir is not None:
        merged["data_dir"] = str(data_dir)
    source = " + ".join(name for name, _ in layers) or "built-in defaults"
    try:
        return KioskConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(source, exc)) from exc
