"""End to end: two real agents report to ``kiosk-server`` on PostgreSQL; ops sees it in Chromium.

Both kiosks appear online; the printer of one runs out of paper (scripted through the
simulated printer's state file, which the agent's health check reads), the alert shows on the
dashboard and clears when paper is back; the webhook and the SMTP server each receive the
raise and the clear; one agent stops and its kiosk is reported offline. The test asserts the
order of what happens, never how long it takes (``UPPER_BOUND_S`` only stops a hang).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from device_drivers.printer.simulated import write_state
from kiosk.delivery.identity import Identity
from tests.fleet.conftest import OPS_PASSWORD, SITES, Fleet
from tests.jobcentre.helpers import Document, Kiosk, make_pdf, upload
from tests.jobcentre.staff.conftest import add_staff, axe_violations

UPPER_BOUND_S = 90.0


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + UPPER_BOUND_S
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _kinds(fleet: Fleet, kind: str) -> list[tuple[str, str]]:
    return [(e["event"], e["kiosk_id"]) for e in fleet.webhook.received() if e["kind"] == kind]


def _status_cell(page: Page, kiosk_id: str) -> str:
    return page.locator(f'[data-status-for="{kiosk_id}"]').inner_text()


def test_paper_out_alert_shows_clears_and_is_notified_then_offline(fleet: Fleet,
                                                                   ops_page: Page) -> None:
    page = ops_page
    first, second = fleet.kiosk_ids
    page.goto(f"{fleet.url}/staff/fleet")
    _wait_for(lambda: (page.reload() is not None or True)
              and page.locator("[data-status-for]").count() == 2, "both kiosks never appeared")
    for kiosk_id in (first, second):
        expect(page.locator(f'[data-status-for="{kiosk_id}"]')).to_have_text(
            re.compile("In Betrieb"))
    for site in SITES:
        expect(page.get_by_role("heading", name=site)).to_be_visible()
    assert axe_violations(page) == []

    write_state(fleet.agents[0].data_dir / "printer-sim", "out_of_paper")
    # the open page learns it by itself (script polling status.json) and announces it
    expect(page.locator(f'[data-status-for="{first}"]')).to_have_text(
        re.compile("Störung"), timeout=UPPER_BOUND_S * 1000)
    expect(page.locator("#fleet-live")).to_contain_text("Störung")
    assert "In Betrieb" in _status_cell(page, second)
    page.goto(f"{fleet.url}/staff/fleet/alerts")
    expect(page.get_by_role("cell", name="Papier leer")).to_be_visible()
    assert axe_violations(page) == []
    _wait_for(lambda: ("raised", first) in _kinds(fleet, "paper_out"), "no webhook raise")

    write_state(fleet.agents[0].data_dir / "printer-sim", "ok")
    _wait_for(lambda: ("cleared", first) in _kinds(fleet, "paper_out"), "no webhook clear")
    page.goto(f"{fleet.url}/staff/fleet/alerts")
    expect(page.get_by_role("cell", name="Papier leer")).to_have_count(0)
    page.goto(f"{fleet.url}/staff/fleet/kiosks/{first}")
    history = page.get_by_role("table", name=re.compile("Alarme dieses Terminals"))
    expect(history.get_by_role("row")).to_have_count(2)  # header + the one cleared alert
    expect(history).not_to_contain_text("offen")
    assert axe_violations(page) == []

    assert _kinds(fleet, "paper_out") == [("raised", first), ("cleared", first)]
    _wait_for(lambda: len([m for m in fleet.mailbox.mails if "paper_out" in m[0]]) >= 2,
              "the mails never arrived")
    subjects = [m[0] for m in fleet.mailbox.mails if "paper_out" in m[0]]
    assert subjects[0] == f"Flotte Alarm: paper_out an {first} ({SITES[0]})"
    assert subjects[1] == f"Flotte behoben: paper_out an {first} ({SITES[0]})"

    fleet.agents[1].stop()
    _wait_for(lambda: ("raised", second) in _kinds(fleet, "offline"), "offline never raised")
    page.goto(f"{fleet.url}/staff/fleet?status=offline")
    expect(page.locator(f'[data-status-for="{second}"]')).to_have_text(re.compile("Offline"))
    expect(page.locator(f'[data-status-for="{first}"]')).to_have_count(0)


def test_the_list_is_filtered_by_keyboard_alone_and_speaks_english(fleet: Fleet,
                                                                   ops_page: Page) -> None:
    page = ops_page
    first, second = fleet.kiosk_ids
    page.goto(f"{fleet.url}/staff/fleet?lang=en")
    for _ in range(40):  # Tab through the page to the text filter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-q":
            break
    assert page.evaluate("document.activeElement.id") == "f-q"
    page.keyboard.type(first)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("[data-status-for]")).to_have_count(1)
    expect(page.locator(f'[data-status-for="{first}"]')).to_have_text(
        re.compile("Working|Fault"))
    expect(page.get_by_role("heading", name="Fleet: terminal health")).to_be_visible()
    assert second not in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.goto(f"{fleet.url}/staff/fleet?lang=de")


def test_the_fleet_is_not_for_desk_staff(fleet: Fleet, fleet_browser: Browser) -> None:
    add_staff(fleet.server, "dora", "desk", OPS_PASSWORD)
    context = fleet_browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{fleet.url}/staff/login?lang=de")
        page.get_by_label("Benutzername").fill("dora")
        page.get_by_label("Passwort").fill(OPS_PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        for path in ("/staff/fleet", "/staff/fleet/alerts", "/staff/fleet/status.json",
                     f"/staff/fleet/kiosks/{fleet.kiosk_ids[0]}"):
            response = page.goto(f"{fleet.url}{path}")
            assert response is not None and response.status == 403, path
        expect(page.get_by_role("link", name="Flotte")).to_have_count(0)
    finally:
        context.close()


def test_metrics_are_served_on_loopback_in_the_text_format(fleet: Fleet) -> None:
    _wait_for(lambda: 'jobcentre_fleet_kiosks{status="online"}'
              in httpx.get(f"{fleet.url}/metrics", timeout=10).text, "no metrics")
    text = httpx.get(f"{fleet.url}/metrics", timeout=10).text
    for name in ("jobcentre_fleet_alerts_open", "jobcentre_fleet_outbox_depth_total",
                 "jobcentre_upload_latency_seconds_bucket", "jobcentre_fleet_sessions_last_hour"):
        assert f"# TYPE {name.removesuffix('_bucket')}" in text
    forwarded = httpx.get(f"{fleet.url}/metrics", headers={"X-Forwarded-For": "192.0.2.1"},
                          timeout=10)
    assert forwarded.status_code == 404

    kiosk = Kiosk(fleet.server, name="Metrik-Terminal")
    try:
        assert upload(kiosk, Document(kiosk, make_pdf(pages=1), 1)).status_code == 200
    finally:
        kiosk.close()
    text = httpx.get(f"{fleet.url}/metrics", timeout=10).text
    assert "jobcentre_upload_latency_seconds_count 1" in text
    assert 'jobcentre_upload_latency_seconds_bucket{le="+Inf"} 1' in text


def test_the_server_logs_one_json_object_per_line_without_personal_data(fleet: Fleet) -> None:
    lines = fleet.server_log.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    assert entries, "the server logged nothing"
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(e["logger"] == "jobcentre.fleet.alerts" for e in entries)
    text = "\n".join(lines)
    for secret in ("correct horse", "otto", "ops@jobcenter.example"):
        assert secret not in text


def test_a_heartbeat_signed_without_an_agent_is_accepted_and_a_forged_one_refused(
        fleet: Fleet) -> None:
    from datetime import UTC, datetime

    from kiosk.agent.fleet.heartbeat import HeartbeatInputs, build_heartbeat, signed_heartbeat
    from kiosk.delivery.identity import load_identity
    from wire.fleet import HEARTBEAT_PATH

    identity = load_identity(fleet.agents[0].data_dir)
    assert identity is not None
    heartbeat = build_heartbeat(HeartbeatInputs(
        site=SITES[0], app_version="9.9.9", interval_s=30.0, now=datetime.now(UTC),
        health={"printer": {"key": "printer", "ok": True, "paper": "ok"}}))
    body, headers = signed_heartbeat(identity.kiosk_key, identity.kiosk_id, heartbeat)
    with httpx.Client(base_url=fleet.url, timeout=10) as client:
        answer = client.post(HEARTBEAT_PATH, content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"ok": True, "status": "online"}
        body, headers = signed_heartbeat(identity.kiosk_key, identity.kiosk_id, heartbeat)
        forged = body.replace(b"9.9.9", b"6.6.6")
        assert client.post(HEARTBEAT_PATH, content=forged, headers=headers).status_code == 400
        extra = body[:-1] + b',"customer_number":"123A456789"}'
        headers = signed_heartbeat_headers(identity, extra)
        refused = client.post(HEARTBEAT_PATH, content=extra, headers=headers)
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_heartbeat"


def signed_heartbeat_headers(identity: Identity, body: bytes) -> dict[str, str]:
    """Headers signing an arbitrary body as a heartbeat (to send an invalid one)."""
    from wire import protocol
    from wire.fleet import HEARTBEAT_PATH

    return {**protocol.sign_request(identity.kiosk_key, identity.kiosk_id, "POST",
                                    HEARTBEAT_PATH, body), "Content-Type": "application/json"}


def test_a_kiosk_enrolled_but_never_reporting_is_listed_until_its_first_heartbeat(
        fleet: Fleet, ops_page: Page, tmp_path_factory: pytest.TempPathFactory) -> None:
    from datetime import UTC, datetime

    from jobcentre.enrollment import issue_code
    from kiosk.agent.fleet.heartbeat import HeartbeatInputs, build_heartbeat, signed_heartbeat
    from kiosk.delivery.identity import enroll, load_identity
    from wire.fleet import HEARTBEAT_PATH

    data = tmp_path_factory.mktemp("silent-kiosk")
    enroll(fleet.url, issue_code(fleet.server.data_dir, "Flur 3 (neu)",
                                 fleet.server.database_url), data, timeout_s=10)
    identity = load_identity(data)
    assert identity is not None
    page = ops_page
    page.goto(f"{fleet.url}/staff/fleet?lang=de")
    silent = page.get_by_role("table", name=re.compile("ohne Lebenszeichen"))
    expect(silent.get_by_role("link", name="Flur 3 (neu)")).to_be_visible()
    expect(page.locator(f'[data-status-for="{identity.kiosk_id}"]')).to_have_count(0)
    assert axe_violations(page) == []
    page.screenshot(path=str(data / "fleet-silent.png"), full_page=True)

    heartbeat = build_heartbeat(HeartbeatInputs(
        site=SITES[0], app_version="1.0.0", interval_s=30.0, now=datetime.now(UTC),
        health={"printer": {"key": "printer", "ok": True, "paper": "ok"}}))
    body, headers = signed_heartbeat(identity.kiosk_key, identity.kiosk_id, heartbeat)
    with httpx.Client(base_url=fleet.url, timeout=10) as client:
        assert client.post(HEARTBEAT_PATH, content=body, headers=headers).status_code == 200
    page.goto(f"{fleet.url}/staff/fleet?lang=de")
    expect(page.locator(f'[data-status-for="{identity.kiosk_id}"]')).to_have_count(1)
    expect(page.get_by_role("link", name="Flur 3 (neu)")).to_have_count(1)  # in its site now
    expect(page.get_by_role("table", name=re.compile("ohne Lebenszeichen")).get_by_role(
        "link", name="Flur 3 (neu)")).to_have_count(0)  # other tests' kiosks may still be there
