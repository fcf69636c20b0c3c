"""Signed fleet commands in the simulator (``--commands fleet``).

Job-centre side: ``issue`` signs and stores a ``run_doctor`` command with the service's
own ``issue_command`` (``jobcentre.fleet.commands``) and queues it on the live channel as
``fleet.command`` through ``LiveStore``, as a staff action does. Kiosk side: ``SimCommands``
takes each ``fleet.command`` message with the agent's own ``accept`` (signature by the
enrolled centre key, kiosk id, expiry, replay memory) and ``run_command``, and queues the
``delivered`` and ``done`` reports (``wire.fleet_command.result_body``) that the simulated
kiosk then POSTs to ``/api/v1/fleet/command-result``, signed. The command itself runs
against a simulated registry: ``run_doctor`` answers with the simulated devices' states
(a real registry needs a running agent with devices). The time a command takes is from
queueing it to the moment the service acknowledged its ``done`` report.

FleetCmd's modules are imported when first used (``import_module``), so the simulator runs
without them (``--commands ping``, the default until fleetcmd is merged).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

from jobcentre.live_store import LiveStore
from wire.bundle import key_id

MESSAGE_TYPE = "fleet.command"
COMMAND = "run_doctor"


def issue(repo: Any, signing_key: Any, kiosk_id: str) -> str:
    """Sign, store and queue one command for ``kiosk_id``; returns its id."""
    server = import_module("jobcentre.fleet.commands")
    record, body = server.issue_command(server.CommandStore(repo), signing_key, kiosk_id,
                                        COMMAND, {}, urgent=False, issued_by="bench_fleet")
    LiveStore(repo).add(kiosk_id, MESSAGE_TYPE, body, timedelta(minutes=10))
    return str(record.command_id)


def final_states(repo: Any, command_ids: list[str]) -> dict[str, int]:
    """How many of the commands the service has in each state."""
    store = import_module("jobcentre.fleet.commands").CommandStore(repo)
    counts: dict[str, int] = {}
    for command_id in command_ids:
        found = store.get(command_id)
        state = found.state if found is not None else "missing"
        counts[state] = counts.get(state, 0) + 1
    return counts


def _simulated_registry(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    if name != COMMAND or params:
        return {"ok": False, "error": "unknown_op"}
    return {"ok": True, "lines": ["camera: ok", "printer: ok (paper ok)", "disk: ok"]}


class SimCommands:
    """The ``fleet.command`` handling of the simulated kiosks of one process."""

    def __init__(self, centre_public_key: str, state_dir: Path) -> None:
        self.keys = {key_id(centre_public_key): centre_public_key}
        self.state_dir = state_dir

    def handler(self, kiosk_id: str, reports: list[dict[str, Any]]
                ) -> Callable[[dict[str, Any]], None]:
        """The live handler of one kiosk; report bodies go to ``reports`` to be sent."""
        rejected = import_module("foundation.errors").CommandRejected
        agent = import_module("kiosk.agent.fleet.commands")
        wire = import_module("wire.fleet_command")
        seen = import_module("kiosk.agent.fleet.replay").SeenCommands.in_data_dir(
            self.state_dir / kiosk_id)

        def on_command(message: dict[str, Any]) -> None:
            body = message.get("body")
            try:
                command = agent.accept(body, self.keys, kiosk_id, seen)
            except rejected as exc:
                command_id = wire.command_id_of(body)
                if command_id is not None and exc.code != "replayed":
                    reports.append(wire.result_body(command_id, "failed", {"ok": False},
                                                    exc.code))
                return
            reports.append(wire.result_body(command.command_id, "delivered"))
            state, answer, error = agent.run_command(_simulated_registry, command)
            reports.append(wire.result_body(command.command_id, state, answer, error))

        return on_command


def result_path() -> str:
    """``POST`` target of the reports."""
    return str(import_module("wire.fleet_command").RESULT_PATH)
