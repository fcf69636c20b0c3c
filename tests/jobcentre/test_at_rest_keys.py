"""The key-encryption key's rules, the blob format's bindings, the blind index, and sealing
the plaintext that an older release left behind."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from foundation.errors import SetupError, Undecryptable
from jobcentre.atrest import DOCUMENT, AtRest
from jobcentre.atrest_kek import load_kek, write_new_kek
from jobcentre.repository import open_repository
from jobcentre.service import create_app
from jobcentre.staff.audit import Actor
from jobcentre.staff.documents import find_documents, read_document
from tests.jobcentre.helpers import make_pdf, run_cli
from tests.jobcentre.test_at_rest import NUMBER, assert_nothing_readable

DOC_ID = "0b5a2c43-7a8e-4d1e-9d43-6f0a3f2c9e11"


def test_kek_must_exist_lie_outside_the_data_and_be_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(SetupError, match="keygen-kek"):
        load_kek(None, data)
    inside = data / "kek"
    write_new_kek(inside)
    with pytest.raises(SetupError, match="inside the data directory"):
        load_kek(inside, data)
    outside = tmp_path / "kek"
    write_new_kek(outside)
    assert outside.stat().st_mode & 0o777 == 0o600
    assert len(load_kek(outside, data)) == 32
    with pytest.raises(SetupError, match="already exists"):
        write_new_kek(outside)
    os.chmod(outside, 0o644)
    with pytest.raises(SetupError, match="chmod 600"):
        load_kek(outside, data)
    creds = tmp_path / "creds"
    creds.mkdir()
    write_new_kek(creds / "kiosk-server-kek")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    assert load_kek(None, data) == load_kek(creds / "kiosk-server-kek", data)


def test_serve_refuses_a_kek_inside_the_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    made = run_cli("keygen-kek", str(data / "kek"))
    assert made.returncode == 0, made.stderr
    done = run_cli("serve", "--data", str(data), "--port", "0", "--kek-file", str(data / "kek"))
    assert done.returncode == 2 and "inside the data directory" in done.stderr


def test_blobs_are_bound_to_document_purpose_and_key() -> None:
    at_rest = AtRest(os.urandom(32))
    blob = at_rest.seal(DOC_ID, DOCUMENT, b"%PDF-1.7 secret")
    assert at_rest.open(DOC_ID, DOCUMENT, blob) == b"%PDF-1.7 secret"
    with pytest.raises(Undecryptable, match="another document"):
        at_rest.open(DOC_ID.replace("0b5a", "1b5a"), DOCUMENT, blob)
    with pytest.raises(Undecryptable):
        at_rest.open(DOC_ID, "field:transfer_note", blob)
    with pytest.raises(Undecryptable, match="another key-encryption key"):
        AtRest(os.urandom(32)).open(DOC_ID, DOCUMENT, blob)
    damaged = bytearray(blob)
    damaged[-1] ^= 1
    with pytest.raises(Undecryptable):
        at_rest.open(DOC_ID, DOCUMENT, bytes(damaged))


def test_blind_index_normalises_bg_numbers() -> None:
    at_rest = AtRest(os.urandom(32))
    same = {at_rest.blind_index(n) for n in ("12345//1234567", "12345BG1234567",
                                             " 12345 bg 1234567", "12345 // 1234567")}
    assert len(same) == 1 and None not in same
    assert at_rest.blind_index("12345BG1234568") not in same
    assert AtRest(os.urandom(32)).blind_index("12345BG1234567") not in same
    assert at_rest.blind_index("") is None and at_rest.blind_index(None) is None


def _legacy_data_dir(data: Path) -> bytes:
    """A data directory as an older release left it: a plaintext PDF and plaintext rows."""
    pdf = make_pdf(title=f"Kundennummer {NUMBER}")
    open_repository(data).close()  # today's schema, no documents yet
    import hashlib

    folder = data / "documents" / "2025" / "03" / "01"
    folder.mkdir(parents=True)
    (folder / f"{DOC_ID}.pdf").write_bytes(pdf)
    os.chmod(folder / f"{DOC_ID}.pdf", 0o644)
    os.chmod(data / "intake.sqlite3", 0o644)
    conn = sqlite3.connect(data / "intake.sqlite3")
    conn.execute("INSERT INTO kiosks VALUES ('k1', 'Foyer', 'pk', '{}', 't', NULL)")
    conn.execute("INSERT INTO uploads VALUES (?, 'k1', 'k1-1', 1, ?, ?, 'payslip', 1, ?, 't',"
                 " 't')", (DOC_ID, "a" * 64, hashlib.sha256(pdf).hexdigest(), "c" * 16))
    conn.execute(
        "INSERT INTO documents (document_id, kiosk_id, receipt_number, sha256, document_type,"
        " pages, page_hash, submitted_at, received_at, path, size, pdf_metadata, transfer_note,"
        " ack, note_extensions) VALUES (?, 'k1', 'k1-1', ?, 'payslip', 1, ?, 't',"
        " '2025-03-01T09:00:00.000Z', ?, ?, ?, ?, '{}', '[]')",
        (DOC_ID, hashlib.sha256(pdf).hexdigest(), "c" * 16,
         f"documents/2025/03/01/{DOC_ID}.pdf", len(pdf),
         json.dumps({"xmp": {"jck:TransferNote": json.dumps({"customer_number": NUMBER})}}),
         json.dumps({"customer_number": NUMBER})))
    conn.commit()
    conn.close()
    return pdf


def test_plaintext_of_an_older_release_is_sealed_on_first_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    pdf = _legacy_data_dir(data)
    kek = tmp_path / "kek"
    write_new_kek(kek)
    app = create_app(data, kek_file=kek)  # seals before it serves
    service = app.state.service
    try:
        admin = Actor("anna", "admin", "test")
        [found] = find_documents(service.repo, service.at_rest, admin, "123a456789")
        assert found.document_id == DOC_ID and found.path.endswith(".jca")
        _, content = read_document(service.repo, service.store, service.at_rest, DOC_ID, admin)
        assert content == pdf
        assert found.transfer_note == {"customer_number": NUMBER}
    finally:
        service.repo.close()
    assert_nothing_readable(data)
    again = run_cli("migrate-at-rest", "--data", str(data), "--kek-file", str(kek))
    assert again.returncode == 0 and "sealed 0 document row(s)" in again.stdout
