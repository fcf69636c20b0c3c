"""Requests that used to crash or leak: deep JSON, impossible times, CDN docs, stale parts.

Each runs against a real ``kiosk-server serve`` process.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from jobcentre.docstore import PART_MAX_AGE_S, DocumentStore
from tests.jobcentre.helpers import Document, Kiosk, ServerProcess, make_pdf, run_cli, upload
from tests.jobcentre.test_verify import _receipt
from wire import protocol

SQLITE_ONLY = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
DEEP = b"[" * 20000 + b"]" * 20000


@SQLITE_ONLY
def test_deep_json_is_400_on_enroll_and_announce(server: ServerProcess, kiosk: Kiosk) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        enroll = http.post("/api/v1/enroll", content=DEEP)
        nested = http.post("/api/v1/enroll", content=b'{"code":' + DEEP + b"}")
        huge_number = http.post("/api/v1/enroll", content=b"9" * 5000)
    for answer in (enroll, nested):
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == protocol.ERROR_JSON_TOO_DEEP
    assert huge_number.status_code == 400 and huge_number.json()["error"] == "invalid_request"
    announce = kiosk.call("POST", "/api/v1/uploads", DEEP)
    assert announce.status_code == 400 and announce.json()["error"] == "json_too_deep"


@SQLITE_ONLY
def test_deep_receipt_json_is_400_on_verify_and_plain_in_cli(
    server: ServerProcess, kiosk: Kiosk
) -> None:
    prefix, _, sig, cert = _receipt(kiosk, [Document(kiosk, make_pdf(), 1)]).split(".")
    fits_the_form = ".".join([prefix, protocol.b64u_encode(b"[" * 5000 + b"]" * 5000), sig, cert])
    with httpx.Client(base_url=server.url, timeout=10) as http:
        page = http.post("/verify", data={"payload": fits_the_form})
    assert page.status_code == 400
    assert "Nicht lesbar" in page.text and "json_too_deep" in page.text
    deep = ".".join([prefix, protocol.b64u_encode(DEEP), sig, cert])
    cli = run_cli("verify-receipt", "--data", str(server.data_dir), deep)
    assert cli.returncode == 1 and cli.stdout.startswith("UNREADABLE"), cli.stdout
    assert "json_too_deep" in cli.stdout and "Traceback" not in cli.stderr


@SQLITE_ONLY
@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_receipt_time_out_of_range_is_400(server: ServerProcess, kiosk: Kiosk, when: str) -> None:
    doc = Document(kiosk, make_pdf(), 1)
    entries = [protocol.receipt_doc(doc.document_id, "payslip", 1, doc.page_hash)]
    receipt = protocol.build_receipt(doc.receipt_number, kiosk.kiosk_id, "Foyer", when,
                                     "123A****89", entries)
    text = protocol.encode_receipt(receipt, kiosk.key, kiosk.certificate)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        posted = http.post("/verify", data={"payload": text})
        by_url = http.get("/verify", params={"payload": text})
    for answer in (posted, by_url):
        assert answer.status_code == 400
        assert protocol.ERROR_RECEIPT_TIME in answer.text
    # an announcement with such a time is refused up front, not at finish
    answer = kiosk.call("POST", "/api/v1/uploads", doc.announcement(submitted_at=when))
    assert answer.status_code == 422 and "submitted_at" in answer.json()["fields"]


@SQLITE_ONLY
def test_docs_pages_are_off_but_the_spec_stays(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get("/docs").status_code == 404
        assert http.get("/redoc").status_code == 404
        spec = http.get("/openapi.json")
    assert spec.status_code == 200 and "/api/v1/uploads" in spec.json()["paths"]
    assert "cdn" not in spec.text.lower()


def test_expire_parts_by_mtime(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path)
    stale, fresh = (store.part_path(f"6f1c0c1e-aaaa-4000-8000-00000000000{i}") for i in (1, 2))
    stale.write_bytes(b"x" * 10)
    fresh.write_bytes(b"y" * 10)
    foreign = store.incoming / "notes.part"
    foreign.write_bytes(b"z")
    now = time.time()
    os.utime(stale, (now - PART_MAX_AGE_S - 60, now - PART_MAX_AGE_S - 60))
    assert store.expire_parts(PART_MAX_AGE_S, now=now) == 1
    assert not stale.exists() and fresh.exists() and foreign.exists()
    assert store.expire_parts(PART_MAX_AGE_S, now=now + PART_MAX_AGE_S + 1) == 1
    assert not fresh.exists()


@SQLITE_ONLY
def test_stale_part_expires_at_start_and_the_upload_restarts(
    server: ServerProcess, kiosk: Kiosk
) -> None:
    doc = Document(kiosk, make_pdf(pages=2), 2)
    assert kiosk.call("POST", "/api/v1/uploads", doc.announcement()).status_code == 201
    half = len(doc.sealed) // 2
    sent = kiosk.call("PATCH", doc.path, doc.sealed[:half], headers={"Upload-Offset": "0"})
    assert sent.json() == {"offset": half}
    server.stop()
    part = server.data_dir / "incoming" / f"{doc.document_id}.part"
    old = time.time() - PART_MAX_AGE_S - 3600
    os.utime(part, (old, old))
    server.start()
    kiosk.rebase(server)
    assert not part.exists()
    # the kiosk resumes where it stopped, hears the real offset, and starts again from 0
    resumed = kiosk.call("PATCH", doc.path, doc.sealed[half:], headers={"Upload-Offset": str(half)})
    assert resumed.status_code == 409 and resumed.json()["offset"] == 0
    assert kiosk.call("POST", doc.path + "/finish").json() == {"error": "incomplete", "offset": 0}
    assert upload(kiosk, doc).status_code == 200
