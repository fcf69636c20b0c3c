"""The real kiosk app in a video call, driven over stdin/stdout (one Kivy window per process).

    python -m tests.ui.call_app --data AGENT_DATA --host-ip 10.77.n.1 [--shots DIR] [--cpu 0]

Used by the call benchmark (``benchmarks/call_browser.py``) and the in-call capture test
(``tests/ui/test_call_letter_ui.py``). The agent runs in the parent process (an enrolled
``Agent`` on ``AGENT_DATA``, reaching a real intake server); this process is what the
kiosk's UI process is: ``KioskApp`` with the services of ``build_services`` and its
``CallController``, whose simulated call camera stamps the wall-clock time into every frame
(``CallVideo`` with ``stamp_clock``: the benchmark's timestamp overlay behind the same
interface). The visitor walks by simulated touches from the attract screen to the waiting
room; the parent plays the counsellor in Chromium.

Lines on stdout that start with ``@@ `` are JSON events for the parent: ``waiting``,
``in_call`` (monotonic times: the counsellor's offer at the kiosk, its first frame
decoded and drawn), ``measured``
(CPU per thread group, glass-to-glass latency of the counsellor's stamped frames as drawn),
``letter`` (the capture steps inside the call, shot in de/ar at 100 % and 200 %) and
``ended``. Commands come as JSON lines on stdin: ``measure``, ``letter``, ``end``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from kiosk.kivy_env import prepare_kivy_environment

prepare_kivy_environment(headless=not os.environ.get("DISPLAY"), size=(1280, 800))

import aioice.ice  # noqa: E402
import numpy as np  # noqa: E402

import kiosk.screens.call_base as call_base  # noqa: E402
from accessibility.speech import RecordingSpeech  # noqa: E402
from config.loader import load_config  # noqa: E402
from device_drivers.camera import SharedCamera, create_call_video  # noqa: E402
from device_drivers.camera.call_video import read_timestamp  # noqa: E402
from device_drivers.loudspeaker import create_loudspeaker  # noqa: E402
from device_drivers.microphone import create_microphone  # noqa: E402
from kiosk.app import KioskApp  # noqa: E402
from kiosk.call.signalling import CallSignalling  # noqa: E402
from kiosk.controllers.call import CallController  # noqa: E402
from kiosk.controllers.call_view import CallPhase  # noqa: E402
from kiosk.screens.base import post_to_ui  # noqa: E402
from kiosk.services import KioskServices, build_services  # noqa: E402
from kiosk.session.session import Session  # noqa: E402
from tests.jobcentre.calls.kiosk_end import host_candidates_only  # noqa: E402
from tests.ui.call_letter_ui import capture_in_call  # noqa: E402
from tests.ui.driver import UiDriver, run_with, type_number  # noqa: E402

STAMP_MOD = 1 << 32


def emit(event: str, **fields: Any) -> None:
    """One event line for the parent."""
    sys.stdout.write("@@ " + json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


class DrawnStamps:
    """Glass-to-glass: the stamp of each new remote frame when the in-call screen draws it."""

    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.first_drawn_at: float | None = None
        self.recording = False
        self._last: Any = None
        self._show = call_base.show_frame

    def install(self) -> None:
        """Wrap the screens' ``show_frame`` (the call continues to draw through it)."""
        def show(image_widget: Any, frame: np.ndarray | None, colorfmt: str) -> None:
            self._show(image_widget, frame, colorfmt)
            if colorfmt != "rgb" or frame is None or frame is self._last:
                return
            self._last = frame
            if self.first_drawn_at is None:
                self.first_drawn_at = time.monotonic()
            if self.recording:
                stamp = read_timestamp(frame)
                if stamp is not None:
                    delay = (int(time.time() * 1000) - stamp) % STAMP_MOD
                    if delay < 10_000:
                        self.latencies_ms.append(float(delay))

        call_base.show_frame = show


