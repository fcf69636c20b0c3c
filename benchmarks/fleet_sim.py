"""The fleet simulator: many kiosks per asyncio process against a real ``kiosk-server``.

Each simulated kiosk runs the agent's own code (``benchmarks/fleet/kiosk_code.py``): it keeps
one signed live-channel long poll open (``POST /api/v1/live/poll`` through the agent's
``LiveClient``: its poll body, answer handling, cursor and message routing), and sends a
signed heartbeat (the agent's payload builder) every ``--interval`` seconds, the first one
at a random moment within the first interval. Requests are signed by ``wire.request_auth``
and sent on raw asyncio streams (``benchmarks/fleet/transport.py``); a heartbeat opens a
connection and closes it after the answer, as the agent's client does once the server's
keep-alive has expired; the poll keeps its connection.

Messages of type ``ops.ping`` carrying ``{"probe": N}`` are recorded with the time they were
handled, so ``bench_fleet.py`` times a message from the moment it was queued to the moment
the kiosk handled it. With ``--commands fleet``, signed
``fleet.command`` messages are taken by the agent's own code and reported to
``/api/v1/fleet/command-result``; the time recorded is when the service acknowledged the
final report (``benchmarks/fleet/commands.py``). The process raises its own RLIMIT_NOFILE,
and reports its own CPU (user + system, ``getrusage``) over the measuring window, apart
from the server's.

    python benchmarks/fleet_sim.py --url http://127.0.0.1:PORT --keys KEYS --state DIR
        [--part 0 --parts 1] [--start-at EPOCH] [--ramp 10] [--seconds 30]
        [--interval 30] [--wait 25] [--out FILE]

The JSON it prints (or writes to ``--out``) is what ``bench_fleet.py`` merges.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.fleet.commands import MESSAGE_TYPE as COMMAND_TYPE  # noqa: E402
from benchmarks.fleet.commands import SimCommands, result_path  # noqa: E402
from benchmarks.fleet.kiosk_code import (  # noqa: E402
    HEARTBEAT_PATH,
    heartbeat_payload,
    live_client,
)
from benchmarks.fleet.service import SimIdentity, raise_file_limit, read_keys  # noqa: E402
from benchmarks.fleet.transport import (  # noqa: E402
    KioskConnection,
    TransportError,
    signed_request,
)
from foundation.errors import BackendUnavailable  # noqa: E402
from jobcentre.gc_tuning import tune_gc  # noqa: E402
from kiosk.agent.live import POLL_PATH, Dispatch  # noqa: E402
from wire import codec  # noqa: E402

HEARTBEAT_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 20.0
PROBE_TYPE = "ops.ping"


@dataclass
class Window:
    """The measuring window (unix times) and the end of the run."""

    start: float
    end: float

    def holds(self, moment: float) -> bool:
        """Whether ``moment`` lies inside the window."""
        return self.start <= moment < self.end


@dataclass
class Stats:
    """What one simulator process saw."""

    heartbeat_ms: list[float] = field(default_factory=list)
    heartbeat_status: Counter[str] = field(default_factory=Counter)
    polls_sent: int = 0
    polls_answered: int = 0
    polls_in_window: int = 0
    poll_status: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    handled: list[dict[str, Any]] = field(default_factory=list)
    deliveries: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    open_polls: list[int] = field(default_factory=list)
    loop_lag_ms: list[float] = field(default_factory=list)


class SimKiosk:
    """One simulated kiosk: its key, its live channel and its heartbeat."""

    def __init__(self, index: int, identity: SimIdentity, url: str, state_dir: Path,
                 args: argparse.Namespace, stats: Stats, window: Window,
                 commands: SimCommands | None = None) -> None:
        split = urlsplit(url)
        self.index = index
        self.kiosk_id = identity.kiosk_id
        self.key = codec.load_signing_key(identity.key)
        self.host, self.port = split.hostname or "127.0.0.1", split.port or 80
        self.netloc = split.netloc
        self.interval_s = float(args.interval)
        self.stats = stats
        self.window = window
        self.rng = random.Random(index)
        handlers: dict[str, Dispatch] = {PROBE_TYPE: self._on_probe}
        self.reports: list[dict[str, Any]] = []
        if commands is not None:
            handlers[COMMAND_TYPE] = commands.handler(self.kiosk_id, self.reports)
        self.live = live_client(state_dir / self.kiosk_id, handlers, float(args.wait))
        self.poll_conn = KioskConnection(self.host, self.port)
        self.tasks: set[asyncio.Task[None]] = set()

    def _on_probe(self, message: dict[str, Any]) -> None:
        body = message.get("body")
        body = body if isinstance(body, dict) else {}
        self.stats.deliveries[str(message.get("id"))] += 1
        self.stats.handled.append({"kiosk_id": self.kiosk_id, "id": message.get("id"),
                                   "probe": body.get("probe"), "at": time.time()})

    async def run_live(self, delay: float) -> None:
        """Keep the live channel open until cancelled, backing off like the agent."""
        await asyncio.sleep(delay)
        stats = self.stats
        while True:
            raw = signed_request(self.key, self.kiosk_id, self.netloc, "POST", POLL_PATH,
                                 self.live.poll_body())
            stats.polls_sent += 1
            stats.in_flight += 1
            try:
                reply = await self.poll_conn.exchange(raw, self.live.wait_s + 15.0)
            except TransportError as exc:
                stats.errors[f"poll:{exc.code}"] += 1
                await asyncio.sleep(self.live.backoff.next_delay())
                continue
            finally:
                stats.in_flight -= 1
            stats.poll_status[str(reply.status)] += 1
            try:
                self.live.take_answer(reply.status, reply.body)
            except BackendUnavailable as exc:
                stats.errors[f"poll:{exc.code}"] += 1
                await asyncio.sleep(self.live.backoff.next_delay())
                continue
            stats.polls_answered += 1
            if self.window.holds(time.time()):
                stats.polls_in_window += 1
            if self.reports:  # sent beside the poll, as the agent's reporter thread does
                task = asyncio.create_task(self.send_reports(self.reports[:]))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
                self.reports.clear()

    async def send_reports(self, bodies: list[dict[str, Any]]) -> None:
        """POST command reports in order on one connection; a final one is recorded."""
        conn = KioskConnection(self.host, self.port)
        try:
            for body in bodies:
                raw = signed_request(self.key, self.kiosk_id, self.netloc, "POST",
                                     result_path(), body)
                try:
                    reply = await conn.exchange(raw, HEARTBEAT_TIMEOUT_S)
                except TransportError as exc:
                    self.stats.errors[f"report:{exc.code}"] += 1
                    return
                if reply.status != 200:
                    self.stats.errors[f"report:http_{reply.status}"] += 1
                elif body["state"] in ("done", "failed"):
                    self.stats.deliveries[body["id"]] += 1
                    self.stats.handled.append({"kiosk_id": self.kiosk_id, "id": body["id"],
                                               "state": body["state"], "at": time.time()})
        finally:
            await conn.close()

    async def run_heartbeats(self, delay: float) -> None:
        """One heartbeat every interval until cancelled, the first after ``delay``."""
        next_at = time.monotonic() + delay
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += self.interval_s
            body = heartbeat_payload(self.index, self.interval_s, self.rng, in_session=False)
            raw = signed_request(self.key, self.kiosk_id, self.netloc, "POST", HEARTBEAT_PATH,
                                 body)
            conn = KioskConnection(self.host, self.port)
            sent = time.time()
            start = time.perf_counter()
            try:
                reply = await conn.exchange(raw, HEARTBEAT_TIMEOUT_S)
            except TransportError as exc:
                self.stats.errors[f"heartbeat:{exc.code}"] += 1
                continue
            finally:
                await conn.close()
            elapsed = (time.perf_counter() - start) * 1000
            if self.window.holds(sent):
                self.stats.heartbeat_status[str(reply.status)] += 1
                if reply.status == 200:
                    self.stats.heartbeat_ms.append(elapsed)
                else:
                    self.stats.errors[f"heartbeat:http_{reply.status}"] += 1


async def watch(stats: Stats, window: Window) -> None:
    """Sample open polls once a second and the loop's own lag every 50 ms, in the window."""
    tick = 0
    while True:
        start = time.perf_counter()
        await asyncio.sleep(0.05)
        now = time.time()
        if window.holds(now):
            stats.loop_lag_ms.append((time.perf_counter() - start - 0.05) * 1000)
            tick += 1
            if tick % 20 == 0:
                stats.open_polls.append(stats.in_flight)


