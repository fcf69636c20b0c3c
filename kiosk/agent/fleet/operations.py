"""The agent commands the job centre may send (all ``LOCAL_OR_FLEET``; the socket may use them
too, e.g. a technician's ``kiosk agent-call lock``). Registered in the agent's ``REGISTRY``.

    command          what
    lock             take no visitor, show the out-of-service screen; survives a restart
                     (``<data>/fleet/lock.json``)
    unlock           lift the lock
    restart          the UI exits between visitors with ``UI_RESTART_EXIT_CODE`` and is
                     started again (systemd ``Restart=always``; ``kiosk run`` re-executes
                     itself); the agent keeps running and is not restarted by this command
    wipe             drain the outbox to the job centre first (up to ``drain_timeout_s``) or
                     refuse with ``backend_unreachable``/``outbox_not_empty``; then remove
                     ``WIPE_DIRS`` and empty the log files. Never touches the outbox,
                     identity, staff directory, bundle and fleet state
    print_test_page  the maintenance panel's test receipt on the configured printer
    run_doctor       every ``kiosk doctor`` check as plain lines
    collect_logs     the agent's and the UI's log lines, redacted, size-capped

They run on the visitor gate's thread when they come from the fleet
(``kiosk.agent.fleet.commands``). Answers carry no personal data.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from foundation.files import fsync_dir, write_synced
from kiosk.agent.commands import LOCAL_OR_FLEET, Answer, CommandParams, NoParams, refusal
from kiosk.agent.fleet.logs import collect_logs as collect
from kiosk.agent.operations import REGISTRY
from kiosk.logfiles import FOLDER as LOG_FOLDER
from wire import codec

if TYPE_CHECKING:
    from kiosk.agent.runner import Agent

LOCK_FILE = Path("fleet") / "lock.json"
LOCK_REASON = "lock"
OUT_OF_SERVICE = "out_of_service"
#: removed by ``wipe`` (session scratch, printer output of simulators, caches)
WIPE_DIRS = ("session", "receipts", "printer-sim", "printer", "cache")
DRAIN_POLL_S = 0.2


class RestartParams(CommandParams):
    """What to restart: the UI (between visitors)."""

    target: Literal["ui"] = "ui"


class WipeParams(CommandParams):
    """How long to wait for the outbox to drain before refusing."""

    drain_timeout_s: float = Field(default=60.0, ge=0.0, le=600.0)


class LogParams(CommandParams):
    """How much log to collect."""

    lines: int = Field(default=400, ge=1, le=5000)
    max_bytes: int = Field(default=32_000, ge=1_000, le=48_000)


def is_locked(data_dir: Path) -> bool:
    """Whether the terminal was locked (and not unlocked since)."""
    return (data_dir / LOCK_FILE).is_file()


def restore_lock(agent: Agent) -> None:
    """At start: a terminal locked before the restart stays locked."""
    if is_locked(agent.data_dir):
        agent.gate.close(LOCK_REASON)
        agent.gate.set_overlay(OUT_OF_SERVICE)


@REGISTRY.command("lock", origins=LOCAL_OR_FLEET)
def lock(agent: Agent, params: NoParams) -> Answer:
    """Lock the terminal: no new visitor, the out-of-service screen; kept over restarts."""
    path = agent.data_dir / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    write_synced(tmp, codec.canonical_json({"locked": True, "since": time.time()}),
                 exclusive=False)
    os.replace(tmp, path)
    fsync_dir(path.parent)
    agent.gate.close(LOCK_REASON)
    agent.gate.set_overlay(OUT_OF_SERVICE)
    return {"ok": True, "locked": True}


@REGISTRY.command("unlock", origins=LOCAL_OR_FLEET)
def unlock(agent: Agent, params: NoParams) -> Answer:
    """Lift the lock: the out-of-service screen goes, visitors are welcome again."""
    path = agent.data_dir / LOCK_FILE
    if path.exists():
        path.unlink()
        fsync_dir(path.parent)
    agent.gate.set_overlay(None)
    agent.gate.open(LOCK_REASON)
    return {"ok": True, "locked": False}


@REGISTRY.command("restart", origins=LOCAL_OR_FLEET)
def restart(agent: Agent, params: RestartParams) -> Answer:
    """Restart the UI between visitors (the agent keeps running)."""
    agent.gate.request_restart()
    return {"ok": True, "restart": params.target}


@REGISTRY.command("wipe", origins=LOCAL_OR_FLEET)
def wipe(agent: Agent, params: WipeParams) -> Answer:
    """Drain the outbox, then remove session scratch, printer output, caches and logs."""
    outbox = agent.require_outbox()
    deadline = time.monotonic() + params.drain_timeout_s
    waiting = int(outbox.counts().get("stored", 0))
    while waiting and time.monotonic() < deadline and not agent.stop_event.is_set():
        agent.kick_event.set()
        agent.stop_event.wait(DRAIN_POLL_S)
        waiting = int(outbox.counts().get("stored", 0))
    if waiting:
        code = "backend_unreachable" if agent.backend_state.get("last_error") \
            else "outbox_not_empty"
        return refusal(code, waiting=waiting)
    removed = []
    for name in WIPE_DIRS:
        folder = agent.data_dir / name
        if folder.is_dir():
            shutil.rmtree(folder)
            removed.append(name)
    emptied = 0
    for log in (agent.data_dir / LOG_FOLDER).glob("*.log*"):
        with log.open("r+b") as handle:  # handlers keep the file open: empty it in place
            handle.truncate(0)
        emptied += 1
    return {"ok": True, "removed": removed, "logs_emptied": emptied}


@REGISTRY.command("print_test_page", origins=LOCAL_OR_FLEET)
def print_test_page(agent: Agent, params: NoParams) -> Answer:
    """Print the maintenance test receipt on the configured printer."""
    from device_drivers.printer.factory import make_printer
    from kiosk.delivery.test_page import test_page_layout

    printer = make_printer(agent.config.devices.printer, agent.data_dir / "receipts")
    result = printer.print_layout(test_page_layout(agent.config.identity.kiosk_id,
                                                   datetime.now(UTC)))
    return {"ok": True, "confirmed": result.confirmed, "bytes": result.bytes_sent,
            "note": result.note}


@REGISTRY.command("run_doctor", origins=LOCAL_OR_FLEET)
def run_doctor(agent: Agent, params: NoParams) -> Answer:
    """Every ``kiosk doctor`` check, one plain line each."""
    from kiosk.doctor import run_checks

    report = run_checks(agent.config)
    lines = [f"{'OK' if c.ok else 'FEHLER' if c.required else 'WARNUNG'}: {c.name} – "
             f"{c.detail}" for c in report.checks]
    return {"ok": True, "passed": all(c.passed for c in report.checks), "lines": lines}


@REGISTRY.command("collect_logs", origins=LOCAL_OR_FLEET)
def collect_logs(agent: Agent, params: LogParams) -> Answer:
    """The agent's and the UI's log lines, redacted, newest first kept within the cap."""
    patterns = tuple(f.pattern for f in agent.config.site.customer_number_formats)
    logs = collect(agent.data_dir, params.lines, params.max_bytes, patterns)
    return {"ok": True, "sources": logs.sources, "truncated": logs.truncated,
            "lines": logs.lines}
