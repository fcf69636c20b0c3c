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
from wire import codec

log = logging.getLogger(__name__)

MESSAGE_TYPE = "staff.directory"


def directory_handler(config: KioskConfig) -> Callable[[dict[str, Any]], None]:
    """The live handler applying ``staff.directory`` messages with ``config``'s store."""

    def on_directory(message: dict[str, Any]) -> None:
        from kiosk.staffcard.wiring import apply_directory_bundle

        body = message.get("body")
        text = body.get("bundle") if isinstance(body, dict) else None
        try:
            raw = codec.b64u_decode(text) if isinstance(text, str) else b""
            if not raw:
                raise BundleRejected("malformed", "message carries no bundle")
            directory = apply_directory_bundle(raw, config)
        except BundleRejected as exc:
            log.warning("staff directory from the live channel refused (%s)", exc.code)
            return
        except ValueError:
            log.warning("staff directory from the live channel refused (not base64url)")
            return
        except (KioskError, OSError) as exc:
            log.error("staff directory could not be stored (%s)", type(exc).__name__)
            return
        log.info("staff directory version %d applied (%d cards)", directory.version,
                 len(directory.members))

    return on_directory
