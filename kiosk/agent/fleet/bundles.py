"""The ``fleet.bundle`` live message: verify a signed bundle, route it by kind, report back.

The job centre posts ``{"bundle": "<base64url JCB1>"}`` (``jobcentre/fleet/rollouts.py``).
:class:`BundleRouter` checks it with its own ``BundleVerifier`` (the centre signing key from
enrollment; state file ``<data>/fleet/bundles.json``) and hands it, on one worker thread so the
live channel never waits for a session to end, to the applier of its kind:

* ``site_config`` → :func:`kiosk.agent.fleet.config.apply_site_config`
* ``app_update`` → ``kiosk.updates.apply.apply_update(agent, bundle)`` (imported lazily;
  ``refused`` / ``no_updater`` when this build has none).

An outcome other than ``refused`` is remembered (a resent version is then ``replayed``,
which is ignored quietly: a canary sees the promoted bundle of its version that way). Every
other refusal (``bad_signature``, ``older_version``, ``trust_anchor``, ``invalid``, …) and
every outcome goes to ``POST /api/v1/fleet/bundle-report``; a report that cannot be sent
waits in memory and is sent again every ``REPORT_RETRY_S`` and on the next (re)connect,
when :meth:`BundleRouter.catch_up` also fetches the newest bundle of each kind
(``GET /api/v1/fleet/bundles/{kind}``). ``held_versions()`` (the active config version and
the app update version) is what the heartbeat reports.
"""

from __future__ import annotations

import importlib
import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from foundation.errors import BundleRejected, KioskError
from kiosk.agent.fleet.config import apply_site_config
from kiosk.agent.fleet.outcome import BundleOutcome
from kiosk.delivery.identity import load_identity
from kiosk.delivery.transport import ServerClient, safe_json
from wire import codec, protocol
from wire.bundle import Bundle, BundleVerifier, key_id

if TYPE_CHECKING:
    from kiosk.agent.runner import Agent

log = logging.getLogger(__name__)

MESSAGE_TYPE = "fleet.bundle"
REPORT_PATH = f"{protocol.API_PREFIX}/fleet/bundle-report"
CATCH_UP_PATH = f"{protocol.API_PREFIX}/fleet/bundles"
KINDS = ("site_config", "app_update")
STATE_FILE = "fleet/bundles.json"
#: how often reports the centre could not take are sent again
REPORT_RETRY_S = 5.0
Applier = Callable[["Agent", Bundle], BundleOutcome]


def peek(raw: bytes) -> tuple[str, int]:
    """The kind and version a bundle claims (unverified; for routing and reports)."""
    try:
        body = json.loads(raw).get("bundle", {})
        kind, version = body.get("kind"), body.get("version")
    except (ValueError, AttributeError):
        return "", 0
    return (kind if isinstance(kind, str) else "",
            version if isinstance(version, int) and not isinstance(version, bool) else 0)


def update_applier() -> Applier | None:
    """``kiosk.updates.apply.apply_update`` if this build has it."""
    try:
        module = importlib.import_module("kiosk.updates.apply")
    except ImportError:
        return None
    found = getattr(module, "apply_update", None)
    return found if callable(found) else None


