"""Signed bundles: the one format for what the job centre hands kiosks to keep and apply.

Three things travel this way: the staff directory (smart-card logins), site configuration
(the "signed fleet push" layer) and app updates (a manifest of wheels). The job centre signs
a bundle with a centre key; the kiosk checks it offline with ``BundleVerifier``, so a bundle
received once keeps working while the line is down.

On the wire a bundle is canonical JSON::

    {"bundle": {"format": "JCB1", "kind": "site_config", "version": 7,
                "issued_at": "2026-11-30T06:00:00Z", "expires_at": "2026-12-30T06:00:00Z",
                "targets": {"all": true}  |  {"kiosks": ["kiosk-01", ...]},
                "key_id": "<16 hex of SHA-256 over the raw signing public key>",
                "payload": {...}},
     "signature": "<base64url Ed25519 over canonical_json(bundle)>"}

``version`` rises by one or more with every bundle of a kind; going back to an older content
means issuing it again with a new version. A kiosk refuses, with a ``BundleRejected`` code:
``malformed``, ``too_large``, ``unknown_key``, ``bad_signature``, ``wrong_kind``,
``not_for_this_kiosk``, ``not_yet_valid``, ``expired``, ``replayed`` (the version it already
holds) and ``older_version``. The kiosk remembers the highest version accepted per kind in a
small state file (fsync'd), so a replay is refused after a restart too.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from foundation.errors import BundleRejected
from foundation.files import fsync_dir, write_synced
from wire import codec

FORMAT = "JCB1"
KINDS = ("staff_directory", "site_config", "app_update")
MAX_BUNDLE_BYTES = 2 * 1024 * 1024
#: a bundle may claim to be issued this far in the kiosk's future (clock drift)
ISSUE_SKEW = timedelta(minutes=15)


def key_id(public_key: codec.PublicKeyLike) -> str:
    """A short, stable name of a signing key: 16 hex of SHA-256 over its raw public bytes."""
    raw = codec.b64u_decode(codec.public_key_b64u(codec.ed25519_public(public_key)))
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Bundle:
    """A verified bundle."""

    kind: str
    version: int
    issued_at: datetime
    expires_at: datetime
    targets: Mapping[str, Any]
    key_id: str
    payload: Mapping[str, Any]
    raw: bytes

    def age(self, now: datetime) -> timedelta:
        """How long ago the job centre issued it (e.g. for the staff directory's max age)."""
        return now - self.issued_at


def sign_bundle(
    kind: str,
    version: int,
    payload: Mapping[str, Any],
    signing_key: Ed25519PrivateKey,
    *,
    issued_at: datetime,
    valid_for: timedelta,
    kiosks: Sequence[str] | None = None,
) -> bytes:
    """The wire bytes of a new bundle (``kiosks=None`` targets every kiosk)."""
    if kind not in KINDS:
        raise ValueError(f"unknown bundle kind {kind!r}")
    if version < 1:
        raise ValueError("bundle versions start at 1")
    body = {
        "format": FORMAT,
        "kind": kind,
        "version": version,
        "issued_at": codec.format_time(issued_at),
        "expires_at": codec.format_time(issued_at + valid_for),
        "targets": {"all": True} if kiosks is None else {"kiosks": sorted(set(kiosks))},
        "key_id": key_id(signing_key),
        "payload": dict(payload),
    }
    signature = codec.b64u_encode(signing_key.sign(codec.canonical_json(body)))
    raw = codec.canonical_json({"bundle": body, "signature": signature})
    if len(raw) > MAX_BUNDLE_BYTES:
        raise ValueError(f"bundle is {len(raw)} bytes, more than {MAX_BUNDLE_BYTES}")
    return raw


def _field(body: Mapping[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BundleRejected("malformed", f"bundle field {name!r} is missing or wrong")
    return value


def _time(body: Mapping[str, Any], name: str) -> datetime:
    try:
        return codec.parse_time(_field(body, name, str))
    except (ValueError, OverflowError) as exc:
        raise BundleRejected("malformed", f"bundle field {name!r} is not a time") from exc


def parse_bundle(raw: bytes, trusted_keys: Mapping[str, codec.PublicKeyLike]) -> Bundle:
    """Check size, shape and signature (not freshness, targets or version)."""
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleRejected("too_large", f"bundle is larger than {MAX_BUNDLE_BYTES} bytes")
    try:
        outer = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise BundleRejected("malformed", "bundle is not JSON") from exc
    if not isinstance(outer, dict) or set(outer) != {"bundle", "signature"}:
        raise BundleRejected("malformed", "bundle must hold exactly 'bundle' and 'signature'")
    body = outer["bundle"]
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise BundleRejected("malformed", f"not a {FORMAT} bundle")
    kid = _field(body, "key_id", str)
    if kid not in trusted_keys:
        raise BundleRejected("unknown_key", "bundle is signed by a key this kiosk does not trust")
    if not codec.verify_signature(trusted_keys[kid], outer["signature"],
                                  codec.canonical_json(body)):
        raise BundleRejected("bad_signature", "bundle signature does not verify")
    kind = _field(body, "kind", str)
    targets = _field(body, "targets", dict)
    if kind not in KINDS or not (targets == {"all": True} or (
            set(targets) == {"kiosks"} and isinstance(targets["kiosks"], list))):
        raise BundleRejected("malformed", "bundle kind or targets are not understood")
    version = _field(body, "version", int)
    if version < 1:
        raise BundleRejected("malformed", "bundle version must be at least 1")
    return Bundle(kind, version, _time(body, "issued_at"), _time(body, "expires_at"),
                  targets, kid, _field(body, "payload", dict), raw)


class BundleVerifier:
    """The kiosk's one check for every bundle, remembering the versions it accepted."""

    def __init__(self, kiosk_id: str, trusted_keys: Mapping[str, codec.PublicKeyLike],
                 state_file: Path) -> None:
        self.kiosk_id = kiosk_id
        self.trusted_keys = dict(trusted_keys)
        self.state_file = state_file

    def accepted_versions(self) -> dict[str, int]:
        """The highest version accepted so far, per kind."""
        try:
            data = json.loads(self.state_file.read_bytes())
        except FileNotFoundError:
            return {}
        except ValueError:
            # A damaged state file must not reopen the door to replays: trust nothing new
            # below a version we cannot know; refuse until an operator re-enrolls.
            raise BundleRejected("malformed", "the kiosk's bundle state file is damaged") from None
        return {k: int(v) for k, v in data.items() if k in KINDS and isinstance(v, int)}

    def verify(self, raw: bytes, kind: str, now: datetime | None = None) -> Bundle:
        """A bundle of ``kind`` fit to apply now on this kiosk, or ``BundleRejected``."""
        bundle = parse_bundle(raw, self.trusted_keys)
        now = now or datetime.now(UTC)
        if bundle.kind != kind:
            raise BundleRejected("wrong_kind", f"expected a {kind} bundle, got {bundle.kind}")
        if "kiosks" in bundle.targets and self.kiosk_id not in bundle.targets["kiosks"]:
            raise BundleRejected("not_for_this_kiosk", "bundle is addressed to other kiosks")
        if bundle.issued_at > now + ISSUE_SKEW:
            raise BundleRejected("not_yet_valid", "bundle is issued in the future")
        if bundle.expires_at <= now:
            raise BundleRejected("expired", "bundle has expired")
        held = self.accepted_versions().get(kind, 0)
        if bundle.version == held:
            raise BundleRejected("replayed", f"version {held} of {kind} is already applied")
        if bundle.version < held:
            raise BundleRejected("older_version",
                                 f"version {bundle.version} is older than {held}")
        return bundle

    def remember(self, bundle: Bundle) -> None:
        """Record ``bundle`` as applied (call after applying it successfully)."""
        versions = self.accepted_versions()
        versions[bundle.kind] = max(bundle.version, versions.get(bundle.kind, 0))
        self.state_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}.tmp")
        write_synced(tmp, codec.canonical_json(versions), exclusive=False)
        os.replace(tmp, self.state_file)
        fsync_dir(self.state_file.parent)
