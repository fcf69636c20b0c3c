"""Scale benchmark of the fleet (issue #14, part 7): N simulated kiosks against the service.

Starts a private PostgreSQL 15 cluster and ``kiosk-server serve --workers 2`` on it,
registers N kiosks in bulk (benchmark-only: real keys and centre-signed certificates written
straight into the repository, ``benchmarks/fleet/service.py``), then runs the simulator
(``benchmarks/fleet_sim.py``) in a few processes: each kiosk keeps one signed live-channel
long poll open and sends a signed heartbeat every ``--interval`` seconds. During the
measuring window this process queues ``ops.ping`` messages for random kiosks through the
real ``LiveStore`` (as ``kiosk-server live-send`` and a staff action on another intake
process do: the serving process's watcher wakes the kiosk's poll) and times each until the
kiosk has handled it; with ``--commands fleet`` (the default) it issues signed
``run_doctor`` commands with the service's own ``issue_command`` and times each until the
kiosk's ``done`` report is stored (``benchmarks/fleet/commands.py``).

Printed: heartbeat latency p50/p95/p99, command delivery p50/p99, polls held open (as the
simulator counts them and as established TCP connections to the server), errors, CPU of
the server processes, of PostgreSQL and of the simulator separately (all from /proc and
getrusage, over the window), the server's resident memory, the ops dashboard's pages over
the fleet's state (``benchmarks/fleet/dashboard_pages.py``), and the median time ``curl``
takes for one signed request alone (a bare tool doing the same work) with the ratio. Server,
database and simulator share the machine's cores: latencies are upper bounds.

    python benchmarks/bench_fleet.py [--kiosks 10000] [--seconds 60] [--rate 333]
        [--interval 30] [--ramp S] [--workers 2] [--sim-processes 2] [--commands-per-s 2]
        [--commands ping|fleet] [--no-postgres]

A quick run: ``--kiosks 500 --seconds 30`` (the heartbeat rate is then 500/30 per second
unless ``--rate`` sets the interval to kiosks/rate).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_intake import start_postgres  # noqa: E402
from benchmarks.fleet.commands import final_states, issue  # noqa: E402
from benchmarks.fleet.dashboard_pages import (  # noqa: E402
    TARGET_S,
    list_pages,
    ops_session,
    time_pages,
)
from benchmarks.fleet.figures import merge, print_report  # noqa: E402
from benchmarks.fleet.kiosk_code import HEARTBEAT_PATH, heartbeat_payload  # noqa: E402
from benchmarks.fleet.service import (  # noqa: E402
    SimIdentity,
    bulk_enroll,
    cpu_seconds,
    established,
    memory_bytes,
    raise_file_limit,
    start_server,
    write_keys,
)
from jobcentre.keys import load_centre_keys  # noqa: E402
from jobcentre.live_store import LiveStore  # noqa: E402
from jobcentre.repository import open_repository  # noqa: E402
from kiosk.agent.live import POLL_PATH  # noqa: E402
from wire import codec, protocol  # noqa: E402

SIM = Path(__file__).resolve().parent / "fleet_sim.py"
CURL_TIMEOUT_S = 30
SIM_START_DELAY_S = 4.0


def curl_baseline(url: str, kiosk: SimIdentity, path: str, payload: Any, times: int = 15
                  ) -> float:
    """Median seconds ``curl`` takes for one signed request (a fresh nonce each time)."""
    key = codec.load_signing_key(kiosk.key)
    body = protocol.canonical_json(payload)
    took = []
    for n in range(times + 5):  # the first five warm up the workers' database connections
        headers = protocol.sign_request(key, kiosk.kiosk_id, "POST", path, body)
        args = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
                "--max-time", str(CURL_TIMEOUT_S), "-X", "POST", "--data-binary", "@-",
                "-H", "Content-Type: application/json"]
        for name, value in headers.items():
            args += ["-H", f"{name}: {value}"]
        done = subprocess.run([*args, url + path], input=body, capture_output=True,
                              timeout=CURL_TIMEOUT_S + 5, check=False)
        if n >= 5:
            took.append(float(done.stdout.split()[-1]))
    return statistics.median(took)


def post_probes(send: Callable[[str, int], str], kiosk_ids: list[str], rate: float,
                until: float, posted: dict[str, float]) -> None:
    """Queue a message for a random kiosk ``rate`` times a second until ``until``."""
    rng = random.Random(11)
    n = 0
    next_at = time.time()
    while next_at < until:
        time.sleep(max(0.0, next_at - time.time()))
        n += 1
        sent = time.time()
        posted[send(rng.choice(kiosk_ids), n)] = sent
        next_at += 1.0 / rate


def sender(args: argparse.Namespace, repo: Any, data: Path) -> Callable[[str, int], str]:
    """``send(kiosk_id, n) -> id``: an ``ops.ping`` probe, or a signed fleet command."""
    if args.commands == "fleet":
        signing = load_centre_keys(data).signing
        return lambda kiosk_id, _n: issue(repo, signing, kiosk_id)
    store = LiveStore(repo)
    return lambda kiosk_id, n: store.add(kiosk_id, "ops.ping", {"probe": n},
                                         timedelta(minutes=10)).message_id


def run_sims(args: argparse.Namespace, url: str, keys: Path, state: Path, start_at: float
             ) -> list[subprocess.Popen[bytes]]:
    """Start the simulator processes; each writes its JSON to ``state/part-N.json``."""
    procs = []
    for part in range(args.sim_processes):
        cmd = [sys.executable, str(SIM), "--url", url, "--keys", str(keys), "--state",
               str(state), "--part", str(part), "--parts", str(args.sim_processes),
               "--start-at", str(start_at), "--ramp", str(args.ramp), "--seconds",
               str(args.seconds), "--interval", str(args.interval), "--wait", str(args.wait),
               "--out", str(state / f"part-{part}.json"), "--commands", args.commands,
               "--centre-key", args.centre_key]
        procs.append(subprocess.Popen(cmd))
    return procs


def bench(args: argparse.Namespace, base: Path, database: str | None, pg_pid: int | None
          ) -> bool:
    """Enroll, serve, simulate, measure; prints the figures."""
    data = base / "data"
    data.mkdir()
    args.centre_key = load_centre_keys(data).signing_public
    states: dict[str, int] = {}
    started = time.monotonic()
    kiosks = bulk_enroll(data, database, args.kiosks)
    keys = base / "kiosk-keys.txt"
    write_keys(keys, kiosks)
    print(f"registered {len(kiosks)} kiosks in bulk in {time.monotonic() - started:.1f} s",
          flush=True)
    extra = ("--live-max-wait", str(args.wait))
    proc, url = start_server(data, database, args.workers, extra)
    try:
        port = int(url.rsplit(":", 1)[1])
        beat = heartbeat_payload(0, args.interval, random.Random(0), in_session=False)
        baselines = {
            "one signed heartbeat": curl_baseline(url, kiosks[0], HEARTBEAT_PATH, beat),
            "one signed live poll (wait 0)": curl_baseline(url, kiosks[1 % len(kiosks)],
                                                           POLL_PATH, {"after": 0, "wait": 0}),
        }
        state = base / "sim"
        state.mkdir()
        start_at = time.time() + SIM_START_DELAY_S
        window = (start_at + args.ramp, start_at + args.ramp + args.seconds)
        sims = run_sims(args, url, keys, state, start_at)
        repo = open_repository(data, database)
        posted: dict[str, float] = {}
        try:
            time.sleep(max(0.0, window[0] - time.time()))
            cpu0, db0 = cpu_seconds(proc.pid), cpu_seconds(pg_pid) if pg_pid else 0.0
            poster = threading.Thread(target=post_probes, daemon=True, args=(
                sender(args, repo, data), [k.kiosk_id for k in kiosks], args.commands_per_s,
                window[1] - min(8.0, args.seconds / 3), posted))
            poster.start()
            time.sleep(max(0.0, (window[0] + window[1]) / 2 - time.time()))
            held_mid = established(port)
            time.sleep(max(0.0, window[1] - 0.5 - time.time()))
            held_end = established(port)
            cpu1, db1 = cpu_seconds(proc.pid), cpu_seconds(pg_pid) if pg_pid else 0.0
            memory = memory_bytes(proc.pid)
            poster.join(timeout=30)
            for sim in sims:
                sim.wait(timeout=args.wait + 120)
            if args.commands == "fleet":
                states = final_states(repo, list(posted))
            print(f"\ndashboard pages over {args.kiosks} kiosks' live state "
                  "(ops account, 5 loads each):")
            pages = list_pages()
            pages[f"/staff/fleet/kiosks/{kiosks[0].kiosk_id}"] = (
                f"/staff/fleet/kiosks/{kiosks[0].kiosk_id}", {})
            worst = time_pages(url, ops_session(repo), pages)
            print(f"slowest page {worst * 1000:.0f} ms "
                  f"({'meets' if worst <= TARGET_S else 'MISSES'} the {TARGET_S:.0f} s target)\n",
                  flush=True)
        finally:
            repo.close()
            for sim in sims:
                if sim.poll() is None:
                    sim.kill()
        parts = [json.loads((state / f"part-{i}.json").read_text())
                 for i in range(args.sim_processes)]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    info = {
        "interval": args.interval, "wait": args.wait, "workers": args.workers,
        "backend": "PostgreSQL 15" if database else "SQLite", "ramp": args.ramp,
        "sim_processes": args.sim_processes, "cores": os.cpu_count(),
        "posted": posted, "established": f"{held_mid} mid-window, {held_end} at its end",
        "server_cpu_s": cpu1 - cpu0, "db_cpu_s": db1 - db0, "server_memory": memory,
        "baselines": baselines, "commands": args.commands, "states": states,
    }
    return print_report(merge(parts), info)


def parse_args() -> argparse.Namespace:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="measuring window (s)")
    parser.add_argument("--interval", type=float, default=30.0, help="heartbeat interval (s)")
    parser.add_argument("--rate", type=float, default=None,
                        help="heartbeats per second (sets --interval to kiosks/rate)")
    parser.add_argument("--ramp", type=float, default=None,
                        help="seconds over which kiosks connect (default kiosks/400, >= 5)")
    parser.add_argument("--wait", type=float, default=25.0, help="live poll wait (s)")
    parser.add_argument("--workers", type=int, default=2, help="intake processes")
    parser.add_argument("--sim-processes", type=int, default=2)
    parser.add_argument("--commands-per-s", type=float, default=2.0)
    parser.add_argument("--commands", choices=("ping", "fleet"), default="fleet",
                        help="signed fleet commands (timed until the done report is stored), "
                        "or ops.ping probes (timed until handled)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite instead")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if args.kiosks < 2 or args.seconds <= 0 or args.sim_processes < 1:
        parser.error("need at least 2 kiosks, a positive window and one simulator process")
    if args.rate:
        args.interval = args.kiosks / args.rate
    if args.ramp is None:
        args.ramp = max(5.0, args.kiosks / 400)
    return args


def main() -> int:
    """Run the benchmark."""
    args = parse_args()
    raise_file_limit(2 * args.kiosks + 4096)  # the server's processes inherit it
    base = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    stop: list[str] = []
    try:
        database, pg_pid = None, None
        if not args.no_postgres:
            database, stop = start_postgres(base, max_connections=120)
            pg_pid = int((base / "pg" / "postmaster.pid").read_text().split()[0])
        ok = bench(args, base, database, pg_pid)
    finally:
        if stop:
            subprocess.run(stop, capture_output=True, timeout=90, check=False)
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
