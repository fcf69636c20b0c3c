"""Two aiortc parties in two network namespaces joined by a veth pair, for call tests.

aioice never offers loopback candidates, and two addresses in one namespace talk over
loopback anyway, so a real cut needs two namespaces: ``run_scenario`` starts
``unshare -n python -m tests.call.netns_harness kiosk ...`` (namespace A: the kiosk's
``CallEngine`` answering, 10.77.0.1), which starts the far side the same way (namespace
B: an offering engine in the counsellor's place, 10.77.0.2) and moves the veth's other
end into it. Signalling runs over the far side's stdin/stdout as JSON lines shaped like
docs/video.md, so cutting the veth (``ip link set va down``) cuts media only, as a
network drop at the kiosk would. Both sides use the simulated camera (time-stamped) and
microphone. The kiosk prints one JSON line of results; the tests assert on it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import resource
import subprocess
import sys
import time
from typing import Any

import cv2
import numpy as np

from device_drivers.camera import CallVideo, SimulatedCamera
from device_drivers.camera.call_video import read_timestamp
from device_drivers.microphone import SimulatedMicrophone
from kiosk.call.engine import CallEngine, PartyState
from kiosk.call.tracks import CameraTrack, MicrophoneTrack

KIOSK_IP, FAR_IP = "10.77.0.1/24", "10.77.0.2/24"


def run_scenario(scenario: str, timeout_s: float = 60.0, **params: Any) -> dict[str, Any]:
    """Run ``scenario`` in fresh namespaces; the kiosk side's results."""
    cmd = ["unshare", "-n", sys.executable, "-m", "tests.call.netns_harness", "kiosk",
           scenario, json.dumps(params)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                          check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"scenario {scenario} failed ({done.returncode}):\n"
                           f"{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _netns(pid: int) -> str | None:
    """The network namespace of process ``pid`` (None if it is gone)."""
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:
        return None


def ip(*args: str) -> None:
    """Run ``ip`` with a timeout."""
    subprocess.run(["ip", *args], check=True, timeout=5)


def scene() -> np.ndarray:
    """A smooth, encodable test picture (gradient with shapes)."""
    y, x = np.mgrid[0:720, 0:960]
    image = np.stack([x * 255 // 960, y * 255 // 720, (x + y) * 255 // 1680], axis=2)
    image = image.astype(np.uint8)
    cv2.circle(image, (480, 400), 150, (40, 200, 240), -1)
    return image


def make_engine(send: Any, role: str, stamp: bool) -> CallEngine:
    """An engine with simulated, time-stamped media."""
    video = CallVideo(SimulatedCamera([scene()]), 640, 480, 20,
                      stamp_clock=time.monotonic if stamp else None)
    video.open()
    mic = SimulatedMicrophone("speech")
    mic.open()
    return CallEngine(CameraTrack(video), MicrophoneTrack(mic), send, role=role,  # type: ignore[arg-type]
                      give_up_s=40.0)


def media_summary(engine: CallEngine, party: str) -> dict[str, Any]:
    """What arrived from ``party`` and how the link is."""
    link = engine.links.get(party)
    status = engine.status.get(party)
    out: dict[str, Any] = {"state": status.state.value if status else None,
                           "renegotiations": status.renegotiations if status else 0}
    if link is not None:
        m = link.media
        out.update(video_frames=m.video_frames, audio_frames=m.audio_frames, width=m.width,
                   height=m.height, fps=round(m.fps, 1), audio_rate=m.audio_rate,
                   audio_codec=m.audio_codec, video_codec=m.video_codec,
                   first_video_at=m.first_video_at)
    return out


# --- the far side (namespace B) -------------------------------------------------------

async def _collect(box: list[dict[str, Any]], message: dict[str, Any]) -> None:
    box.append(message)


async def far_main() -> None:
    """Offer to the kiosk, answer commands from stdin, report on stdout."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    ip("link", "set", "lo", "up")
    for _ in range(600):  # up to 30 s: the kiosk side moves it here once we are apart
        if subprocess.run(["ip", "link", "show", "vb"], capture_output=True,
                          timeout=5).returncode == 0:
            break
        await asyncio.sleep(0.05)
    ip("addr", "add", FAR_IP, "dev", "vb")
    ip("link", "set", "vb", "up")

    def emit(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    async def send(message: dict[str, Any]) -> None:
        emit(message)

    engine = make_engine(send, "offer", stamp=False)
    latencies: list[float] = []

    def on_video(party: str, frame: Any) -> None:
        if engine.links[party].media.video_frames % 5 == 0:
            stamp = read_timestamp(frame.to_ndarray(format="gray"))
            if stamp is not None:
                latencies.append((time.monotonic() * 1000 - stamp) % (1 << 32))

    engine.video_sink = on_video
    engine.start()
    await engine.call("kiosk")
    while True:
        line = await reader.readline()
        if not line:
            break
        message = json.loads(line)
        if message.get("type") == "answer":
            await engine.handle_answer("kiosk", message["sdp"])
        elif message.get("cmd") == "reoffer":
            sent: list[dict[str, Any]] = []
            engine.send = functools.partial(_collect, sent)
            await engine.call("kiosk")
            emit({"sdp": sent[-1]["sdp"]})
        elif message.get("cmd") == "report":
            lat = sorted(latencies[-50:])
            emit({"report": media_summary(engine, "kiosk"),
                  "latency_ms": lat[len(lat) // 2] if lat else None})
        elif message.get("cmd") == "close":
            await engine.close()
            emit({"closed": True})
            break


# --- the kiosk side (namespace A) -----------------------------------------------------

class FarSide:
    """The far process and the JSON lines it speaks."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.reports: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def tell(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())

    async def report(self) -> dict[str, Any]:
        self.tell({"cmd": "report"})
        return await asyncio.wait_for(self.reports.get(), 5)


async def wait_for(predicate: Any, timeout_s: float, step_s: float = 0.05) -> float:
    """Seconds until ``predicate()`` held; raises TimeoutError."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout_s:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(step_s)
    return time.monotonic() - start


def cpu_s() -> float:
    """CPU seconds of this process so far (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def kiosk_main(scenario: str, params: dict[str, Any]) -> dict[str, Any]:
    """Set up the namespaces, run ``scenario`` and return its figures."""
    ip("link", "set", "lo", "up")
    process = await asyncio.create_subprocess_exec(
        "unshare", "-n", sys.executable, "-m", "tests.call.netns_harness", "far",
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    # until unshare(2) has run in the child, its pid still names our namespace, and the
    # veth's far end would land here (the far side then never finds "vb")
    await wait_for(lambda: _netns(process.pid) not in (None, _netns(os.getpid())), 30)
    ip("link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", str(process.pid))
    ip("addr", "add", KIOSK_IP, "dev", "va")
    ip("link", "set", "va", "up")
    far = FarSide(process)
    offer_at: list[float] = []

    async def send(message: dict[str, Any]) -> None:
        far.tell(message)

    kiosk = make_engine(send, "answer", stamp=True)
    kiosk.start()

    async def pump() -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            message = json.loads(line)
            if message.get("type") == "offer":
                offer_at.append(time.monotonic())
                if not kiosk.closed:  # the controller scenario answers through its own engine
                    await kiosk.handle_offer("counsellor", message["sdp"])
            else:
                await far.reports.put(message)

    pumping = asyncio.ensure_future(pump())
    pumping.add_done_callback(lambda t: t.cancelled() or t.exception() and print(
        t.exception(), file=sys.stderr))
    try:
        return await SCENARIOS[scenario](kiosk, far, offer_at, params)
    finally:
        if process.returncode is None:
            process.kill()
        await kiosk.close()


def connected(engine: CallEngine, party: str = "counsellor") -> bool:
    status = engine.status.get(party)
    return status is not None and status.state is PartyState.CONNECTED


async def scenario_call(kiosk: CallEngine, far: FarSide, offer_at: list[float],
                        params: dict[str, Any]) -> dict[str, Any]:
    """A plain call: setup time, steady-state media both ways, kiosk CPU."""
    await wait_for(lambda: connected(kiosk), 15)
    link = kiosk.links["counsellor"]
    await wait_for(lambda: link.media.first_video_at is not None, 10)
    setup_s = (link.media.first_video_at or 0) - offer_at[0]
    await asyncio.sleep(params.get("warmup_s", 2.0))
    cpu0, t0 = cpu_s(), time.monotonic()
    await asyncio.sleep(params.get("measure_s", 4.0))
    cpu = (cpu_s() - cpu0) / (time.monotonic() - t0)
    report = await far.report()
    return {"setup_s": setup_s, "kiosk_cpu": cpu, "load_per_core": os.getloadavg()[0] / (
            os.cpu_count() or 1), "kiosk_sent_fps": kiosk.camera.frames_sent / (
            time.monotonic() - offer_at[0]), "kiosk_got": media_summary(kiosk,
            "counsellor"), "far_got": report["report"], "latency_ms": report["latency_ms"]}


async def scenario_drop(kiosk: CallEngine, far: FarSide, offer_at: list[float],
                        params: dict[str, Any]) -> dict[str, Any]:
    """Cut the veth for ``cut_s``; how long until media flows both ways again."""
    await wait_for(lambda: connected(kiosk), 15)
    await asyncio.sleep(2.0)
    before = kiosk.links["counsellor"].media.video_frames
    ip("link", "set", "va", "down")
    cut_at = time.monotonic()
    await wait_for(lambda: not connected(kiosk), 5)
    seen_reconnecting = kiosk.status["counsellor"].state.value
    await asyncio.sleep(max(0.0, params.get("cut_s", 10.0) - (time.monotonic() - cut_at)))
    ip("link", "set", "va", "up")
    back_s = await wait_for(lambda: connected(kiosk), 25)
    await asyncio.sleep(2.0)
    report = await far.report()
    return {"state_during_cut": seen_reconnecting, "reconnect_s": back_s,
            "frames_before": before, "kiosk_got": media_summary(kiosk, "counsellor"),
            "far_got": report["report"]}


async def scenario_far_hangs_up(kiosk: CallEngine, far: FarSide, offer_at: list[float],
                                params: dict[str, Any]) -> dict[str, Any]:
    """The far side closes its connection; how long until the kiosk knows."""
    await wait_for(lambda: connected(kiosk), 15)
    far.tell({"cmd": "close"})
    seen_s = await wait_for(lambda: kiosk.status["counsellor"].state is PartyState.LEFT, 10)
    return {"left_after_s": seen_s, "state": kiosk.status["counsellor"].state.value}


async def scenario_kiosk_hangs_up(kiosk: CallEngine, far: FarSide, offer_at: list[float],
                                  params: dict[str, Any]) -> dict[str, Any]:
    """The kiosk closes; the far side must see the party gone (not 'reconnecting')."""
    await wait_for(lambda: connected(kiosk), 15)
    await kiosk.party_left("counsellor")
    await asyncio.sleep(1.5)
    report = await far.report()
    return {"far_sees": report["report"]["state"]}


async def scenario_controller(kiosk: CallEngine, far: FarSide, offer_at: list[float],
                              params: dict[str, Any]) -> dict[str, Any]:
    """The kiosk's whole call path: CallController + signalling adapter + engine, with the
    job centre's answers scripted and the far side's offer relayed as ``call.offer``."""
    from device_drivers.loudspeaker import SimulatedLoudspeaker
    from kiosk.call.signalling import CallSignalling
    from kiosk.controllers.call import CallController
    from kiosk.controllers.call_view import CallPhase

    await kiosk.close()  # this scenario builds its own engine inside the controller
    loop = asyncio.get_running_loop()
    inbox: list[dict[str, Any]] = []
    signals: list[dict[str, Any]] = []

    def agent_call(op: str, **params: Any) -> dict[str, Any]:
        if op == "call_messages":
            return {"ok": True, "messages": [m for m in list(inbox)
                                             if m["seq"] > params["after"]]}
        body = params.get("body", {})
        if params["action"] == "signal":
            signals.append(body)
            loop.call_soon_threadsafe(far.tell, {"type": "answer", "sdp": body["sdp"]})
        if params["action"] == "start":
            return {"ok": True, "status": 201, "body": {
                "call_id": "c_1", "state": "waiting", "position": 1,
                "estimated_wait_s": 60, "ice_servers": [], "heartbeat_s": 5}}
        return {"ok": True, "status": 200, "body": {"state": "active", "parties": []}}

    video = CallVideo(SimulatedCamera([scene()]), 640, 480, 20, stamp_clock=time.monotonic)
    speaker = SimulatedLoudspeaker()
    controller = CallController(CallSignalling(agent_call), video,
                                SimulatedMicrophone("speech"), speaker, poll_s=0.1)
    controller.open_device_check()
    controller.devices_ok()
    controller.start_walk_in("de", "benefits")
    await wait_for(lambda: controller.view.phase is CallPhase.WAITING, 10)
    far.tell({"cmd": "reoffer"})
    offer = await asyncio.wait_for(far.reports.get(), 10)
    inbox.append({"type": "call.offer", "seq": 1, "body": {
        "call_id": "c_1", "from": "counsellor", "sdp": offer["sdp"]}})
    await wait_for(lambda: controller.view.phase is CallPhase.IN_CALL, 15)
    await wait_for(lambda: controller.view.remote_frame is not None, 10)
    report = await far.report()
    deadline = time.monotonic() + params.get("far_wait_s", 15.0)
    while report["report"].get("video_frames", 0) < 20 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)  # the kiosk's first frames wait for its VP8 encoder
        report = await far.report()
    result = {"phase": controller.view.phase.value, "answers": len(signals),
              "remote_frame": list(controller.view.remote_frame.shape),
              "speaker_samples": speaker.samples_played, "far_got": report["report"]}
    controller.confirm_end()
    await wait_for(lambda: controller.view.phase is CallPhase.ENDED, 10)
    controller.close()
    return result


SCENARIOS = {"controller": scenario_controller, "call": scenario_call, "drop": scenario_drop,
             "far_hangs_up": scenario_far_hangs_up, "kiosk_hangs_up": scenario_kiosk_hangs_up}


def main() -> None:
    """``kiosk SCENARIO PARAMS`` (namespace A) or ``far`` (namespace B)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if sys.argv[1] == "far":
        asyncio.run(far_main())
        return
    result = asyncio.run(kiosk_main(sys.argv[2], json.loads(sys.argv[3])))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
