"""Load benchmark of the intake service: many kiosks uploading sealed documents at once.

Starts a real ``kiosk-server serve`` subprocess on loopback, enrolls N simulated kiosks, and
lets each upload one ~1 MB sealed PDF concurrently, the way the kiosk's uploader sends it:
one request, ``POST /uploads`` with the ``Upload-Announcement`` header and the sealed
document as its body, answered with the signed ack (``--chunk-bytes`` below the document's
size sends the rest as PATCHes, the resumable path). One run prints everything issue #10
asks for: the SQLite run (server CPU per document), then a private PostgreSQL 15 cluster
with one and with two intake processes (``serve --workers N``, burst p99), then the
kill-one-of-two stress result of ``benchmarks/stress_kill.py --two-processes --kills N``
(``--stress-kills N``, 200 by default, 0 skips it).

Kiosks enroll long before they upload, so the bench waits until every intake process has
read the new kiosks' keys (``KNOWN_KIOSKS_REFRESH_S``), and a running service has served
uploads before: ``--warmup 1`` (default) lets every kiosk upload one document, unmeasured,
before the measured burst (``--warmup 0``: a cold start, which costs more: the processes'
database connections open and their heaps grow during the burst).

The PDF is made like the kiosk's (Producer, an XMP packet with a transfer note and a
customer number, a ~1 MB image stream), so the server does all of its checks on it. The
kiosks run on raw asyncio streams with every request signed before the clock starts
(``benchmarks/intake_client.py``): the server gets the same bytes as from the real
uploader, at a fifth of httpx's client CPU. ``--ramp 0`` (default) is the issue's burst, all
kiosks at the same instant; ``--ramp S`` spreads the starts over S seconds.

Server CPU is read from /proc (the serve process and its workers, live and reaped, user +
kernel) just before the first and just after the last upload, and divided by the documents
stored: it counts every request of an upload. The database's CPU (PostgreSQL's backends)
is printed separately. Client, server and database share the cores: latency is a lower bound.
With one request per document, the burst's p99 is close to the time the whole burst takes.
A run in which any request gets an unexpected answer stops with it and prints the server's
log lines other than INFO (e.g. ``database unavailable: database error: DeadlockDetected
(40P01)``, the cause of the 503 that two intake processes on PostgreSQL once gave).

    python benchmarks/bench_intake.py [--kiosks 200] [--ramp 0] [--no-postgres]
                                      [--processes 1,2] [--stress-kills 200|0]
                                      [--warmup 1] [--chunk-bytes 4194304]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import io
import json
import os
import pwd
import random
import shutil
import socket
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
from urllib.parse import urlsplit

import httpx
import pikepdf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.intake_client import Prepared, prepare_request, run_requests  # noqa: E402
from jobcentre.enrollment import issue_code  # noqa: E402
from jobcentre.service import KNOWN_KIOSKS_REFRESH_S  # noqa: E402
from wire import protocol  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql/15/bin")
TARGET_P99_MS = 500.0
PRODUCER = "jobcenter-kiosk scanning 0.1 (pikepdf)"
NOTE_NS = "https://jobcenter-kiosk.invalid/ns/transfer-note/1.0/"
XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" xmlns:jck="{ns}">
   <pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Dokument payslip</rdf:li></rdf:Alt></dc:title>
   <xmp:CreateDate>2026-03-01T09:00:00Z</xmp:CreateDate><dc:format>application/pdf</dc:format>
   <pdf:Producer>{producer}</pdf:Producer>
   <jck:TransferNote>{note}</jck:TransferNote>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def make_pdf(size: int) -> bytes:
    """A one-page PDF like the kiosk's (Producer, XMP transfer note), about ``size`` bytes."""
    from xml.sax.saxutils import escape

    note = {"customer_number": "123A456789", "document_type": "payslip", "extensions": [],
            "kiosk_id": "bench", "pages": [{"sha256": "0" * 64, "verdict": "ok"}]}
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Producer"] = PRODUCER
    pdf.pages[0].obj["/PieceInfo"] = pdf.make_stream(os.urandom(max(0, size - 2500)))
    pdf.Root.Metadata = pikepdf.Stream(
        pdf, XMP.format(ns=NOTE_NS, producer=PRODUCER,
                        note=escape(json.dumps(note, sort_keys=True))).encode(),
        Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    pdf.close()
    return out.getvalue()


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_postgres(base: Path, max_connections: int = 50) -> tuple[str, list[str]]:
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
                    f"-p {port} -k {base} -c listen_addresses=127.0.0.1 "
                    f"-c max_connections={max_connections}",
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


@dataclass
class Job:
    """One kiosk's upload: sealed, chunked and signed before the clock starts."""

    kiosk: Kiosk
    document_id: str
    requests: list[Prepared]
    delay: float


def prepare(kiosk: Kiosk, pdf: bytes, chunk_bytes: int, delay: float, host: str) -> Job:
    """Seal the document and sign its requests, as the kiosk's uploader sends them: the
    announcement with the first chunk (``POST /uploads``), then the rest in PATCHes."""
    doc_id = str(uuid.uuid4())
    sealed = protocol.seal(pdf, kiosk.encryption_key, protocol.document_aad(doc_id))
    announce = protocol.encode_announcement({
        "document_id": doc_id, "receipt_number": f"{kiosk.kiosk_id}-20250301-0001",
        "sealed_size": len(sealed), "sealed_sha256": hashlib.sha256(sealed).hexdigest(),
        "sha256": hashlib.sha256(pdf).hexdigest(), "document_type": "payslip", "pages": 1,
        "page_hash": "0123456789abcdef", "submitted_at": protocol.utc_now_iso(),
    })
    path = f"/api/v1/uploads/{doc_id}"
    sign = functools.partial(prepare_request, kiosk.key, kiosk.kiosk_id, host)
    step = min(chunk_bytes, protocol.MAX_CHUNK_BYTES)
    requests = [sign("upload", "POST", "/api/v1/uploads", sealed[:step], 201,
                     announcement=announce)]
    requests += [sign("patch", "PATCH", path, sealed[o : o + step], 200, upload_offset=o)
                 for o in range(step, len(sealed), step)]
    requests.append(sign("finish", "POST", path + "/finish", b"", 200))
    return Job(kiosk, doc_id, requests, delay)


async def run_kiosk(host: str, port: int, job: Job, lat: dict[str, list[float]]
                    ) -> dict[str, Any]:
    """Upload one document like the kiosk's uploader: announce, PATCH chunks (the last one's
    answer carries the ack; finish only if it does not)."""
    await asyncio.sleep(job.delay)
    answer = await run_requests(host, port, job.requests, lat)
    return dict(answer.json()["ack"])


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


@dataclass
class Run:
    """The figures of one run."""

    label: str
    p99_ms: float
    cpu_ms: float
    kernel_ms: float
    db_cpu_ms: float | None
    ok: bool


async def enroll(url: str, data: Path, database: str | None, n: int) -> tuple[list[Kiosk], str]:
    """Enroll ``n`` kiosks (with httpx, before the clock); returns them and the centre key."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        codes = [issue_code(data, f"bench {i}", database) for i in range(n)]
        keys = [protocol.generate_signing_key() for _ in codes]
        answers = await asyncio.gather(*[
            client.post("/api/v1/enroll",
                        json={"code": c, "public_key": protocol.public_key_b64u(k)})
            for c, k in zip(codes, keys, strict=True)])
    bodies = [a.json() for a in answers]
    kiosks = [Kiosk(k, b["certificate"]["kiosk_id"], b["centre_encryption_public_key"])
              for k, b in zip(keys, bodies, strict=True)]
    return kiosks, bodies[0]["centre_signing_public_key"]


def postmaster_pid(database: str | None, base: Path) -> int | None:
    """The PostgreSQL postmaster of this run (its backends are its children)."""
    pid_file = base / "pg" / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if database and pid_file.exists() else None


async def bench(url: str, data: Path, database: str | None, args: argparse.Namespace,
                server_pid: int, pg_pid: int | None) -> Run:
    """Enroll, upload concurrently, report."""
    kiosks, centre = await enroll(url, data, database, args.kiosks)
    # kiosks enroll long before they upload: let every intake process read the new keys
    await asyncio.sleep(KNOWN_KIOSKS_REFRESH_S + 1.0)
    split = urlsplit(url)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    pdf = make_pdf(args.size)
    sha256 = hashlib.sha256(pdf).hexdigest()
    rng = random.Random(7)
    for _ in range(args.warmup):  # a running service has served uploads before
        warm = [prepare(k, pdf, args.chunk_bytes, 0.0, split.netloc) for k in kiosks]
        await asyncio.gather(*[run_kiosk(host, port, j, defaultdict(list)) for j in warm])
        await asyncio.sleep(1.0)
    jobs = [prepare(k, pdf, args.chunk_bytes, rng.uniform(0, args.ramp), split.netloc)
            for k in kiosks]
    lat: dict[str, list[float]] = defaultdict(list)
    lags: list[float] = []
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_loop_lag(lags, stop))
    start = time.perf_counter()
    cpu_client, cpu_server = time.process_time(), cpu_seconds(server_pid)
    sys_server = cpu_seconds(server_pid, 12, 13) + cpu_seconds(server_pid, 14, 15)
    cpu_db = cpu_seconds(pg_pid) if pg_pid else 0.0
    acks = await asyncio.gather(*[run_kiosk(host, port, j, lat) for j in jobs])
    wall = time.perf_counter() - start
    cpu_client = time.process_time() - cpu_client
    cpu_server = cpu_seconds(server_pid) - cpu_server
    sys_server = cpu_seconds(server_pid, 12, 13) + cpu_seconds(server_pid, 14, 15) - sys_server
    cpu_db = cpu_seconds(pg_pid) - cpu_db if pg_pid else 0.0
    stop.set()
    await watcher
    verified = sum(protocol.verify_ack(a, centre) and a["sha256"] == sha256 for a in acks)
    every = [v for values in lat.values() for v in values]
    label = (f"PostgreSQL 15, {args.current_workers} intake process(es)" if database
             else "SQLite (WAL, synchronous=FULL), 1 intake process")
    print(f"backend: {label}; {args.kiosks} kiosks, document {len(pdf) / 1e6:.2f} MB, "
          f"ramp {args.ramp:g} s, after {args.warmup} unmeasured round(s), "
          f"{os.cpu_count()} cores shared by client, server and database (a lower bound)")
    print(f"{'request':<10}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind in ("upload", "patch", "finish", "all"):
        values = every if kind == "all" else lat[kind]
        if not values:  # finish: the last chunk's answer carried the ack
            continue
        print(f"{kind:<10}{len(values):>6}{pct(values, 50):>10.1f}{pct(values, 95):>10.1f}"
              f"{pct(values, 99):>10.1f}{max(values):>10.1f}")
    print(f"wall {wall:.2f} s, {len(every) / wall:.0f} requests/s, {len(acks) / wall:.1f} "
          f"documents/s, {len(acks) * len(pdf) / wall / 1e6:.1f} MB/s; "
          f"mean request {statistics.fmean(every):.1f} ms")
    print(f"CPU during the run: server {cpu_server:.2f} s, database {cpu_db:.2f} s, client "
          f"{cpu_client:.2f} s (of {wall * (os.cpu_count() or 1):.1f} core-seconds available); "
          f"client event-loop lag p50 {pct(lags, 50):.0f} ms, p99 {pct(lags, 99):.0f} ms")
    run = Run(label, pct(every, 99), cpu_server / len(acks) * 1000,
              sys_server / len(acks) * 1000,
              cpu_db / len(acks) * 1000 if pg_pid else None, False)
    db_text = (f"; database (PostgreSQL backends) {run.db_cpu_ms:.1f} ms more"
               if run.db_cpu_ms is not None else " (SQLite runs inside it)")
    print(f"server CPU per {len(pdf) / 1e6:.2f} MB document: {run.cpu_ms:.1f} ms, of which "
          f"kernel {run.kernel_ms:.1f} ms (all requests of one upload){db_text}")
    distinct = len({a["document_id"] for a in acks})
    listed = subprocess.run(
        [sys.executable, "-m", "jobcentre.cli", "list", "--data", str(data), "--json",
         *(["--database", database] if database else [])],
        capture_output=True, text=True, timeout=120, check=True)
    stored = len(json.loads(listed.stdout))
    print(f"acks verified: {verified}, distinct documents: {distinct}, stored rows: {stored}")
    verdict = "meets" if run.p99_ms <= TARGET_P99_MS else "MISSES"
    print(f"p99 {run.p99_ms:.0f} ms {verdict} the target of {TARGET_P99_MS:.0f} ms")
    run.ok = stored == distinct + args.warmup * args.kiosks and distinct == verified == args.kiosks
    return run


def one_run(args: argparse.Namespace, use_pg: bool, workers: int) -> Run:
    """Start the database and server of one run, bench them, stop them."""
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
            return asyncio.run(bench(url, data, database, args, proc.pid,
                                     postmaster_pid(database, base)))
        except BaseException:
            print_server_errors(base / "server.log")
            raise
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        if stop:
            subprocess.run(stop, capture_output=True, timeout=90, check=False)
        shutil.rmtree(base, ignore_errors=True)
        os.sync()  # the next run must not wait on this one's deletions (ext4 discard)
        print(flush=True)


def print_server_errors(log: Path, most: int = 40) -> None:
    """The server's warnings, errors and tracebacks of a failed run (its files are removed)."""
    if not log.exists():
        return
    lines = [line for line in log.read_text(errors="replace").splitlines()
             if line.strip() and not line.startswith("INFO")]
    print(f"server log ({len(lines)} lines other than INFO, the last {most}):", file=sys.stderr)
    for line in lines[-most:]:
        print("  " + line, file=sys.stderr)


def stress(kills: int) -> tuple[bool, str]:
    """``stress_kill.py --two-processes --kills N``: its verdict line."""
    script = Path(__file__).resolve().parent / "stress_kill.py"
    done = subprocess.run([sys.executable, str(script), "--two-processes", "--kills",
                           str(kills)], capture_output=True, text=True, timeout=3600,
                          check=False)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return done.returncode == 0, lines[-1] if lines else f"exit status {done.returncode}"


def main() -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--size", type=int, default=1_000_000, help="document size in bytes")
    parser.add_argument("--warmup", type=int, default=1, metavar="ROUNDS",
                        help="unmeasured upload rounds of all kiosks first (0: a cold start)")
    parser.add_argument("--chunk-bytes", type=int, default=protocol.MAX_CHUNK_BYTES,
                        help="chunk size (the kiosk's: 4 MiB, one request per 1 MB document)")
    parser.add_argument("--ramp", type=float, default=0.0,
                        help="spread of start times in s (0: all kiosks at the same instant)")
    parser.add_argument("--no-postgres", action="store_true", help="the SQLite run only")
    parser.add_argument("--processes", default="1,2",
                        help="comma-separated intake process counts for PostgreSQL (1,2)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL runs only")
    parser.add_argument("--stress-kills", type=int, default=200, metavar="N",
                        help="then run stress_kill.py --two-processes with N kills (200; "
                        "0 skips it: it takes 10-25 minutes)")
    args = parser.parse_args()
    runs: list[tuple[bool, int]] = [] if args.no_sqlite else [(False, 1)]
    if not args.no_postgres:
        runs += [(True, int(n)) for n in args.processes.split(",")]
    results = [one_run(args, use_pg, workers) for use_pg, workers in runs]
    print("summary (issue #10: <= 5 ms server CPU per 1 MB document, burst p99 <= "
          f"{TARGET_P99_MS:.0f} ms for {args.kiosks} kiosks, ramp {args.ramp:g} s):")
    for run in results:
        db = f" + database {run.db_cpu_ms:.1f} ms" if run.db_cpu_ms is not None else ""
        print(f"  {run.label}: server CPU {run.cpu_ms:.1f} ms/document (kernel "
              f"{run.kernel_ms:.1f}){db}, p99 {run.p99_ms:.0f} ms"
              f"{'' if run.ok else ' (DOCUMENTS MISSING)'}")
    status = 0 if all(r.ok for r in results) else 1
    if args.stress_kills:
        ok, line = stress(args.stress_kills)
        print(f"  kill one of two intake processes: {line}")
        status |= 0 if ok else 1
    return status


if __name__ == "__main__":
    sys.exit(main())
