"""The rollout pages in Debian's Chromium, keyboard only: a new configuration is checked in
words before it is signed, goes to a named canary, a canary's rolled-back report halts it
(it can then not be promoted), re-issue makes a new version; every operation is audited,
desk staff may not enter, and axe-core finds nothing in German and English."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from jobcentre.repository import open_repository
from tests.jobcentre.staff.conftest import ROOT, StaffSite, axe_violations, log_in

SHOTS = ROOT / "artifacts" / "staff"


def _check(page: Page, name: str, lang: str) -> None:
    assert axe_violations(page) == [], f"{name} ({lang})"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SHOTS / f"{name}-{lang}.png")), full_page=True)


def _audit(site: StaffSite, actor: str) -> list[tuple[str, str]]:
    repo = open_repository(site.server.data_dir)
    try:
        return [(e.action, e.outcome) for e in repo.list_audit(actor=actor)]
    finally:
        repo.close()


def _type_settings(page: Page, label: str, text: str) -> None:
    area = page.get_by_label(label)
    area.focus()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def _submit(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_ops_rolls_out_to_a_named_canary_and_a_rollback_halts_it(page: Page,
                                                                   site: StaffSite) -> None:
    kiosk_id = site.kiosk.kiosk_id
    log_in(page, site, "otto")
    page.goto(f"{site.url}/staff/fleet/rollouts")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Verteilung von Konfiguration und Updates")
    _check(page, "rollouts-empty", "de")
    page.get_by_role("link", name="Neue Konfiguration verteilen").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Problems in words, naming the field; nothing is signed.
    _type_settings(page, "Einstellungen (TOML)",
                   "[session]\ninactivity_timeout_s = 5\n")
    page.get_by_label("Benannte Terminals").check()
    page.get_by_label("Kennungen, durch Komma getrennt").fill(kiosk_id)
    _submit(page, "Signieren und an Pilot-Terminals senden")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("session.inactivity_timeout_s")
    _check(page, "rollout-new-errors", "de")
    _type_settings(page, "Einstellungen (TOML)", '[backend]\nurl = "https://elsewhere.example"\n')
    _submit(page, "Signieren und an Pilot-Terminals senden")
    expect(page.get_by_role("alert")).to_contain_text("backend.url")

    _type_settings(page, "Einstellungen (TOML)",
                   "[session]\ninactivity_timeout_s = 300.0\n")
    _submit(page, "Signieren und an Pilot-Terminals senden")
    expect(page.get_by_role("status")).to_contain_text("Version 1 ist signiert")
    expect(page.locator("tbody tr").first).to_contain_text("Pilotphase")
    _check(page, "rollouts-list", "de")

    # The canary reports that its health check failed after applying: the rollout halts.
    answer = site.kiosk.call("POST", "/api/v1/fleet/bundle-report", {
        "kind": "site_config", "version": 1, "state": "rolled_back",
        "reason": "health_check:camera"})
    assert answer.status_code == 200, answer.text
    page.get_by_role("link", name="Details zu Konfiguration Version 1").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_contain_text("angehalten")
    expect(page.get_by_role("main")).to_contain_text("Selbsttest fehlgeschlagen")
    expect(page.get_by_role("button", name="Für alle Terminals freigeben")).to_have_count(0)
    _check(page, "rollout-halted", "de")
    page.goto(page.url + "?lang=en")
    expect(page.get_by_role("main")).to_contain_text("rolled back (self-test failed)")
    _check(page, "rollout-halted", "en")

    # Going back: the content issued again as version 2, to 100 % (the one kiosk).
    page.get_by_label("Percent (1 to 100)").fill("100")
    _submit(page, "Issue this content again")
    expect(page.get_by_role("status")).to_contain_text("Version 2 is signed")
    _check(page, "rollouts-list", "en")
    page.get_by_role("link", name="Details of Configuration version 2").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _submit(page, "Release to all terminals")
    expect(page.get_by_role("status")).to_contain_text("Version 2 is released")
    expect(page.locator("tbody tr").first).to_contain_text("released to all")
    page.get_by_role("link", name="Details of Configuration version 2").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The kiosk's configuration section (also on the fleet dashboard's kiosk page).
    page.get_by_role("link", name=f"Foyer 1 {kiosk_id}").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    main = page.get_by_role("main")
    expect(main).to_contain_text("No signed configuration applied")
    answer = site.kiosk.call("POST", "/api/v1/fleet/bundle-report", {
        "kind": "site_config", "version": 2, "state": "applied", "reason": ""})
    assert answer.status_code == 200, answer.text
    page.reload()
    expect(main).to_contain_text("Active configuration version: 2")
    expect(main.locator("tbody tr").first).to_contain_text("applied")
    _check(page, "rollout-kiosk", "en")
    page.goto(page.url.split("?")[0] + "?lang=de")
    expect(main).to_contain_text("Aktive Konfigurationsversion: 2")
    _check(page, "rollout-kiosk", "de")

    actions = _audit(site, "otto")
    for action in ("rollout.create", "rollout.reissue", "rollout.promote"):
        assert (action, "ok") in actions
    assert ("rollout.create", "failed") in actions


def test_desk_staff_may_not_open_the_rollouts(page: Page, site: StaffSite) -> None:
    log_in(page, site, "dora")
    response = page.goto(f"{site.url}/staff/fleet/rollouts")
    assert response is not None and response.status == 403


def test_ops_roll_out_a_stored_app_update_to_a_named_canary(page: Page, site: StaffSite,
                                                             tmp_path: Path) -> None:
    """``kiosk-server update add`` stores an update set; the page signs its rollout."""
    from tests.jobcentre.helpers import run_cli
    from tests.updates.releases import make_wheel

    wheels = tmp_path / "wheels"
    make_wheel(wheels, "jobcenter-kiosk", "0.7.0")
    make_wheel(wheels, "newdep", "1.0")
    pins = tmp_path / "base-pins.txt"
    pins.write_text("idna==3.20\n")
    done = run_cli("update", "add", "--data", str(site.server.data_dir), "--wheels", str(wheels),
                   "--base-pins", str(pins))
    assert done.returncode == 0, done.stderr
    log_in(page, site, "otto")
    page.goto(f"{site.url}/staff/fleet/rollouts")
    page.get_by_role("link", name="Neues App-Update verteilen").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    table = page.get_by_role("table", name="Gespeicherte Updates (neueste zuerst)")
    expect(table).to_contain_text("jobcenter_kiosk-0.7.0-py3-none-any.whl")
    expect(page.get_by_label("0.7.0")).to_be_checked()
    _check(page, "rollout-update-new", "de")
    page.get_by_label("Benannte Terminals").check()
    page.get_by_label("Kennungen, durch Komma getrennt").fill("no-such-kiosk")
    _submit(page, "Update signieren und an Pilot-Terminals senden")
    expect(page.get_by_role("alert")).to_contain_text("no-such-kiosk")
    page.get_by_label("Kennungen, durch Komma getrennt").fill(site.kiosk.kiosk_id)
    _submit(page, "Update signieren und an Pilot-Terminals senden")
    expect(page.get_by_role("status")).to_contain_text("Version 1 ist signiert")
    expect(page.locator("tbody tr").first).to_contain_text("App-Update")
    page.goto(f"{site.url}/staff/fleet/rollouts/new-update?lang=en")
    _check(page, "rollout-update-new", "en")
    assert ("rollout.create", "ok") in _audit(site, "otto")