def thread_cpu() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) and name of every thread of this process (Python's
    thread name where it has one, else the kernel's: Mesa's are ``llvmpipe-N``)."""
    ticks = float(os.sysconf("SC_CLK_TCK"))
    python_names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[int, tuple[str, float]] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text().rsplit(")", 1)[1].split()
            name = (task / "comm").read_text().strip()
        except OSError:
            continue  # the thread ended meanwhile
        tid = int(task.name)
        out[tid] = (python_names.get(tid, name), (int(stat[11]) + int(stat[12])) / ticks)
    return out


def cpu_groups(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]],
               wall_s: float) -> dict[str, float]:
    """Fractions of one core: the whole process, the UI (Kivy's main thread and Mesa's
    llvmpipe render threads) and the call (every other thread: the call's asyncio loop,
    aiortc's encoder/decoder workers, device reads)."""
    groups = {"process": 0.0, "ui": 0.0, "call": 0.0}
    main = os.getpid()
    for tid, (name, cpu) in after.items():
        used = cpu - before.get(tid, (name, 0.0))[1]
        groups["process"] += used
        ui = tid == main or name.startswith(("llvmpipe", "gallium", "X:", "gdrv"))
        groups["ui" if ui else "call"] += used
    return {k: v / wall_s for k, v in groups.items()}


async def walk_to_waiting(ui: UiDriver) -> None:
    """Attract → language → number → task → device check → consent → the queue."""
    app = ui.app
    await ui.wait_for(lambda: app.root.current == "attract")
    await ui.tap("start")
    await ui.wait_for(lambda: app.root.current == "language")
    await ui.tap("de")
    await ui.wait_for(lambda: app.root.current == "identify")
    await type_number(ui, "123A456789")
    await ui.tap("next")
    await ui.wait_for(lambda: app.root.current == "choose_task")
    await ui.tap("video")
    await ui.wait_for(lambda: app.root.current == "call_check")
    await ui.tap("next")
    await ui.wait_for(lambda: app.root.current == "call_consent")
    await ui.tap("agree")
    call = app.services.call
    await ui.wait_for(lambda: call.view.phase is CallPhase.WAITING, 60)


async def in_call(ui: UiDriver, stamps: DrawnStamps) -> dict[str, Any]:
    """Wait until the counsellor's video is drawn on the in-call screen."""
    app, call = ui.app, ui.app.services.call
    await ui.wait_for(lambda: call.view.phase is CallPhase.IN_CALL, 60)
    await ui.wait_for(lambda: app.root.current == "in_call" and stamps.first_drawn_at, 60)
    link = call.engine.links["counsellor"]
    return {"offer_at": link.created_at, "first_video_at": link.media.first_video_at,
            "first_drawn_at": stamps.first_drawn_at}


async def measure(ui: UiDriver, stamps: DrawnStamps, warmup_s: float,
                  measure_s: float) -> dict[str, Any]:
    """CPU by thread group and the drawn frames' latency over ``measure_s``."""
    call = ui.app.services.call
    await asyncio.sleep(warmup_s)
    link = call.engine.links["counsellor"]
    frames0, sent0 = link.media.video_frames, call.camera_track.frames_sent
    stamps.latencies_ms.clear()
    stamps.recording = True
    before, t0 = thread_cpu(), time.monotonic()
    await asyncio.sleep(measure_s)
    after, wall = thread_cpu(), time.monotonic() - t0
    stamps.recording = False
    link = call.engine.links["counsellor"]
    busiest = sorted(((name, (cpu - before.get(tid, (name, 0.0))[1]) / wall)
                      for tid, (name, cpu) in after.items()), key=lambda t: -t[1])[:8]
    return {"cpu": cpu_groups(before, after, wall), "wall_s": wall,
            "threads": [(name, round(share, 3)) for name, share in busiest],
            "received_fps": (link.media.video_frames - frames0) / wall,
            "sent_fps": (call.camera_track.frames_sent - sent0) / wall,
            "size": [link.media.width, link.media.height],
            "latency_ms": list(stamps.latencies_ms),
            "load": os.getloadavg()[0], "affinity": sorted(os.sched_getaffinity(0))}


async def end_call(ui: UiDriver) -> dict[str, Any]:
    """The visitor ends the call with the on-screen buttons (and confirms)."""
    app, call = ui.app, ui.app.services.call
    await ui.tap("end_call")
    await ui.tap("end_confirm")
    await ui.wait_for(lambda: call.view.phase is CallPhase.ENDED, 30)
    await ui.frames(10)
    return {"screen": app.root.current, "reason": call.view.ended_reason}


def scenario(stamps: DrawnStamps) -> Any:
    """The scenario for ``run_with``: walk to the queue, then follow the parent's commands."""
    async def run(ui: UiDriver) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        await walk_to_waiting(ui)
        emit("waiting", call_id=ui.app.services.call.view.call_id)
        emit("in_call", **await in_call(ui, stamps))
        while line := await reader.readline():
            command = json.loads(line)
            if command["cmd"] == "measure":
                emit("measured", **await measure(ui, stamps, command.get("warmup_s", 3.0),
                                                 command.get("measure_s", 10.0)))
            elif command["cmd"] == "letter":
                emit("letter", **await capture_in_call(ui))
            elif command["cmd"] == "end":
                emit("ended", **await end_call(ui))
                break
        return {}

    return run


def with_stamped_call(services: KioskServices) -> None:
    """The kiosk's own call controller as ``build_services`` makes it (same devices, same
    polling), its simulated camera stamped with the wall clock."""
    devices, agent, camera = services.config.devices, services.agent, services.camera
    assert isinstance(camera, SharedCamera)

    def make_call() -> CallController:
        return CallController(
            CallSignalling(agent.call),
            create_call_video(devices.call_video, camera, stamp_clock=time.time),
            create_microphone(devices.microphone), create_loudspeaker(devices.microphone),
            post=post_to_ui, staff_call=lambda: agent.call("staff_call", step="in_call"))

    services.call_factory = make_call


def main() -> None:
    """Run the app in a call until the parent says ``end``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--host-ip", required=True)
    parser.add_argument("--shots", type=Path)
    parser.add_argument("--cpu", type=int)
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    # aioice gathers host candidates from every interface; only the veth end may be used.
    aioice.ice.get_host_addresses = host_candidates_only(args.host_ip)  # type: ignore[assignment]
    config = load_config(data_dir=args.data, environ={})
    services = build_services(config, speech=RecordingSpeech(), post_to_ui=post_to_ui)
    with_stamped_call(services)
    session = Session(config, time.monotonic, args.data / "session")
    app = KioskApp(session, services)
    stamps = DrawnStamps()
    stamps.install()
    try:
        asyncio.run(run_with(app, scenario(stamps), args.shots))
    finally:
        session.wipe()
        services.close()


if __name__ == "__main__":
    main()
