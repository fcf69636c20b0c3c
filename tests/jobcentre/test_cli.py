"""The ``kiosk-server`` command: plain-word errors, codes, key export."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

from tests.jobcentre.helpers import run_cli
from wire import enrollment, protocol


def test_enroll_prints_a_grouped_code_and_keys_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = run_cli("enroll", "--data", str(data), "--name", "Foyer 2")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"([A-Z2-7]{4}-){6}[A-Z2-7]{4}\n", done.stdout)
    assert "Foyer-2" in done.stderr
    keys = json.loads(run_cli("export-public-key", "--data", str(data)).stdout)
    signing, encryption = keys["centre_signing_public_key"], keys["centre_encryption_public_key"]
    assert enrollment.code_fits_keys(done.stdout, signing, encryption)
    assert not enrollment.code_fits_keys(
        done.stdout, protocol.public_key_b64u(protocol.generate_signing_key()), encryption)
    fingerprint = enrollment.format_fingerprint(enrollment.centre_fingerprint(signing, encryption))
    assert fingerprint in done.stderr
    assert len(protocol.b64u_decode(keys["centre_signing_public_key"])) == 32
    assert len(protocol.b64u_decode(keys["centre_encryption_public_key"])) == 32
    for key_file in (data / "keys").iterdir():
        assert key_file.stat().st_mode & 0o777 == 0o600
    assert run_cli("list", "--data", str(data), "--json").stdout.strip() == "[]"


def test_expected_errors_are_plain_words(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    cases = [
        (["list", "--data", data, "--database", "mysql://user:secret@db/x"], "unsupported"),
        (["list", "--data", data, "--database", "postgresql://u:secret@127.0.0.1:1/x"],
         "cannot open the PostgreSQL database"),
        (["enroll", "--data", "/proc/no/such/dir", "--name", "x"], "cannot"),
        (["revoke", "--data", data, "--name", "nobody"], "nothing revoked"),
        (["verify-receipt", "JCR1.x.y.z"], "--data"),
        (["verify-receipt", "--public-key", "short", "JCR1.x.y.z"], "not a valid"),
    ]
    for args, words in cases:
        done = run_cli(*args)
        assert done.returncode != 0, args
        assert words in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert "secret" not in done.stderr


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = run_cli("serve", "--data", str(tmp_path / "d"), "--port", str(port), timeout=60)
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr
