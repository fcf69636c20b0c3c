"""The intake API over real HTTP on loopback, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.jobcentre.helpers import (
    Document,
    Kiosk,
    ServerProcess,
    cli_args,
    make_pdf,
    run_cli,
    stored_plaintext,
    upload,
)
from wire import protocol


def _db_args(server: ServerProcess) -> list[str]:
    args = ["--data", str(server.data_dir)]
    return args + (["--database", server.database_url] if server.database_url else [])


def test_health_and_openapi(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        health = http.get("/api/v1/health").json()
        assert health["status"] == "ok"
        assert protocol.parse_time(health["server_time"])
        spec = http.get("/openapi.json").json()
    assert "/api/v1/uploads/{document_id}/finish" in spec["paths"]


def test_enrollment_code_is_single_use(server: ServerProcess, kiosk: Kiosk) -> None:
    assert protocol.verify_certificate(kiosk.certificate, kiosk.centre_signing)
    assert kiosk.kiosk_id == "Test-Kiosk"
    other = protocol.public_key_b64u(protocol.generate_signing_key())
    with httpx.Client(base_url=server.url, timeout=10) as http:
        reused = http.post("/api/v1/enroll", json={"code": kiosk.code, "public_key": other})
        wrong = http.post("/api/v1/enroll", json={"code": "AAAA-BBBB-CCCC-DDDD-EEEE",
                                                  "public_key": other})
        junk = http.post("/api/v1/enroll", content=b"{nope")
    assert reused.status_code == 403
    assert wrong.status_code == 403
    assert junk.status_code == 400


def test_unknown_bad_signature_skew_and_revoked(server: ServerProcess, kiosk: Kiosk) -> None:
    doc = Document(kiosk, make_pdf(), 1)
    stranger_key = protocol.generate_signing_key()
    headers = protocol.sign_request(stranger_key, "nobody", "GET", doc.path)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get(doc.path, headers=headers).status_code == 401
        assert http.get(doc.path).status_code == 401
        forged = protocol.sign_request(stranger_key, kiosk.kiosk_id, "GET", doc.path)
        answer = http.get(doc.path, headers=forged)
    assert answer.status_code == 401
    assert answer.json()["error"] == "bad_signature"
    skewed = kiosk.call("GET", doc.path, timestamp=int(time.time()) - 3600)
    assert skewed.status_code == 401
    assert skewed.json()["error"] == "clock_skew"
    assert abs(protocol.parse_time(skewed.json()["server_time"]).timestamp() - time.time()) < 60
    assert kiosk.call("GET", doc.path).status_code == 404
    done = run_cli("revoke", *_db_args(server), "--name", "Test Kiosk")
    assert done.returncode == 0, done.stderr
    refused = kiosk.call("POST", "/api/v1/uploads", doc.announcement())
    assert refused.status_code == 403
    assert refused.json()["error"] == "revoked"
    assert run_cli("revoke", *_db_args(server), "--kiosk-id", kiosk.kiosk_id).returncode == 1


def test_upload_store_and_list(server: ServerProcess, kiosk: Kiosk) -> None:
    pdf = make_pdf(pages=2, title="Kontoauszug März")
    doc = Document(kiosk, pdf, 2)
    first = kiosk.call("POST", "/api/v1/uploads", doc.announcement())
    assert first.status_code == 201
    assert first.json() == {"offset": 0}
    again = kiosk.call("POST", "/api/v1/uploads", doc.announcement())
    assert again.status_code == 200
    half = len(doc.sealed) // 2
    patch = kiosk.call("PATCH", doc.path, doc.sealed[:half], headers={"Upload-Offset": "0"})
    assert patch.json() == {"offset": half}
    wrong = kiosk.call("PATCH", doc.path, doc.sealed[half:], headers={"Upload-Offset": "0"})
    assert wrong.status_code == 409
    assert wrong.json()["offset"] == half
    early = kiosk.call("POST", doc.path + "/finish")
    assert early.status_code == 409
    assert early.json() == {"error": "incomplete", "offset": half}
    status = kiosk.call("GET", doc.path).json()
    assert status == {"offset": half, "complete": False, "ack": None}
    kiosk.call("PATCH", doc.path, doc.sealed[half:], headers={"Upload-Offset": str(half)})
    finish = kiosk.call("POST", doc.path + "/finish")
    assert finish.status_code == 200, finish.text
    ack = finish.json()["ack"]
    assert protocol.verify_ack(ack, kiosk.centre_signing)
    assert ack["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert ack["document_id"] == doc.document_id
    assert stored_plaintext(server, doc.document_id) == pdf  # one file, sealed at rest
    assert not list((server.data_dir / "incoming").glob("*.part"))
    listed = run_cli("list", *cli_args(server), "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert rows == [{
        "receipt": doc.receipt_number, "kiosk": kiosk.kiosk_id, "sha256": ack["sha256"],
        "document_type": "payslip", "pages": 2, "received_at": ack["received_at"],
        "document_id": doc.document_id, "note_extensions": [],
    }]


def test_duplicate_finish_and_announce_store_once(server: ServerProcess, kiosk: Kiosk) -> None:
    doc = Document(kiosk, make_pdf(), 1)
    acks = [upload(kiosk, doc).json()["ack"]]
    results: list[httpx.Response] = []

    def finish_again() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            raw = b""
            signed = protocol.sign_request(kiosk.key, kiosk.kiosk_id, "POST", doc.path + "/finish")
            results.append(http.post(doc.path + "/finish", content=raw, headers=signed))

    threads = [threading.Thread(target=finish_again) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    acks += [r.json()["ack"] for r in results]
    assert all(ack == acks[0] for ack in acks) and len(acks) == 5
    replay = kiosk.call("POST", "/api/v1/uploads", doc.announcement())
    assert replay.json() == {"complete": True, "ack": acks[0]}
    rows = json.loads(run_cli("list", *cli_args(server), "--json").stdout)
    assert len(rows) == 1
    assert kiosk.call("GET", doc.path).json()["complete"] is True


def test_concurrent_duplicate_upload_stores_once(server: ServerProcess, kiosk: Kiosk) -> None:
    doc = Document(kiosk, make_pdf(pages=3), 3)
    body = doc.announcement()
    assert kiosk.call("POST", "/api/v1/uploads", body).status_code == 201
    assert kiosk.call("POST", "/api/v1/uploads", {**body, "pages": 2}).status_code == 409
    size = len(doc.sealed)
    stored = kiosk.call("PATCH", doc.path, doc.sealed, headers={"Upload-Offset": "0"})
    # the last chunk stored the document: its answer carries the ack (no finish needed)
    assert stored.status_code == 200 and stored.json()["complete"] is True
    first = stored.json()["ack"]
    assert protocol.verify_ack(first, kiosk.centre_signing)
    assert first["document_id"] == doc.document_id
    again = kiosk.call("PATCH", doc.path, doc.sealed, headers={"Upload-Offset": "0"})
    assert again.status_code == 200  # a repeated chunk learns it is complete
    assert again.json() == {"offset": size, "complete": True, "ack": first}
    assert kiosk.call("POST", doc.path + "/finish").json()["ack"] == first  # older kiosks
    complete = kiosk.call("POST", "/api/v1/uploads", body)
    assert complete.status_code == 200
    assert complete.json() == {"complete": True, "ack": first}
    late_chunk = kiosk.call("PATCH", doc.path, b"x", headers={"Upload-Offset": "0"})
    assert late_chunk.json()["complete"] is True
    rows = json.loads(run_cli("list", *cli_args(server), "--json").stdout)
    assert len(rows) == 1


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"sealed_sha256": "0" * 64}, "hash_mismatch"),
        ({"sha256": "0" * 64}, "hash_mismatch"),
    ],
)
def test_wrong_hash_refused(server: ServerProcess, kiosk: Kiosk, override: dict[str, Any],
                            code: str) -> None:
    doc = Document(kiosk, make_pdf(), 1)
    answer = upload(kiosk, doc, **override)
    assert answer.status_code == 422
    assert answer.json()["error"] == code
    assert kiosk.call("GET", doc.path).json()["offset"] == 0
    assert json.loads(run_cli("list", *cli_args(server), "--json").stdout) == []


def test_not_our_pdf_and_undecryptable(kiosk: Kiosk) -> None:
    text = Document(kiosk, b"Hello, this is not a PDF at all", 1)
    assert upload(kiosk, text).json()["error"] == "not_our_pdf"
    foreign = Document(kiosk, make_pdf(producer="Microsoft Word"), 1)
    assert upload(kiosk, foreign).json()["error"] == "not_our_pdf"
    wrong_pages = Document(kiosk, make_pdf(pages=2), 1)
    assert upload(kiosk, wrong_pages).json()["error"] == "not_our_pdf"
    other = Document(kiosk, make_pdf(), 1)
    other.sealed = protocol.seal(other.pdf, protocol.generate_encryption_key().public_key(),
                                 protocol.document_aad(other.document_id))
    assert upload(kiosk, other).json()["error"] == "undecryptable"


def test_invalid_announcements(kiosk: Kiosk) -> None:
    doc = Document(kiosk, make_pdf(), 1)
    bad = kiosk.call("POST", "/api/v1/uploads", doc.announcement(document_id="../../etc"))
    assert bad.status_code == 422
    assert "document_id" in bad.json()["fields"]
    huge = kiosk.call("POST", "/api/v1/uploads", doc.announcement(sealed_size=26_000_000))
    assert huge.status_code == 413
    assert kiosk.call("GET", "/api/v1/uploads/not-a-uuid").status_code == 404
    kiosk.call("POST", "/api/v1/uploads", doc.announcement())
    no_offset = kiosk.call("PATCH", doc.path, b"abc")
    assert no_offset.status_code == 400
    too_far = kiosk.call("PATCH", doc.path, doc.sealed + b"extra", headers={"Upload-Offset": "0"})
    assert too_far.status_code == 413


def test_other_kiosk_cannot_touch_upload(server: ServerProcess, kiosk: Kiosk) -> None:
    doc = Document(kiosk, make_pdf(), 1)
    assert kiosk.call("POST", "/api/v1/uploads", doc.announcement()).status_code == 201
    other = Kiosk(server, name="Other")
    try:
        assert other.call("GET", doc.path).status_code == 404
        assert other.call("POST", "/api/v1/uploads", doc.announcement()).status_code == 409
    finally:
        other.close()


def test_limits_on_size_and_pages(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", None,
                           ("--max-sealed-bytes", "200000", "--max-pages", "2")).start()
    kiosk = Kiosk(server)
    try:
        big = Document(kiosk, make_pdf() + b"%" + b"x" * 250_000, 1)
        answer = kiosk.call("POST", "/api/v1/uploads", big.announcement())
        assert answer.status_code == 413
        assert answer.json() == {"error": "too_large", "limit": 200000}
        many = Document(kiosk, make_pdf(pages=3), 3)
        answer = kiosk.call("POST", "/api/v1/uploads", many.announcement())
        assert answer.status_code == 422
        assert answer.json()["error"] == "too_many_pages"
        lying = Document(kiosk, make_pdf(pages=3), 2)
        assert upload(kiosk, lying).json()["error"] == "too_many_pages"
        chunk = kiosk.call("PATCH", lying.path, b"x" * (protocol.MAX_CHUNK_BYTES + 1),
                           headers={"Upload-Offset": "0"})
        assert chunk.status_code == 413
        assert upload(kiosk, Document(kiosk, make_pdf(pages=2), 2)).status_code == 200
    finally:
        kiosk.close()
        server.stop()


def test_resume_after_server_killed_mid_upload(server: ServerProcess, kiosk: Kiosk) -> None:
    pdf = make_pdf(pages=2) + b"%" + bytes(range(256)) * 2000
    doc = Document(kiosk, pdf, 2)
    assert kiosk.call("POST", "/api/v1/uploads", doc.announcement()).status_code == 201
    third = len(doc.sealed) // 3
    answer = kiosk.call("PATCH", doc.path, doc.sealed[:third], headers={"Upload-Offset": "0"})
    assert answer.json() == {"offset": third}
    server.kill()
    with pytest.raises(httpx.TransportError):
        kiosk.call("GET", doc.path)
    restarted = ServerProcess(server.data_dir, server.database_url).start()
    try:
        kiosk.rebase(restarted)
        again = kiosk.call("POST", "/api/v1/uploads", doc.announcement())
        assert again.status_code == 200
        assert again.json() == {"offset": third}
        finish = upload(kiosk, doc, chunk=third)
        assert finish.status_code == 200, finish.text
        assert protocol.verify_ack(finish.json()["ack"], kiosk.centre_signing)
        assert stored_plaintext(server, doc.document_id) == pdf
    finally:
        restarted.stop()
