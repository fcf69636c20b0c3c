"""Staged rollouts of signed bundles (site configuration and app updates) to the fleet.

:func:`create_rollout` signs the next version of a kind (``wire.bundle.sign_bundle`` with the
centre signing key) for the *canary* kiosks only (a percentage of the enrolled kiosks, picked
by a stable hash of their ids, or named kiosks) and posts it to them as ``fleet.bundle``
live messages (``{"bundle": "<base64url JCB1>"}``). Promotion is manual
(:func:`promote`): it signs the same version for all kiosks; the canaries see ``replayed``
and ignore it. A canary that reports ``rolled_back``, or whose newest heartbeat says its
health check failed after it applied (:func:`heartbeat_failed`), halts the rollout, and a
halted rollout cannot be promoted. Going back to older content is :func:`reissue`: the same
payload signed again as a new version. A newer rollout supersedes older canaries of its kind;
a promoted one supersedes the older promoted one.

Kiosks report with ``POST /api/v1/fleet/bundle-report`` (:func:`record_report`) and catch up
after being offline with ``GET /api/v1/fleet/bundles/{kind}`` (:func:`latest_for`): the newest
bundle of the kind addressed to them. The routes are in ``rollout_routes.py``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from foundation.errors import ApiError
from jobcentre.fleet.rollout_store import Report, Rollout, RolloutTables
from jobcentre.live import LiveLimits
from jobcentre.live_store import LiveStore
from wire import codec
from wire.bundle import sign_bundle

KINDS = ("site_config", "app_update")
MESSAGE_TYPE = "fleet.bundle"
STATES = ("applied", "rolled_back", "refused")
#: the highest version a report may name (a database INTEGER on both backends)
MAX_VERSION = 2**31 - 1
#: how long a signed rollout bundle stays valid on a kiosk that has not applied it yet
VALID_FOR = timedelta(days=90)


@dataclass(frozen=True)
class Canary:
    """Who gets a new version first: a percentage of the kiosks or named kiosks."""

    percent: int | None = None
    kiosks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.percent is None) == (not self.kiosks):
            raise ApiError(422, "canary_needed",
                           detail="give a canary percentage or named kiosks, not both")
        if self.percent is not None and not 1 <= self.percent <= 100:
            raise ApiError(422, "canary_percent", detail="the percentage must be 1 to 100")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def active_kiosks(repo: Any) -> list[str]:
    """Ids of the enrolled, unrevoked kiosks."""
    return [k.kiosk_id for k in repo.list_kiosks() if k.revoked_at is None]


def pick_canaries(canary: Canary, kiosks: list[str]) -> list[str]:
    """The canary kiosks: the named ones (must be enrolled), or a stable share of all."""
    if canary.kiosks:
        unknown = sorted(set(canary.kiosks) - set(kiosks))
        if unknown:
            raise ApiError(422, "unknown_kiosk", detail=", ".join(unknown)[:200])
        return sorted(set(canary.kiosks))
    if not kiosks:
        raise ApiError(409, "no_kiosks", detail="no kiosk is enrolled")
    assert canary.percent is not None
    count = max(1, math.ceil(len(kiosks) * canary.percent / 100))
    ranked = sorted(kiosks, key=lambda k: hashlib.sha256(k.encode()).hexdigest())
    return sorted(ranked[:count])


def _post(repo: Any, raw: bytes, kiosks: list[str]) -> None:
    live = LiveStore(repo)
    body = {"bundle": codec.b64u_encode(raw)}
    ttl = LiveLimits().message_ttl
    for kiosk_id in kiosks:
        live.add(kiosk_id, MESSAGE_TYPE, body, ttl)


def create_rollout(repo: Any, kind: str, payload: Mapping[str, Any], *, canary: Canary,
                   issued_by: str, signing_key: Ed25519PrivateKey,
                   reissue_of: int | None = None, now: datetime | None = None) -> Rollout:
    """Sign the next version of ``kind`` for the canary kiosks and send it to them."""
    if kind not in KINDS:
        raise ApiError(422, "unknown_kind", detail=f"kind must be one of {', '.join(KINDS)}")
    now = _now(now)
    tables = RolloutTables(repo)
    targets = pick_canaries(canary, active_kiosks(repo))
    version = tables.next_version(kind)
    raw = sign_bundle(kind, version, payload, signing_key, issued_at=now, valid_for=VALID_FOR,
                      kiosks=targets)
    draft = Rollout(0, kind, version, dict(payload), "canary", canary.percent, canary.kiosks,
                    tuple(targets), issued_by, "", None, None, "", reissue_of,
                    codec.b64u_encode(raw), None)
    stored = tables.insert(draft, now)
    _post(repo, raw, targets)
    return stored


def _require(tables: RolloutTables, rollout_id: int) -> Rollout:
    rollout = tables.get(rollout_id)
    if rollout is None:
        raise ApiError(404, "not_found")
    return rollout


def promote(repo: Any, rollout_id: int, *, signing_key: Ed25519PrivateKey,
            now: datetime | None = None) -> Rollout:
    """Sign the rollout's version for every kiosk and send it to those not yet holding it."""
    now = _now(now)
    tables = RolloutTables(repo)
    check_canaries(repo, rollout_id, now=now)
    rollout = _require(tables, rollout_id)
    if rollout.stage != "canary":
        raise ApiError(409, f"rollout_{rollout.stage}", detail="only a canary can be promoted")
    raw = sign_bundle(rollout.kind, rollout.version, rollout.payload, signing_key,
                      issued_at=now, valid_for=VALID_FOR)
    kiosks = active_kiosks(repo)
    if not tables.promote(rollout_id, codec.b64u_encode(raw), kiosks, now):
        raise ApiError(409, "rollout_changed", detail="the rollout changed meanwhile")
    _post(repo, raw, [k for k in kiosks if k not in rollout.targets])
    return _require(tables, rollout_id)


