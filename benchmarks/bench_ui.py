"""UI benchmark: start-up to first frame, memory after start and over many visits,
screen-transition time. Runs the real app offscreen in child processes started by the
``kiosk run`` host (kiosk/ui_host.py), which recycles the UI process between visitors.

    .venv/bin/python benchmarks/bench_ui.py [--sessions 200] [--starts 10] [--ocr]
    (BENCH_UI_TRACE=1: RSS per session; BENCH_UI_TRACE=2: also the peak RSS of each step of
    the first two visits of every UI process, sampled every 5 ms)

Targets: first frame ≤ 1.0 s, RSS ≤ 300 MB at any moment, growth ≤ 10 MB over 200 sessions,
transition ≤ 100 ms. Each session is a full upload visit: attract → language → identify →
task → capture (one stored page) → documents → summary → hand in (PDF, sealing, outbox,
receipt printed by the simulated printer) → receipt → goodbye → attract. A kiosk agent
(embedded intake service) runs beside it, so the kiosk is enrolled and uploads go out.
The capture screen's live preview runs while the visit is on it (the simulated camera
decodes its photo at 1/4 size), but no still is taken (see bench_scanning.py); OCR is a
recording of tesseract's answer for the page unless ``--ocr`` (tesseract runs in its own
process either way).

"Start to first frame" runs from the parent's clock before it starts the first UI process
until its first frame is on screen (the window opens hidden and is shown once drawn, as
``kiosk run`` does). "Peak at any moment" is the kernel's high-water mark (VmHWM) of each
UI process; the figure printed is the highest over all of them. After every visit the app
asks its recycle policy (kiosk/controllers/recycle.py); when it is due, the next UI process
starts, draws, and only then does the old one close its window: the printed gap is the new
process's first frame minus the old one's last (negative: both were drawing, no blank).

Without a GPU the window is drawn by Mesa's llvmpipe. glibc gives each thread that
allocates (llvmpipe's render threads, the capture, OCR, submit and print workers) its own
malloc arena, which keeps freed memory: RSS used to step up by ~40 MB now and then. The
kiosk caps the arenas and trims them after each visitor (kiosk/kivy_env.py).

Where the memory goes (1280 x 800, offscreen llvmpipe, /proc/self/smaps, heaptrack):
after start ~215 MB (~60 MB Python objects, ~54 MB libLLVM code pages, ~25 MB heap, other
shared libraries and fonts). Screens of the rare ways and the overlays are built when first
used. A visit then grows the process step by step (+10 language, +12 identify, +5 task,
+5 capture, +22-26 capture → documents: the live preview and cv2's code pages, +20-25
hand in → receipt: pikepdf/qpdf, the receipt screen, the print worker).

The largest single item was llvmpipe's own: it bins a whole frame before rasterizing it
and keeps a copy of its state (tens of KB) for every texture change, i.e. nearly every
label; heaptrack showed 31 MB of its 64 KB scene blocks live at the visit's peak. Since
a36f79a the screens carry a flush point (``glFinish``) every 40 widgets
(kiosk/widgets/render_batches.py): the frame is rasterized in parts, pixels unchanged.
Same sitting, 6 sessions, load 3-8: a visit's peak 299-301 MB before, 278 MB after
(Arabic visits 275-278, German 269-270); ``glFlush`` instead of ``glFinish`` let
llvmpipe's scenes pile up under load (283-285 MB). The recycle policy (kiosk/controllers/
recycle.py: above 250 MB after a visit, i.e. after every upload visit) starts every visitor
in a fresh UI process, so no visit inherits another's memory. The ``kiosk run`` host itself
holds ~57 MB (config, no Kivy). Tried without a measurable effect (noise ±3 MB):
MALLOC_ARENA_MAX=1, LP_NUM_THREADS=1, LP_NATIVE_VECTOR_WIDTH=128, GALLIVM_PERF=nopt,
OPENCV_FOR_THREADS_NUM=1, malloc_trim before each step, dropping the screens already left
(their label textures are a few MB in all), reading the .po catalogs without Babel (-0.6
MB, kept). softpipe instead of llvmpipe: +45 MB after start and 10× slower transitions.
LP_NUM_THREADS=0 with the flush points: peak 275 MB, but transitions ~40 % slower.

A 1,000-session run (commit a36f79a, the default policy; load average 2-5 from other work
on the two cores): 56.6 min. VmHWM 281 MB at most in any UI process (target ≤ 300 MB), RSS
after a session 272-280 MB, trend -0.0 MB per 100 sessions, 1,001 UI processes (1,000
handovers), every one 217-218 MB after start; handover gap median -0.026 s, worst -0.000 s
(the new window always drew first: no blank screen); transitions median 80 ms / p95 186 ms;
hand in → receipt median 0.64 s. Before the flush points (964ca69, one recycle per 100
visits): VmHWM 359 MB; before recycling (f8e29eb): 389 MB and +2.2 MB per 100 sessions.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from ui_figures import merge_processes, print_session_figures  # noqa: E402


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory of this process in MB (``VmHWM``: its peak so far)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_for(condition: Callable[[], bool], next_frame: Callable[[], None],
             timeout_s: float = 60.0) -> None:
    """Draw frames until ``condition()`` holds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        next_frame()
        time.sleep(0.01)


