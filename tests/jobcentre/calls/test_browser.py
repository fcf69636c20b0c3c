"""A counsellor and a guest in a real video call in Debian's Chromium (fake media): both
receive each other's video and audio (getStats), real-time text both ways, screen share
arrives, the guest is removed and told so, the call ends; keyboard only; axe-core on the
console and the guest page; screenshots (de, en) into artifacts/video/."""

from __future__ import annotations

import base64
import io
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page

from tests.jobcentre.calls.conftest import VideoSite, WaitingKiosk, start_video_site
from tests.jobcentre.calls.netns import NetNs
from tests.jobcentre.staff.conftest import ROOT, axe_violations, log_in

SHOTS = ROOT / "artifacts" / "video"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, netns: NetNs) -> Iterator[VideoSite]:
    video = start_video_site(tmp_path_factory.mktemp("video"), {}, netns)
    try:
        yield video
    finally:
        video.server.stop()


def _context(browser: Browser) -> BrowserContext:
    return browser.new_context(viewport={"width": 1280, "height": 900})


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _stats(page: Page, client: str, party: str, test: str, timeout: float = 20) -> dict[str, Any]:
    """Poll the page's getStats until ``test`` (a JS expression over ``s``) holds."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        last = page.evaluate(f"async () => (await window.{client}.stats())['{party}'] || {{}}")
        if last and page.evaluate(f"s => {test}", last):
            return last
        time.sleep(0.3)
    raise AssertionError(f"{client} → {party}: {test} never held, last {last}")


def run_call(browser: Browser, site: VideoSite, lang: str, shots: bool,
             relay: bool = False) -> None:
    """The whole call; ``relay`` additionally checks that media went through TURN."""
    kiosk = WaitingKiosk(site.server, "Foyer links")
    counsellor_ctx, guest_ctx = _context(browser), _context(browser)
    try:
        kiosk.start_call()
        page = counsellor_ctx.new_page()
        log_in(page, site, "clara", lang=lang)  # type: ignore[arg-type]
        page.goto(f"{site.url}/staff/calls?lang={lang}")
        accept = page.locator("#queue button[data-accept]")
        accept.wait_for()
        assert "(uk)" in page.inner_text("#queue") and "Foyer links" in page.inner_text("#queue")
        page.wait_for_function("() => window.consoleClient.ws.readyState === 1")
        if shots:
            assert axe_violations(page) == [], "console (queue)"
            _shot(page, f"console-queue-{lang}")
        accept.focus()
        page.keyboard.press("Enter")
        page.locator("#call").wait_for(state="visible")
        assert kiosk.status()["state"] == "active"
        page.locator("#invite").focus()
        page.keyboard.press("Enter")
        link = page.locator("#invite-link")
        link.wait_for(state="visible")
        guest = guest_ctx.new_page()
        guest.goto(link.inner_text() + f"?lang={lang}")
        guest.locator("#check-start").focus()
        guest.keyboard.press("Enter")
        guest.wait_for_function("() => document.getElementById('mic-level').value > 0",
                                timeout=10000)
        guest.locator("#guest-name").fill("Olena")
        if shots:
            assert axe_violations(guest) == [], "guest page (device check)"
            _shot(guest, f"guest-check-{lang}")
        guest.keyboard.press("Enter")
        guest.locator("#call").wait_for(state="visible")

        # Video and audio both ways between counsellor and guest.
        # Chromium reports the nominated candidate pair a moment after the first frame: with
        # TURN only, wait for it too before looking at which candidates carry the media.
        media = "s.framesDecoded > 0 && s.audioSamples > 0" + (" && s.relay" if relay else "")
        got = _stats(page, "consoleClient", "guest", media)
        back = _stats(guest, "guestClient", "counsellor", media)
        assert got["frameHeight"] and back["frameHeight"]
        if relay:
            assert got["relay"] and back["relay"], (got, back)
        page.wait_for_function("() => document.getElementById('remove-guest').disabled === false")

        # Real-time text: the other side sees the line while it is typed, then sent.
        page.locator("#chat-input").focus()
        page.keyboard.type("Guten Tag, Frau Ol")
        guest.wait_for_function(
            "() => document.getElementById('chat-log').innerText.includes('Guten Tag, Frau Ol')")
        assert guest.locator("#chat-log .typing").count() == 1
        page.keyboard.type("ena")
        page.keyboard.press("Enter")
        guest.wait_for_function("() => document.querySelector('#chat-log .sent') !== null && "
                                "document.querySelector('#chat-log .sent').innerText"
                                ".includes('Guten Tag, Frau Olena')")
        guest.locator("#chat-input").focus()
        guest.keyboard.type("Ich übersetze")
        page.wait_for_function(
            "() => document.getElementById('chat-log').innerText.includes('Olena): Ich übersetze')")
        guest.keyboard.press("Enter")

        # Mute and camera off by keyboard, and back on.
        for button, kind in (("#mute", "Audio"), ("#camera", "Video")):
            page.locator(button).focus()
            page.keyboard.press("Enter")
            track = f"window.consoleClient.local.get{kind}Tracks()[0]"
            page.wait_for_function(f"() => !{track}.enabled")
            assert page.locator(button).get_attribute("aria-pressed") == "true"
            page.keyboard.press("Enter")
            page.wait_for_function(f"() => {track}.enabled")

        # The counsellor's WebSocket drops: the console gets a new ticket, rejoins the call
        # and renegotiates; the guest stays and receives the counsellor again.
        page.evaluate("() => { window.oldPc = window.consoleClient.peers.guest.pc; "
                      "window.consoleClient.ws.close(); }")
        page.wait_for_function("() => window.consoleClient.peers.guest && "
                               "window.consoleClient.peers.guest.pc !== window.oldPc")
        _stats(page, "consoleClient", "guest", "s.framesDecoded > 0 && s.audioSamples > 0")
        _stats(guest, "guestClient", "counsellor", "s.framesDecoded > 0")
        assert kiosk.status()["state"] == "active"

        # Screen share: the guest now receives 16:9 frames instead of the 4:3 camera.
        page.locator("#share").focus()
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.getElementById('share').getAttribute('aria-pressed')"
                               " === 'true'")
        guest.wait_for_function("() => document.getElementById('status').innerText.length > 0 && "
                                "document.getElementById('status').innerText !== "
                                "JSON.parse(document.getElementById('texts').textContent).joined")
        _stats(guest, "guestClient", "counsellor",
               "s.frameHeight > 0 && Math.abs(s.frameWidth / s.frameHeight - 16 / 9) < 0.05")
        if shots:
            assert axe_violations(page) == [], "console (call)"
            assert axe_violations(guest) == [], "guest page (call)"
            _shot(page, f"console-call-{lang}")
            _shot(guest, f"guest-call-{lang}")

        # Remove the guest: the guest page says so.
        page.locator("#remove-guest").focus()
        page.keyboard.press("Enter")
        removed = "entfernt" if lang == "de" else "removed you"
        guest.wait_for_function(
            f"() => document.getElementById('status').innerText.includes('{removed}')")
        assert guest.locator("#call").is_hidden()
        if shots:
            _shot(guest, f"guest-removed-{lang}")

        # End the call: the counsellor is back at the queue, the kiosk's call is over.
        page.locator("#end").focus()
        page.keyboard.press("Enter")
        page.locator("#lobby").wait_for(state="visible")
        status = kiosk.status()
        assert (status["state"], status["ended_reason"]) == ("ended", "ended_by_counsellor")
    finally:
        counsellor_ctx.close()
        guest_ctx.close()
        kiosk.close()


def test_counsellor_and_guest_call_in_german(media_browser: Browser, site: VideoSite) -> None:
    started = time.monotonic()
    run_call(media_browser, site, "de", shots=True)
    assert time.monotonic() - started < 60


def test_counsellor_and_guest_call_in_english(media_browser: Browser, site: VideoSite) -> None:
    run_call(media_browser, site, "en", shots=True)


def test_booked_appointment_code_qr_and_join_from_the_kiosk(
        media_browser: Browser, site: VideoSite) -> None:
    context = _context(media_browser)
    kiosk = WaitingKiosk(site.server, "Raum 3")
    try:
        page = context.new_page()
        log_in(page, site, "clara")  # type: ignore[arg-type]
        page.goto(f"{site.url}/staff/calls")
        soon = datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(minutes=10)
        page.get_by_label("Beginn (Datum und Uhrzeit)").fill(soon.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Thema").select_option("job_search")
        page.get_by_role("textbox", name="Sprache").fill("ar")
        page.get_by_role("button", name="Termin buchen und Code erzeugen").click()
        code = page.locator(".notice .code code").inner_text()
        assert re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}", code)
        qr = page.get_by_role("img", name="QR-Code mit dem Einladungscode")
        png = base64.b64decode(qr.get_attribute("src").split(",", 1)[1])  # type: ignore[union-attr]
        assert Image.open(io.BytesIO(png)).format == "PNG"
        assert "Offen" in page.inner_text("table")
        assert axe_violations(page) == [], "console (appointment booked)"
        _shot(page, "console-booked-de")
        wrong = kiosk.kiosk.call("POST", "/api/v1/calls/join", {"code": "AAAA-BBBB-CCCC"})
        assert (wrong.status_code, wrong.json()["error"]) == (404, "code_unknown")
        joined = kiosk.kiosk.call("POST", "/api/v1/calls/join", {"code": code.lower()})
        assert joined.status_code == 201, joined.text
        body = joined.json()
        assert body["appointment"]["topic"] == "job_search"
        assert (body["position"], body["estimated_wait_s"]) == (1, 0)
        again = kiosk.kiosk.call("POST", "/api/v1/calls/join", {"code": code})
        assert (again.status_code, again.json()["error"]) == (409, "code_used")
        page.locator("#queue li", has_text="Termin").wait_for()
        queue = page.inner_text("#queue")
        assert "Arabisch (ar)" in queue and "Arbeitssuche" in queue
    finally:
        context.close()
        kiosk.close()
