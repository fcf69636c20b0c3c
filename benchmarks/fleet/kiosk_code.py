"""The agent code each simulated kiosk runs: heartbeat payload, live channel, message routing.

* Heartbeat: the agent's pure ``build_heartbeat(HeartbeatInputs)`` and ``heartbeat_body``
  (``kiosk.agent.fleet.heartbeat``).
* Live channel: the agent's ``LiveClient`` (poll body, answer handling, cursor, dedup of
  message ids), fed by the simulator's async transport through ``poll_body`` and
  ``take_answer``, and routing by type with the agent's own ``route_message``.
* Commands: ``live_handlers`` maps types to handlers as ``Agent.live_handlers`` does; the
  simulator registers what it times (``ops.ping`` probes or signed ``fleet.command``s).

Simulated device states are fixed healthy values except a printer near the end of its
paper on every 50th kiosk, so the service's alert path sees some traffic.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.agent.fleet import heartbeat
from kiosk.agent.live import Dispatch, LiveClient, route_message

HEARTBEAT_PATH: str = heartbeat.PATH

SITES = ("Jobcenter Musterstadt", "Jobcenter Beispielstadt", "Außenstelle Nord",
         "Außenstelle Süd", "Jobcenter Ostkreis")
APP_VERSION = "0.1.0"


def _health(index: int) -> dict[str, dict[str, Any]]:
    paper = "near_end" if index % 50 == 7 else "ok"
    return {
        "disk": {"key": "disk", "ok": True, "required": True},
        "camera": {"key": "camera", "ok": True, "required": True},
        "printer": {"key": "printer", "ok": True, "required": True, "paper": paper},
        "card_reader": {"key": "card_reader", "ok": True, "required": False},
        "audio": {"key": "audio", "ok": True, "required": False},
    }


def heartbeat_payload(index: int, interval_s: float, rng: random.Random,
                      in_session: bool) -> dict[str, Any]:
    """One heartbeat body of simulated kiosk ``index``, built by the agent's code."""
    inputs = heartbeat.HeartbeatInputs(
        site=SITES[index % len(SITES)], app_version=APP_VERSION, interval_s=interval_s,
        now=datetime.now(UTC), health=_health(index),
        outbox_depth=rng.choice((0, 0, 0, 1, 2)), disk_used_percent=40.0 + index % 30,
        disk_free_bytes=20_000_000_000, agent_rss_bytes=90_000_000,
        available_bytes=2_000_000_000, in_session=in_session)
    return dict(heartbeat.heartbeat_body(heartbeat.build_heartbeat(inputs)))


def _no_blocking_client(_timeout_s: float) -> Any:
    raise RuntimeError("the simulator polls through its own async transport")


def live_client(state_dir: Path, handlers: Mapping[str, Dispatch], wait_s: float) -> LiveClient:
    """The agent's live-channel client for one simulated kiosk (cursor kept in ``state_dir``)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    return LiveClient(_no_blocking_client, state_dir,
                      lambda message: route_message(handlers, message), wait_s=wait_s)
