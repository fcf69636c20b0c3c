"""The kiosk app against a counsellor in Chromium (part of ``bench_call.py``).

A network namespace with a veth pair (``tests/jobcentre/calls/netns.py``, needs root) holds
a real intake server and Debian's Chromium; the kiosk is an enrolled agent in this process
and the real kiosk app in a process of its own (``tests.ui.call_app``: Kivy under Xvfb, the
``CallController`` with its aiortc engine, the in-call screen drawing the call). This process,
the server, Chromium and Xvfb are pinned to CPU 1, the kiosk app to CPU 0.

Per run (a fresh kiosk app each time): the visitor walks to the queue by touch, the
counsellor clicks "accept" in the console, and the seconds from that click to the first
remote frame are taken on each side: at the kiosk (decoded by aiortc, and drawn by the
in-call screen) and in the console (``requestVideoFrameCallback`` on the kiosk's track,
``call_stamps.js``). The same browser then makes a bare call to a plain aiortc peer in this
process (offer from the page, answer from aiortc, no server), from the page's
``createOffer`` (its fake camera already open) to the first frame on each side: the
baseline for the ratio.

In the last run the call goes on at 640×480, 20 fps both ways for ``measure_s``: the kiosk
app's CPU by thread group (whole process; the call: every thread but Kivy's main thread
and Mesa's render threads) and glass-to-glass latency with a timestamp overlay both ways
(the kiosk's simulated camera stamps its wall clock, the console reads it from the decoded
frame on a canvas; the console's camera is a canvas stamped by its clock, read by the kiosk
from the frame its screen draws).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from device_drivers.camera import CallVideo, SimulatedCamera
from device_drivers.microphone import SimulatedMicrophone
from kiosk.call.tracks import CameraTrack, MicrophoneTrack
from tests.call.netns_harness import scene
from tests.jobcentre.calls.conftest import MEDIA_FLAGS, VideoSite, start_video_site
from tests.jobcentre.calls.kiosk_end import RealKiosk, host_candidates_only
from tests.jobcentre.calls.netns import NetNs, create, delete
from tests.jobcentre.staff.conftest import log_in
from tests.ui.call_app_process import KioskAppProcess

STAMPS_JS = Path(__file__).with_name("call_stamps.js")
KIOSK_CPU, OTHERS_CPU = 0, 1
BARE_OFFER = """async () => {
  const t0 = Date.now();
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
  const t1 = Date.now();
  const pc = window.__pc = new RTCPeerConnection();
  stream.getTracks().forEach(t => pc.addTrack(t, stream));
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(done => {
    if (pc.iceGatheringState === 'complete') { done(); }
    pc.addEventListener('icegatheringstatechange',
                        () => pc.iceGatheringState === 'complete' && done());
  });
  return {t0, t1, sdp: pc.localDescription.sdp};
}"""
FIRST_FRAME = "() => window.__bench.first.some(e => e.at !== null)"


def p50_p95(values: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan"), float("nan")
    return statistics.median(ordered), ordered[min(len(ordered) - 1,
                                                   round(0.95 * (len(ordered) - 1)))]


class BarePeer:
    """A plain aiortc peer (simulated camera and microphone) on a loop thread of its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                       name="bare-aiortc")
        self.thread.start()
        self.first_frame_at: float | None = None  # epoch seconds
        self.pc: RTCPeerConnection | None = None

    def answer(self, offer: str) -> str:
        """Answer the page's offer; frames are read (and the first one timed) from then on."""
        return asyncio.run_coroutine_threadsafe(self._answer(offer), self.loop).result(30)

    async def _answer(self, offer: str) -> str:
        video = CallVideo(SimulatedCamera([scene()]), 640, 480, 20, stamp_clock=time.time)
        video.open()
        mic = SimulatedMicrophone("speech")
        mic.open()
        pc = self.pc = RTCPeerConnection()
        self.first_frame_at = None

        async def consume(track: Any) -> None:
            with contextlib.suppress(Exception):
                while True:
                    await track.recv()
                    if self.first_frame_at is None and track.kind == "video":
                        self.first_frame_at = time.time()

        pc.on("track", lambda track: asyncio.ensure_future(consume(track)))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        pc.addTrack(MicrophoneTrack(mic))
        pc.addTrack(CameraTrack(video))
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    def close(self) -> None:
        """Close the connection and stop the loop."""
        if self.pc is not None:
            asyncio.run_coroutine_threadsafe(self.pc.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.add_init_script(path=str(STAMPS_JS))
    return context


def bare_call(browser: Browser, site: VideoSite) -> dict[str, float]:
    """Chromium offers to a plain aiortc peer: seconds to the first frame on each side."""
    context, peer = _context(browser), BarePeer()
    try:
        page = context.new_page()
        page.goto(f"{site.url}/staff/login")
        offer = page.evaluate(BARE_OFFER)
        page.evaluate("sdp => window.__pc.setRemoteDescription({type: 'answer', sdp})",
                      peer.answer(offer["sdp"]))
        page.wait_for_function(FIRST_FRAME, timeout=30_000)
        deadline = time.monotonic() + 30
        while peer.first_frame_at is None and time.monotonic() < deadline:
            time.sleep(0.02)
        browser_at = page.evaluate("() => window.__bench.first.find(e => e.at !== null).at")
        assert peer.first_frame_at is not None, "bare call: no frame at the aiortc peer"
        return {"aiortc_s": peer.first_frame_at - offer["t1"] / 1000,
                "browser_s": (browser_at - offer["t1"]) / 1000,
                "camera_s": (offer["t1"] - offer["t0"]) / 1000}
    finally:
        context.close()
        peer.close()


def real_call(browser: Browser, site: VideoSite, kiosk: RealKiosk, netns: NetNs,
              work: Path, measure_s: float, shots: Path | None) -> dict[str, Any]:
    """One call of the kiosk app, accepted in the console; with ``measure_s`` > 0 the
    steady call is measured as well."""
    app = KioskAppProcess(kiosk.agent.data_dir, netns.host_ip, cpu=KIOSK_CPU, shots=shots,
                          log=work / f"kiosk-app-{time.monotonic_ns()}.log")
    context = _context(browser)
    out: dict[str, Any] = {}
    try:
        page = context.new_page()
        log_in(page, site, "clara")  # type: ignore[arg-type]
        page.goto(f"{site.url}/staff/calls")
        app.expect("waiting", 180)
        accept = page.locator("#queue button[data-accept]")
        accept.wait_for(timeout=30_000)
        page.wait_for_function("() => window.consoleClient.ws.readyState === 1")
        clicked_mono, clicked_epoch = time.monotonic(), time.time()
        accept.click()
        shown = app.expect("in_call", 60)
        page.wait_for_function(FIRST_FRAME, timeout=30_000)
        browser_at = page.evaluate("() => window.__bench.first.find(e => e.at !== null).at")
        out.update(offer_at_kiosk_s=shown["offer_at"] - clicked_mono,
                   kiosk_decoded_s=shown["first_video_at"] - clicked_mono,
                   kiosk_drawn_s=shown["first_drawn_at"] - clicked_mono,
                   browser_s=browser_at / 1000 - clicked_epoch)
        if measure_s > 0:
            page.evaluate("() => { window.__bench.latencies = []; }")
            app.send("measure", warmup_s=3.0, measure_s=measure_s)
            measured = app.expect("measured", measure_s + 60)
            measured["browser_latency_ms"] = page.evaluate("() => window.__bench.latencies")
            measured["browser_stats"] = page.evaluate(
                "async () => (await window.consoleClient.stats())['kiosk'] || {}")
            out["measured"] = measured
        app.send("end")
        out["ended"] = app.expect("ended", 60)
    finally:
        context.close()
        out["exit"] = app.close()
    return out


@contextlib.contextmanager
def bench_site() -> Iterator[tuple[VideoSite, RealKiosk, NetNs, Path]]:
    """Namespace, server, enrolled kiosk agent (all on CPU 1)."""
    netns = create(os.getpid())
    original = aioice.ice.get_host_addresses
    aioice.ice.get_host_addresses = host_candidates_only(netns.host_ip)  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory(prefix="bench-call-ui-") as tmp:
            site = start_video_site(Path(tmp) / "site", {}, netns)
            kiosk = RealKiosk(site.server, Path(tmp) / "kiosk", "Foyer links")
            try:
                yield site, kiosk, netns, Path(tmp)
            finally:
                kiosk.close()
                site.server.stop()
    finally:
        aioice.ice.get_host_addresses = original
        delete(netns)


def run_browser_bench(runs: int = 5, measure_s: float = 15.0,
                      shots: Path | None = None) -> dict[str, Any]:
    """``runs`` calls (the last one measured) and as many bare calls; the figures."""
    affinity = os.sched_getaffinity(0)
    if os.cpu_count() and (os.cpu_count() or 0) >= 2:
        os.sched_setaffinity(0, {OTHERS_CPU})  # children (server, Chromium, Xvfb) inherit it
    try:
        with bench_site() as (site, kiosk, netns, work), sync_playwright() as pw:
            wrapper = netns.chromium_wrapper(work)
            browser = pw.chromium.launch(executable_path=str(wrapper), headless=True,
                                         args=MEDIA_FLAGS)
            try:
                bare, real = [], []
                for run in range(runs):
                    bare.append(bare_call(browser, site))
                    real.append(real_call(browser, site, kiosk, netns, work,
                                          measure_s if run == runs - 1 else 0.0, shots))
            finally:
                browser.close()
    finally:
        os.sched_setaffinity(0, affinity)
    return {"bare": bare, "real": real, "load": os.getloadavg()[0]}


def print_browser_bench(result: dict[str, Any]) -> None:
    """The figures, with the bare call beside them."""
    bare, real = result["bare"], result["real"]
    rows = [("kiosk (aiortc decoded)", [r["kiosk_decoded_s"] for r in real],
             [b["aiortc_s"] for b in bare]),
            ("kiosk (drawn on screen)", [r["kiosk_drawn_s"] for r in real], None),
            ("of it: offer at the kiosk", [r["offer_at_kiosk_s"] for r in real], None),
            ("counsellor's Chromium", [r["browser_s"] for r in real],
             [b["browser_s"] for b in bare])]
    camera = statistics.median(b["camera_s"] for b in bare)
    print(f"call setup, accept → first remote frame, kiosk app + console over {len(real)} "
          f"runs (baseline: bare aiortc↔Chromium calls of the same runs, from createOffer; "
          f"their getUserMedia took {camera:.2f} s more):")
    for name, values, baseline in rows:
        p50, p95 = p50_p95(values)
        line = f"  {name:24s} p50 {p50:5.2f} s  p95 {p95:5.2f} s  max {max(values):5.2f} s"
        if baseline:
            b50, b95 = p50_p95(baseline)
            line += f"  | bare p50 {b50:5.2f} s p95 {b95:5.2f} s (ratio p95 {p95 / b95:.1f}×)"
        print(line)
    print("  per run (kiosk decoded / console), s: " + ", ".join(
        f"{r['kiosk_decoded_s']:.2f}/{r['browser_s']:.2f}" for r in real)
        + "; bare: " + ", ".join(f"{b['aiortc_s']:.2f}/{b['browser_s']:.2f}" for b in bare))
    measured = real[-1].get("measured")
    if measured:
        cpu = measured["cpu"]
        stats = measured["browser_stats"]
        print(f"kiosk app CPU in a 1:1 call (in-call screen under Xvfb, kiosk on CPU "
              f"{measured['affinity']}, browsers on the other): call {100 * cpu['call']:.0f} %,"
              f" UI {100 * cpu['ui']:.0f} %, whole process {100 * cpu['process']:.0f} % of "
              f"one core over {measured['wall_s']:.0f} s; kiosk sends "
              f"{measured['sent_fps']:.1f} fps, receives {measured['size'][0]}x"
              f"{measured['size'][1]} {measured['received_fps']:.1f} fps; console receives "
              f"{stats.get('frameWidth')}x{stats.get('frameHeight')} "
              f"{stats.get('fps', float('nan')):.1f} fps")
        print("  busiest kiosk threads: " + ", ".join(
            f"{name} {100 * share:.0f} %" for name, share in measured["threads"]))
        for name, values in (("kiosk → Chromium (canvas)", measured["browser_latency_ms"]),
                             ("Chromium → kiosk (drawn)", measured["latency_ms"])):
            p50, p95 = p50_p95(values)
            print(f"glass-to-glass {name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms over "
                  f"{len(values)} stamped frames")
    print(f"  (load average {result['load']:.1f} on {os.cpu_count()} cores during the runs)")
