"""An app update rolled out from the ops page to two real kiosks on PostgreSQL, end to end.

``kiosk-server`` on PostgreSQL; two kiosks, each an A/B layout running 0.9.1 from ``envs/a``
under ``kiosk supervise`` (the agent restarts from ``current`` as systemd would), enrolled in
remote mode with 0.3 s heartbeats; Chromium logged in as ``ops``. A stand-in for each
touchscreen reports ``ui_state`` over the agent's socket (``tests/updates/test_update_flow``).

1. ``kiosk-server update add`` stores 0.9.2; ops sign its rollout to the first kiosk (named
   canary) on the page. The kiosk downloads and installs it beside the running version while
   a visitor is in a session, switches only after the session ended, and runs 0.9.2; the
   dashboard shows 0.9.2 there and 0.9.1 at the other kiosk.
2. Promotion takes the second kiosk to 0.9.2.
3. 0.9.3 fails its health check on the canary: the kiosk rolls back by itself, and the
   rollout halts. The test asserts order, never time (``UPPER_BOUND_S`` only stops a hang).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from jobcentre.enrollment import issue_code
from kiosk.agent.client import AgentClient
from kiosk.delivery.identity import enroll, load_identity
from kiosk.updates.layout import Layout
from kiosk.updates.state import load_state
from tests.fleet.conftest import OPS_PASSWORD
from tests.jobcentre.conftest import new_database, pg_url  # noqa: F401 - the fixture
from tests.jobcentre.helpers import ServerProcess, run_cli
from tests.jobcentre.staff.conftest import add_staff, axe_violations, headless_chromium
from tests.updates.releases import install_first
from tests.updates.test_update_flow import FakeUi, _pid

UPPER_BOUND_S = 240.0


def _wait_for(what: str, condition: Callable[[], Any]) -> Any:
    import time

    deadline = time.monotonic() + UPPER_BOUND_S
    while not (value := condition()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.3)
    return value


@dataclass
class Terminal:
    """One supervised A/B kiosk."""

    layout: Layout
    data: Path
    kiosk_id: str
    client: AgentClient
    process: subprocess.Popen[bytes]
    log: Path

    def version(self) -> str | None:
        state = load_state(self.layout.state_file)
        return None if state is None else f"{state.state}:{state.app_version}"


def _terminal(base: Path, server: ServerProcess, base_venv: Path, wheel: Path, name: str,
              site: str) -> Terminal:
    root = base / name
    layout = install_first(root / "kiosk", base_venv, wheel)
    data = root / "data"
    enroll(server.url, issue_code(server.data_dir, name, server.database_url), data,
           timeout_s=10)
    identity = load_identity(data)
    assert identity is not None
    config = root / "site.toml"
    config.write_text(f'[identity]\nsite = "{site}"\n[backend]\nmode = "remote"\n'
                      f'url = "{server.url}"\nlive_wait_s = 1.0\n[fleet]\nheartbeat_s = 0.3\n')
    log = root / "supervise.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(layout.current / "bin" / "kiosk"), "supervise", "--data", str(data),
             "--config", str(config), "--restart-delay", "0.3"],
            stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, cwd=root)
    return Terminal(layout, data, identity.kiosk_id, AgentClient(data / "agent.sock", 10.0),
                    process, log)


@pytest.fixture()
def fleet_of_two(tmp_path: Path, pg_url: str, base_venv: Path,  # noqa: F811
                 release_wheels: dict[str, Path]) -> Iterator[tuple[ServerProcess,
                                                                    list[Terminal]]]:
    data = tmp_path / "server"
    data.mkdir()
    server = ServerProcess(data, new_database(pg_url), (
        "--fleet-check-every", "0.5", "--fleet-dashboard-poll", "0.5",
        "--kiosk-rate", "50", "--kiosk-burst", "200")).start()
    terminals: list[Terminal] = []
    try:
        add_staff(server, "otto", "ops", OPS_PASSWORD)
        for number, site in enumerate(("Jobcenter Musterstadt", "Außenstelle Nordheim"), 1):
            terminals.append(_terminal(tmp_path, server, base_venv, release_wheels["0.9.1"],
                                       f"Wartebereich {number}", site))
        yield server, terminals
    finally:
        for terminal in terminals:
            terminal.process.terminate()
        for terminal in terminals:
            terminal.process.wait(timeout=60)
        server.stop()


def _store_update(server: ServerProcess, wheels: Path, pins: Path) -> None:
    assert server.database_url is not None
    done = run_cli("update", "add", "--data", str(server.data_dir), "--database",
                   server.database_url, "--wheels", str(wheels), "--base-pins", str(pins))
    assert done.returncode == 0, done.stderr


def _roll_out(page: Page, server: ServerProcess, version: str, canary: str) -> None:
    page.goto(f"{server.url}/staff/fleet/rollouts/new-update")
    page.get_by_label(version, exact=True).check()
    page.get_by_label("Benannte Terminals").check()
    page.get_by_label("Kennungen, durch Komma getrennt").fill(canary)
    with page.expect_navigation():
        page.get_by_role("button", name="Update signieren und an Pilot-Terminals senden").click()
    expect(page.get_by_role("status")).to_contain_text("ist signiert")


def _dashboard_version(page: Page, server: ServerProcess, kiosk_id: str) -> str:
    page.goto(f"{server.url}/staff/fleet/kiosks/{kiosk_id}")
    return page.get_by_role("main").inner_text()


def test_an_update_goes_to_the_canary_between_sessions_then_to_all_and_a_bad_one_rolls_back(
        fleet_of_two: tuple[ServerProcess, list[Terminal]],
        release_wheels: dict[str, Path], tmp_path: Path) -> None:
    server, (first, second) = fleet_of_two
    uis = [FakeUi(t.client) for t in (first, second)]
    try:
        pids = [_wait_for("the agent answers", lambda t=t: _pid(t.client))
                for t in (first, second)]
        pins = tmp_path / "base-pins.txt"
        pins.write_text(subprocess.run(
            [str(first.layout.current / "bin" / "kiosk"), "update", "base-pins", "--data",
             str(first.data)], capture_output=True, text=True, timeout=120, check=True).stdout)
        release = tmp_path / "release-0.9.2"
        release.mkdir()
        shutil.copy(release_wheels["0.9.2"], release)
        _store_update(server, release, pins)

        with headless_chromium() as chromium:
            page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(f"{server.url}/staff/login?lang=de")
            page.get_by_label("Benutzername").fill("otto")
            page.get_by_label("Passwort").fill(OPS_PASSWORD)
            with page.expect_navigation():
                page.keyboard.press("Enter")
            _wait_for("both kiosks report", lambda: all(
                "0.9.1" in _dashboard_version(page, server, t.kiosk_id)
                for t in (first, second)))

            # 1. To the canary, while a visitor is in a session there.
            uis[0].in_session = True
            _roll_out(page, server, "0.9.2", first.kiosk_id)
            _wait_for("installed beside, waiting for the session",
                      lambda: (first.layout.env("b") / "bin" / "kiosk").exists()
                      and uis[0].answer.get("admit") is False)
            assert first.layout.active() == "a" and _pid(first.client) == pids[0]
            uis[0].in_session = False
            _wait_for("the canary runs 0.9.2", lambda: first.version() == "applied:0.9.2")
            assert first.layout.active() == "b"
            _wait_for("the dashboard shows 0.9.2 at the canary",
                      lambda: "0.9.2" in _dashboard_version(page, server, first.kiosk_id))
            assert "0.9.1" in _dashboard_version(page, server, second.kiosk_id)
            assert second.layout.active() == "a"

            # 2. Promotion: the second kiosk follows.
            page.goto(f"{server.url}/staff/fleet/rollouts")
            page.get_by_role("link", name="Details zu App-Update Version 1").click()
            with page.expect_navigation():
                page.get_by_role("button", name="Für alle Terminals freigeben").click()
            _wait_for("the second kiosk runs 0.9.2",
                      lambda: second.version() == "applied:0.9.2")
            _wait_for("the dashboard shows 0.9.2 at the second kiosk",
                      lambda: "0.9.2" in _dashboard_version(page, server, second.kiosk_id))

            # 3. A release whose health check fails: rolled back, the rollout halts.
            broken = tmp_path / "release-0.9.3"
            broken.mkdir()
            shutil.copy(release_wheels["0.9.3"], broken)
            _store_update(server, broken, pins)
            _roll_out(page, server, "0.9.3", first.kiosk_id)
            _wait_for("the canary rolls 0.9.3 back",
                      lambda: first.version() == "rolled_back:0.9.3")
            assert first.layout.active() == "b"
            page.goto(f"{server.url}/staff/fleet/rollouts")
            page.get_by_role("link", name="Details zu App-Update Version 2").click()
            _wait_for("the rollout halts", lambda: (page.reload() is not None or True)
                      and "angehalten" in page.get_by_role("main").inner_text())
            expect(page.get_by_role("button", name="Für alle Terminals freigeben")
                   ).to_have_count(0)
            assert axe_violations(page) == []
            _wait_for("the canary answers again on 0.9.2", lambda: _pid(first.client))
    finally:
        for ui in uis:
            ui.stop.set()