class BundleRouter:
    """Verifies ``fleet.bundle`` messages and applies them one at a time, in order."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.appliers: dict[str, Callable[[], Applier | None]] = {
            "site_config": lambda: apply_site_config, "app_update": update_applier}
        self._queue: queue.Queue[bytes | None] = queue.Queue()
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def verifier(self) -> BundleVerifier:
        """The verifier trusting the centre signing key from enrollment (none before it)."""
        data_dir = self.agent.data_dir
        identity = load_identity(data_dir)
        if identity is None:
            return BundleVerifier(self.agent.config.identity.kiosk_id, {}, data_dir / STATE_FILE)
        centre = identity.centre_signing_public_key
        return BundleVerifier(identity.kiosk_id, {key_id(centre): centre},
                              data_dir / STATE_FILE)

    def held_versions(self) -> dict[str, int]:
        """The newest version applied per kind (for the heartbeat), {} if unknown."""
        try:
            return self.verifier().accepted_versions()
        except BundleRejected:
            return {}

    # -- arrival ---------------------------------------------------------------------------

    def on_message(self, message: dict[str, Any]) -> None:
        """The live handler: queue the bundle for the worker."""
        body = message.get("body")
        text = body.get("bundle") if isinstance(body, dict) else None
        try:
            raw = codec.b64u_decode(text) if isinstance(text, str) else b""
        except ValueError:
            raw = b""
        if not raw:
            log.warning("fleet bundle refused (malformed: no bundle in the message)")
            return
        self.submit(raw)

    def submit(self, raw: bytes) -> None:
        """Queue ``raw`` for verification and application on the worker thread."""
        self._queue.put(raw)

    def start(self) -> None:
        """Start the worker thread."""
        self._thread = threading.Thread(target=self._run, name="fleet-bundles", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker (a bundle waiting for the gate stays unapplied)."""
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            try:
                raw = self._queue.get(timeout=REPORT_RETRY_S)
            except queue.Empty:
                self._retry_reports()
                continue
            if raw is None:
                return
            try:
                self.handle(raw)
            except Exception as exc:  # noqa: BLE001 - one bad bundle must not stop the worker
                log.error("fleet bundle handling failed (%s)", type(exc).__name__)

    def _retry_reports(self) -> None:
        with self._lock:
            if not self._pending:
                return
        try:
            client = self.agent.open_server_client()
        except KioskError:
            return
        try:
            self.flush(client)
        finally:
            client.close()

    # -- verification and routing ------------------------------------------------------------

    def handle(self, raw: bytes) -> BundleOutcome | None:
        """Verify, apply and report one bundle (blocks until applied); None if ignored."""
        kind, version = peek(raw)
        if kind not in KINDS:
            log.warning("fleet bundle refused (wrong_kind)")
            return None
        try:
            verifier = self.verifier()
            bundle = verifier.verify(raw, kind)
        except BundleRejected as exc:
            if exc.code == "replayed":
                log.info("%s version %d already applied (replayed)", kind, version)
                return None
            log.warning("%s version %d refused (%s)", kind, version, exc.code)
            outcome = BundleOutcome("refused", exc.code)
            self.report(kind, version, outcome)
            return outcome
        applier = self.appliers[kind]()
        if applier is None:
            outcome = BundleOutcome("refused", "no_updater")
        else:
            outcome = applier(self.agent, bundle)
        if outcome.state != "refused":
            verifier.remember(bundle)
        self.report(kind, bundle.version, outcome)
        return outcome

    # -- reports and catch-up ----------------------------------------------------------------

    def report(self, kind: str, version: int, outcome: BundleOutcome) -> None:
        """Send a bundle report now, or keep it for the next connection."""
        with self._lock:
            self._pending.append({"kind": kind, "version": version, "state": outcome.state,
                                  "reason": outcome.reason[:300]})
        self._retry_reports()

    def flush(self, client: ServerClient) -> None:
        """Send the reports still waiting; keep them if the centre cannot be reached."""
        with self._lock:
            waiting, self._pending = self._pending, []
        for position, report in enumerate(waiting):
            try:
                response = client.call_json("POST", REPORT_PATH, report)
                sent = response.status_code < 500
            except KioskError:
                sent = False
            if not sent:
                with self._lock:
                    self._pending[:0] = waiting[position:]
                log.info("bundle reports wait for the next connection")
                return

    def catch_up(self, client: ServerClient) -> None:
        """On (re)connect: send waiting reports, fetch the newest bundle of each kind."""
        self.flush(client)
        held = self.held_versions()
        for kind in KINDS:
            try:
                response = client.request("GET", f"{CATCH_UP_PATH}/{kind}")
            except KioskError as exc:
                log.info("fleet bundle catch-up failed (%s)", exc.code)
                return
            if response.status_code == 404:
                continue
            answer = safe_json(response)
            if response.status_code != 200 or not isinstance(answer.get("version"), int):
                log.info("fleet bundle catch-up refused (HTTP %d)", response.status_code)
                continue
            if answer["version"] > held.get(kind, 0) and isinstance(answer.get("bundle"), str):
                self.on_message({"body": {"bundle": answer["bundle"]}})
