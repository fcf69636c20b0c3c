"""Opening the intake database a second time in a process loses nothing another process commits.

Regression test: ``private_sqlite_files`` used to open and close the database file on every
open. Closing any descriptor of the file drops the process's POSIX locks on it, including the
shared lock of its open WAL connections, so the next process to close its last connection
deleted the WAL under them: the embedded service (which opens the database again to issue the
kiosk's enrollment code) then lost live messages a ``kiosk-server`` command had queued.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from jobcentre.live_store import LiveStore
from jobcentre.sqlstore import SqliteRepository

TTL = timedelta(hours=1)
_OTHER_PROCESS = """
import sys
from datetime import timedelta
from pathlib import Path
from jobcentre.live_store import LiveStore
from jobcentre.sqlstore import SqliteRepository
repo = SqliteRepository(Path(sys.argv[1]))
print(LiveStore(repo).add("kiosk-1", "ops.test", {}, timedelta(hours=1)).seq)
repo.close()
"""


def _post_from_another_process(path: Path) -> int:
    done = subprocess.run([sys.executable, "-c", _OTHER_PROCESS, str(path)],
                          capture_output=True, text=True, timeout=120, check=True)
    return int(done.stdout)


def test_a_second_open_in_the_same_process_keeps_the_first_ones_commits(tmp_path: Path) -> None:
    path = tmp_path / "intake.sqlite3"
    service = SqliteRepository(path)
    live = LiveStore(service)
    try:
        seqs = [live.add("kiosk-1", "ops.test", {}, TTL).seq]
        SqliteRepository(path).close()  # e.g. issuing an enrollment code beside the service
        for _ in range(2):
            seqs.append(_post_from_another_process(path))
            seqs.append(live.add("kiosk-1", "ops.test", {}, TTL).seq)
        assert seqs == sorted(set(seqs)), f"a sequence number was handed out twice: {seqs}"
        reader = sqlite3.connect(path, timeout=30)
        try:
            rows = reader.execute("SELECT seq FROM live_messages ORDER BY seq")
            stored = [row[0] for row in rows]
        finally:
            reader.close()
        assert stored == seqs
    finally:
        service.close()
