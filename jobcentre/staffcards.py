"""Staff cards on the job-centre side: registered card keys and the signed staff directory.

Two tables on the intake service's repository (created here, through
``repo.transaction(...)`` like ``jobcentre.live_store``; SQLite and PostgreSQL):

* ``staff_cards``: one row per registered card key (its SHA-256 is the primary key), the
  staff account it belongs to, the name shown at the kiosk, the key itself, when it was
  registered and, once withdrawn, when it was revoked;
* ``staff_directory_bundles``: every directory bundle issued (version, time, SHA-256), so
  versions only rise;
* ``staff_directory_latest``: the newest bundle pushed to every kiosk (``keep_latest``),
  which a kiosk fetches when its live channel (re)connects.

``directory_bundle`` signs the current directory with the centre signing key as a
``staff_directory`` bundle (``wire.bundle``; payload format in ``kiosk.staffcard.directory``).
A card is listed as revoked when the card was revoked or its staff account is disabled, so
the kiosks refuse it from their next bundle on. Roles come from the staff account.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from device_drivers.card_reader.keys import CardKey
from jobcentre.repository import db_time
from wire.bundle import sign_bundle

_DDL = (
    "CREATE TABLE IF NOT EXISTS staff_cards ("
    " key_sha256 TEXT PRIMARY KEY, username TEXT NOT NULL, display_name TEXT NOT NULL,"
    " public_key TEXT NOT NULL, algorithm TEXT NOT NULL, registered_at TEXT NOT NULL,"
    " revoked_at TEXT)",
    "CREATE INDEX IF NOT EXISTS staff_cards_by_user ON staff_cards(username)",
    "CREATE TABLE IF NOT EXISTS staff_directory_bundles ("
    " version INTEGER PRIMARY KEY, issued_at TEXT NOT NULL, sha256 TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS staff_directory_latest ("
    " version INTEGER PRIMARY KEY, bundle TEXT NOT NULL)",
)
_COLS = "key_sha256, username, display_name, public_key, algorithm, registered_at, revoked_at"
DEFAULT_VALID_FOR = timedelta(days=14)


@dataclass(frozen=True)
class StaffCard:
    """One registered card key."""

    key_sha256: str
    username: str
    display_name: str
    public_key: str
    algorithm: str
    registered_at: str
    revoked_at: str | None = None


class StaffCardStore:
    """The staff-card tables on the intake service's repository."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo
        with repo.transaction(write=True) as execute:
            for statement in _DDL:
                execute(statement)

    def register(self, username: str, display_name: str, key: CardKey) -> StaffCard | None:
        """Register ``key`` for ``username``; None if that key is registered already."""
        card = StaffCard(key.key_sha256, username, display_name, key.b64, key.algorithm_name,
                         db_time())
        with self.repo.transaction(write=True) as execute:
            cursor = execute(
                f"INSERT INTO staff_cards ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (key_sha256) DO NOTHING",
                (card.key_sha256, card.username, card.display_name, card.public_key,
                 card.algorithm, card.registered_at, None))
            return card if cursor.rowcount == 1 else None

    def get(self, key_sha256: str) -> StaffCard | None:
        """One card by the SHA-256 of its key."""
        with self.repo.transaction() as execute:
            row = execute(f"SELECT {_COLS} FROM staff_cards WHERE key_sha256 = ?",
                          (key_sha256,)).fetchone()
        return None if row is None else StaffCard(*row)

    def list_cards(self) -> list[StaffCard]:
        """Every card, by account name and registration time."""
        with self.repo.transaction() as execute:
            rows = execute(f"SELECT {_COLS} FROM staff_cards ORDER BY username, registered_at"
                           ).fetchall()
        return [StaffCard(*row) for row in rows]

    def revoke(self, *, username: str | None = None, key_sha256: str | None = None) -> int:
        """Withdraw the cards of an account, or one card; returns how many were revoked."""
        column, value = ("username", username) if username is not None else (
            "key_sha256", key_sha256)
        with self.repo.transaction(write=True) as execute:
            cursor = execute(f"UPDATE staff_cards SET revoked_at = ? WHERE {column} = ?"
                             " AND revoked_at IS NULL", (db_time(), value))
            return int(cursor.rowcount)

    def directory_payload(self) -> dict[str, Any]:
        """The ``staff_directory`` payload: every card, revoked ones marked."""
        accounts = {a.username: a for a in self.repo.list_staff()}
        staff = []
        for card in self.list_cards():
            account = accounts.get(card.username)
            active = account is not None and account.disabled_at is None
            staff.append({
                "staff_id": card.username, "display_name": card.display_name,
                "roles": [account.role] if account is not None else [],
                "public_key": card.public_key, "key_sha256": card.key_sha256,
                "revoked": card.revoked_at is not None or not active,
            })
        return {"staff": staff}

    def directory_bundle(self, signing_key: Ed25519PrivateKey, *,
                         valid_for: timedelta = DEFAULT_VALID_FOR,
                         kiosks: list[str] | None = None,
                         now: datetime | None = None) -> tuple[bytes, int]:
        """Sign the current directory as the next version; returns (bundle bytes, version)."""
        now = now or datetime.now(UTC)
        payload = self.directory_payload()
        with self.repo.transaction(write=True) as execute:
            row = execute("SELECT MAX(version) FROM staff_directory_bundles").fetchone()
            version = int(row[0] or 0) + 1
            raw = sign_bundle("staff_directory", version, payload, signing_key,
                              issued_at=now, valid_for=valid_for, kiosks=kiosks)
            execute("INSERT INTO staff_directory_bundles (version, issued_at, sha256)"
                    " VALUES (?, ?, ?)", (version, db_time(now), hashlib.sha256(raw).hexdigest()))
        return raw, version

    def keep_latest(self, raw: bytes, version: int) -> None:
        """Remember ``raw`` as the bundle kiosks catch up with (older ones are dropped)."""
        with self.repo.transaction(write=True) as execute:
            execute("INSERT INTO staff_directory_latest (version, bundle) VALUES (?, ?)"
                    " ON CONFLICT (version) DO NOTHING", (version, raw.decode("utf-8")))
            execute("DELETE FROM staff_directory_latest WHERE version <"
                    " (SELECT MAX(version) FROM staff_directory_latest)")

    def last_issued_at(self) -> datetime | None:
        """When the newest directory bundle was signed (None before the first one)."""
        with self.repo.transaction() as execute:
            row = execute("SELECT issued_at FROM staff_directory_bundles"
                          " ORDER BY version DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return datetime.fromisoformat(str(row[0]).replace("Z", "+00:00"))

    def latest(self) -> tuple[bytes, int] | None:
        """The newest bundle for every kiosk and its version, if one was pushed."""
        with self.repo.transaction() as execute:
            row = execute("SELECT bundle, version FROM staff_directory_latest"
                          " ORDER BY version DESC LIMIT 1").fetchone()
        return None if row is None else (str(row[0]).encode("utf-8"), int(row[1]))
