"""The fleet from the operations page, end to end: health, a lock, a staged configuration.

One ``kiosk-server`` on PostgreSQL, two enrolled real agents with simulated devices (0.3 s
heartbeats) and Chromium logged in as ``ops`` (``tests/fleet/conftest.py``). The UI's part
of the visitor gate (``ui_state`` over the agent's unix socket, as ``kiosk run`` sends it) is
played by the test, so it can hold a visitor's session open on purpose. In order:

1. both kiosks appear online;
2. the printer of the first runs out of paper: the alert shows, and clears when paper is back;
3. a lock for the second kiosk, issued while a visitor is in a session there, waits for the
   session to end, then the terminal shows the out-of-service overlay; unlock lifts it;
4. a configuration goes to the first kiosk as a named canary, then to all on promotion;
5. a tampered bundle is refused by the kiosk and the refusal shows on the rollout page.

The update part (install beside, switch between sessions, promotion, rollback on a failed
health check) needs agents that really restart from another environment:
``tests/fleet/test_fleet_update_e2e.py`` runs it the same way (PostgreSQL, two kiosks,
Chromium on the ops pages) with supervised A/B kiosks. The out-of-service screen itself is
rendered by the Kivy app in ``tests/ui/test_fleet_lock.py``.
The test asserts order, never time (``UPPER_BOUND_S`` only stops a hang).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from device_drivers.printer.simulated import write_state
from jobcentre.keys import load_centre_keys
from jobcentre.live_store import LiveStore
from jobcentre.repository import open_repository
from kiosk.agent.client import AgentClient
from kiosk.agent.runner import Agent
from tests.fleet.conftest import Fleet
from tests.jobcentre.staff.conftest import ROOT, axe_violations
from wire import codec
from wire.bundle import sign_bundle

UPPER_BOUND_S = 90.0
SHOTS = ROOT / "artifacts" / "staff"


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + UPPER_BOUND_S
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _status(page: Page, kiosk_id: str) -> Any:
    return page.locator(f'[data-status-for="{kiosk_id}"]')


def _ui(agent: Agent, in_session: bool) -> dict[str, Any]:
    """One ``ui_state`` report over the agent's socket, as the kiosk UI sends it."""
    return AgentClient(agent.socket_path).call("ui_state", in_session=in_session)


def _look(page: Page, name: str) -> None:
    """axe-core finds nothing; a full-page shot in German and English for people to look at."""
    url = page.url.split("?")[0]
    for lang in ("de", "en"):
        page.goto(f"{url}?lang={lang}")
        assert axe_violations(page) == [], f"{name} ({lang})"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{lang}.png"), full_page=True)
    page.goto(f"{url}?lang=de")


