"""``kiosk-server serve --workers 2`` on PostgreSQL: uploads, a killed worker, a graceful stop."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.jobcentre.conftest import new_database
from tests.jobcentre.helpers import Document, Kiosk, ServerProcess, make_pdf, upload


def worker_pids(parent: int) -> set[int]:
    """The live child processes of ``parent`` (Linux /proc)."""
    path = Path(f"/proc/{parent}/task/{parent}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def listening_sockets(port: int) -> int:
    """How many sockets listen on ``port`` (Linux /proc/net/tcp*; one per worker with
    ``SO_REUSEPORT``)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


def wait_for(predicate: object, timeout_s: float = 30.0) -> None:
    """Poll ``predicate()`` until true or fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    pytest.fail("condition not met in time")


@pytest.fixture
def two_workers(tmp_path: Path, pg_url: str) -> Iterator[ServerProcess]:
    """``serve --workers 2`` on a fresh PostgreSQL database."""
    data = tmp_path / "server"
    server = ServerProcess(data, new_database(pg_url), extra=("--workers", "2")).start()
    yield server
    server.stop()


def test_two_workers_serve_replace_a_killed_one_and_stop(two_workers: ServerProcess) -> None:
    assert two_workers.proc is not None
    parent = two_workers.proc.pid
    wait_for(lambda: len(worker_pids(parent)) == 2)
    # a socket of its own for each worker: the kernel spreads connections evenly
    port = int(two_workers.url.rsplit(":", 1)[1])
    assert listening_sockets(port) == 2
    log = two_workers.data_dir.parent / f"{two_workers.data_dir.name}-server.log"
    # both created their tables at once on a fresh database: none may have failed doing so
    assert "failed" not in log.read_text()
    kiosk = Kiosk(two_workers)
    try:
        docs = [Document(kiosk, make_pdf(1), 1) for _ in range(4)]
        for doc in docs[:2]:
            assert upload(kiosk, doc, chunk=4096).status_code == 200
        before = worker_pids(parent)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(worker_pids(parent) - {victim}) == 2)
        assert listening_sockets(port) == 2  # the parent kept the victim's socket
        kiosk.rebase(two_workers)  # the killed worker's connections are gone
        for doc in docs[2:]:
            assert upload(kiosk, doc, chunk=4096).status_code == 200
        again = upload(kiosk, docs[0])  # stored once, answered from the database
        assert again.status_code == 200
    finally:
        kiosk.close()
    workers = worker_pids(parent)
    two_workers.proc.send_signal(signal.SIGTERM)
    assert two_workers.proc.wait(timeout=40) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid), "a worker outlived serve"


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_workers_must_be_positive(tmp_path: Path) -> None:
    from tests.jobcentre.helpers import run_cli

    result = run_cli("serve", "--port", "0", "--data", str(tmp_path / "d"), "--workers", "0")
    assert result.returncode != 0
    assert "--workers" in result.stderr
