"""The commands section of a kiosk in Debian's Chromium: ops issue commands (CSRF form,
confirmation for wipe and restart), the signed command waits on the live channel, the
kiosk's reports move it pending → delivered → done; audit; roles; axe-core in de and en."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from jobcentre.fleet.commands import CommandRecord, CommandStore
from jobcentre.live_store import LiveStore
from jobcentre.repository import open_repository
from tests.jobcentre.helpers import Kiosk
from tests.jobcentre.staff.conftest import ROOT, StaffSite, axe_violations, log_in
from wire.bundle import key_id
from wire.fleet_command import MESSAGE_TYPE, RESULT_PATH, result_body, verify_command

SHOTS = ROOT / "artifacts" / "staff"


def _check(page: Page, name: str) -> None:
    assert axe_violations(page) == [], name
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SHOTS / f"{name}.png")), full_page=True)


def _commands(site: StaffSite) -> tuple[list[CommandRecord], list[dict], list[tuple]]:
    repo = open_repository(site.server.data_dir)
    try:
        commands = CommandStore(repo).for_kiosk(site.kiosk.kiosk_id)
        messages = [m.body for m in LiveStore(repo).after(site.kiosk.kiosk_id, 0, 100)
                    if m.type == MESSAGE_TYPE]
        audit = [(e.action, e.target, e.detail) for e in repo.list_audit(actor="otto")]
        return commands, messages, audit
    finally:
        repo.close()


def test_ops_issue_commands_and_see_the_kiosks_answers(page: Page, site: StaffSite) -> None:
    kiosk_id = site.kiosk.kiosk_id
    address = f"{site.url}/staff/fleet/kiosks/{kiosk_id}/commands"
    log_in(page, site, "otto")
    page.goto(address)
    _check(page, "fleet-commands-empty-de")
    page.get_by_label("Befehl", exact=True).select_option("collect_logs")
    page.get_by_label("Dringend", exact=False).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Befehl senden").click()
    assert "Der Befehl wurde gesendet." in page.inner_text("main")
    assert "ausstehend" in page.inner_text("main")
    commands, messages, audit = _commands(site)
    issued = commands[0]
    assert (issued.name, issued.urgent, issued.state, issued.issued_by) == (
        "collect_logs", True, "pending", "otto")
    trusted = {key_id(site.kiosk.centre_signing): site.kiosk.centre_signing}
    assert verify_command(messages[-1], trusted, kiosk_id).command_id == issued.command_id
    entries = [e for e in audit if e[0] == "fleet.command"]
    assert len(entries) == 1 and entries[0][1] == f"kiosk:{kiosk_id}"
    assert f"id={issued.command_id}" in str(entries[0][2])

    # the kiosk reports; another kiosk may not report on it
    other = Kiosk(site.server, name="Foyer 3")
    try:
        refused = other.call("POST", RESULT_PATH, result_body(issued.command_id, "done"))
        assert (refused.status_code, refused.json()["error"]) == (403, "not_your_command")
    finally:
        other.close()
    assert site.kiosk.call("POST", RESULT_PATH,
                           result_body(issued.command_id, "delivered")).status_code == 200
    page.reload()
    assert "wartet auf das Sitzungsende" in page.inner_text("main")
    lines = ["[agent] 2026-11-30T09:00:00 INFO kiosk.agent.runner: agent started"]
    done = site.kiosk.call("POST", RESULT_PATH, result_body(
        issued.command_id, "done", {"ok": True, "sources": ["file:agent"], "lines": lines}))
    assert done.json() == {"id": issued.command_id, "state": "done"}
    page.reload()
    page.get_by_text("Protokollzeilen anzeigen (1)").click()
    assert "agent started" in page.inner_text("main") and "erledigt" in page.inner_text("main")
    _check(page, "fleet-commands-done-de")

    # wipe asks once more; cancelling sends nothing
    page.get_by_label("Befehl", exact=True).select_option("wipe")
    with page.expect_navigation():
        page.get_by_role("button", name="Befehl senden").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Befehl bestätigen"
    _check(page, "fleet-commands-confirm-de")
    assert len(_commands(site)[0]) == 1
    with page.expect_navigation():
        page.get_by_role("button", name="Ja, senden").click()
    commands = _commands(site)[0]
    assert [c.name for c in commands] == ["wipe", "collect_logs"] and not commands[0].urgent

    page.goto(address + "?lang=en")
    assert "pending" in page.inner_text("main") and "done" in page.inner_text("main")
    _check(page, "fleet-commands-en")


def test_who_may_see_and_send_commands(page: Page, site: StaffSite) -> None:
    address = f"{site.url}/staff/fleet/kiosks/{site.kiosk.kiosk_id}/commands"
    log_in(page, site, "clara")  # counsellor: no fleet
    assert page.goto(address).status == 403  # type: ignore[union-attr]
    log_in(page, site, "anna")  # admin: yes
    assert page.goto(address).status == 200  # type: ignore[union-attr]
    assert page.goto(f"{site.url}/staff/fleet/kiosks/no-such-kiosk/commands"
                     ).status == 404  # type: ignore[union-attr]
