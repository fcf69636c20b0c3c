"""The kiosk's staff directory: verified offline, never replayed, refused when too old."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from config.model import KioskConfig
from device_drivers.card_reader.piv_card import VirtualPivCard
from device_drivers.card_reader.simulated import SimulatedCardReader
from foundation.errors import BundleRejected, StaffCardRefused
from kiosk import health
from kiosk.cli import main as kiosk_main
from kiosk.staffcard.authenticator import StaffCardAuthenticator
from kiosk.staffcard.messages import staff_card_message
from kiosk.staffcard.wiring import apply_directory_bundle, create_authenticator
from tests.staffcard.fakes import (
    PIN,
    Clock,
    directory_bundle,
    directory_store,
    enrolled_config,
    member,
)


def test_revocation_takes_effect_with_the_next_bundle(tmp_path: Path) -> None:
    card = VirtualPivCard()
    store = directory_store(tmp_path)
    auth = StaffCardAuthenticator(SimulatedCardReader(card), store)
    store.apply(directory_bundle([member(card)], version=1))
    assert auth.login(PIN).staff_id == "mmueller"
    auth.end()
    store.apply(directory_bundle([member(card, revoked=True)], version=2))
    with pytest.raises(StaffCardRefused) as caught:
        auth.login(PIN)
    assert caught.value.code == "staff_card_revoked"
    assert staff_card_message(caught.value, "de") == (
        "Diese Karte wurde gesperrt und gilt hier nicht mehr.")
    # the old directory, where the card was valid, cannot be brought back
    with pytest.raises(BundleRejected) as replay:
        store.apply(directory_bundle([member(card)], version=1))
    assert replay.value.code == "older_version"
    assert directory_store(tmp_path).current().version == 2


def test_directory_older_than_the_site_maximum_is_refused(tmp_path: Path) -> None:
    card, clock = VirtualPivCard(), Clock()
    store = directory_store(tmp_path, clock, max_age_days=7)
    store.apply(directory_bundle([member(card)], valid_for=timedelta(days=30)))
    clock.now += timedelta(days=6, hours=23)
    assert store.current().find(card.key.key_sha256) is not None
    clock.now += timedelta(hours=2)
    auth = StaffCardAuthenticator(SimulatedCardReader(card), store)
    with pytest.raises(StaffCardRefused) as caught:
        auth.login(PIN)
    assert caught.value.code == "staff_directory_outdated"
    assert staff_card_message(caught.value, "en").startswith("The staff list on this "
                                                             "terminal is too old")
    assert card.received == []  # the card was not even asked


def test_bundle_expiry_is_respected_inside_the_maximum_age(tmp_path: Path) -> None:
    clock = Clock()
    store = directory_store(tmp_path, clock)
    store.apply(directory_bundle([member(VirtualPivCard())], valid_for=timedelta(days=2)))
    clock.now += timedelta(days=3)
    with pytest.raises(StaffCardRefused, match="older") as caught:
        store.current()
    assert caught.value.code == "staff_directory_outdated"


def test_foreign_tampered_and_missing_directories(tmp_path: Path) -> None:
    store = directory_store(tmp_path)
    with pytest.raises(StaffCardRefused) as missing:
        store.current()
    assert missing.value.code == "staff_directory_missing"
    foreign = directory_bundle([], signing_key=Ed25519PrivateKey.generate())
    with pytest.raises(BundleRejected) as unknown:
        store.apply(foreign)
    assert unknown.value.code == "unknown_key"
    card = VirtualPivCard()
    store.apply(directory_bundle([member(card, revoked=True)]))
    raw = store.bundle_path.read_bytes()
    store.bundle_path.write_bytes(raw.replace(b'"revoked":true', b'"revoked":false'))
    with pytest.raises(StaffCardRefused) as tampered:  # the file is re-verified every login
        store.current()
    assert tampered.value.code == "staff_directory_missing"


def test_entry_with_a_mismatched_key_hash_rejects_the_bundle(tmp_path: Path) -> None:
    entry = member(VirtualPivCard()) | {"key_sha256": "00" * 32}
    with pytest.raises(BundleRejected) as caught:
        directory_store(tmp_path).apply(directory_bundle([entry]))
    assert caught.value.code == "malformed"


def test_apply_directory_bundle_uses_the_enrolled_centre_key(tmp_path: Path) -> None:
    card = VirtualPivCard()
    config = enrolled_config(tmp_path, devices={"card_reader": {"driver": "simulated"}})
    directory = apply_directory_bundle(directory_bundle([member(card)]), config)
    assert directory.version == 1 and len(directory.members) == 1
    reader = SimulatedCardReader(card)
    assert create_authenticator(config, reader).login(PIN).display_name == "M. Müller"
    unenrolled = KioskConfig.model_validate({"data_dir": tmp_path / "other"})
    with pytest.raises(BundleRejected) as caught:
        apply_directory_bundle(directory_bundle([member(card)]), unenrolled)
    assert caught.value.code == "unknown_key"


def test_cli_applies_a_bundle_and_doctor_reports_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = enrolled_config(tmp_path, devices={"card_reader": {"driver": "simulated"}})
    bundle = tmp_path / "directory.bundle"
    bundle.write_bytes(directory_bundle([member(VirtualPivCard())], version=3))
    data = ["--data", str(config.resolved_data_dir)]
    assert kiosk_main(["staff-card", *data, "apply-directory", str(bundle)]) == 0
    assert "version 3 applied (1 card(s))" in capsys.readouterr().out
    assert kiosk_main(["staff-card", *data, "apply-directory", str(bundle)]) == 1
    assert "replayed" in capsys.readouterr().err
    result = health.check_card_reader(config)
    assert result.ok and "staff directory version 3 with 1 card(s)" in result.detail
    assert kiosk_main(["staff-card", *data, "status"]) == 0
    assert "version 3" in capsys.readouterr().out
