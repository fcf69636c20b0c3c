"""Push the signed staff directory to every enrolled kiosk over the live channel.

Whenever the directory changes (a card registered or revoked through ``kiosk-server staff
card-register | card-revoke``), ``publish_directory`` signs the next ``staff_directory``
bundle (``StaffCardStore.directory_bundle``) and queues one live message per enrolled,
unrevoked kiosk::

    {"type": "staff.directory", "body": {"bundle": "<base64url of the JCB1 bytes>"}}

The message goes into the shared ``live_messages`` table (``jobcentre.live_store``), so a
command-line process can post it: the running service's watcher wakes the kiosks' polls. A
kiosk that is offline receives it when it polls again, as long as the message lives
(``LiveLimits.message_ttl``); after longer, it fetches the newest bundle with
``GET /api/v1/staff-directory`` (``add_staff_directory_route``) when its channel
(re)connects. The kiosk verifies the bundle offline (``kiosk.staffcard``).

A kiosk refuses a directory older than its ``staff_cards.directory_max_age_days`` (7 by
default), so the running service signs the unchanged directory again once the newest is
older than ``REFRESH_AFTER`` (``refresh_if_old``, from the service's hourly housekeeping):
staff cards keep working at terminals while nobody registers or revokes a card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request

from foundation.errors import ApiError
from jobcentre.live import LiveLimits
from jobcentre.live_store import LiveStore
from jobcentre.repository import KioskRecord
from jobcentre.routes_kiosk import KioskGate
from jobcentre.staffcards import DEFAULT_VALID_FOR, StaffCardStore
from wire import codec, protocol

MESSAGE_TYPE = "staff.directory"
#: sign the directory again when the newest bundle is older than this
REFRESH_AFTER = timedelta(days=1)
KIOSK_AUTH = {"parameters": [
    {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
    for h in (protocol.HEADER_KIOSK_ID, protocol.HEADER_KIOSK_TIME, protocol.HEADER_KIOSK_NONCE,
              protocol.HEADER_KIOSK_SIGNATURE, protocol.HEADER_CONTENT_DIGEST)
]}


@dataclass(frozen=True)
class Published:
    """What ``publish_directory`` did: the bundle version and how many kiosks it went to."""

    version: int
    kiosks: int


def directory_message(raw: bytes) -> dict[str, Any]:
    """The body of a ``staff.directory`` live message carrying bundle bytes ``raw``."""
    return {"bundle": codec.b64u_encode(raw)}


def publish_directory(cards: StaffCardStore, repo: Any, signing_key: Ed25519PrivateKey, *,
                      valid_for: timedelta = DEFAULT_VALID_FOR,
                      ttl: timedelta | None = None) -> Published:
    """Sign the next directory bundle and queue it for every enrolled, unrevoked kiosk."""
    raw, version = cards.directory_bundle(signing_key, valid_for=valid_for)
    cards.keep_latest(raw, version)
    live = LiveStore(repo)
    body = directory_message(raw)
    ttl = ttl if ttl is not None else LiveLimits().message_ttl
    count = 0
    for kiosk in repo.list_kiosks():
        if kiosk.revoked_at is None:
            live.add(kiosk.kiosk_id, MESSAGE_TYPE, body, ttl)
            count += 1
    return Published(version, count)


def refresh_if_old(cards: StaffCardStore, repo: Any, signing_key: Ed25519PrivateKey, *,
                   now: datetime | None = None,
                   refresh_after: timedelta = REFRESH_AFTER) -> Published | None:
    """Publish the directory again if one exists and the newest is older than ``refresh_after``."""
    issued = cards.last_issued_at()
    if issued is None or (now or datetime.now(UTC)) - issued < refresh_after:
        return None
    return publish_directory(cards, repo, signing_key)


def add_staff_directory_route(app: FastAPI, gate: KioskGate, cards: StaffCardStore) -> None:
    """Mount ``GET /api/v1/staff-directory`` (signed kiosk request) on ``app``.

    200 ``{"version": N, "bundle": "<base64url>"}`` with the newest pushed bundle, 404
    ``no_staff_directory`` before the first one.
    """

    def latest(_kiosk: KioskRecord, _body: bytes) -> dict[str, Any]:
        found = cards.latest()
        if found is None:
            raise ApiError(404, "no_staff_directory")
        raw, version = found
        return {"version": version, **directory_message(raw)}

    @app.get(f"{protocol.API_PREFIX}/staff-directory", tags=["live"],
             openapi_extra=KIOSK_AUTH)
    async def staff_directory(request: Request) -> dict[str, Any]:
        """The newest signed staff directory for this kiosk to verify offline."""
        return await gate.run(request, latest)
