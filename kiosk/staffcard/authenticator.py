"""Staff card login: who is at the terminal, proven by a key on their card and its PIN.

A card's UID or certificate proves nothing (both can be copied). The proof is a signature
over a fresh random challenge, made by the card's PIV authentication key (slot 9A) after the
card's own PIN check, and verified against the public key the job centre registered for that
person in the signed staff directory (not against the key the card claims)::

    identify()      directory fresh? → SELECT PIV → certificate 9A → key SHA-256
                    → member in directory? revoked? → PIN tries left (blocked?)
    authenticate()  VERIFY PIN → GENERAL AUTHENTICATE(digest(domain + 32 random bytes))
                    → signature verifies with the registered key → StaffLogin

``login(pin)`` does both in one go. Every refusal is a ``foundation.errors`` exception whose
``code`` the UI translates (``kiosk.staffcard.messages``). The card is reset when the login
ends (``end``), so its verified PIN does not outlive the login.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from device_drivers.card_reader.keys import (
    CardKey,
    card_input,
    challenge_digest,
    load_card_key,
    verify_card_signature,
)
from device_drivers.card_reader.piv import PivCard
from device_drivers.card_reader.protocol import CardReader
from foundation.errors import KioskError, StaffCardRefused
from kiosk.staffcard.directory import StaffDirectoryStore, StaffMember

log = logging.getLogger(__name__)
NONCE_BYTES = 32


@dataclass(frozen=True)
class CardHolder:
    """An identified card: its directory entry, the registered key and the PIN tries left."""

    member: StaffMember
    key: CardKey
    tries_left: int | None
    directory_version: int


@dataclass(frozen=True)
class StaffLogin:
    """A proven staff login (what helper mode gets)."""

    staff_id: str
    display_name: str
    roles: tuple[str, ...]
    key_sha256: str
    directory_version: int
    at: datetime


class StaffCardAuthenticator:
    """Logs staff in with their card over any ``CardReader``."""

    def __init__(self, reader: CardReader, directory: StaffDirectoryStore, *,
                 random_bytes: Callable[[int], bytes] = os.urandom,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.reader = reader
        self.directory = directory
        self.random_bytes = random_bytes
        self.clock = clock

    def wait_for_card(self, timeout_s: float) -> bool:
        """True once a card is in the reader (at most ``timeout_s``)."""
        return self.reader.wait_for_card(timeout_s)

    def wait_for_removal(self, timeout_s: float) -> bool:
        """True once the card is out of the reader (helper mode ends then)."""
        return self.reader.wait_for_card(timeout_s, present=False)

    def identify(self) -> CardHolder:
        """Connect the inserted card and find its holder in the directory (no PIN yet)."""
        directory = self.directory.current()
        self.reader.connect()
        try:
            piv = PivCard(self.reader)
            piv.select()
            claimed = piv.authentication_key()
            member = directory.find(claimed.key_sha256)
            if member is None:
                raise StaffCardRefused("the card's key is not in the staff directory",
                                       code="staff_card_unknown")
            if member.revoked:
                raise StaffCardRefused("the card is revoked", code="staff_card_revoked")
            registered = load_card_key(base64.b64decode(member.public_key))
            return CardHolder(member, registered, piv.pin_tries_left(), directory.version)
        except KioskError as exc:
            self._fail(exc)
            raise

    def authenticate(self, holder: CardHolder, pin: str) -> StaffLogin:
        """Check the PIN on the card and the card's signature over a fresh challenge."""
        piv = PivCard(self.reader)
        try:
            piv.verify_pin(pin)
            digest = challenge_digest(holder.key, self.random_bytes(NONCE_BYTES))
            signature = piv.sign(holder.key, card_input(holder.key, digest))
            if not verify_card_signature(holder.key, digest, signature):
                raise StaffCardRefused("the card's signature does not verify with the "
                                       "registered key", code="staff_card_not_genuine")
        except KioskError as exc:
            self._fail(exc)
            raise
        log.info("staff card login accepted (directory version %d)", holder.directory_version)
        member = holder.member
        return StaffLogin(member.staff_id, member.display_name, member.roles,
                          member.key_sha256, holder.directory_version, self.clock())

    def login(self, pin: str) -> StaffLogin:
        """``identify`` and ``authenticate`` in one step (for the CLI and benchmarks)."""
        return self.authenticate(self.identify(), pin)

    def end(self) -> None:
        """Reset the card and close the channel (a logout, or after a refusal)."""
        self.reader.disconnect()

    def _fail(self, exc: KioskError) -> None:
        log.info("staff card login refused: %s", exc.code)
        if exc.code != "staff_card_wrong_pin":  # after a wrong PIN the holder may try again
            self.end()

