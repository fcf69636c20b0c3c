"""An app update end to end: real wheels, real pip, real processes restarted from ``current``.

``kiosk supervise`` (from the installed ``envs/a``) runs the agent with its embedded intake
service; the update set is stored with ``kiosk-server update add`` and signed with the centre
key; a stand-in for the UI reports ``ui_state`` over the agent's socket like the touchscreen
does (and goes quiet for a restart when told to). Nothing here measures speed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from foundation.errors import AgentError
from jobcentre.keys import load_centre_keys
from kiosk.agent.client import AgentClient
from kiosk.updates.layout import Layout
from kiosk.updates.state import UpdateState, load_state
from kiosk.updates.trial import MAX_TRIAL_STARTS
from tests.updates.releases import make_wheel
from wire.bundle import sign_bundle
from wire.update_manifest import parse_pins

UPPER_BOUND_S = 180.0  # against hanging only
RESTART_QUIET_S = 6.0  # longer than the gate's UI_SILENT_S: the UI is gone


def _wait_for(what: str, condition: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + UPPER_BOUND_S
    while not (value := condition()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.2)
    return value


class FakeUi:
    """Reports ``ui_state`` about five times a second, like the touchscreen."""

    def __init__(self, client: AgentClient) -> None:
        self.client = client
        self.in_session = False
        self.answer: dict[str, Any] = {}
        self.restarts = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.2):
            try:
                answer = self.client.call("ui_state", in_session=self.in_session)
            except AgentError:
                continue
            self.answer = answer
            if answer.get("restart"):  # the UI ends and systemd starts it from ``current``
                self.restarts += 1
                self.answer = {}
                self.stop.wait(RESTART_QUIET_S)


def _pid(client: AgentClient) -> int | None:
    try:
        return int(client.call("ping")["pid"])
    except AgentError:
        return None


def _run(*command: str | Path) -> str:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _state(layout: Layout, state: str) -> UpdateState | None:
    found = load_state(layout.state_file)
    return found if found is not None and found.state == state and found.reported else None


def _publish(server_dir: Path, wheels: Path, pins: Path, version: int, out: Path) -> dict[str, Any]:
    """``kiosk-server update add``, then sign the manifest as an ``app_update`` bundle."""
    manifest = json.loads(_run(sys.executable, "-m", "jobcentre.cli", "update", "add", "--data",
                               server_dir, "--wheels", wheels, "--base-pins", pins))
    key = load_centre_keys(server_dir).signing
    out.write_bytes(sign_bundle("app_update", version, manifest, key,
                                issued_at=datetime.now(UTC), valid_for=timedelta(days=1)))
    return manifest


@pytest.fixture()
def supervised(installed: Layout, tmp_path: Path) -> Iterator[tuple[Layout, Path, Path]]:
    data = tmp_path / "data"
    log = tmp_path / "supervise.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(installed.current / "bin" / "kiosk"), "supervise", "--data", str(data),
             "--restart-delay", "0.3"], stdin=subprocess.DEVNULL, stdout=sink,
            stderr=subprocess.STDOUT, cwd=tmp_path)
        try:
            yield installed, data, log
        finally:
            process.terminate()
            process.wait(timeout=60)


def test_an_update_installs_beside_switches_between_sessions_and_failing_ones_roll_back(
        supervised: tuple[Layout, Path, Path], release_wheels: dict[str, Path],
        tmp_path: Path) -> None:
    layout, data, log = supervised
    kiosk = layout.current / "bin" / "kiosk"
    client = AgentClient(data / "agent.sock", timeout_s=10.0)
    first_pid = _wait_for("the agent answers", lambda: _pid(client))
    server_dir = data / "embedded-server"
    pins = tmp_path / "base-pins.txt"
    pins.write_text(_run(kiosk, "update", "base-pins", "--data", data))
    base = parse_pins(pins.read_text())

    # the release: the project, one new dependency, one the base holds in that version
    wheels = tmp_path / "release-0.9.2"
    wheels.mkdir()
    shutil.copy(release_wheels["0.9.2"], wheels)
    make_wheel(wheels, "kiosk-probe-dep", "2.0", "ANSWER = 42\n")
    make_wheel(wheels, "idna", base["idna"])
    bundle = tmp_path / "update-1.bundle"
    manifest = _publish(server_dir, wheels, pins, 1, bundle)
    assert sorted(f["name"] for f in manifest["files"]) == [
        "jobcenter_kiosk-0.9.2-py3-none-any.whl", "kiosk_probe_dep-2.0-py3-none-any.whl"]

    ui = FakeUi(client)
    try:
        ui.in_session = True
        # a file altered on the server is refused before anything installs
        project = next(f for f in manifest["files"] if f["name"].startswith("jobcenter"))
        blob = server_dir / "fleet-updates" / project["sha256"]
        original = blob.read_bytes()
        blob.write_bytes(original[:-16] + b"\0" * 16)
        assert json.loads(_run(kiosk, "update", "apply", bundle, "--data", data))["ok"]
        _wait_for("the tampered wheel is refused",
                  lambda: "app update 0.9.2 refused (hash_mismatch)" in log.read_text())
        assert not (layout.env("b") / "bin" / "kiosk").exists()
        assert not list((layout.root / "downloads" / "0.9.2").glob("jobcenter*"))

        # the same bundle again (a refusal is not remembered), with the file intact
        blob.write_bytes(original)
        assert json.loads(_run(kiosk, "update", "apply", bundle, "--data", data))["ok"]
        _wait_for("the switch waits for the gate", lambda: ui.answer.get("admit") is False)
        assert (layout.env("b") / "bin" / "kiosk").exists()  # installed beside
        time.sleep(2.0)  # the visitor is still in the session: nothing may switch
        assert layout.active() == "a"
        assert _pid(client) == first_pid
        ui.in_session = False  # the visitor leaves

        _wait_for("the update is confirmed", lambda: _state(layout, "applied"))
        assert layout.active() == "b"
        assert ui.restarts >= 1  # the UI was told to restart from the new environment
        second_pid = _wait_for("the new agent answers", lambda: _pid(client))
        assert second_pid != first_pid
        status = json.loads(_run(layout.current / "bin" / "kiosk", "update", "status",
                                 "--data", data))
        assert (status["version"], status["running"]) == ("0.9.2", "b")
        assert _run(layout.current / "bin" / "python", "-I", "-c",
                    "import kiosk_probe_dep; print(kiosk_probe_dep.ANSWER)").strip() == "42"

        # a release whose health check fails is rolled back by the kiosk itself
        broken = tmp_path / "release-0.9.3"
        broken.mkdir()
        shutil.copy(release_wheels["0.9.3"], broken)
        bundle_2 = tmp_path / "update-2.bundle"
        _publish(server_dir, broken, pins, 2, bundle_2)
        assert json.loads(_run(kiosk, "update", "apply", bundle_2, "--data", data))["ok"]
        rolled = _wait_for("the failing update is rolled back and reported",
                           lambda: _state(layout, "rolled_back"))
        assert rolled.app_version == "0.9.3"
        assert rolled.reason == "health_failed:import:kiosk.module_this_release_forgot"
        assert layout.active() == "b"
        _wait_for("the old version answers again", lambda: _pid(client))
        status = json.loads(_run(layout.current / "bin" / "kiosk", "update", "status",
                                 "--data", data))
        assert status["version"] == "0.9.2"

        # a release that cannot even start: the guard, run from the old code before every
        # agent start, switches back after a few failed starts
        dead = tmp_path / "release-0.9.4"
        dead.mkdir()
        shutil.copy(release_wheels["0.9.4"], dead)
        bundle_3 = tmp_path / "update-3.bundle"
        _publish(server_dir, dead, pins, 3, bundle_3)
        assert json.loads(_run(kiosk, "update", "apply", bundle_3, "--data", data))["ok"]
        crashed = _wait_for("the release that cannot start is rolled back",
                            lambda: (found := _state(layout, "rolled_back"))
                            and found.app_version == "0.9.4" and found)
        assert (crashed.reason, crashed.starts) == ("agent_crashed", MAX_TRIAL_STARTS)
        assert layout.active() == "b"
        _wait_for("the old version answers again", lambda: _pid(client))
        assert "this release cannot start" in log.read_text()
    finally:
        ui.stop.set()
