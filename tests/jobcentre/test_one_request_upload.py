"""One request per document: ``POST /uploads`` with ``Upload-Announcement`` and the body,
over real HTTP on loopback, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.jobcentre.helpers import (
    Document,
    Kiosk,
    ServerProcess,
    cli_args,
    make_pdf,
    run_cli,
    stored_plaintext,
)
from wire import protocol

UPLOADS = "/api/v1/uploads"


def _signed(kiosk: Kiosk, doc: Document, body: bytes, **override: Any
            ) -> tuple[dict[str, str], bytes]:
    """Headers of a one-request upload of ``body`` (the first chunk) as the kiosk signs it."""
    announcement = protocol.encode_announcement(doc.announcement(**override))
    headers = protocol.sign_request(kiosk.key, kiosk.kiosk_id, "POST", UPLOADS, body,
                                    upload_announcement=announcement)
    return {**headers, "Content-Type": "application/offset+octet-stream"}, body


def _post(kiosk: Kiosk, doc: Document, body: bytes | None = None, **override: Any
          ) -> httpx.Response:
    headers, raw = _signed(kiosk, doc, doc.sealed if body is None else body, **override)
    return kiosk.http.post(UPLOADS, content=raw, headers=headers)


def _known(kiosk: Kiosk) -> None:
    """One signed request, so the server keeps the kiosk's key (the path checked in its
    event loop and written in groups)."""
    assert kiosk.call("GET", f"{UPLOADS}/00000000-0000-4000-8000-000000000000").status_code == 404


def test_one_request_stores_once_and_acks(server: ServerProcess, kiosk: Kiosk) -> None:
    _known(kiosk)
    doc = Document(kiosk, make_pdf(), 1)
    first = _post(kiosk, doc)
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["complete"] and answer["offset"] == len(doc.sealed)
    ack = answer["ack"]
    assert protocol.verify_ack(ack, kiosk.centre_signing)
    assert ack["sha256"] == hashlib.sha256(doc.pdf).hexdigest()
    assert stored_plaintext(server, doc.document_id) == doc.pdf
    again = _post(kiosk, doc)  # a retry after a lost answer: the same ack, stored once
    assert again.status_code == 200 and again.json()["ack"] == ack
    status = kiosk.call("GET", doc.path).json()
    assert status["complete"] and status["ack"] == ack
    listed = json.loads(run_cli("list", *cli_args(server), "--json").stdout)
    assert [d["document_id"] for d in listed] == [doc.document_id]
    files = list((server.data_dir / "documents").rglob(f"{doc.document_id}.*"))
    assert len(files) == 1  # the retry's file was removed again


def test_first_chunk_with_the_announcement_then_patch(kiosk: Kiosk) -> None:
    _known(kiosk)
    doc = Document(kiosk, make_pdf(), 1)
    half = len(doc.sealed) // 2
    first = _post(kiosk, doc, doc.sealed[:half])
    assert first.status_code == 201 and first.json() == {"offset": half}
    begun = _post(kiosk, doc, doc.sealed[:half])  # again: the server says where it stands
    assert begun.status_code == 409
    assert begun.json()["error"] == protocol.ERROR_OFFSET_MISMATCH
    assert begun.json()["offset"] == half
    rest = kiosk.call("PATCH", doc.path, doc.sealed[half:], headers={"Upload-Offset": str(half)})
    assert rest.status_code == 200 and rest.json()["complete"]


def test_the_announcement_header_is_signed(kiosk: Kiosk) -> None:
    _known(kiosk)
    doc = Document(kiosk, make_pdf(), 1)
    headers, body = _signed(kiosk, doc, doc.sealed)
    forged = protocol.encode_announcement(doc.announcement(document_type="sick_note"))
    changed = kiosk.http.post(UPLOADS, content=body,
                              headers={**headers, "Upload-Announcement": forged})
    assert changed.status_code == 401 and changed.json()["error"] == "bad_signature"
    plain = protocol.sign_request(kiosk.key, kiosk.kiosk_id, "POST", UPLOADS, body)
    added = kiosk.http.post(UPLOADS, content=body, headers={
        **plain, "Upload-Announcement": headers["Upload-Announcement"]})
    assert added.status_code == 401 and added.json()["error"] == "bad_signature"
    assert kiosk.call("GET", doc.path).status_code == 404  # nothing was stored


def test_one_request_refusals(server: ServerProcess, kiosk: Kiosk) -> None:
    _known(kiosk)
    doc = Document(kiosk, make_pdf(), 1)
    headers, body = _signed(kiosk, doc, doc.sealed)
    assert kiosk.http.post(UPLOADS, content=body, headers=headers).status_code == 201
    replay = kiosk.http.post(UPLOADS, content=body, headers=headers)
    assert replay.status_code == 401 and replay.json()["error"] == protocol.ERROR_REPLAYED
    conflict = _post(kiosk, doc, sha256="0" * 64)
    assert conflict.status_code == 409
    assert conflict.json()["error"] == protocol.ERROR_METADATA_CONFLICT
    junk = protocol.sign_request(kiosk.key, kiosk.kiosk_id, "POST", UPLOADS, body,
                                 upload_announcement="not-json")
    bad = kiosk.http.post(UPLOADS, content=body, headers=junk)
    assert bad.status_code == 400
    not_pdf = Document(kiosk, b"%PDF-1.7 but nothing else", 1)
    whole = _post(kiosk, not_pdf)  # stored as an upload; finish refuses it, as always
    assert whole.status_code == 201 and whole.json() == {"offset": len(not_pdf.sealed)}
    finish = kiosk.call("POST", not_pdf.path + "/finish")
    assert finish.status_code == 422 and finish.json()["error"] == protocol.ERROR_NOT_OUR_PDF
    data = ["--data", str(server.data_dir)]
    database = ["--database", server.database_url] if server.database_url else []
    assert run_cli("revoke", *data, *database, "--kiosk-id", kiosk.kiosk_id).returncode == 0
    revoked = _post(kiosk, Document(kiosk, make_pdf(), 1))
    assert revoked.status_code == 403


def test_many_at_once_are_each_stored_once(server: ServerProcess) -> None:
    """A burst from many kiosks is written in groups; each gets its own ack."""
    kiosks = [Kiosk(server, f"Burst {i}") for i in range(6)]
    try:
        for kiosk in kiosks:
            _known(kiosk)
        docs = [(k, Document(k, make_pdf(), 1)) for k in kiosks for _ in range(3)]
        with ThreadPoolExecutor(len(docs)) as pool:
            answers = list(pool.map(lambda kd: _post(kd[0], kd[1]), docs))
        assert [a.status_code for a in answers] == [201] * len(docs)
        for (kiosk, doc), answer in zip(docs, answers, strict=True):
            assert answer.json()["ack"]["document_id"] == doc.document_id
            assert protocol.verify_ack(answer.json()["ack"], kiosk.centre_signing)
        listed = json.loads(run_cli("list", *cli_args(server), "--json").stdout)
        assert sorted(d["document_id"] for d in listed) == sorted(d.document_id for _, d in docs)
    finally:
        for kiosk in kiosks:
            kiosk.close()
