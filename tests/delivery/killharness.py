"""Kill -9 harness shared by the fault test and ``benchmarks/stress_kill.py``.

Spawns real kiosk processes (``tests.delivery.killworker``) that submit and upload against
the real intake service, SIGKILLs them after random delays (and now and then SIGKILLs and
restarts the server too), then lets a clean process finish the uploads and checks: every
promised document is on the server exactly once with the same SHA-256, nothing is stored
twice, no submission is half-queued and no temp or delivered sealed file is left behind.

With ``TwoWorkerServer`` (``serve --workers 2`` on PostgreSQL) the server kill becomes the
kill of one of the two intake processes: the other keeps serving and the parent replaces the
dead one, so kiosks see cut connections but never a refused port.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from jobcentre.enrollment import issue_code
from kiosk.delivery.identity import enroll
from kiosk.delivery.outbox import Outbox
from tests.delivery.conftest import Promise, assert_promises_kept
from tests.delivery.netfaults import _LISTEN_RE, SERVE, ServerProcess

REPO = Path(__file__).resolve().parents[2]


@dataclass
class KillReport:
    """What the run did and found."""

    kills: int = 0
    server_kills: int = 0
    promises: list[Promise] = field(default_factory=list)
    server_documents: int = 0
    submissions_in_outbox: int = 0
    seconds: float = 0.0


def _spawn(data: Path, mode: str, docs: int) -> subprocess.Popen[str]:
    rounds = "4" if mode == "submit" else "1000"  # bounded: the final sync must stay short
    return subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "tests.delivery.killworker", "--data", str(data), "--mode", mode,
         "--docs", str(docs), "--rounds", rounds],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _collect(proc: subprocess.Popen[str], lines: list[str]) -> threading.Thread:
    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.strip())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _parse(lines: list[str]) -> list[Promise]:
    promises = []
    for line in lines:
        if line.startswith("PROMISE "):
            _, rn, *parts = line.split()
            promises.append(Promise(rn, [tuple(p.split(":")) for p in parts]))  # type: ignore[misc]
        # A line cut by the kill (no trailing parts) promises nothing: it was never complete.
    return promises


class TwoWorkerServer(ServerProcess):
    """``kiosk-server serve --workers 2 --database URL``; ``kill_one`` SIGKILLs one worker."""

    def __init__(self, data_dir: Path, database: str, port: int = 0) -> None:
        super().__init__(data_dir, port)
        self.database = database

    def start(self, timeout_s: float = 30.0) -> str:
        """Start the supervisor with two workers on PostgreSQL; returns the base URL."""
        if not self.kek_file.exists():
            from jobcentre.atrest_kek import write_new_kek

            write_new_kek(self.kek_file)
        args = [sys.executable, "-c", SERVE, "serve", "--data", str(self.data_dir),
                "--port", str(self.port), "--kek-file", str(self.kek_file),
                "--workers", "2", "--database", self.database]
        self.proc = subprocess.Popen(  # noqa: S603 - our own command line
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        match = _LISTEN_RE.search(self.proc.stdout.readline())
        if match is None:
            self.stop()
            raise RuntimeError("intake service did not start")
        self.url, self.port = match.group(1), int(match.group(2))
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + timeout_s
        while len(self.workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.url

    def workers(self) -> list[int]:
        """The worker processes alive now."""
        assert self.proc is not None
        pid = self.proc.pid
        path = Path(f"/proc/{pid}/task/{pid}/children")
        return sorted(int(p) for p in path.read_text().split()) if path.exists() else []

    def kill_one(self, rng: random.Random) -> None:
        """SIGKILL one of the two workers and wait until the supervisor replaced it."""
        deadline = time.monotonic() + 30
        while len(self.workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = rng.choice(self.workers())
        os.kill(victim, signal.SIGKILL)
        while time.monotonic() < deadline:
            alive = [p for p in self.workers() if p != victim]
            if len(alive) == 2:
                return
            time.sleep(0.05)
        raise AssertionError("the killed worker was not replaced within 30 s")


def enroll_with(server: ServerProcess, data_dir: Path, database: str | None = None) -> str:
    """Enroll a kiosk data dir to ``server`` whose database is ``database`` (None: SQLite)."""
    code = issue_code(server.data_dir, f"kiosk-{data_dir.name}", database)
    return enroll(server.url, code, data_dir).identity.kiosk_id


def run_kills(
    data: Path, server: ServerProcess, kills: int, seed: int = 1, docs: int = 2,
    server_kill_every: int = 10, max_delay_s: float = 1.2,
) -> KillReport:
    """Run ``kills`` kill injections, finish cleanly, check every promise; returns a report."""
    rng = random.Random(seed)
    report = KillReport()
    start = time.monotonic()
    for i in range(kills):
        mode = rng.choice(("mixed", "mixed", "submit", "sync"))
        proc = _spawn(data, mode, docs)
        lines: list[str] = []
        reader = _collect(proc, lines)
        deadline = time.monotonic() + 30
        while "READY" not in lines and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, max_delay_s))
        if server_kill_every and i % server_kill_every == server_kill_every - 1:
            if isinstance(server, TwoWorkerServer):
                server.kill_one(rng)
            else:
                server.stop(kill=True)
                server.start()
            report.server_kills += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        reader.join(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
        report.kills += 1
        report.promises += _parse(lines)
    finish = _spawn(data, "sync", docs)
    lines = []
    reader = _collect(finish, lines)
    finish.wait(timeout=300)
    reader.join(timeout=5)
    if finish.stdout is not None:
        finish.stdout.close()
    check_outbox(data, docs)
    report.server_documents = assert_promises_kept(
        server.data_dir, report.promises, getattr(server, "database", None))
    report.seconds = time.monotonic() - start
    return report


def check_outbox(data: Path, docs_per_submission: int) -> None:
    """No half-queued submission, nothing left waiting, no stray sealed or temp file."""
    with Outbox(data) as outbox:
        counts = outbox.counts()
        assert counts["stored"] == 0 and counts["rejected"] == 0, counts
        repaired = outbox.recover()  # only temp files of never-committed submissions may go
        assert repaired["renamed"] == 0, repaired
        rows = outbox._rows(  # noqa: SLF001 - test inspection
            "SELECT s.submission_id, COUNT(d.document_id) FROM submissions s LEFT JOIN documents"
            " d USING (submission_id) GROUP BY s.submission_id"
        )
        assert all(n == docs_per_submission for _, n in rows), "a half-queued submission"
    leftovers = list((data / "outbox" / "sealed").iterdir())
    assert leftovers == [], f"{len(leftovers)} sealed/temp files left"
