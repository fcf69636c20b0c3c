"""Many calls' signalling at once against one intake process (part of ``bench_call.py``).

``N`` enrolled kiosks (signed requests, live channel long-polls) each start a walk-in call;
``N`` counsellor WebSockets (one per call, tickets as the console gets them) accept them all
at the same moment, then every call runs the signalling of a real call: the offer relayed to
the kiosk over the live channel and the kiosk's signed answer back to the WebSocket, a chat
line each way, and the end. Media are not part of it (that is the rest of bench_call.py).
Calls live in one process (docs/video.md "One process for calls"), so one is measured.

Figures per step over all calls: p50, p95, max; errors; the server process's CPU.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tests.jobcentre.calls.test_signalling import LiveReader, _expect, _ticket, _ws
from tests.jobcentre.helpers import Kiosk, ServerProcess
from tests.jobcentre.staff.conftest import add_staff


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = 100.0  # os.sysconf("SC_CLK_TCK") is 100 on Linux
    return (int(fields[11]) + int(fields[12])) / ticks


def _one_call(server: ServerProcess, kiosk: Kiosk, go: threading.Barrier) -> dict[str, float]:
    """One call's signalling; seconds per step."""
    live = LiveReader(kiosk)
    started = time.monotonic()
    answer = kiosk.call("POST", "/api/v1/calls", {"language": "de", "topic": "benefits"})
    assert answer.status_code == 201, answer.text
    call_id = answer.json()["call_id"]
    out = {"start": time.monotonic() - started}
    with _ws(server, "/staff/calls/ws", _ticket(server.data_dir)) as counsellor:
        _expect(counsellor, "queue", 30)
        go.wait(60)  # every counsellor accepts at the same moment
        accept_at = time.monotonic()
        counsellor.send(json.dumps({"op": "accept", "call_id": call_id}))
        _expect(counsellor, "joined", 30)
        live.next("call.accepted", 30)
        out["accept_to_kiosk"] = time.monotonic() - accept_at
        offer_at = time.monotonic()
        counsellor.send(json.dumps({"op": "signal", "to": "kiosk", "kind": "offer",
                                    "sdp": "v=0 offer"}))
        live.next("call.offer", 30)
        signalled = kiosk.call("POST", f"/api/v1/calls/{call_id}/signal", {
            "type": "answer", "to": "counsellor", "sdp": "v=0 answer"})
        assert signalled.status_code == 200, signalled.text
        _expect(counsellor, "signal", 30)
        out["offer_to_answer"] = time.monotonic() - offer_at
        chat_at = time.monotonic()
        counsellor.send(json.dumps({"op": "chat", "text": "Guten Tag", "final": True}))
        live.next("call.chat", 30)
        out["chat_to_kiosk"] = time.monotonic() - chat_at
        chat_at = time.monotonic()
        kiosk.call("POST", f"/api/v1/calls/{call_id}/signal",
                   {"type": "chat", "text": "Hallo", "final": True})
        _expect(counsellor, "chat", 30)
        out["chat_to_counsellor"] = time.monotonic() - chat_at
        end_at = time.monotonic()
        counsellor.send(json.dumps({"op": "end"}))
        live.next("call.ended", 30)
        out["end_to_kiosk"] = time.monotonic() - end_at
    out["whole"] = time.monotonic() - started
    return out


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run_signalling(calls: int = 50) -> dict[str, Any]:
    """Run ``calls`` calls' signalling at once; figures per step."""
    with tempfile.TemporaryDirectory(prefix="bench-call-sig-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        (data / "video.json").write_text(json.dumps({"limits": {"chat_per_s": 10}}))
        server = ServerProcess(data, None).start()
        try:
            add_staff(server, "clara", "counsellor")
            kiosks = [Kiosk(server, name=f"Kiosk {i}") for i in range(calls)]
            go = threading.Barrier(calls)
            assert server.proc is not None
            cpu0, t0 = _cpu_s(server.proc.pid), time.monotonic()
            with ThreadPoolExecutor(max_workers=calls) as pool:
                futures = [pool.submit(_one_call, server, k, go) for k in kiosks]
                results, errors = [], []
                for future in futures:
                    try:
                        results.append(future.result(timeout=300))
                    except Exception as exc:  # noqa: BLE001 - counted and shown
                        errors.append(f"{type(exc).__name__}: {exc}"[:120])
            wall = time.monotonic() - t0
            server_cpu = (_cpu_s(server.proc.pid) - cpu0) / wall
            for kiosk in kiosks:
                kiosk.close()
        finally:
            server.stop()
    steps = {step: [r[step] for r in results] for step in (results[0] if results else {})}
    return {"calls": calls, "done": len(results), "errors": errors, "wall_s": wall,
            "server_cpu": server_cpu,
            "steps": {step: (statistics.median(v), _p95(v), max(v)) for step, v in steps.items()}}


def print_signalling(result: dict[str, Any]) -> None:
    """The figures, one line per step."""
    print(f"{result['calls']} concurrent calls' signalling (one intake process): "
          f"{result['done']} completed, {len(result['errors'])} errors, "
          f"{result['wall_s']:.1f} s wall, server {100 * result['server_cpu']:.0f} % of a core")
    for step, (p50, p95, worst) in result["steps"].items():
        print(f"  {step:20s} p50 {1000 * p50:6.0f} ms  p95 {1000 * p95:6.0f} ms  "
              f"max {1000 * worst:6.0f} ms")
    for error in result["errors"][:5]:
        print(f"  error: {error}")
