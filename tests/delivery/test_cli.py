"""The delivery CLI functions (run_*), against the real intake service."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from config.model import KioskConfig
from foundation.errors import EnrollmentError, SessionError
from jobcentre.enrollment import issue_code
from kiosk.delivery import cli
from tests.delivery.helpers import CUSTOMER, make_pdf
from tests.delivery.netfaults import ServerProcess


def _args(add, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add(parser)
    return parser.parse_args(argv)


@pytest.fixture()
def kiosk(server: ServerProcess, tmp_path: Path) -> KioskConfig:
    config = KioskConfig(data_dir=tmp_path / "kiosk")
    code = issue_code(server.data_dir, "cli-kiosk")
    assert cli.run_enroll(_args(cli.add_enroll_arguments, ["--server", server.url, "--code", code]),
                          config) == 0
    return config


def test_enroll_twice_with_same_code_fails(server: ServerProcess, tmp_path: Path) -> None:
    config = KioskConfig(data_dir=tmp_path / "k")
    code = issue_code(server.data_dir, "once")
    args = _args(cli.add_enroll_arguments, ["--server", server.url, "--code", code])
    assert cli.run_enroll(args, config) == 0
    with pytest.raises(EnrollmentError):
        cli.run_enroll(args, config)


def test_submit_uploads_and_writes_receipt(kiosk: KioskConfig, tmp_path: Path, capsys) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(make_pdf(2))
    out = tmp_path / "receipt.bin"
    args = _args(cli.add_submit_arguments, ["--customer-number", CUSTOMER, "--lang", "en",
                                            "--receipt-out", str(out), str(pdf)])
    assert cli.run_submit(args, kiosk) == 0
    text = capsys.readouterr().out
    assert "receipt " in text and "delivered to the job centre" in text
    assert CUSTOMER not in text
    data = out.read_bytes()
    assert data.startswith(b"\x1b@") and b"123A****89" in data


def test_submit_refuses_foreign_pdf(kiosk: KioskConfig, tmp_path: Path) -> None:
    pdf = tmp_path / "foreign.pdf"
    pdf.write_bytes(make_pdf(1, producer="LibreOffice 7.4"))
    args = _args(cli.add_submit_arguments, ["--customer-number", CUSTOMER, str(pdf)])
    with pytest.raises(SessionError) as err:
        cli.run_submit(args, kiosk)
    assert err.value.code == "not_our_pdf"


def test_sync_exit_code_when_server_down(
    kiosk: KioskConfig, server: ServerProcess, tmp_path: Path, capsys
) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(make_pdf(1))
    server.stop()
    submit = _args(cli.add_submit_arguments, ["--customer-number", CUSTOMER, str(pdf)])
    assert cli.run_submit(submit, kiosk) == 0  # stored safely; the agent sends it later
    assert "stored safely at this terminal" in capsys.readouterr().out
    assert cli.run_sync(_args(cli.add_sync_arguments, ["--passes", "1"]), kiosk) == cli.EXIT_WAITING
    assert cli.run_outbox(_args(cli.add_outbox_arguments, []), kiosk) == 0
    assert "backend_unavailable" in capsys.readouterr().out
    server.start()
    assert cli.run_sync(_args(cli.add_sync_arguments, []), kiosk) == 0


def test_receipt_reprint(kiosk: KioskConfig, tmp_path: Path, capsys) -> None:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(make_pdf(1))
    cli.run_submit(_args(cli.add_submit_arguments,
                         ["--no-upload", "--customer-number", CUSTOMER, str(pdf)]), kiosk)
    number = capsys.readouterr().out.split()[1]
    args = _args(cli.add_receipt_arguments, ["reprint", number])
    assert cli.run_receipt(args, kiosk) == 0
    assert list((tmp_path / "kiosk" / "printer").glob("receipt-*.bin"))
    with pytest.raises(SessionError):
        cli.run_receipt(_args(cli.add_receipt_arguments, ["reprint", "x-20260101-0001"]), kiosk)


def test_images_go_through_the_scanning_pipeline(
    kiosk: KioskConfig, server: ServerProcess, tmp_path: Path
) -> None:
    image = tmp_path / "page.jpg"
    from jobcentre.repository import open_repository
    from scanning.synthetic import make_case

    image.write_bytes(make_case("good", seed=11).jpeg)
    args = _args(cli.add_submit_arguments, ["--customer-number", CUSTOMER, "--type", "payslip",
                                            str(image)])
    assert cli.run_submit(args, kiosk) == 0
    # The job centre can file it: the customer number arrived inside the sealed PDF.
    from jobcentre.atrest_kek import open_at_rest

    repo = open_repository(server.data_dir, None, open_at_rest(server.kek_file, server.data_dir))
    try:
        (document,) = repo.list_documents()
    finally:
        repo.close()
    assert document.document_type == "payslip"
    assert document.transfer_note["customer_number"] == CUSTOMER.replace(" ", "").upper()
