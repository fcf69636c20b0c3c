"""The fleet simulator against a real ``kiosk-server``: polls answered, messages handled once.

Real pieces: ``kiosk-server serve`` on loopback with SQLite, 20 kiosks registered with real
keys and certificates (the benchmark's bulk path), the simulator as its own process running
the agent's live-channel and heartbeat code, and messages queued through the real
``LiveStore`` from this process, before the kiosks connect and while they poll. Nothing here
measures speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from benchmarks.fleet.kiosk_code import HEARTBEAT_PATH
from benchmarks.fleet.service import bulk_enroll, write_keys
from jobcentre.live_store import LiveStore
from jobcentre.repository import open_repository
from tests.jobcentre.helpers import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
KIOSKS = 20
RAMP_S, WINDOW_S, START_DELAY_S = 1.0, 5.0, 3.0
UPPER_BOUND_S = 120  # against hanging only


@pytest.mark.slow
def test_simulated_kiosks_hold_their_polls_and_handle_each_message_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    kiosks = bulk_enroll(data, None, KIOSKS)
    keys = tmp_path / "keys.txt"
    write_keys(keys, kiosks)
    server = ServerProcess(data, None, extra=("--live-max-wait", "1")).start()
    try:
        with httpx.Client(timeout=10) as client:
            routes = client.get(server.url + "/openapi.json").json()["paths"]
        heartbeat_status = 200 if HEARTBEAT_PATH in routes else 404  # 404 until fleethb lands
        repo = open_repository(data)
        store = LiveStore(repo)
        posted = {}
        try:
            for kiosk in kiosks:  # queued before any kiosk is connected
                message = store.add(kiosk.kiosk_id, "ops.ping", {"probe": 1}, timedelta(hours=1))
                posted[message.message_id] = kiosk.kiosk_id
            start_at = time.time() + START_DELAY_S
            out = tmp_path / "sim.json"
            sim = subprocess.Popen([
                sys.executable, str(ROOT / "benchmarks" / "fleet_sim.py"), "--url", server.url,
                "--keys", str(keys), "--state", str(tmp_path / "state"), "--start-at",
                str(start_at), "--ramp", str(RAMP_S), "--seconds", str(WINDOW_S),
                "--interval", "1", "--wait", "1", "--out", str(out)], stdin=subprocess.DEVNULL)
            time.sleep(max(0.0, start_at + RAMP_S + 1.0 - time.time()))
            for kiosk in kiosks:  # queued while the kiosks poll
                message = store.add(kiosk.kiosk_id, "ops.ping", {"probe": 2}, timedelta(hours=1))
                posted[message.message_id] = kiosk.kiosk_id
            assert sim.wait(timeout=UPPER_BOUND_S) == 0
        finally:
            repo.close()
        result = json.loads(out.read_text())
    finally:
        server.stop()

    assert result["kiosks"] == KIOSKS
    poll_errors = {k: v for k, v in result["errors"].items() if k.startswith("poll:")}
    assert poll_errors == {}
    assert set(result["poll_status"]) == {"200"}
    # every poll sent was answered, except the one each kiosk still held open at the end
    assert result["polls_sent"] == result["polls_answered"] + result["open_polls_at_end"]
    assert result["open_polls_at_end"] == KIOSKS
    assert min(result["open_polls"]) == KIOSKS  # all held their poll throughout the window
    handled = {(h["id"], h["kiosk_id"]) for h in result["handled"]}
    assert handled == set(posted.items())  # each message reached its own kiosk …
    assert len(result["handled"]) == len(posted) and result["duplicates"] == 0  # … once
    beats = result["heartbeat_status"]
    assert set(beats) == {str(heartbeat_status)} and beats[str(heartbeat_status)] >= KIOSKS * 3
