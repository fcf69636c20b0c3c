"""Receipt verification: the staff page (httpx and a real headless Chromium) and the CLI."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from foundation.masking import mask_customer_number
from tests.jobcentre.helpers import (
    Document,
    Kiosk,
    ServerProcess,
    add_staff_account,
    make_pdf,
    run_cli,
    upload,
)
from wire import protocol

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _receipt(kiosk: Kiosk, docs: list[Document], when: datetime | None = None) -> str:
    entries = [protocol.receipt_doc(d.document_id, "payslip", d.pages, d.page_hash) for d in docs]
    receipt = protocol.build_receipt(
        docs[0].receipt_number, kiosk.kiosk_id, "Jobcenter Musterstadt, Foyer",
        when or datetime.now(UTC), mask_customer_number("123A456789"), entries,
    )
    return protocol.encode_receipt(receipt, kiosk.key, kiosk.certificate)


def _forge(text: str) -> str:
    """Change one byte of the signed receipt body (here: one page count)."""
    prefix, body, sig, cert = text.split(".")
    raw = protocol.b64u_decode(body).replace(b'"p":1', b'"p":7', 1)
    return ".".join([prefix, protocol.b64u_encode(raw), sig, cert])


@pytest.fixture
def receipt_text(kiosk: Kiosk) -> str:
    """A receipt listing one received and one not yet received document."""
    arrived = Document(kiosk, make_pdf(), 1)
    assert upload(kiosk, arrived).status_code == 200
    pending = Document(kiosk, make_pdf(), 1, receipt_number=arrived.receipt_number)
    return _receipt(kiosk, [arrived, pending])


def test_verify_page_post_genuine_and_forged(server: ServerProcess, receipt_text: str) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        form = http.get("/verify")
        genuine = http.post("/verify", data={"payload": receipt_text})
        forged = http.post("/verify", data={"payload": _forge(receipt_text)})
        by_url = http.get("/verify", params={"payload": receipt_text})
    assert '<html lang="de">' in form.text and 'for="payload"' in form.text
    assert "default-src 'none'" in form.headers["content-security-policy"]
    assert "Echt" in genuine.text and "Genuine" in genuine.text
    assert "Eingegangen am" in genuine.text and "Noch nicht eingegangen" in genuine.text
    assert "123A****89" in genuine.text
    assert "Gefälscht" in forged.text and "Echt –" not in forged.text
    assert "Echt" in by_url.text


def test_verify_receipt_cli(server: ServerProcess, kiosk: Kiosk, receipt_text: str) -> None:
    args = ["--data", str(server.data_dir)]
    if server.database_url:
        args += ["--database", server.database_url]
    add_staff_account(server, "anna", "admin")
    offline_data = run_cli("verify-receipt", *args, receipt_text)  # no --as: signatures only
    assert offline_data.returncode == 0 and "state unknown" in offline_data.stdout
    assert "--as USER" in offline_data.stderr
    db_args, args = args, [*args, "--as", "anna"]
    ok = run_cli("verify-receipt", *args, receipt_text)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("GENUINE")
    assert "received by the job centre at" in ok.stdout and "not yet received" in ok.stdout
    bad = run_cli("verify-receipt", *args, _forge(receipt_text))
    assert bad.returncode == 1
    assert bad.stdout.startswith("FORGED")
    # "=" form: a base64url key may start with "-", which argparse would take for an option
    offline = run_cli("verify-receipt", f"--public-key={kiosk.centre_signing}", receipt_text)
    assert offline.returncode == 0 and "state unknown" in offline.stdout
    wrong_centre = protocol.public_key_b64u(protocol.generate_signing_key())
    assert run_cli("verify-receipt", f"--public-key={wrong_centre}", receipt_text).returncode == 1
    assert run_cli("verify-receipt", receipt_text).returncode == 2
    assert run_cli("revoke", *db_args, "--kiosk-id", kiosk.kiosk_id).returncode == 0
    late = _receipt(kiosk, [Document(kiosk, make_pdf(), 1)], datetime.now(UTC) + timedelta(1))
    after = run_cli("verify-receipt", *args, late)
    assert after.returncode == 1 and "revoked" in after.stdout
    # one listed document never reached the centre before the revocation: not valid either
    partly = run_cli("verify-receipt", *args, receipt_text)
    assert partly.returncode == 1 and "revoked" in partly.stdout


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="jc-chromium-") as profile:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-first-run", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=90, check=False,
        )


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_verify_page_in_chromium(server: ServerProcess, receipt_text: str, tmp_path: Path) -> None:
    genuine = _chromium("--dump-dom", f"{server.url}/verify?payload={quote(receipt_text)}")
    assert genuine.returncode == 0, genuine.stderr[-2000:]
    assert "Echt – die Bestätigung ist gültig" in genuine.stdout
    assert "Noch nicht eingegangen" in genuine.stdout
    forged = _chromium("--dump-dom", f"{server.url}/verify?payload={quote(_forge(receipt_text))}")
    assert "Gefälscht – diese Bestätigung ist nicht echt" in forged.stdout
    shot = tmp_path / "verify.png"
    done = _chromium(f"--screenshot={shot}", "--window-size=900,1100",
                     f"{server.url}/verify?payload={quote(receipt_text)}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes().startswith(b"\x89PNG")