async def simulate(identities: list[SimIdentity], args: argparse.Namespace) -> dict[str, Any]:
    """Run the kiosks from ``args.start_at`` until the window ends; return the figures."""
    stats = Stats()
    start_at = args.start_at or time.time() + 1.0
    window = Window(start_at + args.ramp, start_at + args.ramp + args.seconds)
    commands = (SimCommands(args.centre_key, Path(args.state))
                if args.commands == "fleet" else None)
    kiosks = [SimKiosk(i, identity, args.url, Path(args.state), args, stats, window, commands)
              for i, identity in zip(args.indexes, identities, strict=True)]
    tune_gc()  # as the server does: full collections over 10,000 kiosks stall the loop
    await asyncio.sleep(max(0.0, start_at - time.time()))
    rng = random.Random(args.part)
    tasks = [asyncio.create_task(watch(stats, window))]
    for kiosk in kiosks:
        tasks.append(asyncio.create_task(kiosk.run_live(rng.uniform(0, args.ramp))))
        tasks.append(asyncio.create_task(kiosk.run_heartbeats(rng.uniform(0, args.interval))))
    await asyncio.sleep(max(0.0, window.start - time.time()))
    cpu_start = _own_cpu()
    await asyncio.sleep(max(0.0, window.end - time.time()))
    cpu = _own_cpu() - cpu_start
    open_at_end = stats.in_flight
    for task in tasks:
        task.cancel()
    done, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_TIMEOUT_S)
    if pending:
        print(f"fleet_sim: {len(pending)} task(s) did not stop, e.g.", file=sys.stderr)
        next(iter(pending)).print_stack(file=sys.stderr)
    await asyncio.wait([asyncio.create_task(k.poll_conn.close()) for k in kiosks],
                       timeout=SHUTDOWN_TIMEOUT_S)
    return {
        "kiosks": len(kiosks), "cpu_s": cpu, "window_s": window.end - window.start,
        "heartbeat_ms": stats.heartbeat_ms, "heartbeat_status": dict(stats.heartbeat_status),
        "polls_sent": stats.polls_sent, "polls_answered": stats.polls_answered,
        "polls_in_window": stats.polls_in_window,
        "poll_status": dict(stats.poll_status), "errors": dict(stats.errors),
        "handled": stats.handled, "duplicates": sum(n - 1 for n in stats.deliveries.values()),
        "open_polls": stats.open_polls, "open_polls_at_end": open_at_end,
        "loop_lag_ms": stats.loop_lag_ms,
        "file_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
    }


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The simulator's options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the service, e.g. http://127.0.0.1:8443")
    parser.add_argument("--keys", type=Path, required=True, help="key file of bench_fleet")
    parser.add_argument("--state", type=Path, required=True,
                        help="folder for the kiosks' live-channel cursors")
    parser.add_argument("--part", type=int, default=0, help="this process's share (0-based)")
    parser.add_argument("--parts", type=int, default=1, help="processes sharing the kiosks")
    parser.add_argument("--start-at", type=float, default=0.0, help="unix time to begin")
    parser.add_argument("--ramp", type=float, default=10.0,
                        help="seconds over which the kiosks open their live channel")
    parser.add_argument("--seconds", type=float, default=30.0, help="measuring window (s)")
    parser.add_argument("--interval", type=float, default=30.0, help="heartbeat interval (s)")
    parser.add_argument("--wait", type=float, default=25.0, help="live poll wait (s)")
    parser.add_argument("--commands", choices=("ping", "fleet"), default="ping",
                        help="what the bench sends: ops.ping probes, or signed fleet.command "
                        "messages reported to command-result")
    parser.add_argument("--centre-key", default="",
                        help="the centre signing public key (base64url) for --commands fleet")
    parser.add_argument("--out", type=Path, help="write the JSON here instead of stdout")
    args = parser.parse_args(argv)
    if not 0 <= args.part < args.parts:
        parser.error("--part must be in 0..parts-1")
    if args.commands == "fleet" and not args.centre_key:
        parser.error("--commands fleet needs --centre-key")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run one simulator process."""
    args = parse_args(argv)
    identities = read_keys(args.keys, args.part, args.parts)
    total = len(read_keys(args.keys))
    args.indexes = list(range(args.part, total, args.parts))
    raise_file_limit(2 * len(identities) + 1024)
    result = json.dumps(asyncio.run(simulate(identities, args)))
    if args.out:
        args.out.write_text(result)
    else:
        print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
