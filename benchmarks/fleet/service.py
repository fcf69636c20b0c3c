"""The service under test: ``kiosk-server serve`` (N intake processes), bulk enrollment, /proc.

**Bulk enrollment is benchmark-only.** Enrolling 10,000 kiosks over HTTP takes minutes, so
``bulk_enroll`` writes the kiosks straight into the repository's ``kiosks`` table, exactly
the rows ``SqlRepository.enroll`` writes: a fresh Ed25519 key per kiosk, its public key, and
a certificate signed by the centre signing key (``protocol.sign_certificate``). The private
keys stay with the simulator, so every simulated request is really signed and the service
really verifies it. Never use this path for real kiosks: it skips the one-time codes.

CPU and memory of the service come from /proc (the serve process and its workers, live and
reaped; PostgreSQL's postmaster and its backends), apart from the simulator's own.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobcentre.keys import load_centre_keys
from jobcentre.repository import db_time, open_repository
from wire import codec, protocol

ROOT = Path(__file__).resolve().parents[2]
KEYS_FILE = "kiosk-keys.txt"
_COLS = "kiosk_id, name, public_key, certificate, enrolled_at, revoked_at"
START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class SimIdentity:
    """One simulated kiosk: its id and raw private key."""

    kiosk_id: str
    key: bytes


def raise_file_limit(wanted: int) -> int:
    """Raise this process's RLIMIT_NOFILE towards ``wanted`` (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = max(soft, wanted)
    if hard != resource.RLIM_INFINITY and target > hard:
        try:  # root may raise the hard limit (up to fs.nr_open)
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, target))
            return target
        except (ValueError, OSError):
            target = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def bulk_enroll(data_dir: Path, database: str | None, count: int, prefix: str = "sim"
                ) -> list[SimIdentity]:
    """Register ``count`` kiosks with real keys and certificates (benchmark-only, see above)."""
    keys = load_centre_keys(data_dir)
    repo = open_repository(data_dir, database)
    made: list[SimIdentity] = []
    try:
        now = db_time()
        for start in range(0, count, 1000):
            rows = []
            for i in range(start, min(count, start + 1000)):
                key = codec.generate_signing_key()
                kiosk_id, name = f"{prefix}-{i:05d}", f"Simulated kiosk {i}"
                public = codec.public_key_b64u(key)
                certificate = protocol.sign_certificate(kiosk_id, name, public, keys.signing)
                rows.append((kiosk_id, name, public, codec.canonical_json(certificate).decode(),
                             now, None))
                made.append(SimIdentity(kiosk_id, codec.private_key_bytes(key)))
            with repo.transaction(write=True) as execute:
                for row in rows:
                    execute(f"INSERT INTO kiosks ({_COLS}) VALUES (?, ?, ?, ?, ?, ?)", row)
    finally:
        repo.close()
    return made


def write_keys(path: Path, kiosks: list[SimIdentity]) -> None:
    """The simulator's key file: ``kiosk_id base64url-key`` per line, mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        for kiosk in kiosks:
            out.write(f"{kiosk.kiosk_id} {codec.b64u_encode(kiosk.key)}\n")


def read_keys(path: Path, part: int = 0, parts: int = 1) -> list[SimIdentity]:
    """Every ``parts``-th kiosk of a key file, starting at ``part``."""
    lines = path.read_text(encoding="ascii").split()
    pairs = list(zip(lines[::2], lines[1::2], strict=True))
    return [SimIdentity(k, codec.b64u_decode(v)) for k, v in pairs[part::parts]]


def start_server(data: Path, database: str | None, workers: int, extra: tuple[str, ...] = ()
                 ) -> tuple[subprocess.Popen[bytes], str]:
    """``kiosk-server serve --port 0 --workers N`` with limits sized for a simulated fleet."""
    kek = data.parent / "server.kek"  # beside the data directory, never inside
    if not kek.exists():
        from jobcentre.atrest_kek import write_new_kek

        write_new_kek(kek)
    args = [sys.executable, "-m", "jobcentre.cli", "serve", "--port", "0", "--data", str(data),
            "--kek-file", str(kek),
            # every simulated kiosk comes from this one address: lift the per-address limit
            # (unsigned requests only; signed ones are limited per kiosk as in production)
            "--address-rate", "100000", "--address-burst", "100000", *extra]
    if workers > 1:
        args += ["--workers", str(workers)]
    if database:
        args += ["--database", database]
    log = open(data.parent / "server.log", "ab")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if "listening on" not in line:
        raise SystemExit("server did not start; see " + str(data.parent / "server.log"))
    return proc, line.strip().rsplit(" ", 1)[-1]


def family(pid: int) -> list[int]:
    """``pid`` and its live children (one level: the intake workers, the database backends)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        kids = [int(c) for c in children.read_text().split()]
    except OSError:
        kids = []
    return [pid, *kids]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid``, its live children and its reaped ones (Linux /proc)."""
    total = 0
    for one in family(pid):
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def memory_bytes(pid: int) -> dict[str, Any]:
    """Resident memory (now and peak, bytes) of ``pid`` and each live child."""
    out: dict[str, Any] = {"rss": 0, "peak": 0, "processes": 0}
    for one in family(pid):
        try:
            status = Path(f"/proc/{one}/status").read_text()
        except OSError:
            continue
        values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        out["rss"] += int(values.get("VmRSS", "0 kB").split()[0]) * 1024
        out["peak"] += int(values.get("VmHWM", "0 kB").split()[0]) * 1024
        out["processes"] += 1
    return out


def established(port: int) -> int:
    """TCP connections established to ``port`` on this machine (server side, /proc/net/tcp)."""
    wanted = f":{port:04X}"
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as rows:
                next(rows, None)
                for row in rows:
                    cols = row.split()
                    if len(cols) > 3 and cols[3] == "01" and cols[1].endswith(wanted):
                        count += 1
        except OSError:
            continue
    return count
