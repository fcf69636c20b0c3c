"""Figures of a UI benchmark run (benchmarks/bench_ui.py): merged over the UI processes the
``kiosk run`` host started, and printed."""

from __future__ import annotations

import statistics
from typing import Any


def leak_trend(rss: list[float]) -> float:
    """Least-squares slope of RSS over the second half of the sessions, in MB per 100."""
    half = rss[len(rss) // 2:]
    if len(half) < 2:
        return float("nan")
    return statistics.linear_regression(range(len(half)), half).slope * 100


def merge_processes(parts: list[dict[str, Any]], recycles: int, gaps_s: list[float],
                    wall_s: float) -> dict[str, Any]:
    """The figures of one run over all its UI processes (in the order they ran)."""
    first, last = parts[0], parts[-1]
    merged: dict[str, Any] = {
        "first_frame_s": first["first_frame_s"],
        "rss_after_start_mb": first["rss_after_start_mb"],
        "rss_after_start_all_mb": [p["rss_after_start_mb"] for p in parts],
        "rss_peak_mb": max(p["rss_peak_mb"] for p in parts),
        "rss_after_sessions_mb": last.get("rss_after_sessions_mb", last["rss_after_start_mb"]),
        "processes": len(parts), "recycles": recycles, "gaps_s": gaps_s, "wall_s": wall_s,
        "rss_per_session_mb": [], "transitions_ms": [], "hand_in_ms": [], "by_step_ms": {},
    }
    for part in parts:
        for key in ("rss_per_session_mb", "transitions_ms", "hand_in_ms"):
            merged[key] += part.get(key, [])
        for name, values in part.get("by_step_ms", {}).items():
            merged["by_step_ms"].setdefault(name, []).extend(values)
    return merged


def _p95(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.95))]


def print_session_figures(sessions: int, r: dict[str, Any]) -> None:
    """Memory and timing figures of the visitor sessions (only when any ran)."""
    ms = sorted(r["transitions_ms"])
    trend = leak_trend(r["rss_per_session_mb"])
    growth_all = r["rss_after_sessions_mb"] - r["rss_after_start_mb"]
    after = r["rss_after_sessions_mb"]
    print(f"RSS after {sessions} sessions                : {after:.0f} MB")
    print(f"RSS growth start → {sessions} sessions       : {growth_all:+.1f} MB  "
          "(target ≤ 10 MB)")
    print(f"RSS peak during the sessions            : {max(r['rss_per_session_mb']):.0f} MB "
          f"after a session, {r['rss_peak_mb']:.0f} MB at any moment (VmHWM; target ≤ 300 MB)")
    print(f"RSS trend over the second half          : {trend:+.1f} MB per 100 sessions "
          "(least squares: a steady leak shows here)")
    starts = r["rss_after_start_all_mb"]
    print(f"UI processes (recycled between visitors): {r['processes']} ({r['recycles']} "
          f"handovers), RSS after start {min(starts):.0f}-{max(starts):.0f} MB")
    if r["gaps_s"]:
        gaps = sorted(r["gaps_s"])
        print(f"handover: new first frame - old last   : median {statistics.median(gaps):+.3f} s,"
              f" max {gaps[-1]:+.3f} s (negative: the new window drew before the old one's "
              "last frame, no blank screen; target ≤ 1 s)")
    print(f"wall time of the run                    : {r['wall_s'] / 60:.1f} min")
    print(f"screen transition, action → frame      : median {statistics.median(ms):.1f} ms, "
          f"p95 {_p95(ms):.1f} ms, max {ms[-1]:.1f} ms over {len(ms)}  (target ≤ 100 ms)")
    hand = sorted(r["hand_in_ms"])
    print(f"hand in → receipt printed             : median {statistics.median(hand):.0f} ms, "
          f"p95 {_p95(hand):.0f} ms (PDF, sealing, outbox, printer)")
    for name, values in r["by_step_ms"].items():
        values = sorted(values)
        print(f"  {name:<26} median {statistics.median(values):6.1f} ms, "
              f"p95 {_p95(values):6.1f} ms")
