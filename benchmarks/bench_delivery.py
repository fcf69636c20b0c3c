"""Delivery benchmark: upload throughput vs curl, and "finish" tap → receipt bytes latency.

1. Throughput: the real intake service (``kiosk-server serve``) on loopback. The kiosk's
   uploader sends a set of sealed documents (announce, 4 MiB PATCH chunks; the last one's
   answer carries the ack, so no finish); curl then
   sends an equally sized second set over the same protocol to the same server (one curl
   process per document, requests chained with ``--next`` so curl keeps its connection,
   signatures prepared beforehand). Ratio = kiosk MB/s ÷ curl MB/s (target ≥ 0.8).
2. Latency: ``DeliveryService.submit`` (validate, seal, fsync, one transaction, sign the
   receipt) plus building and ESC/POS-encoding the receipt, for typical submissions
   (1–3 documents of 1–3 pages, ~400 KB per page). p50/p95 (target ≤ 1 s).

Run: ``.venv/bin/python benchmarks/bench_delivery.py [--mb 40] [--runs 30]``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from device_drivers.printer.factory import make_encoder  # noqa: E402
from kiosk.delivery.clock import ClockGuard  # noqa: E402
from kiosk.delivery.identity import Identity, load_identity  # noqa: E402
from kiosk.delivery.models import PendingUpload  # noqa: E402
from kiosk.delivery.receipts import build_receipt_layout, default_translate  # noqa: E402
from kiosk.delivery.service import DeliveryService  # noqa: E402
from kiosk.delivery.transport import ServerClient  # noqa: E402
from kiosk.delivery.uploader import UPLOADS, Uploader  # noqa: E402
from tests.delivery.conftest import enroll_kiosk  # noqa: E402
from tests.delivery.helpers import CUSTOMER, config_for, make_document  # noqa: E402
from tests.delivery.netfaults import ServerProcess  # noqa: E402
from wire import protocol  # noqa: E402


def _queue(svc: DeliveryService, total_mb: float, per_doc_mb: float = 8.0) -> list[PendingUpload]:
    count = max(1, round(total_mb / per_doc_mb))
    for _ in range(count):
        svc.submit(CUSTOMER, [make_document(1, int(per_doc_mb * 1e6))], poke_agent=False)
    return svc.outbox.pending()


def _kiosk_upload(svc: DeliveryService, identity: Identity) -> tuple[float, int]:
    items = svc.outbox.pending()
    size = sum(i.sealed_size for i in items)
    with ServerClient(identity, ClockGuard(svc.outbox), 60.0) as client:
        start = time.perf_counter()
        result = Uploader(svc.outbox, client).sync()
        elapsed = time.perf_counter() - start
    assert result.delivered == len(items) and result.error is None, result
    return elapsed, size


def _signed(identity: Identity, method: str, path: str, body: bytes,
            upload_offset: int | None = None) -> list[str]:
    headers = protocol.sign_request(identity.kiosk_key, identity.kiosk_id, method, path, body,
                                    upload_offset=upload_offset)
    return [arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")]


def _curl_args(identity: Identity, item: PendingUpload, url: str, work: Path) -> list[str]:
    meta = protocol.canonical_json({
        "document_id": item.document_id, "receipt_number": item.receipt_number,
        "sealed_size": item.sealed_size, "sealed_sha256": item.sealed_sha256,
        "sha256": item.sha256, "document_type": item.document_type, "pages": item.pages,
        "page_hash": item.page_hash,
        "submitted_at": protocol.format_time(protocol.parse_time(item.submitted_at)),
    })
    (work / f"{item.document_id}.meta").write_bytes(meta)
    args = ["curl", "-sS", "--fail", "-o", "/dev/null", "--max-time", "120",
            "-X", "POST", f"{url}{UPLOADS}", "-H", "Content-Type: application/json",
            *_signed(identity, "POST", UPLOADS, meta),
            "--data-binary", f"@{work / (item.document_id + '.meta')}"]
    sealed = item.sealed_path.read_bytes()
    path = f"{UPLOADS}/{item.document_id}"
    for n, offset in enumerate(range(0, len(sealed), protocol.MAX_CHUNK_BYTES)):
        chunk = sealed[offset : offset + protocol.MAX_CHUNK_BYTES]
        chunk_file = work / f"{item.document_id}.{n}"
        chunk_file.write_bytes(chunk)
        args += ["--next", "-sS", "--fail", "-o", "/dev/null", "-X", "PATCH", f"{url}{path}",
                 "-H", "Content-Type: application/offset+octet-stream",
                 *_signed(identity, "PATCH", path, chunk, offset),
                 "--data-binary", f"@{chunk_file}"]
    return args  # the last chunk's answer carries the ack: the kiosk sends no finish either


def _curl_upload(
    svc: DeliveryService, identity: Identity, url: str, work: Path
) -> tuple[float, int]:
    items = svc.outbox.pending()
    commands = [_curl_args(identity, item, url, work) for item in items]
    size = sum(i.sealed_size for i in items)
    start = time.perf_counter()
    for cmd in commands:
        subprocess.run(cmd, check=True, timeout=300)  # noqa: S603
    elapsed = time.perf_counter() - start
    for item in items:  # these went around the uploader: take them off the queue
        svc.outbox.mark_rejected(item.document_id, "benchmark_curl")
    return elapsed, size


def bench_throughput(root: Path, total_mb: float, rounds: int) -> dict[str, float]:
    """Kiosk vs curl MB/s on loopback against the real service."""
    server = ServerProcess(root / "server")
    (root / "server").mkdir()
    server.start()
    try:
        data = root / "kiosk"
        enroll_kiosk(server, data)
        identity = load_identity(data)
        assert identity is not None
        kiosk_rates, curl_rates = [], []
        with DeliveryService(config_for(data), data) as svc:
            for _ in range(rounds):
                _queue(svc, total_mb)
                t, size = _kiosk_upload(svc, identity)
                kiosk_rates.append(size / t / 1e6)
                _queue(svc, total_mb)
                work = Path(tempfile.mkdtemp(dir=root))
                t, size = _curl_upload(svc, identity, server.url, work)
                shutil.rmtree(work)
                curl_rates.append(size / t / 1e6)
    finally:
        server.stop()
    kiosk, curl = statistics.median(kiosk_rates), statistics.median(curl_rates)
    return {"kiosk_MBps": kiosk, "curl_MBps": curl, "ratio": kiosk / curl}


def bench_finish(root: Path, runs: int) -> dict[str, float]:
    """Finish tap → receipt bytes (submit + layout + ESC/POS encoding), seconds."""
    from tests.delivery.helpers import enroll_locally

    data = root / "latency"
    enroll_locally(data)
    rng = random.Random(3)
    config = config_for(data)
    encoder = make_encoder(config.devices.printer)
    times = []
    with DeliveryService(config, data) as svc:
        for _ in range(runs):
            docs = [make_document(p, p * 400_000) for p in
                    (rng.randint(1, 3) for _ in range(rng.randint(1, 3)))]
            start = time.perf_counter()
            sub = svc.submit(CUSTOMER, docs, poke_agent=False)
            receipt = encoder.encode(build_receipt_layout(sub, "uk", default_translate))
            times.append(time.perf_counter() - start)
            assert receipt
    times.sort()
    return {"p50_s": statistics.median(times), "p95_s": times[int(0.95 * (len(times) - 1))],
            "max_s": times[-1]}


def main() -> int:
    """Run both benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=40.0, help="MB per throughput round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=30, help="finish-tap samples")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        finish = bench_finish(root, args.runs)
        print(f"finish tap -> receipt bytes: p50 {finish['p50_s'] * 1000:.0f} ms, "
              f"p95 {finish['p95_s'] * 1000:.0f} ms, max {finish['max_s'] * 1000:.0f} ms "
              f"(target <= 1000 ms)")
        thr = bench_throughput(root, args.mb, args.rounds)
        print(f"upload throughput: kiosk {thr['kiosk_MBps']:.1f} MB/s, curl "
              f"{thr['curl_MBps']:.1f} MB/s, ratio {thr['ratio']:.2f} (target >= 0.8)")
        print(json.dumps({"finish": finish, "throughput": thr}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
