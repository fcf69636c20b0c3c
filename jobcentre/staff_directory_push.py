"""Push the signed staff directory to every enrolled kiosk over the live channel.

Whenever the directory changes (a card registered or revoked through ``kiosk-server staff
card-register | card-revoke``), ``publish_directory`` signs the next ``staff_directory``
bundle (``StaffCardStore.directory_bundle``) and queues one live message per enrolled,
unrevoked kiosk::

    {"type": "staff.directory", "body": {"bundle": "<base64url of the JCB1 bytes>"}}

The message goes into the shared ``live_messages`` table (``jobcentre.live_store``), so a
command-line process can post it: the running service's watcher wakes the kiosks' polls. A
kiosk that is offline receives it when it polls again, as long as the message lives
(``LiveLimits.message_ttl``). The kiosk verifies the bundle offline (``kiosk.staffcard``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jobcentre.live import LiveLimits
from jobcentre.live_store import LiveStore
from jobcentre.staffcards import DEFAULT_VALID_FOR, StaffCardStore
from wire import codec

MESSAGE_TYPE = "staff.directory"


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
    live = LiveStore(repo)
    body = directory_message(raw)
    ttl = ttl if ttl is not None else LiveLimits().message_ttl
    count = 0
    for kiosk in repo.list_kiosks():
        if kiosk.revoked_at is None:
            live.add(kiosk.kiosk_id, MESSAGE_TYPE, body, ttl)
            count += 1
    return Published(version, count)
