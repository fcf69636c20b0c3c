"""Receipt checks against the centre's own records: server receive time and revocation.

A receipt's time is the terminal's statement, so a stolen kiosk key could backdate one. The
check shows when the job centre received each document (server clock) and accepts a receipt
of a revoked kiosk only if the centre received every listed document before the revocation.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from foundation.errors import SetupError
from jobcentre.receipts import DocumentState, received_all_at, received_before
from tests.jobcentre.helpers import (
    Document,
    Kiosk,
    ServerProcess,
    add_staff_account,
    make_pdf,
    run_cli,
    upload,
)
from tests.jobcentre.test_verify import _receipt
from wire import protocol

SQLITE_ONLY = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


def _db_args(server: ServerProcess) -> list[str]:
    with contextlib.suppress(SetupError):  # made by an earlier call of this test
        add_staff_account(server, "anna", "admin")
    return ["--data", str(server.data_dir), "--as", "anna"]


def _received(kiosk: Kiosk) -> tuple[Document, str]:
    doc = Document(kiosk, make_pdf(), 1)
    done = upload(kiosk, doc)
    assert done.status_code == 200, done.text
    return doc, done.json()["ack"]["received_at"]


@SQLITE_ONLY
def test_shows_the_centres_own_receive_time(server: ServerProcess, kiosk: Kiosk) -> None:
    doc, received_at = _received(kiosk)
    claimed = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)  # the terminal's clock says so
    text = _receipt(kiosk, [doc], claimed)
    cli = run_cli("verify-receipt", *_db_args(server), text)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "handed in at the terminal at 2024-01-02T03:04:00Z" in cli.stdout
    assert f"received by the job centre at {received_at}" in cli.stdout
    with httpx.Client(base_url=server.url, timeout=10) as http:
        page = http.post("/verify", data={"payload": text}).text
    assert "Abgegeben am Terminal" in page and "02.01.2024, 04:04 Uhr" in page
    assert "Beim Jobcenter eingegangen" in page and "Received by the job centre" in page
    assert "Zeit laut Terminal" in page


@SQLITE_ONLY
def test_offline_check_says_the_time_is_the_terminals(kiosk: Kiosk) -> None:
    doc, _ = _received(kiosk)
    done = run_cli("verify-receipt", f"--public-key={kiosk.centre_signing}", _receipt(kiosk, [doc]))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the terminal's own statement" in done.stdout
    assert "received by the job centre at" not in done.stdout


@SQLITE_ONLY
def test_backdated_receipt_of_a_revoked_kiosk_is_not_valid(
    server: ServerProcess, kiosk: Kiosk
) -> None:
    arrived, _ = _received(kiosk)
    assert run_cli("revoke", *_db_args(server)[:2], "--kiosk-id", kiosk.kiosk_id).returncode == 0
    # whoever holds the stolen key signs a receipt dated before the revocation
    yesterday = datetime.now(UTC) - timedelta(days=1)
    invented = Document(kiosk, make_pdf(), 1, receipt_number=arrived.receipt_number)
    backdated = _receipt(kiosk, [invented], yesterday)
    padded = _receipt(kiosk, [arrived, invented], yesterday)
    # the terminal's clock ran ahead, but the centre had the document before the revocation
    honest = _receipt(kiosk, [arrived], datetime.now(UTC) + timedelta(days=1))
    for text in (backdated, padded):
        cli = run_cli("verify-receipt", *_db_args(server), text)
        assert cli.returncode == 1 and cli.stdout.startswith("NOT VALID"), cli.stdout
    ok = run_cli("verify-receipt", *_db_args(server), honest)
    assert ok.returncode == 0 and "revoked" in ok.stdout, ok.stdout
    with httpx.Client(base_url=server.url, timeout=10) as http:
        refused = http.post("/verify", data={"payload": backdated}).text
        accepted = http.post("/verify", data={"payload": honest}).text
    assert "Ungültig – das Terminal wurde gesperrt" in refused and "Echt –" not in refused
    assert "Echt – die Bestätigung ist gültig" in accepted and "gesperrt seit" in accepted


def test_received_before_needs_every_document_as_listed() -> None:
    revoked = "2025-03-02T00:00:00.000Z"
    early = DocumentState("6f1c0c1e", "payslip", 1, "2025-03-01T10:00:00.000Z")
    late = DocumentState("7f1c0c1e", "payslip", 1, "2025-03-02T00:00:00.001Z")
    missing = DocumentState("8f1c0c1e", "payslip", 1)
    differs = DocumentState("9f1c0c1e", "payslip", 1, "2025-03-01T10:00:00.000Z", False)
    assert received_before([early], revoked)
    assert not received_before([early, late], revoked)
    assert not received_before([early, missing], revoked)
    assert not received_before([differs], revoked)
    assert not received_before([], revoked)
    assert received_all_at([early, late]) == late.received_at
    assert received_all_at([early, missing]) is None


@SQLITE_ONLY
def test_document_entry_without_full_id_never_matches(server: ServerProcess, kiosk: Kiosk) -> None:
    arrived, _ = _received(kiosk)
    receipt = protocol.build_receipt(
        arrived.receipt_number, kiosk.kiosk_id, "Foyer", datetime.now(UTC), "123A****89",
        [{**protocol.receipt_doc(arrived.document_id, "payslip", 1, arrived.page_hash), "id": ""}],
    )
    text = protocol.encode_receipt(receipt, kiosk.key, kiosk.certificate)
    done = run_cli("verify-receipt", *_db_args(server), text)
    assert done.returncode == 1 and done.stdout.startswith("FORGED"), done.stdout
