"""What the job centre checks before it signs a site configuration (``site_config`` payload).

The payload is ``{"config": {...}}``, the fleet layer a kiosk merges over its site file. The
kiosk validates it again against its own site file (it alone knows it); here the layer is
checked over the built-in defaults of a remotely connected kiosk with the same pydantic
model, and trust anchors are refused (``config.fleet_layer.trust_anchor_problem``), so a
typo or a forbidden setting is caught before anything is signed. Problems name the field and
carry a stable code (pydantic's error type, ``trust_anchor``, ``toml``) so the staff pages
say them in German or English.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from config.fleet_layer import trust_anchor_problem
from config.loader import merge_layers
from config.model import KioskConfig

#: what a fleet layer is checked over: a kiosk that talks to a remote job centre
REMOTE_KIOSK = {"backend": {"mode": "remote", "url": "https://jobcentre.invalid"}}


@dataclass(frozen=True)
class Problem:
    """One problem of a layer: the dotted field, a stable code, values for the text, English."""

    field: str
    code: str
    values: dict[str, str]
    text: str


def _from_validation(exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        ctx = error.get("ctx") or {}
        values = {k: str(v) for k, v in ctx.items()}
        got = error.get("input")
        values["got"] = "" if isinstance(got, dict | list) else repr(got)
        problems.append(Problem(field, str(error["type"]), values, str(error["msg"])))
    return problems


def payload_problems(payload: Any) -> list[Problem]:
    """Problems of a ``site_config`` payload (empty: fit to sign)."""
    layer = payload.get("config") if isinstance(payload, dict) else None
    if not isinstance(layer, dict) or set(payload) != {"config"}:
        return [Problem("", "payload", {}, 'the payload must be {"config": {...}}')]
    if (where := trust_anchor_problem(layer)) is not None:
        return [Problem(where, "trust_anchor", {}, "a trust anchor or identity setting; it "
                        "changes only by re-enrollment, never by a fleet push")]
    try:
        KioskConfig.model_validate(merge_layers(REMOTE_KIOSK, layer))
    except ValidationError as exc:
        return _from_validation(exc)
    return []


def check_payload(payload: Any) -> list[str]:
    """Problems of a ``site_config`` payload in English words, one per field."""
    return [f"{p.field}: {p.text}" if p.field else p.text for p in payload_problems(payload)]


def parse_layer_toml(text: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The layer typed as TOML in the staff form, or its problems."""
    try:
        layer = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [Problem("", "toml", {"detail": str(exc)}, f"not valid TOML: {exc}")]
    problems = payload_problems({"config": layer})
    return (None, problems) if problems else (layer, [])


def layer_toml(layer: dict[str, Any]) -> str:
    """A fleet layer written back as TOML for the form (tables of plain values)."""
    lines: list[str] = []

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    def table(prefix: str, data: dict[str, Any]) -> None:
        plain = {k: v for k, v in data.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in data.items() if isinstance(v, dict)}
        if plain and prefix:
            lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {value(v)}" for k, v in plain.items())
        if plain:
            lines.append("")
        for key, sub in nested.items():
            table(f"{prefix}.{key}" if prefix else key, sub)

    table("", layer)
    return "\n".join(lines).strip() + ("\n" if lines else "")
