"""An offset the intake service reports for resuming never exceeds what is durably on disk.

Chunks are written without fsync (the PATCH answer only says where to go on); every offset
the service reports so that a kiosk can resume -- announce again, GET, a 409 at PATCH or
finish -- has been fsync'd (part file and its folder) before it is reported. The service
runs in this process on a real SQLite database and real files; its document store gets a
sync function that calls ``os.fsync`` and records how far each file was made durable.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from foundation.errors import ApiError
from jobcentre.atrest import AtRest
from jobcentre.docstore import DocumentStore
from jobcentre.intake import IntakeLimits, IntakeService
from jobcentre.keys import load_centre_keys
from jobcentre.repository import KioskRecord, Repository, open_repository
from tests.jobcentre.helpers import make_pdf
from wire import protocol


class RecordingSync:
    """``os.fsync`` that remembers, per inode, how many bytes it made durable."""

    def __init__(self) -> None:
        self.durable: dict[int, int] = {}
        self.calls = 0

    def __call__(self, fd: int) -> None:
        os.fsync(fd)
        self.calls += 1
        info = os.fstat(fd)
        self.durable[info.st_ino] = info.st_size if stat.S_ISREG(info.st_mode) else -1


@dataclass
class Intake:
    service: IntakeService
    repo: Repository
    store: DocumentStore
    sync: RecordingSync
    kiosk: KioskRecord

    def durable_part(self, document_id: str) -> int | None:
        """Bytes of the part made durable so far (None: never synced)."""
        return self.sync.durable.get(self.store.part_path(document_id).stat().st_ino)

    def incoming_synced(self) -> bool:
        return self.sync.durable.get(self.store.incoming.stat().st_ino) == -1


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[Intake]:
    data = tmp_path / "data"
    sync = RecordingSync()
    store = DocumentStore(data, sync=sync)
    at_rest = AtRest(os.urandom(32))
    repo = open_repository(data, None, at_rest)
    repo.add_enrollment_code("code-hash", "Terminal 1", "2999-01-01T00:00:00.000Z")
    kiosk = repo.enroll("code-hash", "unused-public-key", lambda kiosk_id, name: {})
    assert kiosk is not None
    service = IntakeService(repo, store, load_centre_keys(data), IntakeLimits(), at_rest)
    try:
        yield Intake(service, repo, store, sync, kiosk)
    finally:
        repo.close()
        store.close()


def announcement(intake: Intake, pdf: bytes) -> tuple[dict[str, Any], bytes]:
    document_id = "0b9f6a52-1c33-4a8e-9a43-5d2f0e7c1a01"
    public = protocol.public_key_b64u(intake.service.keys.encryption.public_key())
    sealed = protocol.seal(pdf, public, protocol.document_aad(document_id))
    return {
        "document_id": document_id, "receipt_number": "T1-20270115-0001",
        "sealed_size": len(sealed), "sealed_sha256": hashlib.sha256(sealed).hexdigest(),
        "sha256": hashlib.sha256(pdf).hexdigest(), "document_type": "payslip", "pages": 1,
        "page_hash": "0123456789abcdef", "submitted_at": protocol.utc_now_iso(),
    }, sealed


def test_every_reported_offset_is_durable_and_a_chunk_ack_promises_less(
        intake: Intake) -> None:
    meta, sealed = announcement(intake, make_pdf(pages=1))
    doc_id, third = meta["document_id"], len(sealed) // 3
    service, kiosk = intake.service, intake.kiosk
    assert service.announce(kiosk, meta) == (201, {"offset": 0})

    assert service.append(kiosk, doc_id, "0", sealed[:third]) == {"offset": third}
    assert intake.durable_part(doc_id) is None  # the chunk's answer is no durability promise
    assert service.append(kiosk, doc_id, str(third), sealed[third:2 * third]) == {
        "offset": 2 * third}
    assert intake.durable_part(doc_id) is None

    status = service.status(kiosk, doc_id)
    assert status["offset"] == 2 * third
    assert intake.durable_part(doc_id) == 2 * third and intake.incoming_synced()

    with pytest.raises(ApiError) as early:
        service.finish(kiosk, doc_id)
    assert (early.value.status, early.value.extra["offset"]) == (409, 2 * third)

    wrong = service.append(kiosk, doc_id, str(2 * third), sealed[2 * third:2 * third + 10])
    assert wrong == {"offset": 2 * third + 10}  # not the last chunk: to the part, unsynced
    assert intake.durable_part(doc_id) == 2 * third
    with pytest.raises(ApiError) as mismatch:
        service.append(kiosk, doc_id, "0", sealed[:third])
    assert mismatch.value.status == 409
    assert mismatch.value.extra["offset"] == 2 * third + 10
    assert intake.durable_part(doc_id) == 2 * third + 10  # synced before it was reported

    assert service.announce(kiosk, meta) == (200, {"offset": 2 * third + 10})
    rest = sealed[2 * third + 10:]
    done = service.append(kiosk, doc_id, str(2 * third + 10), rest)
    assert (done["offset"], done["complete"]) == (len(sealed), True)
    assert not intake.store.part_path(doc_id).exists()  # stored with the last chunk
    ack = service.finish(kiosk, doc_id)["ack"]
    assert ack == done["ack"]
    assert ack["sha256"] == meta["sha256"]
    stored = intake.repo.get_document(doc_id)
    assert stored is not None
    assert intake.sync.durable[(intake.store.root / stored.path).stat().st_ino] > len(rest)
