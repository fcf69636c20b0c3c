"""Shared pieces for the staff-card tests: a centre key, an enrolled kiosk, directory bundles.

Injected through constructors and files, never by patching module globals.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from config.model import KioskConfig
from device_drivers.card_reader.piv_card import VirtualPivCard
from kiosk.staffcard.directory import StaffDirectoryStore, store_for
from wire import protocol
from wire.bundle import sign_bundle

CENTRE = Ed25519PrivateKey.generate()
KIOSK_ID = "kiosk-cards-01"
PIN = "123456"


def member(card: VirtualPivCard, staff_id: str = "mmueller", name: str = "M. Müller",
           roles: Iterable[str] = ("desk",), revoked: bool = False) -> dict[str, Any]:
    """A directory entry for ``card``."""
    key = card.key
    return {"staff_id": staff_id, "display_name": name, "roles": list(roles),
            "public_key": key.b64, "key_sha256": key.key_sha256, "revoked": revoked}


def directory_bundle(entries: list[dict[str, Any]], version: int = 1, *,
                     issued_at: datetime | None = None,
                     valid_for: timedelta = timedelta(days=14),
                     signing_key: Ed25519PrivateKey = CENTRE) -> bytes:
    """A signed ``staff_directory`` bundle holding ``entries``."""
    return sign_bundle("staff_directory", version, {"staff": entries}, signing_key,
                       issued_at=issued_at or datetime.now(UTC), valid_for=valid_for)


class Clock:
    """A settable clock for the directory's age."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def directory_store(data_dir: Path, clock: Clock | None = None,
                    max_age_days: float = 7.0) -> StaffDirectoryStore:
    """A kiosk directory store trusting ``CENTRE``."""
    return store_for(data_dir, KIOSK_ID, CENTRE.public_key(), max_age_days,
                     clock or Clock())


def enrolled_config(tmp_path: Path, **sections: Any) -> KioskConfig:
    """A kiosk config whose data directory holds an identity that trusts ``CENTRE``."""
    data = tmp_path / "data"
    folder = data / "identity"
    folder.mkdir(parents=True)
    (folder / "kiosk.key").write_bytes(
        protocol.private_key_bytes(Ed25519PrivateKey.generate()))
    (folder / "certificate.json").write_text(json.dumps({"kiosk_id": KIOSK_ID}))
    (folder / "centre.json").write_text(json.dumps({
        "signing_public_key": protocol.public_key_b64u(CENTRE),
        "encryption_public_key": "unused-here"}))
    (folder / "server.json").write_text(json.dumps({"url": "http://127.0.0.1:9"}))
    return KioskConfig.model_validate({"data_dir": data, **sections})
