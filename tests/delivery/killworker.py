"""A kiosk process for kill -9 tests: submits and uploads in a loop until it is killed.

Run as ``python -m tests.delivery.killworker --data DIR [--chunk N] [--docs K]``. After each
``submit()`` returns (= the kiosk has promised the documents) it prints one line
``PROMISE <receipt_number> <doc_id>:<sha256> ...`` and flushes, so the parent knows exactly
what a receipt promised even if the process dies one instruction later. Uploading uses the
real outbox and uploader with a small chunk size, so kills land in every protocol step.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import load_identity
from kiosk.delivery.service import DeliveryService
from kiosk.delivery.transport import ServerClient
from kiosk.delivery.uploader import Uploader
from tests.delivery.helpers import CUSTOMER, config_for, make_document


def main() -> int:
    """Submit and sync until killed (or ``--rounds`` are done)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--chunk", type=int, default=16 * 1024)
    parser.add_argument("--docs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--mode", choices=("mixed", "submit", "sync"), default="mixed")
    args = parser.parse_args()
    rng = random.Random()
    with DeliveryService(config_for(args.data), args.data) as service:
        if args.mode == "sync":  # like the agent and `kiosk sync`: repair what a kill left
            service.outbox.recover()
        identity = load_identity(args.data)
        assert identity is not None
        client = ServerClient(identity, ClockGuard(service.outbox), timeout_s=5.0)
        uploader = Uploader(service.outbox, client, chunk_bytes=args.chunk)
        print("READY", flush=True)
        try:
            for _ in range(args.rounds):
                if args.mode in ("mixed", "submit"):
                    docs = [make_document(rng.randint(1, 3), rng.randint(10_000, 60_000))
                            for _ in range(args.docs)]
                    sub = service.submit(CUSTOMER, docs, poke_agent=False)
                    parts = " ".join(f"{d.document_id}:{d.sha256}" for d in sub.documents)
                    print(f"PROMISE {sub.receipt_number} {parts}", flush=True)
                if args.mode in ("mixed", "sync"):
                    result = uploader.sync()
                    print(f"SYNC {result.delivered} {result.error}", flush=True)
                    if args.mode == "sync" and not service.outbox.pending():
                        break
        finally:
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
