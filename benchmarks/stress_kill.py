"""Stress: N kill -9 injections into kiosk processes (and the server) during submit and upload.

Uses the same harness as ``tests/delivery/test_kill.py`` (which runs 20): real kiosk
processes submit and upload against the real intake service and are SIGKILLed after random
delays; every ``--server-kill-every`` kills the server is SIGKILLed and restarted too. At the
end a clean process uploads the rest and the run checks: zero documents lost, zero duplicates
on the server, every receipt's promise kept, nothing half-queued, no stray files.

Run: ``.venv/bin/python benchmarks/stress_kill.py --kills 200``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.delivery.conftest import enroll_kiosk  # noqa: E402
from tests.delivery.killharness import run_kills  # noqa: E402
from tests.delivery.netfaults import ServerProcess  # noqa: E402


def main() -> int:
    """Run the kill injections and print the result; exit 1 if any promise was broken."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--server-kill-every", type=int, default=10)
    parser.add_argument("--docs", type=int, default=2, help="documents per submission")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "server").mkdir()
        server = ServerProcess(root / "server")
        server.start()
        try:
            enroll_kiosk(server, root / "kiosk")
            try:
                report = run_kills(root / "kiosk", server, args.kills, seed=args.seed,
                                   docs=args.docs, server_kill_every=args.server_kill_every)
            except AssertionError as exc:
                print(f"FAILED: {exc}")
                return 1
        finally:
            server.stop()
    promised = sum(len(p.documents) for p in report.promises)
    print(f"kiosk kills: {report.kills}, server kills: {report.server_kills}, "
          f"receipts issued: {len(report.promises)}, documents promised: {promised}, "
          f"documents on server: {report.server_documents}, lost: 0, duplicates: 0, "
          f"time: {report.seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
