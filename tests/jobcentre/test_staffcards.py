"""Staff cards at the job centre: registered keys, revocation, the signed directory."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from device_drivers.card_reader.keys import card_key, load_card_key
from jobcentre.cli import main as server_main
from jobcentre.keys import load_centre_keys
from jobcentre.repository import open_repository
from jobcentre.staffcards import StaffCardStore
from kiosk.staffcard.directory import store_for


def _add_staff(data: Path, user: str, role: str = "desk") -> None:
    stdin, sys.stdin = sys.stdin, io.StringIO("a long enough password 1\n")
    try:
        assert server_main(["staff", "add", "--data", str(data), "--user", user,
                            "--role", role, "--password-stdin"]) == 0
    finally:
        sys.stdin = stdin


def _key_file(tmp_path: Path, name: str) -> tuple[Path, str]:
    key = card_key(ec.generate_private_key(ec.SECP256R1()).public_key())
    path = tmp_path / f"{name}.pem"
    path.write_text(key.pem)
    return path, key.key_sha256


def test_register_revoke_disable_and_sign(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "centre"
    _add_staff(data, "anna", "counsellor")
    _add_staff(data, "bert")
    anna, anna_sha = _key_file(tmp_path, "anna")
    bert, bert_sha = _key_file(tmp_path, "bert")
    db = ["--data", str(data)]
    assert server_main(["staff", "card-register", *db, "--user", "Anna", "--public-key-file",
                        str(anna), "--display-name", "Anna A."]) == 0
    assert server_main(["staff", "card-register", *db, "--user", "bert",
                        "--public-key-file", str(bert)]) == 0
    assert server_main(["staff", "card-register", *db, "--user", "bert",
                        "--public-key-file", str(bert)]) == 1
    assert "registered already" in capsys.readouterr().err
    assert server_main(["staff", "card-register", *db, "--user", "nobody",
                        "--public-key-file", str(anna)]) == 1
    (tmp_path / "junk.pem").write_text("not a key")
    assert server_main(["staff", "card-register", *db, "--user", "anna",
                        "--public-key-file", str(tmp_path / "junk.pem")]) == 1
    capsys.readouterr()

    keys = load_centre_keys(data)
    kiosk = store_for(tmp_path / "kiosk", "kiosk-01", keys.signing_public, 7)
    first = tmp_path / "v1.bundle"
    assert server_main(["staff", "directory-bundle", *db, "--out", str(first)]) == 0
    directory = kiosk.apply(first.read_bytes())
    assert directory.version == 3  # each registration above signed (and queued) one
    assert directory.members[anna_sha].roles == ("counsellor",)
    assert directory.members[anna_sha].display_name == "Anna A."
    assert not directory.members[bert_sha].revoked

    assert server_main(["staff", "card-revoke", *db, "--user", "anna"]) == 0
    assert server_main(["staff", "disable", *db, "--user", "bert"]) == 0
    capsys.readouterr()
    assert server_main(["staff", "directory-bundle", *db]) == 0
    second = capsys.readouterr().out.strip().encode()
    directory = kiosk.apply(second)
    assert directory.version == 6  # the revocation and the disabling signed 4 and 5
    assert directory.members[anna_sha].revoked and directory.members[bert_sha].revoked
    assert server_main(["staff", "cards", *db]) == 0
    assert capsys.readouterr().out.count("revoked") == 1  # anna's card; bert's account


def test_store_versions_rise_and_keys_round_trip(tmp_path: Path) -> None:
    repo = open_repository(tmp_path)
    try:
        store = StaffCardStore(repo)
        keys = load_centre_keys(tmp_path)
        versions = [store.directory_bundle(keys.signing)[1] for _ in range(3)]
        assert versions == [1, 2, 3]
        assert StaffCardStore(repo).directory_bundle(keys.signing)[1] == 4  # DDL is idempotent
    finally:
        repo.close()


def test_der_keys_are_never_stripped(tmp_path: Path) -> None:
    """A DER key whose last byte is a whitespace byte must load unchanged."""
    for _ in range(5000):
        key = card_key(ec.generate_private_key(ec.SECP256R1()).public_key())
        if key.spki_der[-1:] in (b"\n", b" ", b"\t", b"\r"):
            break
    else:
        pytest.fail("no key with a trailing whitespace byte found")
    assert load_card_key(key.spki_der).key_sha256 == key.key_sha256


def test_an_unchanged_directory_is_signed_again_before_kiosks_find_it_too_old(
        tmp_path: Path) -> None:
    """Kiosks refuse a directory older than 7 days: the service re-signs it after a day."""
    from datetime import UTC, datetime, timedelta

    from jobcentre.live_store import LiveStore
    from jobcentre.staff_directory_push import publish_directory, refresh_if_old

    repo = open_repository(tmp_path)
    try:
        cards = StaffCardStore(repo)
        keys = load_centre_keys(tmp_path)
        assert refresh_if_old(cards, repo, keys.signing) is None  # nothing pushed yet
        publish_directory(cards, repo, keys.signing)
        issued = cards.last_issued_at()
        assert issued is not None
        assert refresh_if_old(cards, repo, keys.signing, now=issued + timedelta(hours=23)) is None
        again = refresh_if_old(cards, repo, keys.signing, now=issued + timedelta(hours=25))
        assert again is not None and again.version == 2
        latest = cards.latest()
        assert latest is not None and latest[1] == 2
        later = cards.last_issued_at()
        assert later is not None and later > issued
        assert datetime.now(UTC) - later < timedelta(minutes=5)
        kiosk = store_for(tmp_path / "kiosk", "kiosk-01", keys.signing_public, 7)
        assert kiosk.apply(latest[0]).version == 2
        assert LiveStore(repo).newest_seq() == 0  # no kiosk enrolled: nothing queued
    finally:
        repo.close()
