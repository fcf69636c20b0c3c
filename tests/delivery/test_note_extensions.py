"""Transfer-note extensions from ``DeliveryService.submit`` to the job centre and back out.

A real intake service on loopback receives what the kiosk sealed; the extensions arrive in
the stored document, the receipt's signed payload is the same as without them, and broken
extensions are refused at the kiosk before anything is stored.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from foundation.errors import SessionError
from jobcentre.atrest import DOCUMENT
from jobcentre.atrest_kek import open_at_rest
from jobcentre.repository import open_repository
from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import load_identity
from kiosk.delivery.models import PreparedDocument
from kiosk.delivery.service import DeliveryService
from kiosk.delivery.transport import ServerClient
from kiosk.delivery.uploader import Uploader
from scanning.pdf import read_transfer_note
from tests.delivery.conftest import enroll_kiosk
from tests.delivery.helpers import CUSTOMER, config_for, enroll_locally, make_document
from tests.delivery.netfaults import ServerProcess
from tests.wire.samples import call_data, checklist_data, helper_data
from wire import protocol
from wire.transfer_note import NoteExtension

HELPER = NoteExtension("helper_audit", 1, helper_data())
CHECKLIST = NoteExtension("letter_checklist", 1, checklist_data())
CALL = NoteExtension("call_request", 1, call_data())
FUTURE = NoteExtension("helper_audit", 2, {"shape": "not known yet"})


def _sync(service: DeliveryService) -> None:
    identity = load_identity(service.data_dir)
    assert identity is not None
    client = ServerClient(identity, ClockGuard(service.outbox), timeout_s=5.0)
    try:
        result = Uploader(service.outbox, client).sync()
    finally:
        client.close()
    assert result.error is None and result.rejected == 0


def _with_own(document: PreparedDocument, *own: NoteExtension) -> PreparedDocument:
    return PreparedDocument(document.document_type, document.pdf, document.pages,
                            document.page_image_sha256, own)


def test_round_trip_kiosk_to_server(server: ServerProcess, tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    enroll_kiosk(server, data)
    first = _with_own(make_document(2), CHECKLIST)
    second = _with_own(make_document(1), CALL, FUTURE)
    with DeliveryService(config_for(data), data) as svc:
        sub = svc.submit(CUSTOMER, [first, second], poke_agent=False,
                         note_extensions=[HELPER])
        _sync(svc)
        assert [d.state for d in svc.refresh(sub).documents] == ["delivered", "delivered"]
    at_rest = open_at_rest(server.kek_file, server.data_dir)  # documents are sealed at rest
    repo = open_repository(server.data_dir, None, at_rest)
    try:
        stored = {d.document_id: d for d in repo.list_documents()}
    finally:
        repo.close()
    got = [stored[d.document_id] for d in sub.documents]
    assert got[0].note_extensions == [CHECKLIST.as_json(), HELPER.as_json()]
    assert got[1].note_extensions == [CALL.as_json(), FUTURE.as_json(), HELPER.as_json()]
    for queued, record in zip(sub.documents, got, strict=True):
        sealed = (server.data_dir / record.path).read_bytes()
        pdf = at_rest.open(record.document_id, DOCUMENT, sealed)
        assert hashlib.sha256(pdf).hexdigest() == queued.sha256 == record.sha256
        assert read_transfer_note(pdf)["extensions"] == record.note_extensions


def test_receipt_payload_is_unchanged(tmp_path: Path) -> None:
    centre = enroll_locally(tmp_path)
    plain_doc = make_document(2)
    extended_doc = _with_own(plain_doc, CHECKLIST)
    with DeliveryService(config_for(tmp_path), tmp_path) as svc:
        plain = svc.submit(CUSTOMER, [plain_doc], poke_agent=False)
        extended = svc.submit(CUSTOMER, [extended_doc], poke_agent=False,
                              note_extensions=[HELPER])
    receipts = [protocol.decode_and_verify_receipt(s.receipt_qr, centre.signing).receipt
                for s in (plain, extended)]
    assert receipts[0].keys() == receipts[1].keys()
    assert receipts[0]["docs"][0].keys() == receipts[1]["docs"][0].keys()
    for field in ("v", "kiosk", "loc", "cn"):
        assert receipts[0][field] == receipts[1][field]
    expected_hash = protocol.page_hash_from_digests(plain_doc.page_image_sha256)
    assert receipts[0]["docs"][0]["h"] == receipts[1]["docs"][0]["h"] == expected_hash
    assert extended.documents[0].page_hash == plain.documents[0].page_hash
    assert extended.documents[0].sha256 != hashlib.sha256(plain_doc.pdf).hexdigest()
    assert plain.documents[0].sha256 == hashlib.sha256(plain_doc.pdf).hexdigest()


@pytest.mark.parametrize(
    ("own", "shared"),
    [
        ((HELPER,), [HELPER]),  # the same (kind, version) twice
        ((), [NoteExtension(f"acme.k{i}", 1, {}) for i in range(17)]),  # too many
        ((), [{"kind": "acme.x", "version": 1, "data": {}}]),  # not a NoteExtension
    ],
)
def test_broken_extensions_store_nothing(tmp_path: Path, own: tuple[NoteExtension, ...],
                                         shared: list[NoteExtension]) -> None:
    enroll_locally(tmp_path)
    with DeliveryService(config_for(tmp_path), tmp_path) as svc:
        with pytest.raises(SessionError) as caught:
            svc.submit(CUSTOMER, [_with_own(make_document(), *own)], poke_agent=False,
                       note_extensions=shared)
        assert caught.value.code == "invalid_note_extension"
        assert svc.outbox.pending() == []


def test_without_extensions_the_pdf_is_sent_as_it_is(tmp_path: Path) -> None:
    enroll_locally(tmp_path)
    document = make_document()
    with DeliveryService(config_for(tmp_path), tmp_path) as svc:
        sub = svc.submit(CUSTOMER, [document], poke_agent=False)
    assert sub.documents[0].sha256 == hashlib.sha256(document.pdf).hexdigest()
