"""The agent process: upload loop with backoff, device health, the unix socket, embedded backend.

``Agent.start()`` recovers the outbox, starts the embedded intake service if configured (and
enrolls to it), opens ``<data>/agent.sock`` and starts the upload, health and live-channel
threads; ``Agent.stop()`` undoes it in reverse order. Requests on the socket are dispatched
to the command registry (``kiosk/agent/operations.py``) as ``Origin.LOCAL``; device health
comes from :mod:`kiosk.health`, the same checks ``kiosk doctor`` runs. The live channel from
the job centre (``kiosk/agent/live.py``) hands each message to ``live_handlers`` by type.

The agent is built from the *base* configuration (site file and overrides) and puts the active
signed fleet layer on top itself (``config.fleet_layer.with_active_layer``); a new layer
arriving as a ``fleet.bundle`` swaps ``agent.config`` in place between sessions
(``kiosk/agent/fleet/config.py``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from config.fleet_layer import with_active_layer
from config.model import KioskConfig
from foundation.errors import BackendUnavailable, KioskError
from kiosk import health
from kiosk.agent import calls
from kiosk.agent.commands import Answer, Origin
from kiosk.agent.embedded import EmbeddedBackend
from kiosk.agent.fleet import operations as fleet_operations
from kiosk.agent.fleet.bundles import MESSAGE_TYPE as FLEET_BUNDLE
from kiosk.agent.fleet.bundles import BundleRouter
from kiosk.agent.fleet.commands import FleetCommands
from kiosk.agent.fleet.heartbeat_loop import HeartbeatLoop
from kiosk.agent.help import HelpCaller
from kiosk.agent.live import LiveClient, route_message
from kiosk.agent.operations import REGISTRY
from kiosk.agent.socket_server import SocketServer
from kiosk.agent.staff_directory import MESSAGE_TYPE as STAFF_DIRECTORY
from kiosk.agent.staff_directory import catch_up, directory_handler
from kiosk.agent.visitor_gate import VisitorGate
from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import Identity, load_identity
from kiosk.delivery.outbox import Outbox
from kiosk.delivery.transport import ServerClient
from kiosk.delivery.uploader import Backoff, Uploader
from wire.fleet_command import MESSAGE_TYPE as FLEET_COMMAND

log = logging.getLogger(__name__)

IDLE_S = 30.0
#: how long stopping waits for the live channel's thread before it goes on without it
LIVE_STOP_WAIT_S = 0.5
HEALTH_EVERY_S = 60.0
FIRST_HEALTH_WAIT_S = 1.5


class Agent:
    """Everything the background process does, startable and stoppable from tests."""

    def __init__(self, config: KioskConfig, data_dir: Path, backoff: Backoff | None = None) -> None:
        #: site file + overrides, without the fleet layer (what a new layer is merged over)
        self.base_config = config
        self.config = with_active_layer(config)
        self.data_dir = data_dir
        self.stop_event = threading.Event()
        self.kick_event = threading.Event()
        #: what ``kiosk agent`` exits with (``kiosk.updates.apply.RESTART_EXIT_CODE``: start
        #: again from ``<root>/current`` after an update switched it)
        self.exit_code = 0
        self.backoff = backoff or Backoff()
        self.outbox: Outbox | None = None
        self.embedded: EmbeddedBackend | None = None
        self.socket: SocketServer | None = None
        self._threads: list[threading.Thread] = []
        #: fleet work waits here until no visitor is in a session (kiosk.agent.visitor_gate)
        self.gate = VisitorGate()
        self._health: dict[str, dict[str, Any]] = {}
        self._health_ready = threading.Event()
        self._backend: dict[str, Any] = {"last_error": None, "last_success": None}
        #: what the live channel's messages do, by type; later capabilities add theirs
        self.live_handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "ops.ping": lambda message: log.info("live channel ping received"),
        }
        calls.register(self)  # call.* messages wait for the UI's video call
        self.live: LiveClient | None = None
        #: the fleet heartbeat (kiosk.agent.fleet.heartbeat), every fleet.heartbeat_s
        self.heartbeat = HeartbeatLoop(self, self.stop_event)
        self.help = HelpCaller(self._open_live_client, min(config.backend.timeout_s, 1.5))
        self.live_handlers["help.ack"] = self.help.on_ack
        self.live_handlers[STAFF_DIRECTORY] = directory_handler(config)
        #: signed site configuration and app updates (kiosk/agent/fleet/bundles.py)
        self.bundles = BundleRouter(self)
        self.live_handlers[FLEET_BUNDLE] = self.bundles.on_message
        #: signed remote commands from the job centre (kiosk.agent.fleet.commands)
        self.fleet_commands = FleetCommands(self)
        self.live_handlers[FLEET_COMMAND] = self.fleet_commands.on_message

    @property
    def socket_path(self) -> Path:
        """``<data>/agent.sock``."""
        return self.data_dir / "agent.sock"

    def start(self) -> None:
        """Recover the outbox, start the backend (embedded), the socket and the upload loop."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.outbox = Outbox(self.data_dir)
        self.outbox.recover()
        if self.config.backend.mode == "embedded":
            self.embedded = EmbeddedBackend(self.data_dir)
            self.embedded.start()
            self.embedded.ensure_enrolled(
                self.config.identity.kiosk_id, self.config.backend.timeout_s
            )
        self.socket = SocketServer(self.socket_path, self.handle)
        self.socket.start()
        fleet_operations.restore_lock(self)  # a locked terminal stays locked
        self.gate.start()
        self.bundles.start()
        self._resume_update()
        self.fleet_commands.resume()  # commands taken before a restart run now
        self.live = LiveClient(self._open_live_client, self.data_dir, self._on_live_message,
                               wait_s=self.config.backend.live_wait_s,
                               on_connect=self._on_connect)
        loops = ((self._upload_loop, "uploader"), (self._health_loop, "health"),
                 (lambda: self.live.run(self.stop_event) if self.live else None, "live"),
                 (self.heartbeat.run, "heartbeat"))
        for target, name in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("agent started")

    def _resume_update(self) -> None:
        """Confirm or roll back an app update that switched before this start."""
        from kiosk.updates.trial import resume_update

        try:
            resume_update(self)
        except (KioskError, OSError) as exc:  # an update's bookkeeping never stops the agent
            log.error("app update state could not be resumed (%s)", type(exc).__name__)

    def request_stop(self) -> None:
        """Ask every loop to finish (safe from a signal handler)."""
        self.stop_event.set()
        self.kick_event.set()

    def stop(self) -> None:
        """Stop everything and close the outbox."""
        self.request_stop()
        for thread in self._threads:
            # a long poll in flight is not waited for (it may hold for live_wait_s)
            thread.join(timeout=LIVE_STOP_WAIT_S if thread.name == "live" else 30)
        self.gate.stop()
        self.bundles.stop()
        self.fleet_commands.stop()
        if self.socket is not None:
            self.socket.stop()
        if self.embedded is not None:
            self.embedded.stop()
        if self.outbox is not None:
            self.outbox.close()
        log.info("agent stopped")

    # --- live channel ---------------------------------------------------------------

    def open_server_client(self, timeout_s: float | None = None) -> ServerClient:
        """A signed client to the enrolled (or embedded) job centre; the caller closes it.

        ``timeout_s`` defaults to the configured backend timeout; KioskError if not enrolled.
        """
        return self._open_live_client(timeout_s if timeout_s is not None
                                      else self.config.backend.timeout_s)

    def _open_live_client(self, timeout_s: float) -> ServerClient:
        return self.open_client(timeout_s)

    def open_client(self, timeout_s: float) -> ServerClient:
        """A signing client for this kiosk's intake service (BackendUnavailable if not enrolled)."""
        identity = self._identity()
        if identity is None or self.outbox is None:
            raise BackendUnavailable("not enrolled yet", code="not_enrolled")
        return ServerClient(identity, ClockGuard(self.outbox), timeout_s)

    def _on_connect(self, client: ServerClient) -> None:
        catch_up(client, self.config)
        self.bundles.catch_up(client)


    def _on_live_message(self, message: dict[str, Any]) -> None:
        route_message(self.live_handlers, message)

    # --- upload loop ----------------------------------------------------------------

    def _identity(self) -> Identity | None:
        identity = load_identity(self.data_dir)
        if identity is not None and self.embedded is not None:
            identity = replace(identity, server_url=self.embedded.url)
        return identity

    def _upload_loop(self) -> None:
        assert self.outbox is not None
        client: ServerClient | None = None
        clock = ClockGuard(self.outbox)
        try:
            while not self.stop_event.is_set():
                self.kick_event.clear()
                delay = IDLE_S
                identity = self._identity()
                if identity is None:
                    self._backend["last_error"] = "not_enrolled"
                    delay = self.backoff.next_delay()
                else:
                    if client is None or _key(client.identity) != _key(identity):
                        if client is not None:
                            client.close()
                        client = ServerClient(identity, clock, self.config.backend.timeout_s)
                    delay = self._sync_once(Uploader(self.outbox, client))
                self.kick_event.wait(delay)
        finally:
            if client is not None:
                client.close()

    def _sync_once(self, uploader: Uploader) -> float:
        try:
            result = uploader.sync(self.stop_event)
            uploader.outbox.purge_receipts()
        except KioskError as exc:  # storage trouble: keep the loop alive, retry later
            log.error("upload pass failed: %s", exc.code)
            self._backend["last_error"] = exc.code
            return self.backoff.next_delay()
        if result.error and result.error != "stopped":
            self._backend["last_error"] = result.error
            delay = self.backoff.next_delay()
            log.info("upload paused (%s); retry in %.1f s", result.error, delay)
            return delay
        self._backend.update(last_error=None, last_success=time.time())
        self.backoff.reset()
        return IDLE_S

    # --- health ---------------------------------------------------------------------

    def check_health(self) -> None:
        """Run the device checks of :mod:`kiosk.health` once and keep the results."""
        from scanning.samples import sample_photos

        results = health.check_devices(self.config, self.data_dir / "printer-sim", sample_photos,
                                       passive=True)
        self._health = {r.key: asdict(r) for r in results}
        self._health_ready.set()

    def refresh_health(self) -> None:
        """Re-run the device checks now (after the configuration changed)."""
        try:
            self.check_health()
        except Exception as exc:  # noqa: BLE001 - health is a report, never a crash
            log.error("health check failed (%s)", type(exc).__name__)

    def health_report(self) -> dict[str, dict[str, Any]]:
        """The latest device health by key (waits briefly for the first pass after start)."""
        self._health_ready.wait(FIRST_HEALTH_WAIT_S)
        return self._health

    def _health_loop(self) -> None:
        while not self.stop_event.is_set():
            self.check_health()
            self.stop_event.wait(HEALTH_EVERY_S)

    # --- commands -------------------------------------------------------------------

    @property
    def backend_state(self) -> dict[str, Any]:
        """Last upload error and last success (set by the upload loop)."""
        return dict(self._backend)

    def require_outbox(self) -> Outbox:
        """The open outbox; commands only arrive after :meth:`start`."""
        if self.outbox is None:
            raise RuntimeError("the agent is not started")
        return self.outbox

    def dispatch(self, name: str, params: Mapping[str, Any], *,
                 origin: Origin = Origin.LOCAL) -> Answer:
        """Run one registered command for ``origin`` (errors come back as answers)."""
        return REGISTRY.dispatch(self, name, params, origin=origin)

    def handle(self, request: dict[str, Any]) -> Answer:
        """Answer one socket request ``{"op": name, **params}`` (always local origin)."""
        params = {k: v for k, v in request.items() if k != "op"}
        return self.dispatch(str(request["op"]), params, origin=Origin.LOCAL)


def _key(identity: Identity) -> tuple[str, str, str]:
    """What makes a connection reusable (key objects do not compare by value)."""
    return identity.kiosk_id, identity.server_url, str(identity.certificate.get("sig"))

