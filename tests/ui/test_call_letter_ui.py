""""Show me the letter" in the real app during a real call (issue #13): the counsellor asks
for a document in the console (Chromium), the kiosk app (Kivy, the real call code) opens the
capture steps inside the call, the visitor's page is checked and shown in the call, and the
page appears in the console, while the counsellor's video keeps arriving; the capture steps
say that the call goes on and what the counsellor asked for. Every step is shot
in German and Arabic at 100 % and 200 % text, with nothing clipped and nothing left in German
on the Arabic screens. Needs root for the network namespace (skips otherwise)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from accessibility.i18n import translate
from tests.jobcentre.calls.conftest import MEDIA_FLAGS, start_video_site
from tests.jobcentre.calls.kiosk_end import RealKiosk
from tests.jobcentre.calls.netns import NetNs, private_netns
from tests.jobcentre.staff.conftest import log_in
from tests.ui.call_app_process import KioskAppProcess
from tests.ui.conftest import ARTIFACTS

pytestmark = [pytest.mark.ui, pytest.mark.slow]

SHOTS = ARTIFACTS / "call_letter"
BIDI_MARKS = re.compile("[\u200e\u200f\u2066-\u2069]")


@pytest.fixture(scope="module")
def netns() -> Iterator[NetNs]:
    """This module's own namespace: the calls tests' session one belongs to their package."""
    with private_netns("u") as created:
        yield created


@pytest.fixture
def console(netns: NetNs, tmp_path: Path) -> Iterator[tuple[Page, RealKiosk]]:
    """A server in the namespace, an enrolled kiosk agent and the counsellor's console."""
    site = start_video_site(tmp_path / "site", {}, netns)
    kiosk = RealKiosk(site.server, tmp_path / "kiosk", "Foyer links")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(netns.chromium_wrapper(tmp_path)), headless=True,
                args=MEDIA_FLAGS)
            try:
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                log_in(page, site, "clara")  # type: ignore[arg-type]
                page.goto(f"{site.url}/staff/calls")
                yield page, kiosk
            finally:
                browser.close()
    finally:
        kiosk.close()
        site.server.stop()


def test_capture_steps_open_inside_the_call_and_the_page_reaches_the_console(
        console: tuple[Page, RealKiosk], netns: NetNs, tmp_path: Path) -> None:
    page, kiosk = console
    app = KioskAppProcess(kiosk.agent.data_dir, netns.host_ip, shots=SHOTS,
                          log=tmp_path / "kiosk-app.log")
    try:
        app.expect("waiting", 180)
        page.locator("#queue button[data-accept]").click()
        app.expect("in_call", 60)
        app.send("letter")
        page.locator("#request-item").fill("Bescheid")
        page.locator("#request-form button[type=submit]").click()
        seen = app.expect("letter", 300)
        page.wait_for_function("() => { const img = document.getElementById('doc-page'); "
                               "return img.src && img.complete && img.naturalWidth > 0; }",
                               timeout=30_000)
        app.send("end")
        ended = app.expect("ended", 60)
    finally:
        code = app.close()
    assert code == 0, (tmp_path / "kiosk-app.log").read_text()[-3000:]
    assert seen["request"]["requested_item"] == "Bescheid"
    assert seen["screens"] == ["capture", "documents", "in_call"]
    assert seen["phases"] == ["in_call"] and seen["in_call"]  # the call went on throughout
    assert seen["frames_during_capture"] > 20  # the counsellor's video kept arriving
    assert seen["accepted"]
    assert seen["problems"] == {}
    texts = seen["texts"]
    note = "You are still in the video call. Your counsellor asked for: {item}"
    for lang in ("de", "ar"):
        for size in (100, 200):
            shown = BIDI_MARKS.sub("", texts[f"in_call-documents-{lang}-{size}"]["next"])
            assert shown == translate(lang, "Show it in the call"), (lang, size)
            for step in ("capture-live", "capture-verdict", "documents"):
                said = BIDI_MARKS.sub("", texts[f"in_call-{step}-{lang}-{size}"]["call_note"])
                assert said == translate(lang, note, item="Bescheid"), (step, lang, size)
    assert texts["in_call-documents-ar-100"]["next"] != texts["in_call-documents-de-100"]["next"]
    for key in texts:
        assert (SHOTS / f"{key}.png").is_file()
    assert ended["reason"] == "hangup"
