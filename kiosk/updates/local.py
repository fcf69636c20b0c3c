"""An ``app_update`` bundle handed to the agent on this terminal (``kiosk update apply FILE``).

The normal way is the live channel (``fleet.bundle``, routed by kind to ``apply_update``);
this local path serves a technician with a bundle file. The bundle is checked exactly like a
pushed one (centre signature, addressed to this kiosk, not expired, newer than the last
``app_update`` accepted: the same state file as the fleet router, ``<data>/fleet/bundles.json``),
then applied on a worker thread: the answer comes at once, the switch waits for the visitor
gate. The outcome goes to the log and, when final, to the job centre (``kiosk.updates.trial``).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from foundation.errors import BundleRejected
from kiosk.delivery.identity import load_identity
from wire.bundle import Bundle, BundleVerifier, key_id

if TYPE_CHECKING:
    from kiosk.agent.runner import Agent

log = logging.getLogger(__name__)

KIND = "app_update"
STATE_FILE = "fleet/bundles.json"


def bundle_verifier(agent: Agent) -> BundleVerifier:
    """The verifier trusting the centre signing key from enrollment (none before it)."""
    identity = load_identity(agent.data_dir)
    if identity is None:
        return BundleVerifier(agent.config.identity.kiosk_id, {}, agent.data_dir / STATE_FILE)
    centre = identity.centre_signing_public_key
    return BundleVerifier(identity.kiosk_id, {key_id(centre): centre},
                          agent.data_dir / STATE_FILE)


def start_local_update(agent: Agent, raw: bytes) -> dict[str, Any]:
    """Verify ``raw`` now and apply it on a worker thread; the answer says which."""
    verifier = bundle_verifier(agent)
    try:
        bundle = verifier.verify(raw, KIND)
    except BundleRejected as exc:
        log.warning("local app update refused (%s)", exc.code)
        return {"ok": False, "error": exc.code}
    threading.Thread(target=_apply, args=(agent, verifier, bundle), name="update-apply",
                     daemon=True).start()
    return {"ok": True, "state": "started", "version": bundle.version}


def _apply(agent: Agent, verifier: BundleVerifier, bundle: Bundle) -> None:
    from kiosk.updates.apply import apply_update

    outcome = apply_update(agent, bundle)
    if outcome.state != "refused":
        verifier.remember(bundle)
    log.info("local app update %d: %s %s", bundle.version, outcome.state, outcome.reason)
