"""The service desk in Debian's Chromium: a kiosk's signed help call appears on every open
desk page through server-sent events (no reload), "on my way" reaches the kiosk's live
channel as ``help.ack``, the kiosk can withdraw its call, an unanswered call escalates, every
action is audited, and the page passes axe-core in German and English."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from jobcentre.enrollment import issue_code
from jobcentre.repository import open_repository
from kiosk.agent.help import ACKNOWLEDGED, SENT, HelpCaller
from kiosk.agent.live import LiveBackoff, LiveClient
from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import enroll, load_identity
from kiosk.delivery.outbox import Outbox
from kiosk.delivery.transport import ServerClient
from tests.jobcentre.staff.conftest import StaffSite, axe_violations, log_in, start_site

WAIT_MS = 30_000  # an upper bound for a loaded machine; nothing here measures time
ESCALATE_S = "4"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffSite]:
    """A server whose help calls escalate after a few seconds."""
    staff_site = start_site(tmp_path_factory.mktemp("desk"),
                            ("--help-escalate-after", ESCALATE_S))
    try:
        yield staff_site
    finally:
        staff_site.kiosk.close()
        staff_site.server.stop()


class KioskAgentEnd:
    """The kiosk agent's help-call code (HelpCaller + LiveClient) against the real server."""

    def __init__(self, site: StaffSite, data: Path, name: str) -> None:
        code = issue_code(site.server.data_dir, name)
        enroll(site.url, code, data)
        identity = load_identity(data)
        assert identity is not None
        self.kiosk_id = identity.kiosk_id
        self.outbox = Outbox(data)

        def open_client(timeout: float) -> ServerClient:
            return ServerClient(identity, ClockGuard(self.outbox), timeout)

        self.caller = HelpCaller(open_client, timeout_s=10.0)
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()

        def dispatch(message: dict[str, Any]) -> None:
            if message.get("type") == "help.ack":
                self.caller.on_ack(message)
            self.received.put(message)

        self.live = LiveClient(open_client, data, dispatch, wait_s=5.0,
                               backoff=LiveBackoff(first_s=0.05, max_s=0.5))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.live.run, args=(self.stop,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.outbox.close()


@pytest.fixture
def agent_end(site: StaffSite, tmp_path: Path) -> Iterator[KioskAgentEnd]:
    end = KioskAgentEnd(site, tmp_path / "kiosk", "Foyer 2 – Eingang Nord")
    try:
        yield end
    finally:
        end.close()


def _audit(site: StaffSite) -> list[tuple[str, str, str]]:
    repo = open_repository(site.server.data_dir)
    try:
        return [(e.actor, e.action, e.outcome) for e in repo.list_audit()]
    finally:
        repo.close()


def test_call_shows_on_two_desks_live_and_the_ack_reaches_the_kiosk(
        context: BrowserContext, site: StaffSite, agent_end: KioskAgentEnd) -> None:
    desks = [context.new_page(), context.browser.new_context().new_page()]  # type: ignore[union-attr]
    log_in(desks[0], site, "dora")
    log_in(desks[1], site, "anna")
    for desk in desks:
        desk.goto(f"{site.url}/staff/desk")
        expect(desk.locator("#desk-calls")).to_have_attribute("data-updates", "1",
                                                             timeout=WAIT_MS)
        desk.evaluate("window.__notReloaded = true")
        # no call waits: the empty badge takes no room in the navigation
        assert desk.locator("#desk-badge").evaluate("e => getComputedStyle(e).display") == "none"
    answer = agent_end.caller.call("ar", "capture")
    assert answer["state"] == SENT and answer["call_id"]
    for desk in desks:
        row = desk.locator("#desk-calls tbody tr")
        expect(row).to_have_count(1, timeout=WAIT_MS)
        expect(row).to_contain_text("Foyer 2 – Eingang Nord")
        expect(row).to_contain_text("Arabisch")
        expect(row).to_contain_text("capture")
        expect(desk.locator("#desk-badge")).to_have_text("1 offen")
        assert desk.evaluate("window.__notReloaded") is True  # it came over the event stream
    # Calling again while the call is open does not raise a second one.
    assert agent_end.caller.call("ar", "capture")["call_id"] == answer["call_id"]
    with desks[0].expect_navigation():
        desks[0].get_by_role("button", name="Ich komme zu Foyer 2 – Eingang Nord").click()
    expect(desks[0].locator("[role=status]").first).to_contain_text("Dora ist unterwegs")
    message = agent_end.received.get(timeout=30)
    assert message["type"] == "help.ack"
    assert message["body"] == {"call_id": answer["call_id"], "name": "Dora"}
    status = agent_end.caller.status()
    assert (status["state"], status["name"]) == (ACKNOWLEDGED, "Dora")
    # The other desk sees the call gone without reloading.
    expect(desks[1].locator("#desk-calls tbody tr")).to_have_count(0, timeout=WAIT_MS)
    assert desks[1].evaluate("window.__notReloaded") is True
    actions = _audit(site)
    assert (f"kiosk:{agent_end.kiosk_id}", "help.raise", "ok") in actions
    assert ("dora", "help.ack", "ok") in actions
    desks[1].context.close()


def test_an_unanswered_call_escalates_and_the_kiosk_can_cancel(
        page: Page, site: StaffSite, agent_end: KioskAgentEnd) -> None:
    log_in(page, site, "dora", lang="en")
    page.goto(f"{site.url}/staff/desk?lang=en")
    call = agent_end.caller.call("uk", "identify")
    row = page.locator("#desk-calls tbody tr")
    expect(row).to_contain_text("Ukrainian", timeout=WAIT_MS)
    expect(row).to_contain_text("Escalated", timeout=WAIT_MS)
    expect(page.locator("#desk-status")).to_contain_text("1 of them escalated")
    assert axe_violations(page) == []
    agent_end.caller.cancel()
    expect(row).to_have_count(0, timeout=WAIT_MS)
    assert (f"kiosk:{agent_end.kiosk_id}", "help.cancel", "ok") in _audit(site)
    # A late "on my way" for the withdrawn call is refused and audited, nothing is sent.
    page.goto(f"{site.url}/staff/desk?lang=en")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = page.request.post(f"{site.url}/staff/desk/{call['call_id']}/ack",
                               form={"csrf_token": token or ""})
    assert "already been answered or withdrawn" in answer.text()
    assert ("dora", "help.ack", "failed") in _audit(site)
    assert agent_end.received.empty()


def test_desk_page_is_for_desk_and_admin_only_and_accessible(
        context: BrowserContext, site: StaffSite) -> None:
    page = context.new_page()
    log_in(page, site, "otto")
    assert page.goto(f"{site.url}/staff/desk").status == 403  # type: ignore[union-attr]
    desk = context.browser.new_context().new_page()  # type: ignore[union-attr]
    log_in(desk, site, "dora")
    assert desk.url.endswith("/staff/desk")  # the desk role lands on its page
    site.kiosk.call("POST", "/api/v1/help-calls", {"language": "tr", "step": "choose_task"})
    for lang in ("de", "en"):
        desk.goto(f"{site.url}/staff/desk?lang={lang}")
        expect(desk.locator("#desk-calls tbody tr")).to_have_count(1, timeout=WAIT_MS)
        assert desk.get_attribute("html", "lang") == lang
        desk.get_by_role("button", name="Turn on sound alerts" if lang == "en"
                         else "Ton-Hinweise einschalten").click()
        assert axe_violations(desk) == [], lang
    sound = desk.request.get(f"{site.url}/staff/desk/sounds/alarm.wav")
    assert sound.headers["content-type"] == "audio/wav" and sound.body()[:4] == b"RIFF"
    desk.context.close()


def test_a_helper_at_the_terminal_asks_a_colleague_for_support(
        page: Page, site: StaffSite, agent_end: KioskAgentEnd) -> None:
    """Helper mode's "call a colleague" (step ``staff_support``) is marked as such."""
    log_in(page, site, "dora", lang="en")
    page.goto(f"{site.url}/staff/desk?lang=en")
    agent_end.caller.call("de", "staff_support")
    # other tests' kiosks may still have calls on the shared desk: look for this one's row
    rows = page.locator("#desk-calls tbody tr")
    english = rows.filter(has_text="Staff member at the terminal asks for support")
    expect(english).to_have_count(1, timeout=WAIT_MS)
    assert axe_violations(page) == []
    page.goto(f"{site.url}/staff/desk?lang=de")
    german = rows.filter(has_text="Mitarbeiter/in am Terminal bittet um Unterstützung")
    expect(german).to_have_count(1, timeout=WAIT_MS)
    agent_end.caller.cancel()
    expect(german).to_have_count(0, timeout=WAIT_MS)