def _submit(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _issue(page: Page, fleet: Fleet, kiosk_id: str, command: str) -> None:
    page.goto(f"{fleet.url}/staff/fleet/kiosks/{kiosk_id}")
    page.get_by_label("Befehl", exact=True).select_option(label=command)
    _submit(page, "Befehl senden")


def _commands_table(page: Page) -> Any:
    return page.get_by_role("table", name=re.compile("Befehle"))


def test_ops_see_health_lock_a_kiosk_and_stage_a_configuration(fleet: Fleet,
                                                                ops_page: Page) -> None:
    page = ops_page
    first, second = fleet.kiosk_ids
    agent_1, agent_2 = fleet.agents

    # 1. Both kiosks online.
    page.goto(f"{fleet.url}/staff/fleet")
    _wait_for(lambda: (page.reload() is not None or True)
              and page.locator("[data-status-for]").count() == 2, "both kiosks never appeared")
    for kiosk_id in (first, second):
        expect(_status(page, kiosk_id)).to_have_text(re.compile("In Betrieb"))

    # 2. Paper out on the first: the alert shows, then clears when paper is back.
    write_state(agent_1.data_dir / "printer-sim", "out_of_paper")
    expect(_status(page, first)).to_have_text(re.compile("Störung"),
                                              timeout=UPPER_BOUND_S * 1000)
    expect(_status(page, second)).to_have_text(re.compile("In Betrieb"))
    _look(page, "fleet-dashboard-fault")
    page.goto(f"{fleet.url}/staff/fleet/alerts")
    expect(page.get_by_role("main")).to_contain_text(re.compile("Papier"))
    write_state(agent_1.data_dir / "printer-sim", "ok")
    page.goto(f"{fleet.url}/staff/fleet")
    expect(_status(page, first)).to_have_text(re.compile("In Betrieb"),
                                              timeout=UPPER_BOUND_S * 1000)

    # 3. Lock the second kiosk while a visitor is in a session there.
    assert _ui(agent_2, in_session=True)["admit"]
    _issue(page, fleet, second, "Sperren (Außer-Betrieb-Anzeige)")
    page.goto(f"{fleet.url}/staff/fleet/kiosks/{second}")
    _wait_for(lambda: (page.reload() is not None or True)
              and "wartet auf das Sitzungsende" in _commands_table(page).inner_text(),
              "the command never reached the kiosk")
    for _ in range(5):  # the visitor goes on: nothing interrupts the session
        answer = _ui(agent_2, in_session=True)
        assert answer["overlay"] is None and not answer["restart"]
        time.sleep(0.1)
    _wait_for(lambda: _ui(agent_2, in_session=False)["overlay"] == "out_of_service",
              "the lock never showed after the session ended")
    assert not _ui(agent_2, in_session=False)["admit"]
    page.goto(f"{fleet.url}/staff/fleet/kiosks/{second}")
    _wait_for(lambda: (page.reload() is not None or True) and re.search(
        r"Gesperrt \(Außer-Betrieb-Anzeige\)\s*ja", page.get_by_role("main").inner_text())
        is not None, "the dashboard never showed the lock")
    _wait_for(lambda: (page.reload() is not None or True)
              and "erledigt" in _commands_table(page).inner_text(), "lock never done")
    _look(page, "fleet-kiosk-locked")
    _issue(page, fleet, second, "Entsperren")
    _wait_for(lambda: _ui(agent_2, in_session=False)["overlay"] is None
              and _ui(agent_2, in_session=False)["admit"], "unlock never lifted the lock")

    # 4. A configuration: first to the named canary, then to all.
    page.goto(f"{fleet.url}/staff/fleet/rollouts/new")
    area = page.get_by_label("Einstellungen (TOML)")
    area.fill("[session]\ninactivity_timeout_s = 300.0\n")
    page.get_by_label("Benannte Terminals").check()
    page.get_by_label("Kennungen, durch Komma getrennt").fill(first)
    _submit(page, "Signieren und an Pilot-Terminals senden")
    expect(page.get_by_role("status")).to_contain_text("Version 1 ist signiert")
    _wait_for(lambda: agent_1.config.session.inactivity_timeout_s == 300.0,
              "the canary never applied the configuration")
    assert agent_2.config.session.inactivity_timeout_s != 300.0  # not a canary
    page.get_by_role("link", name="Details zu Konfiguration Version 1").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _submit(page, "Für alle Terminals freigeben")
    _wait_for(lambda: agent_2.config.session.inactivity_timeout_s == 300.0,
              "promotion never reached the second kiosk")
    assert agent_1.config.session.inactivity_timeout_s == 300.0

    # 5. A tampered bundle (the payload changed after signing) is refused and reported.
    signed = sign_bundle("site_config", 2, {"config": {"session": {
        "inactivity_timeout_s": 900.0}}}, load_centre_keys(fleet.server.data_dir).signing,
        issued_at=datetime.now(UTC), valid_for=timedelta(days=1), kiosks=[second])
    tampered = signed.replace(b"900.0", b"600.0")
    assert tampered != signed
    repo = open_repository(fleet.server.data_dir, fleet.server.database_url)
    try:
        LiveStore(repo).add(second, "fleet.bundle", {"bundle": codec.b64u_encode(tampered)},
                            timedelta(minutes=10))
    finally:
        repo.close()
    page.goto(f"{fleet.url}/staff/fleet/rollouts")
    _wait_for(lambda: (page.reload() is not None or True)
              and "bad_signature" in page.get_by_role("main").inner_text(),
              "the tampered bundle's refusal never showed")
    assert agent_2.config.session.inactivity_timeout_s == 300.0  # unchanged
    assert axe_violations(page) == []
