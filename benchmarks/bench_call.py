"""Video-call benchmark: call setup time, kiosk CPU in a 1:1 call, reconnect time.

Both parties are aiortc engines with the simulated camera (640×480, 20 fps, time-stamped)
and microphone, in two network namespaces joined by a veth pair (``tests/call/
netns_harness.py``; needs root for ``unshare -n``). The far side plays the counsellor and
offers; the kiosk answers, as in docs/video.md.

1. Setup: the kiosk receives the offer → first remote video frame decoded (s).
2. CPU: the kiosk process alone (call engine, VP8 + Opus encode and decode, no display)
   over a steady 1:1 call, as a fraction of one core; plus what arrived (size, fps) and
   the glass-to-glass latency of the kiosk's stamped frames at the far side.
3. Reconnect: the veth goes down for 10 s, then up: seconds from "link up" until media
   flows again on a renegotiated connection.
4. Signalling of 50 concurrent calls against the intake process (``call_signalling.py``):
   enrolled kiosks and counsellor WebSockets, p50/p95/max per step.
5. The kiosk app with the call on screen against a counsellor in Chromium
   (``call_browser.py``; a real intake server, Kivy under Xvfb): setup from the
   counsellor's accept to the first remote frame on each side (p50/p95 over ``--ui-runs``,
   bare aiortc↔Chromium calls of the same run as baseline), the kiosk app's CPU for the call
   and the whole process (kiosk on CPU 0, browsers and server on CPU 1), glass-to-glass
   latency both ways with a timestamp overlay.

The machine's other load is printed beside: on shared cores every figure is an upper bound.

Run (as root): ``.venv/bin/python benchmarks/bench_call.py [--runs 3] [--cut 10] [--calls 50]
[--ui-runs 5] [--measure 15]``; ``--ui-runs 0`` leaves part 5 out.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.call_browser import print_browser_bench, run_browser_bench  # noqa: E402
from benchmarks.call_signalling import print_signalling, run_signalling  # noqa: E402
from tests.call.netns_harness import run_scenario  # noqa: E402


def main() -> None:
    """Run the scenarios and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cut", type=float, default=10.0)
    parser.add_argument("--calls", type=int, default=50, help="concurrent calls' signalling")
    parser.add_argument("--ui-runs", type=int, default=5,
                        help="calls of the kiosk app with a counsellor in Chromium")
    parser.add_argument("--measure", type=float, default=15.0,
                        help="seconds of the measured steady call (CPU, latency)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    setups, cpus = [], []
    for run in range(args.runs):
        result = run_scenario("call", timeout_s=90, warmup_s=2.0, measure_s=8.0)
        setups.append(result["setup_s"])
        cpus.append(result["kiosk_cpu"])
        got, far = result["kiosk_got"], result["far_got"]
        print(f"run {run + 1}: setup {result['setup_s']:.2f} s, kiosk CPU "
              f"{100 * result['kiosk_cpu']:.0f} % of a core, kiosk receives "
              f"{got['width']}x{got['height']} {got['fps']:.1f} fps {got['audio_codec']}, "
              f"far receives {far['width']}x{far['height']} {far['fps']:.1f} fps, "
              f"latency {result['latency_ms'] or float('nan'):.0f} ms, "
              f"load/core {result['load_per_core']:.1f}")
    ordered = sorted(setups)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"call setup (offer → first remote frame): median {statistics.median(setups):.2f} s,"
          f" p95 {p95:.2f} s, max {max(setups):.2f} s over {len(setups)} runs")
    print(f"kiosk CPU, 1:1 at 640x480 20 fps: median {100 * statistics.median(cpus):.0f} %"
          " of one core")
    drop = run_scenario("drop", timeout_s=120, cut_s=args.cut)
    print(f"reconnect after a {args.cut:.0f} s cut: {drop['reconnect_s']:.2f} s after the link"
          f" came back ({drop['kiosk_got']['renegotiations']} renegotiation(s); during the"
          f" cut the call showed '{drop['state_during_cut']}')")
    if args.calls > 0:
        print_signalling(run_signalling(args.calls))
    if args.ui_runs > 0:
        print_browser_bench(run_browser_bench(args.ui_runs, args.measure))


if __name__ == "__main__":
    main()
