"""Apply a signed ``site_config`` bundle between sessions, check health, roll back by itself.

The bundle's payload is ``{"config": {...}}``: the fleet layer of ``config.loader`` over the
site file. :func:`apply_site_config` (called by the bundle router, ``bundles.py``, on its
worker thread) does, in order:

1. refuse a layer that touches trust anchors or identity (``trust_anchor``, naming the
   setting) or that does not validate with the site file under the same pydantic model
   (``invalid``, naming the field);
2. wait for the visitor gate (``agent.gate.between_sessions``): the next visitor is not
   taken, the one on screen finishes;
3. keep the active layer as the previous one and store the new one (fsync'd,
   ``config.fleet_layer.LayerStore``); **the agent re-reads its configuration in place**
   (``agent.config`` is swapped: device health, commands and the next connections use it;
   the agent process is not restarted); the UI restarts between visitors
   (``agent.gate.request_restart``) if one is running;
4. health check: every device check of ``kiosk/health.py`` that passed under the old
   configuration must pass under the new one, and a UI that was running must report
   ``ui_state`` again within ``UI_RETURN_S``;
5. on failure: restore the previous layer and configuration, restart the UI again and answer
   ``rolled_back`` with the reason (``health_check:camera``, ``ui_not_back``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.fleet_layer import FleetLayer, LayerStore, merge_layer, trust_anchor_problem
from config.model import KioskConfig
from foundation.errors import ConfigError
from kiosk import health
from kiosk.agent.fleet.outcome import BundleOutcome
from wire.bundle import Bundle

if TYPE_CHECKING:
    from kiosk.agent.runner import Agent

log = logging.getLogger(__name__)

#: how long a UI that was running may take to report again after its restart
UI_RETURN_S = 60.0
#: how long the UI may take to pick up the restart request at all
UI_PICKUP_S = 15.0
HealthCheck = Callable[[KioskConfig], Sequence[health.Health]]


def check_health(agent: Agent) -> HealthCheck:
    """The agent's passive device checks (the same ones its health loop runs)."""

    def run(config: KioskConfig) -> Sequence[health.Health]:
        from scanning.samples import sample_photos

        return health.check_devices(config, agent.data_dir / "printer-sim", sample_photos,
                                    passive=True)

    return run


def validate_layer(base: KioskConfig, payload: Any) -> tuple[dict[str, Any], KioskConfig]:
    """The layer and the configuration it makes, or ``ValueError("code: what")``."""
    layer = payload.get("config") if isinstance(payload, dict) else None
    if not isinstance(layer, dict):
        raise ValueError("invalid: the payload has no 'config' table")
    if (where := trust_anchor_problem(layer)) is not None:
        raise ValueError(f"trust_anchor: {where} changes only by re-enrollment")
    try:
        return layer, merge_layer(base, layer)
    except ConfigError as exc:
        fields = [line.strip()[2:].split(":", 1)[0] for line in str(exc).splitlines()[1:]]
        raise ValueError(f"invalid: {', '.join(fields) or str(exc)}") from exc


def apply_site_config(agent: Agent, bundle: Bundle, *,
                      health_check: HealthCheck | None = None,
                      ui_return_s: float = UI_RETURN_S,
                      ui_pickup_s: float = UI_PICKUP_S) -> BundleOutcome:
    """Validate, wait for the gate, apply, check, and roll back on failure (blocks)."""
    try:
        layer, new_config = validate_layer(agent.base_config, bundle.payload)
    except ValueError as exc:
        code, _, what = str(exc).partition(": ")
        log.warning("site configuration %d refused (%s)", bundle.version, code)
        return BundleOutcome("refused", f"{code}: {what}")
    check = health_check or check_health(agent)
    job = agent.gate.between_sessions(
        f"site_config {bundle.version}",
        lambda: _apply(agent, FleetLayer(bundle.version, layer), new_config, check,
                       (ui_pickup_s, ui_return_s)))
    while not agent.gate.wait(job, 1.0):
        if agent.stop_event.is_set():
            return BundleOutcome("refused", "stopped: the agent stopped before applying")
    if job.error is not None:
        return BundleOutcome("refused", f"apply_failed: {type(job.error).__name__}")
    assert isinstance(job.result, BundleOutcome)
    return job.result


def _passed(results: Sequence[health.Health]) -> set[str]:
    return {h.key for h in results if h.passed}


def _apply(agent: Agent, layer: FleetLayer, new_config: KioskConfig,
           check: HealthCheck, ui_limits: tuple[float, float]) -> BundleOutcome:
    """The work on the gate's thread: no visitor is in a session now."""
    old_config = agent.config
    before = _passed(check(old_config))
    store = LayerStore(agent.data_dir)
    old_layer = store.activate(layer)
    agent.config = new_config
    ui = agent.gate.ui_present
    problem = "" if not ui or _restart_ui(agent, *ui_limits) else "ui_not_back"
    if not problem:
        broken = sorted(before - _passed(check(new_config)))
        problem = f"health_check:{','.join(broken)}" if broken else ""
    if not problem:
        log.info("site configuration %d applied", layer.version)
        agent.refresh_health()
        return BundleOutcome("applied")
    log.warning("site configuration %d failed its health check (%s); rolling back",
                layer.version, problem)
    store.restore(old_layer)
    agent.config = old_config
    if ui:
        _restart_ui(agent, *ui_limits)
    agent.refresh_health()
    return BundleOutcome("rolled_back", problem)


def _wait_for_report(agent: Agent, after: float, limit_s: float) -> float | None:
    """The time of the UI's first report later than ``after``, or None within the limit."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and not agent.stop_event.is_set():
        last = agent.gate.last_report_at
        if last is not None and last > after:
            return last
        time.sleep(0.1)
    return None


def _restart_ui(agent: Agent, pickup_s: float, return_s: float) -> bool:
    """Ask the UI to restart and wait until it reports again; False if it does not."""
    gate = agent.gate
    asked = gate.clock()
    gate.request_restart()
    try:
        seen = _wait_for_report(agent, asked, pickup_s)  # it got the restart answer
    finally:
        gate.request_restart(False)
    if seen is None:
        return False
    return _wait_for_report(agent, seen, return_s) is not None


def active_version(data_dir: Path) -> int:
    """The version of the active fleet layer (0 before the first), for the heartbeat."""
    try:
        layer = LayerStore(data_dir).active()
    except ConfigError:
        return 0
    return layer.version if layer is not None else 0
