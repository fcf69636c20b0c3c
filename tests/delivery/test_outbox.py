"""The outbox and DeliveryService.submit without a server: atomicity, recovery, receipts."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from foundation.errors import BackendRefused, InvalidCustomerNumber, SessionError
from kiosk.delivery.models import PreparedDocument
from kiosk.delivery.outbox import Outbox
from kiosk.delivery.service import DeliveryService
from tests.delivery.helpers import CUSTOMER, config_for, enroll_locally, make_document
from wire import protocol


@pytest.fixture()
def service(tmp_path: Path):
    enroll_locally(tmp_path)
    svc = DeliveryService(config_for(tmp_path), tmp_path)
    yield svc
    svc.close()


def test_submit_stores_all_documents_sealed(service: DeliveryService, tmp_path: Path) -> None:
    docs = [make_document(2), make_document(1, doc_type="rent")]
    sub = service.submit(CUSTOMER, docs, poke_agent=False)
    assert sub.masked_customer_number == "123A****89"
    assert [d.state for d in sub.documents] == ["stored", "stored"]
    assert sub.receipt_number.startswith("kiosk-test-01-") and sub.receipt_number.endswith("-0001")
    for doc, prepared in zip(sub.documents, docs, strict=True):
        sealed = (tmp_path / "outbox" / "sealed" / f"{doc.document_id}.jck").read_bytes()
        assert sealed.startswith(b"JCK1")
        assert prepared.pdf not in sealed
        assert doc.page_hash == protocol.page_hash_from_digests(prepared.page_image_sha256)
    assert not list((tmp_path / "outbox" / "sealed").glob(".*.tmp"))


def test_receipt_numbers_count_up_and_persist(service: DeliveryService, tmp_path: Path) -> None:
    first = service.submit(CUSTOMER, [make_document()], poke_agent=False)
    service.close()
    again = DeliveryService(config_for(tmp_path), tmp_path)
    try:
        second = again.submit(CUSTOMER, [make_document()], poke_agent=False)
    finally:
        again.close()
    assert first.receipt_number[-4:] == "0001" and second.receipt_number[-4:] == "0002"


def test_receipt_qr_verifies_against_centre_key(tmp_path: Path) -> None:
    centre = enroll_locally(tmp_path)
    with DeliveryService(config_for(tmp_path), tmp_path) as svc:
        sub = svc.submit(CUSTOMER, [make_document(3)], poke_agent=False)
    verified = protocol.decode_and_verify_receipt(sub.receipt_qr, centre.signing)
    assert verified.receipt_number == sub.receipt_number
    assert verified.receipt["cn"] == "123A****89"
    assert verified.docs[0]["id"] == sub.documents[0].document_id[:8]
    assert verified.docs[0]["p"] == 3
    assert protocol.parse_time(verified.receipt["t"]) == sub.stored_at


def test_bad_customer_number_stores_nothing(service: DeliveryService, tmp_path: Path) -> None:
    with pytest.raises(InvalidCustomerNumber):
        service.submit("12", [make_document()], poke_agent=False)
    assert service.outbox.counts()["stored"] == 0


def test_too_many_documents_for_one_qr(service: DeliveryService) -> None:
    docs = [make_document(payload_bytes=10) for _ in range(25)]
    with pytest.raises(SessionError) as err:
        service.submit(CUSTOMER, docs, poke_agent=False)
    assert err.value.code == "too_many_documents"
    assert service.outbox.counts()["stored"] == 0


def test_not_enrolled(tmp_path: Path) -> None:
    svc = DeliveryService(config_for(tmp_path), tmp_path)
    with svc, pytest.raises(BackendRefused) as err:
        svc.submit(CUSTOMER, [make_document()], poke_agent=False)
    assert err.value.code == "not_enrolled"


def test_prepared_document_validates() -> None:
    with pytest.raises(ValueError):
        PreparedDocument("payslip", b"not a pdf", 1, (b"\0" * 32,))
    with pytest.raises(ValueError):
        PreparedDocument("payslip", b"%PDF-1.7", 2, (b"\0" * 32,))


def test_recover_finishes_renames(service: DeliveryService, tmp_path: Path) -> None:
    sub = service.submit(CUSTOMER, [make_document()], poke_agent=False)
    sealed_dir = tmp_path / "outbox" / "sealed"
    doc_id = sub.documents[0].document_id
    # Simulate a crash between commit and rename: the file still has its temp name.
    os.replace(sealed_dir / f"{doc_id}.jck", sealed_dir / f".{doc_id}.tmp")
    # And a crash before commit of another submission: a temp file without a row.
    (sealed_dir / ".00000000-dead-beef-0000-000000000000.tmp").write_bytes(b"JCK1partial")
    counts = service.outbox.recover()
    assert counts["renamed"] == 1 and counts["orphans_removed"] == 1
    assert (sealed_dir / f"{doc_id}.jck").exists()
    assert sorted(p.name for p in sealed_dir.iterdir()) == [f"{doc_id}.jck"]


def test_failed_transaction_leaves_nothing(service: DeliveryService, tmp_path: Path) -> None:
    # A concurrent writer holding the database lock makes the insert fail (busy): nothing may stay.
    service.outbox._db.execute("PRAGMA busy_timeout=50")  # noqa: SLF001 - keep the test short
    blocker = sqlite3.connect(tmp_path / "outbox" / "outbox.db", isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(Exception) as err:
            service.submit(CUSTOMER, [make_document(), make_document()], poke_agent=False)
        assert getattr(err.value, "code", "") == "storage_failed"
        blocker.execute("ROLLBACK")
    finally:
        blocker.close()
    assert list((tmp_path / "outbox" / "sealed").iterdir()) == []
    assert service.outbox.counts()["stored"] == 0


def test_purge_forgets_receipts_after_a_day(service: DeliveryService) -> None:
    sub = service.submit(CUSTOMER, [make_document()], poke_agent=False)
    assert service.find(sub.receipt_number) is not None
    service.outbox.purge_receipts(now=sub.stored_at.timestamp() + 25 * 3600)
    assert service.find(sub.receipt_number) is None
    # The undelivered document itself is still queued.
    assert service.outbox.counts()["stored"] == 1


def test_outbox_reopens_with_wal(tmp_path: Path) -> None:
    with Outbox(tmp_path) as box:
        mode = box._db.execute("PRAGMA journal_mode").fetchone()[0]  # noqa: SLF001
        sync = box._db.execute("PRAGMA synchronous").fetchone()[0]  # noqa: SLF001
    assert mode == "wal" and sync == 2


def test_uploader_adopts_a_committed_temp_file(service: DeliveryService, tmp_path: Path) -> None:
    sub = service.submit(CUSTOMER, [make_document()], poke_agent=False)
    sealed_dir = tmp_path / "outbox" / "sealed"
    doc_id = sub.documents[0].document_id
    os.replace(sealed_dir / f"{doc_id}.jck", sealed_dir / f".{doc_id}.tmp")
    assert service.outbox.adopt_temp(doc_id)
    assert (sealed_dir / f"{doc_id}.jck").exists()
    assert not service.outbox.adopt_temp("00000000-0000-4000-8000-000000000000")