def halt(repo: Any, rollout_id: int, reason: str, now: datetime | None = None) -> Rollout:
    """Stop a canary rollout (it can then never be promoted)."""
    tables = RolloutTables(repo)
    rollout = _require(tables, rollout_id)
    if not tables.halt(rollout_id, reason, _now(now)):
        raise ApiError(409, f"rollout_{rollout.stage}", detail="only a canary can be halted")
    return _require(tables, rollout_id)


def reissue(repo: Any, rollout_id: int, *, canary: Canary, issued_by: str,
            signing_key: Ed25519PrivateKey, now: datetime | None = None) -> Rollout:
    """Issue the content of an older rollout again, as a new version (going back)."""
    old = _require(RolloutTables(repo), rollout_id)
    return create_rollout(repo, old.kind, old.payload, canary=canary, issued_by=issued_by,
                          signing_key=signing_key, reissue_of=old.id, now=now)


def heartbeat_failed(repo: Any, kiosk_id: str) -> bool | None:
    """Whether the kiosk's newest heartbeat says a required device check fails (None: unknown).

    Read from the fleet health tables (``jobcentre.fleet.health_store.latest``). Checked
    when a rollout is looked at or promoted: a canary that applied the bundle and now
    reports a failed check halts the rollout before it can reach every kiosk.
    """
    from jobcentre.fleet.health_store import latest

    try:
        state = latest(repo, kiosk_id)
    except Exception:  # noqa: BLE001 - no heartbeat table yet (CLI on a fresh database)
        return None
    return None if state is None else state.health_failed


def check_canaries(repo: Any, rollout_id: int, now: datetime | None = None) -> Rollout | None:
    """Halt a canary rollout if a canary that applied it now reports a failed health check."""
    tables = RolloutTables(repo)
    rollout = tables.get(rollout_id)
    if rollout is None or rollout.stage != "canary":
        return rollout
    for state in tables.kiosk_states(rollout_id):
        if state.state == "applied" and heartbeat_failed(repo, state.kiosk_id):
            tables.halt(rollout_id, f"{state.kiosk_id}: health_failed", _now(now))
            return tables.get(rollout_id)
    return rollout


def record_report(repo: Any, kiosk_id: str, body: Any, now: datetime | None = None) -> None:
    """Keep a kiosk's ``bundle-report``; a canary's ``rolled_back`` halts its rollout."""
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", detail="JSON object expected")
    kind, version, state, reason = (body.get("kind"), body.get("version"), body.get("state"),
                                    body.get("reason", ""))
    if (kind not in KINDS or state not in STATES or not isinstance(reason, str)
            or not isinstance(version, int) or isinstance(version, bool)
            or not 0 <= version <= MAX_VERSION):
        raise ApiError(400, "invalid_request",
                       detail="kind, version, state (applied|rolled_back|refused), reason")
    now = _now(now)
    tables = RolloutTables(repo)
    rollout = tables.by_version(kind, version) if version else None
    reason = reason.replace("\x00", "")[:300]  # PostgreSQL text holds no NUL
    tables.record(Report(kiosk_id, kind, version, state, reason, ""), rollout, now)
    if rollout is not None and state == "rolled_back" and rollout.stage == "canary":
        tables.halt(rollout.id, f"{kiosk_id}: {reason}", now)


def latest_for(repo: Any, kiosk_id: str, kind: str) -> tuple[int, str] | None:
    """The newest bundle of ``kind`` addressed to the kiosk: (version, base64url), or None."""
    if kind not in KINDS:
        raise ApiError(404, "unknown_kind")
    for rollout in RolloutTables(repo).newest(kind, limit=20):
        if rollout.stage == "halted":
            continue
        if rollout.bundle_all is not None:
            return rollout.version, rollout.bundle_all
        if kiosk_id in rollout.targets:
            return rollout.version, rollout.bundle_canary
    return None