class PeakSampler:
    """Samples VmRSS every 5 ms on a thread and keeps the highest value per labelled step
    (``BENCH_UI_TRACE=2``: where in a visit the peak comes from)."""

    def __init__(self) -> None:
        self.label = "start"
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            label, value = self.label, rss_mb()
            if value > self.peaks.get(label, 0.0):
                self.peaks[label] = value

    def stop(self) -> dict[str, float]:
        """Stop sampling; the peak RSS per step label in MB."""
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peaks


def visits_after(recycle: Any, before: int) -> bool:
    """The app has asked its recycle policy since ``before`` visits."""
    return bool(recycle.visits > before)


def settle_at_attract(next_frame: Callable[[], None], seconds: float = 0.15) -> None:
    """Draw the attract screen briefly, then wait for the kiosk's memory release after a
    wipe (it runs on a thread named ``release-memory``)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        next_frame()
        time.sleep(0.01)
    for thread in threading.enumerate():
        if thread.name == "release-memory":
            thread.join(timeout=10)


def recorded_ocr_controller() -> type:
    """A capture controller whose background OCR answers from a recording of the page.

    Tesseract runs in its own process, so its memory never counts for the UI process; this
    keeps 1,000 sessions affordable. Everything else of the hand-in (PDF with text layer,
    sealing, outbox, receipt) runs for real.
    """
    from concurrent.futures import Future

    from kiosk.controllers.capture import CaptureController

    class RecordedOcr(CaptureController):
        def __init__(self, config: Any, camera: Any, recorded: Any) -> None:
            super().__init__(config, camera)
            self.recorded = recorded

        def complete_in_background(self, page: Any, captured: Any) -> None:
            done: Future[Any] = Future()
            done.set_result(self.recorded)
            with self._lock:
                self._verdicts[page.sha256] = captured.verdict
                self._completions[page.sha256] = done

    return RecordedOcr


def probe(sessions: int, t0: float, out: Path, page: Path, data: Path,
          recycle_above_mb: float | None = None) -> None:
    """Child: start the app, time the first frame, then run sessions through the UI.

    Started by ``kiosk.ui_host.UiHost`` as ``kiosk run`` starts its UI processes: when the
    app's recycle policy asks for a fresh process after a visit, this one stops taking
    sessions, keeps drawing the attract screen until the host says the next one is on
    screen, and appends its figures to ``out`` (one JSON line per process). The next
    process goes on from the count in ``out.progress``.
    """
    sys.path.insert(0, str(ROOT))
    sampler = PeakSampler() if os.environ.get("BENCH_UI_TRACE") == "2" else None

    def mark(label: str) -> None:
        if sampler is not None:
            sampler.label = label

    from kiosk.kivy_env import prepare_kivy_environment

    prepare_kivy_environment(headless=True, size=(1280, 800), hidden=True)  # as kiosk run
    from config.loader import load_config
    from kiosk.app import KioskApp
    from kiosk.screens.frame_driver import hand_in, post_to_ui, run_driven, screen_settled
    from kiosk.services import build_services
    from kiosk.session.session import Session
    from kiosk.session.states import Event, SessionState

    RecordedOcr = recorded_ocr_controller()
    config = load_config(data_dir=data, environ={})
    # answers of the submit and print workers come back on the UI thread, as in `kiosk run`
    services = build_services(config, post_to_ui=post_to_ui)
    if recycle_above_mb is not None and services.recycle is not None:
        from kiosk.controllers.recycle import RecyclePolicy

        services.recycle.policy = RecyclePolicy(above_mb=recycle_above_mb)
    session = Session(config, time.monotonic, data / "session")
    app = KioskApp(session, services)
    result: dict[str, object] = {"pid": os.getpid()}
    progress = out.with_suffix(".progress")
    done = int(progress.read_text()) if progress.exists() else 0
    transitions: list[float] = []
    rss_per_session: list[float] = []
    by_step: dict[str, list[float]] = {}
    hand_in_ms: list[float] = []

    def run_sessions(next_frame: Callable[[], None]) -> None:
        def flip_time(action: Callable[[], object]) -> float:
            """Seconds from an action until the next frame is on screen."""
            start = time.perf_counter()
            action()
            next_frame()
            return time.perf_counter() - start

        result["rss_after_start_mb"] = rss_mb()
        mark("after start")
        # The page, its verdict and its OCR were made by the parent process (see main).
        captured, ocr = pickle.loads(page.read_bytes())
        if ocr is not None:
            services.capture = RecordedOcr(config, services.camera, ocr)

        def store_page() -> None:
            """As the capture screen does when a verdict arrives: keep it, read it (OCR)."""
            record = session.store_page(captured.image_jpeg, True, (), captured.size)
            services.capture.complete_in_background(record, captured)
        language = config.site.customer_number_formats[0].example
        recycle = services.recycle
        assert recycle is not None
        assert app.first_frame_at is not None
        result["first_frame_at"] = app.first_frame_at
        result["first_frame_s"] = app.first_frame_at - t0
        for index in range(done, sessions):
            visits_before = recycle.visits
            steps: list[tuple[str, Callable[[], object], Callable[[], None] | None]] = [
                ("attract→language", lambda: session.dispatch(Event.TOUCH), None),
                ("language→identify",
                 functools.partial(session.choose_language, "de" if index % 2 else "ar"),
                 None),
                ("identify→choose_task", lambda: session.identify(language), None),
                ("choose_task→capture", lambda: session.choose_upload(), None),
                # The page is stored when its verdict arrives; the tap only moves on.
                ("capture→documents",
                 lambda: session.dispatch(Event.PAGE_DONE),
                 store_page),
                ("documents→summary", lambda: session.dispatch(Event.FINISH), None),
            ]
            for name, step, before in steps:
                mark(f"visit {index + 1}: {name}" if index < 2 else "later visits")
                if before is not None:
                    before()
                elapsed = flip_time(step)
                transitions.append(elapsed)
                by_step.setdefault(name, []).append(elapsed * 1000)
            # "Hand in": PDFs built and sealed on the summary screen's worker, stored durably,
            # then the receipt is printed (simulated printer) -- timed, not a screen change.
            start = time.perf_counter()
            mark(f"visit {index + 1}: hand in" if index < 2 else "later visits")
            hand_in(app)
            wait_for(lambda: session.state is SessionState.RECEIPT, next_frame)
            wait_for(lambda: screen_settled(app), next_frame)
            hand_in_ms.append((time.perf_counter() - start) * 1000)

            for name, step in (("receipt→goodbye", lambda: session.dispatch(Event.DONE)),
                               ("goodbye→attract (end)", lambda: session.dispatch(Event.TOUCH))):
                mark(f"visit {index + 1}: {name}" if index < 2 else "later visits")
                elapsed = flip_time(step)
                transitions.append(elapsed)
                by_step.setdefault(name, []).append(elapsed * 1000)
            settle_at_attract(next_frame)
            rss_per_session.append(rss_mb())
            progress.write_text(str(index + 1))
            if os.environ.get("BENCH_UI_TRACE"):
                print(f"session {index + 1}: RSS {rss_per_session[-1]:.0f} MB, "
                      f"peak {rss_mb('VmHWM'):.0f} MB", file=sys.stderr)
            # the app asks its recycle policy shortly after the wipe (kiosk.app)
            wait_for(functools.partial(visits_after, recycle, visits_before), next_frame)
            if recycle.pending and index + 1 < sessions:
                break
        result["recycled"] = recycle.pending
        # the figures are written before the handover: the host may end this process then
        result["rss_peak_mb"] = rss_mb("VmHWM")
        result["rss_after_sessions_mb"] = rss_mb()
        result["rss_per_session_mb"] = rss_per_session
        result["transitions_ms"] = [t * 1000 for t in transitions]
        result["by_step_ms"] = by_step
        result["hand_in_ms"] = hand_in_ms
        if recycle.pending:
            with out.open("a") as lines:
                lines.write(json.dumps(result) + "\n")
            # the attract screen stays up (20 frames a second, as an idle screen would
            # redraw) until the next process has drawn its first frame
            deadline = time.monotonic() + 300
            while not app.recycled and time.monotonic() < deadline:
                next_frame()
                time.sleep(0.05)

    run_driven(app, run_sessions)
    if sampler is not None:
        for label, peak in sampler.stop().items():
            print(f"peak RSS {peak:6.0f} MB during {label}", file=sys.stderr)
    services.close()
    if not app.recycled:
        result["rss_peak_mb"] = rss_mb("VmHWM")
        with out.open("a") as lines:
            lines.write(json.dumps(result) + "\n")


def start_agent(data: Path) -> subprocess.Popen[str]:
    """``kiosk agent`` on ``data``: runs the embedded intake service and enrolls the kiosk."""
    agent = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "agent", "--data", str(data),
                              "--print-socket"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert agent.stdout is not None
    line = agent.stdout.readline()
    if not line.startswith("ready"):
        agent.kill()
        raise RuntimeError(f"the kiosk agent did not start: {line!r}")
    return agent


def stop_agent(agent: subprocess.Popen[str]) -> None:
    """SIGTERM, then kill."""
    agent.terminate()
    try:
        agent.wait(timeout=30)
    except subprocess.TimeoutExpired:
        agent.kill()
        agent.wait(timeout=10)
    if agent.stdout is not None:
        agent.stdout.close()


def main() -> None:
    """Parent: run the probe and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--starts", type=int, default=0,
                        help="also start the app this many more times (start-up median, p95)")
    parser.add_argument("--ocr", action="store_true",
                        help="run tesseract for every page (default: a recording of it)")
    parser.add_argument("--recycle-above", type=float, metavar="MB",
                        help="recycle the UI process when its RSS after a visit exceeds MB "
                             "(default: the kiosk's policy, kiosk/controllers/recycle.py)")
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--t0", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--page", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(args.sessions, args.t0, args.probe, args.page, args.data, args.recycle_above)
        return
    sys.path.insert(0, str(ROOT))
    from config.scanning import ScanQualityConfig
    from kiosk.controllers.capture import CapturedPage, encode_jpeg
    from scanning.pipeline import check_page, complete_page
    from scanning.synthetic import make_case

    # The test page is made here, so its cost is not counted as kiosk memory: a photographed
    # page run through the real check, stored as the capture screen stores it (rectified).
    verdict = check_page(make_case("good", seed=7).image, ScanQualityConfig())
    assert verdict.image is not None, "the benchmark page was not found"
    image = verdict.image
    ocr = None if args.ocr else complete_page(verdict, ScanQualityConfig())
    page = Path(tempfile.mkstemp(suffix=".pickle")[1])
    page.write_bytes(pickle.dumps((CapturedPage(verdict, encode_jpeg(image),
                                                (image.shape[1], image.shape[0])), ocr)))
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    data = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    agent = start_agent(data)  # enrolls the kiosk to its embedded intake service

    def run_probe(sessions: int) -> dict[str, Any]:
        """Run ``sessions`` visits in UI processes hosted as ``kiosk run`` hosts them;
        the figures of every process, merged."""
        from kiosk.ui_host import UiHost

        out.write_text("")
        out.with_suffix(".progress").unlink(missing_ok=True)
        t0 = time.time()
        policy = [] if args.recycle_above is None else ["--recycle-above",
                                                        str(args.recycle_above)]
        host = UiHost([sys.executable, __file__, "--sessions", str(sessions), "--probe",
                       str(out), "--t0", str(t0), "--page", str(page), "--data", str(data),
                       *policy],
                      environ=dict(os.environ, SDL_VIDEODRIVER="offscreen"))
        code = host.run()
        if code != 0:
            raise RuntimeError(f"a UI process failed (exit {code})")
        parts = [json.loads(line) for line in out.read_text().splitlines() if line]
        return merge_processes(parts, host.recycles, host.gaps_s, time.time() - t0)

    try:
        starts = sorted(run_probe(0)["first_frame_s"] for _ in range(args.starts))
        r = run_probe(args.sessions)
    finally:
        stop_agent(agent)
        out.unlink(missing_ok=True)
        page.unlink(missing_ok=True)
        shutil.rmtree(data, ignore_errors=True)
    print(f"start to first frame of attract screen : {r['first_frame_s']:.2f} s "
          "(target ≤ 3 s)")
    if starts:
        print(f"start to first frame over {len(starts)} starts     : "
              f"median {statistics.median(starts):.2f} s, "
              f"p95 {starts[min(len(starts) - 1, int(len(starts) * 0.95))]:.2f} s "
              "(target ≤ 1.0 s)")
    print(f"RSS after start                        : {r['rss_after_start_mb']:.0f} MB "
          "(target ≤ 300 MB)")
    if args.sessions > 0:
        print_session_figures(args.sessions, r)


if __name__ == "__main__":
    main()
