"""The staff directory on the kiosk: a signed bundle, verified offline, stored, and aged.

The job centre signs the directory as a ``staff_directory`` bundle (``wire.bundle``; built
by ``jobcentre.staffcards``). Its payload::

    {"staff": [{"staff_id": "mmueller", "display_name": "M. Müller", "roles": ["desk"],
                "public_key": "<base64 DER SubjectPublicKeyInfo of the card's 9A key>",
                "key_sha256": "<hex SHA-256 of that DER>", "revoked": false}, ...]}

``apply`` checks a bundle with ``BundleVerifier`` (signature by a trusted centre key,
addressed to this kiosk, not expired, newer than the one held) and keeps its raw bytes in
``<data>/staffcards/directory.bundle``; the highest version is remembered, so an old
directory (one where a revoked card was still valid) cannot be replayed. ``current``
re-checks the stored bundle's signature at every login and refuses it once it is older than
the site's maximum age (``staff_cards.directory_max_age_days``) or past its expiry: cards
keep working offline, but not for ever on stale data.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from foundation.errors import BundleRejected, StaffCardRefused
from foundation.files import fsync_dir, write_synced
from wire.bundle import Bundle, BundleVerifier, key_id, parse_bundle
from wire.codec import PublicKeyLike

KIND = "staff_directory"
FOLDER = "staffcards"
BUNDLE_FILE = "directory.bundle"
STATE_FILE = "bundle-versions.json"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current UTC time (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class StaffMember:
    """One staff member's card entry in the directory."""

    staff_id: str
    display_name: str
    roles: tuple[str, ...]
    public_key: str
    key_sha256: str
    revoked: bool


@dataclass(frozen=True)
class StaffDirectory:
    """A verified directory: its members by card key, its version and issue time."""

    version: int
    issued_at: datetime
    expires_at: datetime
    members: Mapping[str, StaffMember]

    def find(self, key_sha256: str) -> StaffMember | None:
        """The member whose card key has this SHA-256, if any."""
        return self.members.get(key_sha256)


def _member(entry: Any) -> StaffMember:
    import base64

    if not isinstance(entry, dict):
        raise ValueError("entry is not an object")
    staff_id, name, key = entry.get("staff_id"), entry.get("display_name"), entry.get("public_key")
    roles, revoked, digest = entry.get("roles"), entry.get("revoked"), entry.get("key_sha256")
    if not (isinstance(staff_id, str) and staff_id and isinstance(name, str)
            and isinstance(key, str) and isinstance(revoked, bool) and isinstance(digest, str)
            and isinstance(roles, list) and all(isinstance(r, str) for r in roles)):
        raise ValueError("entry fields are missing or of the wrong type")
    if hashlib.sha256(base64.b64decode(key, validate=True)).hexdigest() != digest:
        raise ValueError("key_sha256 does not match public_key")
    return StaffMember(staff_id, name, tuple(roles), key, digest, revoked)


def parse_directory(bundle: Bundle) -> StaffDirectory:
    """The directory in a verified bundle; BundleRejected(malformed) if its payload is wrong."""
    staff = bundle.payload.get("staff")
    if not isinstance(staff, list):
        raise BundleRejected("malformed", "staff directory payload has no 'staff' list")
    members: dict[str, StaffMember] = {}
    try:
        for entry in staff:
            member = _member(entry)
            if member.key_sha256 in members:
                raise ValueError("a card key is listed twice")
            members[member.key_sha256] = member
    except ValueError as exc:
        raise BundleRejected("malformed", f"staff directory entry: {exc}") from exc
    return StaffDirectory(bundle.version, bundle.issued_at, bundle.expires_at, members)


class StaffDirectoryStore:
    """The kiosk's copy of the staff directory under ``<data>/staffcards/``."""

    def __init__(self, folder: Path, kiosk_id: str,
                 trusted_keys: Mapping[str, PublicKeyLike], max_age: timedelta,
                 clock: Clock = utc_now) -> None:
        self.folder = folder
        self.trusted_keys = dict(trusted_keys)
        self.max_age = max_age
        self.clock = clock
        self.verifier = BundleVerifier(kiosk_id, self.trusted_keys, folder / STATE_FILE)

    @property
    def bundle_path(self) -> Path:
        """Where the applied bundle is kept."""
        return self.folder / BUNDLE_FILE

    def apply(self, raw: bytes) -> StaffDirectory:
        """Verify and keep a new directory bundle; BundleRejected says why not."""
        bundle = self.verifier.verify(raw, KIND, self.clock())
        directory = parse_directory(bundle)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.folder / f".{BUNDLE_FILE}.{os.getpid()}.tmp"
        write_synced(tmp, raw, exclusive=False)
        os.replace(tmp, self.bundle_path)
        fsync_dir(self.folder)
        self.verifier.remember(bundle)
        return directory

    def current(self) -> StaffDirectory:
        """The held directory if it may still admit card logins, else StaffCardRefused."""
        try:
            raw = self.bundle_path.read_bytes()
        except FileNotFoundError:
            raise StaffCardRefused("no staff directory has arrived yet",
                                   code="staff_directory_missing") from None
        try:
            directory = parse_directory(parse_bundle(raw, self.trusted_keys))
        except BundleRejected as exc:
            raise StaffCardRefused(f"the stored staff directory is refused ({exc.code})",
                                   code="staff_directory_missing") from exc
        now = self.clock()
        if now - directory.issued_at > self.max_age or now >= directory.expires_at:
            raise StaffCardRefused("the staff directory is older than the site allows",
                                   code="staff_directory_outdated")
        return directory


def store_for(data_dir: Path, kiosk_id: str, centre_signing_public_key: PublicKeyLike,
              max_age_days: float, clock: Clock = utc_now) -> StaffDirectoryStore:
    """The directory store of a kiosk that trusts one centre signing key."""
    return StaffDirectoryStore(data_dir / FOLDER, kiosk_id,
                               {key_id(centre_signing_public_key): centre_signing_public_key},
                               timedelta(days=max_age_days), clock)
