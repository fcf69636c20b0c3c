"""The ``fleet.command`` live handler: verify a signed command, run it between sessions, report.

A command (``wire.fleet_command``) is taken only if it verifies with the centre signing key
from enrollment (``<data>/identity``), is addressed to this kiosk, is not expired and was
never taken before (``kiosk.agent.fleet.replay``). A refusal is reported as ``failed`` with
its code (``bad_signature``, ``expired``, …) when the command carries an id; a replay is
only logged (the first delivery already reported).

A taken command is reported ``delivered`` at once and then runs through
``REGISTRY.dispatch(..., origin=Origin.FLEET)`` inside ``agent.gate.between_sessions``, so
it never interrupts a visitor:

* ``urgent``: the gate closes at once; the visitor on screen finishes, no new one is taken,
  and the command runs right after;
* otherwise the command waits for the visitor on screen to finish by themselves (the next
  one is still welcome until then) and is then queued on the gate, which closes it for the
  moment the command runs.

Its answer is reported as ``done`` (``{"ok": true, ...}``) or ``failed`` with the answer's
error code. A taken command is kept (fsync'd) in ``<data>/fleet/pending/`` until it has run,
so an agent restarted in between runs it after the restart (:meth:`FleetCommands.resume`;
one that expired meanwhile is reported ``failed``/``expired``). Reports go out in order on
one reporter thread, each retried with backoff for ``REPORT_TRIES`` attempts (every request
has the backend timeout). Each report is kept on disk until the centre has it
(``kiosk.agent.fleet.report_store``), so one the agent could not send before it stopped
(after a ``restart`` command, say) goes out after the next start.

The pieces the fleet simulator reuses are plain functions without threads:
:func:`trusted_keys`, :func:`accept` and :func:`run_command`.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foundation.errors import CommandRejected, KioskError
from foundation.files import fsync_dir, write_synced
from kiosk.agent.commands import Answer, Origin
from kiosk.agent.fleet.replay import SeenCommands
from kiosk.agent.fleet.report_store import ReportStore
from kiosk.delivery.identity import load_identity
from kiosk.delivery.transport import safe_json
from wire import codec
from wire.bundle import key_id
from wire.fleet_command import (
    RESULT_PATH,
    FleetCommand,
    command_id_of,
    result_body,
    verify_command,
)

if TYPE_CHECKING:
    from kiosk.agent.runner import Agent

log = logging.getLogger(__name__)

REPORT_TRIES = 6
#: commands taken but not yet run, one signed body per file (kept over restarts)
PENDING = Path("fleet") / "pending"
REPORT_FIRST_WAIT_S = 1.0
#: how often a non-urgent command looks whether the visitor on screen has finished
SESSION_POLL_S = 0.2

Dispatch = Callable[[str, Mapping[str, Any]], Answer]


def trusted_keys(data_dir: Path) -> dict[str, codec.PublicKeyLike]:
    """The centre key from enrollment by key id (none before enrollment)."""
    identity = load_identity(data_dir)
    if identity is None:
        return {}
    return {key_id(identity.centre_signing_public_key): identity.centre_signing_public_key}


def accept(body: Any, keys: Mapping[str, codec.PublicKeyLike], kiosk_id: str,
           seen: SeenCommands, now: datetime | None = None) -> FleetCommand:
    """A command fit to run now, remembered as taken; ``CommandRejected`` otherwise."""
    now = now or datetime.now(UTC)
    command = verify_command(body, keys, kiosk_id, now)
    if not seen.remember(command.command_id, command.expires_at.timestamp(), now.timestamp()):
        raise CommandRejected("replayed", "this command was taken before")
    return command


def run_command(dispatch: Dispatch, command: FleetCommand) -> tuple[str, Answer, str | None]:
    """Run ``command`` through ``dispatch`` (the registry, fleet origin): state, answer, error."""
    answer = dispatch(command.name, command.params)
    if answer.get("ok"):
        return "done", answer, None
    return "failed", answer, str(answer.get("error") or "internal_error")


class FleetCommands:
    """The agent's handler of ``fleet.command`` messages and its reporter thread."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.seen = SeenCommands.in_data_dir(agent.data_dir)
        self.kept = ReportStore(agent.data_dir)
        self._reports: queue.Queue[tuple[Path | None, dict[str, Any]] | None] = queue.Queue()
        self._reporter: threading.Thread | None = None
        #: (command id, state, error) of every report sent, newest last (for status/tests)
        self.reported: list[tuple[str, str, str | None]] = []

    # -- the live channel ---------------------------------------------------------------

    def on_message(self, message: dict[str, Any]) -> None:
        """Handle one ``fleet.command`` live message (never raises)."""
        body = message.get("body")
        kiosk_id = self._kiosk_id()
        try:
            command = accept(body, trusted_keys(self.agent.data_dir), kiosk_id, self.seen)
        except CommandRejected as exc:
            command_id = command_id_of(body)
            if exc.code == "replayed":
                log.info("fleet command replayed; ignored")
            elif command_id is not None and exc.code != "not_for_this_kiosk":
                log.warning("fleet command refused (%s)", exc.code)
                self.report(result_body(command_id, "failed", {"ok": False}, exc.code))
            else:
                log.warning("fleet command refused (%s), not reported", exc.code)
            return
        log.info("fleet command %s taken (urgent=%s)", command.name, command.urgent)
        self._keep(command.command_id, body)
        self.report(result_body(command.command_id, "delivered"))
        self._start(command)

    def resume(self) -> None:
        """At start: send reports left unsent, run commands taken but not finished."""
        for kept, body in self.kept.unsent():
            self._enqueue(kept, body)
        folder = self.agent.data_dir / PENDING
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                body = json.loads(path.read_bytes())
                command = verify_command(body, trusted_keys(self.agent.data_dir),
                                         self._kiosk_id())
            except (ValueError, CommandRejected) as exc:
                code = getattr(exc, "code", "malformed")
                log.warning("unfinished fleet command dropped (%s)", code)
                command_id = command_id_of(body) if isinstance(body, dict) else None
                if command_id is not None:
                    self.report(result_body(command_id, "failed", {"ok": False}, code))
                path.unlink(missing_ok=True)
                continue
            log.info("unfinished fleet command %s taken up again", command.name)
            self._start(command)

    def _keep(self, command_id: str, body: Any) -> None:
        """Store a taken command until it has run (``resume`` after a restart)."""
        folder = self.agent.data_dir / PENDING
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = folder / f".{command_id}.tmp"
        write_synced(tmp, codec.canonical_json(body), exclusive=False)
        os.replace(tmp, folder / f"{command_id}.json")
        fsync_dir(folder)

    def _start(self, command: FleetCommand) -> None:
        if command.urgent:
            self._queue(command)
        else:
            threading.Thread(target=self._after_session, args=(command,),
                             name=f"fleet-{command.name}", daemon=True).start()

    def _kiosk_id(self) -> str:
        identity = load_identity(self.agent.data_dir)
        return identity.kiosk_id if identity else self.agent.config.identity.kiosk_id

    def _after_session(self, command: FleetCommand) -> None:
        """Wait for the visitor on screen to finish (new ones still welcome), then queue."""
        while self.agent.gate.in_session and not self.agent.stop_event.is_set():
            self.agent.stop_event.wait(SESSION_POLL_S)
        if not self.agent.stop_event.is_set():
            self._queue(command)

    def _queue(self, command: FleetCommand) -> None:
        def work() -> None:
            state, answer, error = run_command(
                lambda name, params: self.agent.dispatch(name, params, origin=Origin.FLEET),
                command)
            log.info("fleet command %s %s%s", command.name, state,
                     f" ({error})" if error else "")
            self.report(result_body(command.command_id, state, answer, error))
            (self.agent.data_dir / PENDING / f"{command.command_id}.json").unlink(
                missing_ok=True)

        self.agent.gate.between_sessions(f"fleet:{command.name}", work, urgent=command.urgent)

    # -- reports ----------------------------------------------------------------------------

    def report(self, body: dict[str, Any]) -> None:
        """Send ``body`` to ``POST /api/v1/fleet/command-result`` (kept, in order, retried)."""
        self._enqueue(self.kept.keep(body), body)

    def _enqueue(self, kept: Path | None, body: dict[str, Any]) -> None:
        if self._reporter is None:
            self._reporter = threading.Thread(target=self._report_loop, name="fleet-reports",
                                              daemon=True)
            self._reporter.start()
        self._reports.put((kept, body))

    def stop(self) -> None:
        """Stop the reporter after what is queued (reports still failing stay on disk)."""
        if self._reporter is not None:
            self._reports.put(None)
            self._reporter.join(timeout=30)

    def _report_loop(self) -> None:
        while True:
            item = self._reports.get()
            if item is None:
                return
            kept, body = item
            if self._send(body):
                self.kept.sent(kept)
            elif not self.agent.stop_event.is_set():
                self._reports.put(item)  # behind the others, so one bad report blocks none

    def _send(self, body: dict[str, Any]) -> bool:
        """Whether the centre has the report now (or refused it for good)."""
        wait = REPORT_FIRST_WAIT_S
        for attempt in range(REPORT_TRIES):
            try:
                client = self.agent.open_server_client(self.agent.config.backend.timeout_s)
                try:
                    response = client.call_json("POST", RESULT_PATH, body)
                finally:
                    client.close()
            except KioskError as exc:
                outcome = exc.code
            else:
                if response.status_code == 200:
                    self.reported.append((body["id"], body["state"], body.get("error")))
                    return True
                outcome = str(safe_json(response).get("error") or response.status_code)
                if 400 <= response.status_code < 500 and response.status_code != 429:
                    log.warning("command report refused (%s)", outcome)
                    return True
            log.info("command report not sent (%s), attempt %d", outcome, attempt + 1)
            if self.agent.stop_event.wait(wait):
                return False
            wait = min(wait * 2, 30.0)
        log.warning("command report not sent after %d attempts; tried again later",
                    REPORT_TRIES)
        return False
