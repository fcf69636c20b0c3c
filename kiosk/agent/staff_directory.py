"""The ``staff.directory`` live message: a new signed staff directory for this kiosk.

The job centre queues ``{"bundle": "<base64url of the JCB1 bytes>"}`` whenever a staff card
is registered or revoked (``jobcentre.staff_directory_push``). The handler applies it to the
same store the UI's card authenticator reads (``kiosk.staffcard.wiring.directory_store``),
so every check of that store holds: signature by the enrolled centre key, addressed to this
kiosk, not expired, newer than the directory held. A refused or malformed bundle is logged
with its reason code only (no names, no keys) and never stops the agent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from config.model import KioskConfig
from foundation.errors import BundleRejected, KioskError
from kiosk.delivery.transport import ServerClient, safe_json
from kiosk.staffcard.directory import KIND
from wire import codec, protocol

log = logging.getLogger(__name__)

MESSAGE_TYPE = "staff.directory"
CATCH_UP_PATH = f"{protocol.API_PREFIX}/staff-directory"


def directory_handler(config: KioskConfig) -> Callable[[dict[str, Any]], None]:
    """The live handler applying ``staff.directory`` messages with ``config``'s store."""

    def on_directory(message: dict[str, Any]) -> None:
        body = message.get("body")
        apply_body(body if isinstance(body, dict) else {}, config, "the live channel")

    return on_directory


def catch_up(client: ServerClient, config: KioskConfig) -> None:
    """Fetch the newest directory (``GET /api/v1/staff-directory``) and apply it if newer.

    Called when the live channel (re)connects: a kiosk offline for longer than live messages
    live still gets the directory. No directory at the centre yet (404) is not an error.
    """
    from kiosk.staffcard.wiring import directory_store

    response = client.request("GET", CATCH_UP_PATH)
    if response.status_code == 404:
        return
    answer = safe_json(response)
    if response.status_code != 200 or not isinstance(answer.get("version"), int):
        log.info("staff directory catch-up refused (HTTP %d)", response.status_code)
        return
    try:
        held = directory_store(config).verifier.accepted_versions().get(KIND, 0)
    except BundleRejected:
        held = 0
    if answer["version"] > held:
        apply_body(answer, config, "the catch-up request")


def apply_body(body: dict[str, Any], config: KioskConfig, source: str) -> None:
    """Apply ``{"bundle": "<base64url>"}``; refusals are logged by reason code only."""
    from kiosk.staffcard.wiring import apply_directory_bundle

    text = body.get("bundle")
    try:
        raw = codec.b64u_decode(text) if isinstance(text, str) else b""
        if not raw:
            raise BundleRejected("malformed", "message carries no bundle")
        directory = apply_directory_bundle(raw, config)
    except BundleRejected as exc:
        if exc.code == "replayed":  # e.g. fetched on reconnect, then the message came too
            log.info("staff directory from %s already applied (replayed)", source)
        else:
            log.warning("staff directory from %s refused (%s)", source, exc.code)
        return
    except ValueError:
        log.warning("staff directory from %s refused (not base64url)", source)
        return
    except (KioskError, OSError) as exc:
        log.error("staff directory could not be stored (%s)", type(exc).__name__)
        return
    log.info("staff directory version %d applied (%d cards)", directory.version,
             len(directory.members))
