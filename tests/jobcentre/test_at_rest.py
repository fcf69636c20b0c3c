"""Encryption at rest: nothing readable under the data directory, staff reach documents only
through audited paths, and the key-encryption key is refused where it does not belong."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.model import KioskConfig
from jobcentre.repository import open_repository
from kiosk.delivery import cli
from scanning.pdf import read_transfer_note
from scanning.synthetic import make_case
from tests.delivery.conftest import enroll_kiosk
from tests.jobcentre.helpers import (
    ServerProcess,
    add_staff_account,
    cli_args,
    run_cli,
)

NUMBER = "123A456789"
SPELLINGS = [NUMBER.encode(), NUMBER.lower().encode(), b"123A 456789", b"456789"]


def _files(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_file():
            yield path


def assert_nothing_readable(data: Path) -> None:
    """No PDF, no customer number (in any spelling), every file 0600 and directory 0700."""
    for path in _files(data):
        content = path.read_bytes()
        assert not content.startswith(b"%PDF"), path
        for spelling in SPELLINGS:
            assert spelling not in content, (path, spelling)
        assert path.stat().st_mode & 0o777 == 0o600, (path, oct(path.stat().st_mode))
    for path in [data, *(p for p in data.rglob("*") if p.is_dir())]:
        assert path.stat().st_mode & 0o777 == 0o700, (path, oct(path.stat().st_mode))


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_submit_arguments(parser)
    return parser.parse_args(argv)


def _submit_scans(server: ServerProcess, kiosk_dir: Path, seeds: list[int]) -> list[str]:
    """Enroll a kiosk and hand in one scanned page per seed through the kiosk's own path."""
    config = KioskConfig(data_dir=kiosk_dir)
    enroll_kiosk(server, kiosk_dir)  # type: ignore[arg-type]
    sent = []
    for seed in seeds:
        image = kiosk_dir.parent / f"page-{seed}.jpg"
        image.write_bytes(make_case("good", seed=seed).jpeg)
        assert cli.run_submit(_args(["--customer-number", NUMBER, "--type", "payslip",
                                     str(image)]), config) == 0
        sent.append(image)
    repo = open_repository(server.data_dir)
    try:
        return [d.document_id for d in repo.list_documents()]
    finally:
        repo.close()


@pytest.fixture
def loose_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real server started under umask 000 (so only the service itself keeps files private)."""
    old = os.umask(0)
    try:
        server = ServerProcess(tmp_path / "data", None).start()
    finally:
        os.umask(old)
    try:
        yield server
    finally:
        server.stop()


def test_kiosk_submission_leaves_nothing_readable_at_rest(
    loose_server: ServerProcess, tmp_path: Path
) -> None:
    server = loose_server
    old = os.umask(0)
    try:
        first_id, second_id = _submit_scans(server, tmp_path / "kiosk", [11, 12])
    finally:
        os.umask(old)
    add_staff_account(server, "anna", "admin")
    add_staff_account(server, "dora", "desk")

    out = tmp_path / "export.pdf"
    done = run_cli("export", *cli_args(server), "--as", "anna", "--document", first_id,
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF")
    assert read_transfer_note(out.read_bytes())["customer_number"] == NUMBER
    assert out.stat().st_mode & 0o777 == 0o600
    refused = run_cli("export", *cli_args(server), "--as", "dora", "--document",
                      first_id, "--out", str(tmp_path / "no.pdf"))
    assert refused.returncode == 2 and "no enabled admin or counsellor" in refused.stderr
    no_kek = run_cli("export", "--data", str(server.data_dir), "--as", "anna", "--document",
                     first_id, "--out", str(tmp_path / "no.pdf"))
    assert no_kek.returncode == 2 and "keygen-kek" in no_kek.stderr

    found = run_cli("list", *cli_args(server), "--customer-number", "123a 456789", "--as",
                    "anna", "--json")
    assert found.returncode == 0, found.stderr
    assert sorted(r["document_id"] for r in json.loads(found.stdout)) == sorted(
        [first_id, second_id])
    numbers = run_cli("list", *cli_args(server), "--customer-numbers", "--json")
    assert numbers.returncode == 2 and "--as USER" in numbers.stderr
    plain = run_cli("list", "--data", str(server.data_dir), "--json")  # no KEK, no numbers
    assert plain.returncode == 0 and len(json.loads(plain.stdout)) == 2

    # a file swapped for another document's does not open (AAD = document id)
    [path_a] = (server.data_dir / "documents").rglob(f"{first_id}.*")
    [path_b] = (server.data_dir / "documents").rglob(f"{second_id}.*")
    assert path_a.read_bytes()[:4] == b"JCA2"  # the kiosk's envelope kept, its key wrapped
    shutil.copyfile(path_a, path_b)
    swapped = run_cli("export", *cli_args(server), "--as", "anna", "--document",
                      second_id, "--out", str(tmp_path / "swapped.pdf"))
    assert swapped.returncode == 2 and "damaged" in swapped.stderr
    assert not (tmp_path / "swapped.pdf").exists()

    repo = open_repository(server.data_dir)
    try:
        entries = repo.list_audit(actor="anna")
    finally:
        repo.close()
    actions = [(e.action, e.outcome) for e in reversed(entries)]
    assert actions == [("document.export", "ok"), ("document.search", "ok"),
                       ("document.export", "failed")]
    assert all(NUMBER not in e.detail for e in entries)
    assert_nothing_readable(server.data_dir)
