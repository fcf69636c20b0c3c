"""A full disk on either side, on a real size-limited tmpfs (we run as root).

Kiosk side: ``submit`` raises ``StorageError`` and leaves nothing behind (no temp file, no
row), whatever step ran out of space; once space is back, everything works. Server side: the
upload fails, the kiosk keeps its sealed copy, and delivers once the server has space again.
If mounting a tmpfs is not permitted the tests are skipped (with that reason).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from foundation.errors import StorageError
from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import load_identity
from kiosk.delivery.service import DeliveryService
from kiosk.delivery.transport import ServerClient
from kiosk.delivery.uploader import Uploader
from tests.delivery.conftest import Promise, assert_promises_kept, enroll_kiosk
from tests.delivery.helpers import CUSTOMER, config_for, enroll_locally, make_document
from tests.delivery.netfaults import ServerProcess


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """Mount a size-limited tmpfs at ``path`` for the duration."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(  # noqa: S603, S607
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True, timeout=30, check=False,
    )
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here: " + done.stderr.decode().strip())
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30, check=False)  # noqa: S603, S607


def resize(path: Path, size: str) -> None:
    """Grow or shrink a mounted tmpfs."""
    subprocess.run(  # noqa: S603, S607
        ["mount", "-o", f"remount,size={size}", str(path)], check=True, timeout=30,
        capture_output=True,
    )


def fill(path: Path, leave_bytes: int) -> Path:
    """Fill the filesystem at ``path`` until about ``leave_bytes`` are free."""
    filler = path / "filler.bin"
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    with open(filler, "ab") as fh, contextlib.suppress(OSError):
        fh.write(b"\0" * max(0, free - leave_bytes))
    return filler


def test_kiosk_disk_full_stores_nothing_half(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "kiosk", "2m") as data:
        enroll_locally(data)
        svc = DeliveryService(config_for(data), data)
        try:
            outcomes = {"stored": 0, "refused": 0}
            for leave_pages in range(0, 24, 2):
                doc = make_document(1, payload_bytes=60_000)
                filler = fill(data, leave_bytes=60_000 + leave_pages * 4096)
                try:
                    sub = svc.submit(CUSTOMER, [doc, make_document(1, 500)], poke_agent=False)
                except StorageError:
                    outcomes["refused"] += 1
                else:
                    outcomes["stored"] += 1
                    for d in sub.documents:
                        assert svc.outbox.sealed_path(d.document_id).exists()
                assert not list((data / "outbox" / "sealed").glob(".*.tmp"))
                filler.unlink()
            assert outcomes["refused"] > 0 and outcomes["stored"] > 0, outcomes
            assert svc.outbox.counts()["stored"] == 2 * outcomes["stored"]
            with pytest.raises(StorageError):
                fill(data, 0)
                svc.submit(CUSTOMER, [make_document(1, 100_000)], poke_agent=False)
            (data / "filler.bin").unlink()
            svc.submit(CUSTOMER, [make_document()], poke_agent=False)  # space is back
            assert svc.outbox.recover() == {"renamed": 0, "orphans_removed": 0, "acked_removed": 0}
        finally:
            svc.close()


def test_server_disk_full_keeps_sealed_copy_until_space_returns(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "srv", "3m") as server_dir:
        server = ServerProcess(server_dir)
        server.start()
        try:
            data = tmp_path / "kiosk"
            enroll_kiosk(server, data)
            with DeliveryService(config_for(data), data) as svc:
                sub = svc.submit(CUSTOMER, [make_document(1, payload_bytes=900_000)],
                                 poke_agent=False)
                filler = fill(server_dir, leave_bytes=300_000)
                identity = load_identity(data)
                assert identity is not None
                with ServerClient(identity, ClockGuard(svc.outbox), 5.0) as client:
                    uploader = Uploader(svc.outbox, client, chunk_bytes=256 * 1024)
                    failed = uploader.sync()
                    assert failed.delivered == 0 and failed.error is not None, failed
                    print("server full answered:", failed.error)
                    assert svc.refresh(sub).documents[0].state == "stored"
                    assert svc.outbox.sealed_path(sub.documents[0].document_id).exists()
                    filler.unlink()
                    resize(server_dir, "20m")
                    assert uploader.sync().delivered == 1
            promise = Promise(
                sub.receipt_number, [(d.document_id, d.sha256) for d in sub.documents]
            )
            assert_promises_kept(server_dir, [promise])
        finally:
            server.stop()
