"""Load benchmark of the intake service: many kiosks uploading sealed documents at once.

Starts a real ``kiosk-server serve`` subprocess on loopback (SQLite by default, a private
PostgreSQL 15 cluster with ``--postgres``), enrolls N simulated kiosks, and lets each upload
one ~1 MB sealed PDF (announce, 1–2 PATCH, finish) concurrently with asyncio + httpx.
Prints p50/p95/p99 request latency per request kind, throughput, and checks that every ack
verifies and every document is stored exactly once.

Client, server and database share the machine's cores, so the figures are a lower bound
for a real deployment. ``--ramp S`` spreads the kiosks' start times over S seconds (kiosks
are not synchronised in reality); ``--ramp 0`` is a worst-case burst. ``--processes 1,2``
runs the PostgreSQL part once per intake process count (``serve --workers N``). Server CPU
is read from /proc (the serve process and its workers, before and after the uploads) and
printed per document.
The kill-one-of-two stress figure comes from ``benchmarks/stress_kill.py --two-processes``.

    python benchmarks/bench_intake.py [--kiosks 200] [--ramp 10] [--postgres] [--processes 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import pwd
import random
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pikepdf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobcentre.enrollment import issue_code  # noqa: E402
from wire import protocol  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
TARGET_P99_MS = 500.0
TLS = ssl.create_default_context()  # one context: building one per client costs ~20 ms CPU


def make_pdf(size: int) -> bytes:
    """A one-page PDF of our own making, padded to about ``size`` bytes."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Producer"] = "jobcenter-kiosk bench"
    pdf.pages[0].obj["/PieceInfo"] = pdf.make_stream(os.urandom(max(0, size - 1000)))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    pdf.close()
    return out.getvalue()


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_postgres(base: Path) -> tuple[str, list[str]]:
    """initdb + pg_ctl start as user postgres; returns (url, stop command)."""
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"PostgreSQL binaries missing in {PG_BIN} (apt-get install postgresql-15)")
    runas = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(base, pg.pw_uid, pg.pw_gid)
    data, port = base / "pg", free_port()
    subprocess.run([*runas, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
                    "--auth=trust", "--no-sync"], check=True, capture_output=True, timeout=120)
    subprocess.run([*runas, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "pg.log"),
                    "-w", "-t", "60", "-o",
                    f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=50",
                    "start"], check=True, capture_output=True, timeout=90)
    subprocess.run([*runas, str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port),
                    "-U", "postgres", "intake"], check=True, capture_output=True, timeout=60)
    stop = [*runas, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
    return f"postgresql://postgres@127.0.0.1:{port}/intake", stop


def start_server(data: Path, database: str | None, workers: int = 1
                 ) -> tuple[subprocess.Popen[bytes], str]:
    """``kiosk-server serve --port 0 [--workers N]``; returns the process and its URL."""
    kek = data.parent / "server.kek"  # beside the data directory, never inside
    if not kek.exists():
        from jobcentre.atrest_kek import write_new_kek

        write_new_kek(kek)
    args = [sys.executable, "-m", "jobcentre.cli", "serve", "--port", "0", "--data", str(data),
            "--kek-file", str(kek),
            # every simulated kiosk enrolls at once from this one address, and all of them
            # upload at the same moment: lift the per-address limit and the concurrency cap
            "--address-rate", "100000", "--address-burst", "100000", "--max-concurrent", "100000"]
    if workers > 1:
        args += ["--workers", str(workers)]
    if database:
        args += ["--database", database]
    log = open(data.parent / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log,
                            cwd=Path(__file__).resolve().parent.parent)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if "listening on" not in line:
        raise SystemExit("server did not start; see " + str(data.parent / "server.log"))
    return proc, line.strip().rsplit(" ", 1)[-1]


class Kiosk:
    """One simulated kiosk with its key and certificate."""

    def __init__(self, key: Any, kiosk_id: str, encryption_key: str) -> None:
        self.key = key
        self.kiosk_id = kiosk_id
        self.encryption_key = encryption_key


async def timed(client: httpx.AsyncClient, kiosk: Kiosk, kind: str, method: str, path: str,
                body: bytes, lat: dict[str, list[float]], headers: dict[str, str] | None = None
                ) -> httpx.Response:
    """A signed request whose latency is recorded under ``kind``."""
    extra = dict(headers or {})
    offset = extra.pop("Upload-Offset", None)
    signed = protocol.sign_request(kiosk.key, kiosk.kiosk_id, method, path, body,
                                   upload_offset=None if offset is None else int(offset))
    start = time.perf_counter()
    answer = await client.request(method, path, content=body, headers={**signed, **extra})
    lat[kind].append((time.perf_counter() - start) * 1000)
    return answer


@dataclass
class Job:
    """One kiosk's document, sealed and cut into chunks before the clock starts."""

    kiosk: Kiosk
    document_id: str
    announce: bytes
    chunks: list[tuple[int, bytes]]
    delay: float


def prepare(kiosk: Kiosk, pdf: bytes, patches: int, delay: float) -> Job:
    """Seal the document and build the announcement, as the kiosk's outbox would hold it."""
    doc_id = str(uuid.uuid4())
    sealed = protocol.seal(pdf, kiosk.encryption_key, protocol.document_aad(doc_id))
    announce = protocol.canonical_json({
        "document_id": doc_id, "receipt_number": f"{kiosk.kiosk_id}-20250301-0001",
        "sealed_size": len(sealed), "sealed_sha256": hashlib.sha256(sealed).hexdigest(),
        "sha256": hashlib.sha256(pdf).hexdigest(), "document_type": "payslip", "pages": 1,
        "page_hash": "0123456789abcdef", "submitted_at": protocol.utc_now_iso(),
    })
    step = -(-len(sealed) // patches)
    chunks = [(o, sealed[o : o + step]) for o in range(0, len(sealed), step)]
    return Job(kiosk, doc_id, announce, chunks, delay)


async def run_kiosk(url: str, job: Job, lat: dict[str, list[float]],
                    centre: str, sha256: str) -> dict[str, Any]:
    """Upload one document like the kiosk's uploader: announce, PATCH chunks, finish."""
    await asyncio.sleep(job.delay)
    async with httpx.AsyncClient(base_url=url, timeout=120, verify=TLS) as client:
        return await upload_job(client, job, lat, centre, sha256)


async def upload_job(client: httpx.AsyncClient, job: Job, lat: dict[str, list[float]],
                     centre: str, sha256: str) -> dict[str, Any]:
    """The requests of one upload on the kiosk's own connection."""
    kiosk, path = job.kiosk, f"/api/v1/uploads/{job.document_id}"
    answer = await timed(client, kiosk, "announce", "POST", "/api/v1/uploads", job.announce, lat)
    assert answer.status_code == 201, answer.text
    for offset, chunk in job.chunks:
        answer = await timed(client, kiosk, "patch", "PATCH", path, chunk, lat,
                             {"Upload-Offset": str(offset)})
        assert answer.status_code == 200, answer.text
    answer = await timed(client, kiosk, "finish", "POST", path + "/finish", b"", lat)
    assert answer.status_code == 200, answer.text
    ack = answer.json()["ack"]
    assert protocol.verify_ack(ack, centre) and ack["sha256"] == sha256
    return dict(ack)


async def watch_loop_lag(lags: list[float], stop: asyncio.Event) -> None:
    """How late the client's own event loop wakes up (its share of measured latency)."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append((time.perf_counter() - start - 0.01) * 1000)


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def cpu_seconds(pid: int, fields_from: int = 11, fields_to: int = 15) -> float:
    """User + system CPU of a process, its live children and its reaped ones (Linux /proc)."""
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(c) for c in children.read_text().split()] if children.exists() else []
    for one in [pid, *kids]:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(f) for f in fields[fields_from:fields_to])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


async def bench(url: str, data: Path, database: str | None, args: argparse.Namespace,
                server_pid: int) -> int:
    """Enroll, upload concurrently, report."""
    limits = httpx.Limits(max_connections=args.kiosks, max_keepalive_connections=args.kiosks)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        codes = [issue_code(data, f"bench {i}", database) for i in range(args.kiosks)]
        keys = [protocol.generate_signing_key() for _ in codes]
        answers = await asyncio.gather(*[
            client.post("/api/v1/enroll",
                        json={"code": c, "public_key": protocol.public_key_b64u(k)})
            for c, k in zip(codes, keys, strict=True)])
        bodies = [a.json() for a in answers]
        centre = bodies[0]["centre_signing_public_key"]
        kiosks = [Kiosk(k, b["certificate"]["kiosk_id"], b["centre_encryption_public_key"])
                  for k, b in zip(keys, bodies, strict=True)]
        pdf = make_pdf(args.size)
        sha256 = hashlib.sha256(pdf).hexdigest()
        rng = random.Random(7)
        jobs = [prepare(k, pdf, 1 + i % 2, rng.uniform(0, args.ramp))
                for i, k in enumerate(kiosks)]
        lat: dict[str, list[float]] = defaultdict(list)
        lags: list[float] = []
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch_loop_lag(lags, stop))
        start = time.perf_counter()
        cpu_client, cpu_server = time.process_time(), cpu_seconds(server_pid)
        sys_server = cpu_seconds(server_pid, 12, 13) + cpu_seconds(server_pid, 14, 15)
        acks = await asyncio.gather(*[run_kiosk(url, j, lat, centre, sha256) for j in jobs])
        wall = time.perf_counter() - start
        stop.set()
        await watcher
        cpu_client = time.process_time() - cpu_client
        cpu_server = cpu_seconds(server_pid) - cpu_server
        sys_server = cpu_seconds(server_pid, 12, 13) + cpu_seconds(server_pid, 14, 15) - sys_server
    every = [v for values in lat.values() for v in values]
    print(f"backend: {'PostgreSQL 15' if database else 'SQLite (WAL, synchronous=FULL)'}; "
          f"{args.kiosks} kiosks, document {len(pdf) / 1e6:.2f} MB, ramp {args.ramp:g} s, "
          f"{args.current_workers} intake process(es), "
          f"{os.cpu_count()} cores shared by client, server and database (a lower bound)")
    print(f"{'request':<10}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind in ("announce", "patch", "finish", "all"):
        values = every if kind == "all" else lat[kind]
        print(f"{kind:<10}{len(values):>6}{pct(values, 50):>10.1f}{pct(values, 95):>10.1f}"
              f"{pct(values, 99):>10.1f}{max(values):>10.1f}")
    print(f"wall {wall:.1f} s, {len(every) / wall:.0f} requests/s, {len(acks) / wall:.1f} "
          f"documents/s, {len(acks) * len(pdf) / wall / 1e6:.1f} MB/s; "
          f"mean request {statistics.fmean(every):.1f} ms")
    print(f"CPU during the run: server {cpu_server:.1f} s, client {cpu_client:.1f} s "
          f"(of {wall * (os.cpu_count() or 1):.1f} core-seconds available); client event-loop "
          f"lag p50 {pct(lags, 50):.0f} ms, p99 {pct(lags, 99):.0f} ms (included above)")
    print(f"server CPU per {len(pdf) / 1e6:.2f} MB document: "
          f"{cpu_server / len(acks) * 1000:.1f} ms, of which kernel "
          f"{sys_server / len(acks) * 1000:.1f} ms (all requests of one upload; "
          f"the database's own CPU not included)")
    distinct = len({a["document_id"] for a in acks})
    listed = subprocess.run(
        [sys.executable, "-m", "jobcentre.cli", "list", "--data", str(data), "--json",
         *(["--database", database] if database else [])],
        capture_output=True, text=True, timeout=120, check=True)
    stored = len(json.loads(listed.stdout))
    print(f"acks verified: {len(acks)}, distinct documents: {distinct}, stored rows: {stored}")
    p99 = pct(every, 99)
    verdict = "meets" if p99 <= TARGET_P99_MS else "MISSES"
    print(f"p99 {p99:.0f} ms {verdict} the target of {TARGET_P99_MS:.0f} ms")
    return 0 if stored == distinct == args.kiosks else 1


def main() -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--size", type=int, default=1_000_000, help="document size in bytes")
    parser.add_argument("--ramp", type=float, default=10.0, help="spread of start times, s")
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--processes", default="1",
                        help="comma-separated intake process counts for PostgreSQL, e.g. 1,2")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL runs only")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    runs: list[tuple[bool, int]] = [] if args.no_sqlite else [(False, 1)]
    if args.postgres or args.no_sqlite:
        runs += [(True, n) for n in counts]
    status = 0
    for use_pg, workers in runs:
        args.current_workers = workers
        base = Path(tempfile.mkdtemp(prefix="bench-intake-"))
        stop: list[str] = []
        database = None
        try:
            if use_pg:
                database, stop = start_postgres(base)
            data = base / "data"
            data.mkdir()
            proc, url = start_server(data, database, workers)
            try:
                status |= asyncio.run(bench(url, data, database, args, proc.pid))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        finally:
            if stop:
                subprocess.run(stop, capture_output=True, timeout=90, check=False)
            shutil.rmtree(base, ignore_errors=True)
        print()
    return status


if __name__ == "__main__":
    sys.exit(main())
