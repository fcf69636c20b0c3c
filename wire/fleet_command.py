"""Signed fleet commands: what the job centre asks one kiosk to do (lock, restart, wipe, …).

The job centre signs each command with its centre signing key (Ed25519, the key a kiosk
received at enrollment, as for bundles in ``wire.bundle``) and posts it on the live channel
as a ``fleet.command`` message whose body is the signed command::

    {"command": {"format": "JCC1", "id": "<uuid4>", "kiosk_id": "kiosk-01",
                 "name": "lock", "params": {}, "urgent": false,
                 "issued_at": "2026-11-30T06:00:00Z", "expires_at": "2026-11-30T07:00:00Z",
                 "key_id": "<16 hex, wire.bundle.key_id>"},
     "signature": "<base64url Ed25519 over canonical_json(command)>"}

The kiosk refuses, with a ``CommandRejected`` code: ``malformed``, ``unknown_key``,
``bad_signature``, ``not_for_this_kiosk``, ``not_yet_valid``, ``expired`` and (checked by
the kiosk's own memory of command ids, ``kiosk.agent.fleet.replay``) ``replayed``.

The kiosk reports on the command with ``POST /api/v1/fleet/command-result`` (a signed kiosk
request) using :func:`result_body`: first ``delivered`` (accepted, maybe waiting for the
visitor to finish), then ``done`` or ``failed`` with the answer (``failed`` carries a code).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from foundation.errors import CommandRejected
from wire import codec
from wire.bundle import ISSUE_SKEW, key_id

FORMAT = "JCC1"
MESSAGE_TYPE = "fleet.command"
RESULT_PATH = "/api/v1/fleet/command-result"
MAX_COMMAND_BYTES = 16 * 1024
DEFAULT_VALID_FOR = timedelta(hours=24)
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: what a kiosk reports about a command, in order
ResultState = Literal["delivered", "done", "failed"]
RESULT_STATES: tuple[str, ...] = ("delivered", "done", "failed")
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class FleetCommand:
    """A command whose signature verified."""

    command_id: str
    kiosk_id: str
    name: str
    params: Mapping[str, Any]
    urgent: bool
    issued_at: datetime
    expires_at: datetime
    key_id: str


def sign_command(kiosk_id: str, name: str, params: Mapping[str, Any],
                 signing_key: Ed25519PrivateKey, *, urgent: bool = False,
                 issued_at: datetime | None = None, valid_for: timedelta = DEFAULT_VALID_FOR,
                 command_id: str | None = None) -> dict[str, Any]:
    """The signed command (the ``fleet.command`` message body) for one kiosk."""
    if not NAME_RE.match(name):
        raise ValueError("command names are lower-case words")
    issued_at = issued_at or datetime.now(UTC)
    body = {
        "format": FORMAT,
        "id": command_id or str(uuid.uuid4()),
        "kiosk_id": kiosk_id,
        "name": name,
        "params": dict(params),
        "urgent": bool(urgent),
        "issued_at": codec.format_time(issued_at),
        "expires_at": codec.format_time(issued_at + valid_for),
        "key_id": key_id(signing_key),
    }
    raw = codec.canonical_json(body)
    if len(raw) > MAX_COMMAND_BYTES:
        raise ValueError(f"command is more than {MAX_COMMAND_BYTES} bytes")
    return {"command": body, "signature": codec.b64u_encode(signing_key.sign(raw))}


def _field(body: Mapping[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise CommandRejected("malformed", f"command field {name!r} is missing or wrong")
    return value


def _time(body: Mapping[str, Any], name: str) -> datetime:
    try:
        return codec.parse_time(_field(body, name, str))
    except (ValueError, OverflowError) as exc:
        raise CommandRejected("malformed", f"command field {name!r} is not a time") from exc


def command_id_of(message: Any) -> str | None:
    """The command id of a (maybe refused) message body, if it has a well-formed one."""
    body = message.get("command") if isinstance(message, dict) else None
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and ID_RE.match(value) else None


def verify_command(message: Any, trusted_keys: Mapping[str, codec.PublicKeyLike],
                   kiosk_id: str, now: datetime | None = None) -> FleetCommand:
    """A command fit to run now on ``kiosk_id``, or ``CommandRejected`` (not replay: the
    caller's memory of ids decides that)."""
    if not isinstance(message, dict) or set(message) != {"command", "signature"}:
        raise CommandRejected("malformed", "a command holds exactly 'command' and 'signature'")
    body = message["command"]
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise CommandRejected("malformed", f"not a {FORMAT} command")
    raw = codec.canonical_json(body)
    if len(raw) > MAX_COMMAND_BYTES:
        raise CommandRejected("malformed", "command is too large")
    kid = _field(body, "key_id", str)
    if kid not in trusted_keys:
        raise CommandRejected("unknown_key", "command is signed by a key this kiosk does not trust")
    if not codec.verify_signature(trusted_keys[kid], message["signature"], raw):
        raise CommandRejected("bad_signature", "command signature does not verify")
    command_id = command_id_of(message)
    name = _field(body, "name", str)
    if command_id is None or not NAME_RE.match(name):
        raise CommandRejected("malformed", "command id or name is not understood")
    command = FleetCommand(command_id, _field(body, "kiosk_id", str), name,
                           _field(body, "params", dict), _field(body, "urgent", bool),
                           _time(body, "issued_at"), _time(body, "expires_at"), kid)
    now = now or datetime.now(UTC)
    if command.kiosk_id != kiosk_id:
        raise CommandRejected("not_for_this_kiosk", "command is addressed to another kiosk")
    if command.issued_at > now + ISSUE_SKEW:
        raise CommandRejected("not_yet_valid", "command is issued in the future")
    if command.expires_at <= now:
        raise CommandRejected("expired", "command has expired")
    return command


def result_body(command_id: str, state: str, answer: Mapping[str, Any] | None = None,
                error: str | None = None) -> dict[str, Any]:
    """The body of ``POST /api/v1/fleet/command-result``."""
    if state not in RESULT_STATES:
        raise ValueError(f"unknown command state {state!r}")
    return {"id": command_id, "state": state, "answer": dict(answer or {}), "error": error}


def parse_result(payload: Any) -> tuple[str, str, dict[str, Any], str | None]:
    """``(id, state, answer, error)`` of a command-result body; ValueError if malformed."""
    if not isinstance(payload, dict):
        raise ValueError("a JSON object is expected")
    command_id, state = payload.get("id"), payload.get("state")
    answer, error = payload.get("answer", {}), payload.get("error")
    if not isinstance(command_id, str) or not ID_RE.match(command_id):
        raise ValueError("id is not a command id")
    if state not in RESULT_STATES:
        raise ValueError("state is not delivered, done or failed")
    if not isinstance(answer, dict) or len(json.dumps(answer)) > MAX_ANSWER_BYTES:
        raise ValueError("answer is not an object or too large")
    if error is not None and (not isinstance(error, str) or not NAME_RE.match(error)):
        raise ValueError("error is not a code")
    return command_id, str(state), answer, error
