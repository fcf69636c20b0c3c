"""Stress: N kill -9 injections into kiosk processes (and the server) during submit and upload.

Uses the same harness as ``tests/delivery/test_kill.py`` (which runs 20): real kiosk
processes submit and upload against the real intake service and are SIGKILLed after random
delays; every ``--server-kill-every`` kills the server is SIGKILLed and restarted too. At the
end a clean process uploads the rest and the run checks: zero documents lost, zero duplicates
on the server, every receipt's promise kept, nothing half-queued, no stray files.

With ``--two-processes`` the service is ``serve --workers 2`` on a private PostgreSQL and,
instead of the whole server, one of the two intake processes is SIGKILLed every
``--server-kill-every`` kiosk kills (the other keeps serving, the supervisor replaces it).

Run: ``.venv/bin/python benchmarks/stress_kill.py --kills 200 [--two-processes]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_intake import start_postgres  # noqa: E402
from tests.delivery.killharness import TwoWorkerServer, enroll_with, run_kills  # noqa: E402
from tests.delivery.netfaults import ServerProcess  # noqa: E402


def main() -> int:
    """Run the kill injections and print the result; exit 1 if any promise was broken."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--server-kill-every", type=int, default=10)
    parser.add_argument("--docs", type=int, default=2, help="documents per submission")
    parser.add_argument("--two-processes", action="store_true",
                        help="serve --workers 2 on PostgreSQL; kill one worker, not the server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "server").mkdir()
        database, stop_pg = None, []
        if args.two_processes:
            database, stop_pg = start_postgres(Path(tempfile.mkdtemp(prefix="stress-pg-")))
        server = (TwoWorkerServer(root / "server", database) if database
                  else ServerProcess(root / "server"))
        server.start()
        try:
            enroll_with(server, root / "kiosk", database)
            try:
                report = run_kills(root / "kiosk", server, args.kills, seed=args.seed,
                                   docs=args.docs, server_kill_every=args.server_kill_every)
            except AssertionError as exc:
                print(f"FAILED: {exc}")
                return 1
        finally:
            server.stop()
            if stop_pg:
                subprocess.run(stop_pg, capture_output=True, timeout=90, check=False)
    promised = sum(len(p.documents) for p in report.promises)
    what = "intake-process kills (1 of 2)" if args.two_processes else "server kills"
    print(f"kiosk kills: {report.kills}, {what}: {report.server_kills}, "
          f"receipts issued: {len(report.promises)}, documents promised: {promised}, "
          f"documents on server: {report.server_documents}, lost: 0, duplicates: 0, "
          f"time: {report.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
