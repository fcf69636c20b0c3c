"""After the switch: the new version proves itself, or the kiosk goes back by itself.

Three pieces, each run by a different process:

* ``run_guard(layout)`` runs *before every agent start*, from the known-good code
  (``kiosk supervise`` in its own loop; systemd as ``ExecStartPre=-<root>/previous/bin/kiosk
  update guard``). During a trial it counts the starts; when the new agent has started
  ``MAX_TRIAL_STARTS`` times without confirming, or the trial's deadline passed, it points
  ``current`` back at the old environment and records ``rolled_back`` (``agent_crashed``,
  ``trial_timeout``). This catches a release that cannot even start.
* ``resume_update(agent)`` runs when an agent starts. In the trial's new environment it
  keeps the visitor gate closed, runs ``<env>/bin/kiosk update check`` (``kiosk.updates.
  health``), waits for a UI that ran before the switch to report again, then records
  ``applied`` and opens the gate, or switches back, records ``rolled_back`` with the reason
  (``health_failed:<keys>``, ``ui_not_back``, …) and exits with ``RESTART_EXIT_CODE`` so the
  old version starts again. In any environment it reports a final state the job centre does
  not have yet.
* ``report_state`` sends ``POST /api/v1/fleet/bundle-report`` (kind ``app_update``).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from foundation.errors import KioskError
from kiosk.updates.apply import RESTART_EXIT_CODE
from kiosk.updates.health import check_environment
from kiosk.updates.layout import Layout
from kiosk.updates.state import UpdateState, load_state, save_state
from wire import protocol

if TYPE_CHECKING:
    from kiosk.agent.runner import Agent

log = logging.getLogger(__name__)

MAX_TRIAL_STARTS = 3
REPORT_PATH = f"{protocol.API_PREFIX}/fleet/bundle-report"
REPORT_TRIES = 5


def run_guard(layout: Layout, now: float | None = None) -> UpdateState | None:
    """Before an agent start: roll back a trial whose new agent keeps failing."""
    state = load_state(layout.state_file)
    if state is None or state.state != "trial":
        return state
    now = time.time() if now is None else now
    starts = state.starts + 1
    reason = ""
    if now > state.deadline:
        reason = "trial_timeout"
    elif starts > MAX_TRIAL_STARTS:
        reason = "agent_crashed"
    if not reason:
        state = state.but(starts=starts)
        save_state(layout.state_file, state)
        return state
    return roll_back(layout, state, reason)


def roll_back(layout: Layout, state: UpdateState, reason: str) -> UpdateState:
    """Point ``current`` at the trial's old environment, then record why.

    In this order: a kill between the two leaves the trial recorded with ``current`` not
    at its environment, which ``resume_update`` rolls back again; the other order could
    leave ``rolled_back`` recorded and the broken environment current.
    """
    rolled = state.but(state="rolled_back", reason=reason[:200], reported=False)
    layout.switch_to(state.from_env)
    save_state(layout.state_file, rolled)
    layout.clear_downloads()
    log.warning("app version %s rolled back (%s)", state.app_version, reason)
    return rolled


def resume_update(agent: Agent) -> None:
    """On agent start: confirm a trial running here, and report what the centre lacks."""
    layout = Layout.of_running()
    state = load_state(layout.state_file) if layout else None
    if layout is None or state is None:
        return
    if state.state == "trial" and layout.running_env() != state.to_env:
        state = roll_back(layout, state, state.reason or "switch_interrupted")
    if state.state == "trial":
        agent.gate.close("update")
        target = _confirm
    elif not state.reported:
        target = _report_only
    else:
        return
    threading.Thread(target=target, args=(agent, layout, state), name="update-trial",
                     daemon=True).start()


def _confirm(agent: Agent, layout: Layout, state: UpdateState) -> None:
    reason = _judge(agent, state)
    if reason:
        roll_back(layout, state, reason)
        agent.exit_code = RESTART_EXIT_CODE
        agent.request_stop()
        return
    applied = state.but(state="applied", reason="")
    save_state(layout.state_file, applied)
    layout.clear_downloads()
    agent.gate.open("update")
    log.info("app version %s passed its health check", state.app_version)
    _report_only(agent, layout, applied)


def _judge(agent: Agent, state: UpdateState) -> str:
    """Why the running new version is not healthy ("" when it is)."""
    kiosk = Path(sys.prefix) / "bin" / "kiosk"
    result = check_environment(kiosk, ["--data", str(agent.data_dir)])
    if result.error:
        return result.error
    if result.version != state.app_version:
        return "wrong_version"
    new = sorted(set(result.failed) - set(state.failing_before))
    if new:
        return "health_failed:" + ",".join(new)[:150]
    while state.ui_expected and not agent.gate.ui_present:
        if time.time() > state.deadline or agent.stop_event.is_set():
            return "ui_not_back"
        time.sleep(0.2)
    return ""


def _report_only(agent: Agent, layout: Layout, state: UpdateState) -> None:
    for attempt in range(REPORT_TRIES):
        if report_state(agent, state):
            save_state(layout.state_file, state.but(reported=True))
            return
        if agent.stop_event.wait(2.0 * (attempt + 1)):
            return


def report_state(agent: Agent, state: UpdateState) -> bool:
    """Send the final state to the job centre; True once it answered (not 5xx)."""
    body = {"kind": "app_update", "version": state.bundle_version, "state": state.state,
            "reason": state.reason}
    try:
        client = agent._open_live_client(agent.config.backend.timeout_s)
    except KioskError:
        return False
    try:
        response = client.call_json("POST", REPORT_PATH, body)
    except KioskError:
        return False
    finally:
        client.close()
    if response.status_code >= 400:
        log.info("bundle report answered HTTP %d", response.status_code)
    return response.status_code < 500
