"""Merging the simulator processes' results and printing the figures of bench_fleet."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

TARGET_HEARTBEAT_P99_MS = 200.0
TARGET_COMMAND_P99_S = 5.0


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of ``values`` (nan when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


@dataclass
class Merged:
    """All simulator processes together."""

    kiosks: int = 0
    sim_cpu_s: float = 0.0
    window_s: float = 0.0
    heartbeat_ms: list[float] = field(default_factory=list)
    heartbeat_status: Counter[str] = field(default_factory=Counter)
    polls_sent: int = 0
    polls_answered: int = 0
    polls_in_window: int = 0
    poll_status: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    handled: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    open_polls_min: int = 0
    open_polls_at_end: int = 0
    loop_lag_ms: list[float] = field(default_factory=list)


def merge(parts: list[dict[str, Any]]) -> Merged:
    """One ``Merged`` from the JSON of each simulator process."""
    out = Merged()
    mins = []
    for part in parts:
        out.kiosks += part["kiosks"]
        out.sim_cpu_s += part["cpu_s"]
        out.window_s = max(out.window_s, part["window_s"])
        out.heartbeat_ms += part["heartbeat_ms"]
        out.heartbeat_status.update(part["heartbeat_status"])
        out.polls_sent += part["polls_sent"]
        out.polls_answered += part["polls_answered"]
        out.polls_in_window += part["polls_in_window"]
        out.poll_status.update(part["poll_status"])
        out.errors.update(part["errors"])
        out.handled += part["handled"]
        out.duplicates += part["duplicates"]
        out.open_polls_at_end += part["open_polls_at_end"]
        out.loop_lag_ms += part["loop_lag_ms"]
        mins.append(min(part["open_polls"], default=0))
    out.open_polls_min = sum(mins)
    return out


def command_latencies(posted: dict[str, float], handled: list[dict[str, Any]]
                      ) -> tuple[list[float], int]:
    """Seconds from queueing to handling per message id, and how many never arrived."""
    first: dict[str, float] = {}
    for item in handled:
        mid = str(item["id"])
        if mid in posted:
            first[mid] = min(first.get(mid, item["at"]), item["at"])
    return [first[m] - posted[m] for m in first], len(set(posted) - set(first))


def print_report(m: Merged, info: dict[str, Any]) -> bool:
    """Print the figures; True if both targets are met and nothing went wrong."""
    hb = m.heartbeat_ms
    rate = len(hb) / m.window_s if m.window_s else 0.0
    cmd, missing = command_latencies(info["posted"], m.handled)
    print(f"fleet: {m.kiosks} kiosks, heartbeat every {info['interval']:g} s, live poll wait "
          f"{info['wait']:g} s, {info['workers']} intake process(es) on {info['backend']}, "
          f"{info['sim_processes']} simulator process(es); window {m.window_s:.0f} s after a "
          f"{info['ramp']:g} s ramp; {info['cores']} cores shared by all (under load)")
    print(f"heartbeats      n={len(hb)} ({rate:.0f}/s)  p50 {pct(hb, 50):.1f} ms  p95 "
          f"{pct(hb, 95):.1f} ms  p99 {pct(hb, 99):.1f} ms  max {max(hb, default=0):.1f} ms  "
          f"status {dict(m.heartbeat_status)}")
    kind = ("fleet.command run_doctor, until the done report is stored"
            if info.get("commands") == "fleet" else "ops.ping, until handled")
    print(f"commands        ({kind}) n={len(cmd)} of {len(info['posted'])} posted  p50 "
          f"{pct(cmd, 50) * 1000:.0f} ms  p99 {pct(cmd, 99) * 1000:.0f} ms  max "
          f"{max(cmd, default=0) * 1000:.0f} ms  never arrived {missing}  handled twice "
          f"{m.duplicates}")
    if info.get("states"):
        print(f"command states  in the service: {info['states']}")
    print(f"live channel    polls sent {m.polls_sent}, answered {m.polls_answered} "
          f"({m.polls_in_window} in the window), status "
          f"{dict(m.poll_status)}; open polls (simulator) min {m.open_polls_min} in the "
          f"window, {m.open_polls_at_end} at its end; established to the server "
          f"{info['established']}")
    print(f"errors          {dict(m.errors) or 'none'}")
    srv, db = info["server_cpu_s"], info["db_cpu_s"]
    wall = m.window_s or 1.0
    print(f"CPU in window   server {srv:.1f} s ({srv / wall * 100:.0f} % of a core), database "
          f"{db:.1f} s ({db / wall * 100:.0f} %), simulator {m.sim_cpu_s:.1f} s "
          f"({m.sim_cpu_s / wall * 100:.0f} %); simulator loop lag p50 "
          f"{pct(m.loop_lag_ms, 50):.0f} ms p99 {pct(m.loop_lag_ms, 99):.0f} ms")
    requests = sum(m.heartbeat_status.values()) + m.polls_in_window
    if requests and srv:
        print(f"server CPU      {srv / requests * 1000:.2f} ms per request "
              f"({requests / wall:.0f} requests/s in the window: heartbeats + polls answered)")
    mem = info["server_memory"]
    print(f"server memory   {mem['rss'] / 2**20:.0f} MiB resident in {mem['processes']} "
          f"process(es) (peak {mem['peak'] / 2**20:.0f} MiB)")
    for name, baseline in info.get("baselines", {}).items():
        print(f"curl baseline   {name}: {baseline * 1000:.1f} ms median alone; heartbeat p50 "
              f"under load is {pct(hb, 50) / (baseline * 1000):.1f}x that")
    ok_hb = pct(hb, 99) <= TARGET_HEARTBEAT_P99_MS
    ok_cmd = bool(cmd) and pct(cmd, 99) <= TARGET_COMMAND_P99_S
    print(f"heartbeat p99 {pct(hb, 99):.0f} ms {'meets' if ok_hb else 'MISSES'} the target of "
          f"{TARGET_HEARTBEAT_P99_MS:.0f} ms; command p99 {pct(cmd, 99):.2f} s "
          f"{'meets' if ok_cmd else 'MISSES'} the target of {TARGET_COMMAND_P99_S:.0f} s")
    return ok_hb and ok_cmd and not missing and not m.duplicates
