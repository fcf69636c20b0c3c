"""The signed-bundle format: what a kiosk accepts, and every reason it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from foundation.errors import BundleRejected
from wire import codec
from wire.bundle import MAX_BUNDLE_BYTES, BundleVerifier, key_id, parse_bundle, sign_bundle

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
CENTRE = codec.generate_signing_key()


def _verifier(tmp_path: Path, kiosk: str = "kiosk-01") -> BundleVerifier:
    return BundleVerifier(kiosk, {key_id(CENTRE): CENTRE.public_key()}, tmp_path / "bundles.json")


def _bundle(version: int = 1, kind: str = "site_config", **kw: object) -> bytes:
    args: dict = {"issued_at": NOW, "valid_for": timedelta(days=30)}
    args.update(kw)
    return sign_bundle(kind, version, {"answer": 42}, CENTRE, **args)


def _refused(verifier: BundleVerifier, raw: bytes, kind: str = "site_config",
             now: datetime = NOW) -> str:
    with pytest.raises(BundleRejected) as caught:
        verifier.verify(raw, kind, now)
    return caught.value.code


def test_a_good_bundle_verifies_and_a_replay_is_refused_after_a_restart(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path)
    bundle = verifier.verify(_bundle(3), "site_config", NOW)
    assert (bundle.version, bundle.payload, bundle.age(NOW)) == (3, {"answer": 42}, timedelta())
    verifier.remember(bundle)
    again = _verifier(tmp_path)  # a new process reads the remembered versions
    assert _refused(again, _bundle(3)) == "replayed"
    assert _refused(again, _bundle(2)) == "older_version"
    assert again.verify(_bundle(4), "site_config", NOW).version == 4
    # Versions are per kind.
    assert again.verify(_bundle(1, "staff_directory"), "staff_directory", NOW).version == 1


def test_tampering_is_refused(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path)
    outer = json.loads(_bundle())
    outer["bundle"]["payload"]["answer"] = 43
    assert _refused(verifier, codec.canonical_json(outer)) == "bad_signature"
    outer = json.loads(_bundle())
    outer["bundle"]["version"] = 9
    assert _refused(verifier, codec.canonical_json(outer)) == "bad_signature"
    stranger = codec.generate_signing_key()
    foreign = sign_bundle("site_config", 1, {}, stranger, issued_at=NOW,
                          valid_for=timedelta(days=1))
    assert _refused(verifier, foreign) == "unknown_key"


def test_time_target_and_kind_are_checked(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path)
    assert _refused(verifier, _bundle(), now=NOW + timedelta(days=31)) == "expired"
    assert _refused(verifier, _bundle(issued_at=NOW + timedelta(hours=1))) == "not_yet_valid"
    assert _refused(verifier, _bundle(kiosks=["kiosk-02"])) == "not_for_this_kiosk"
    assert verifier.verify(_bundle(kiosks=["kiosk-01", "kiosk-02"]), "site_config", NOW)
    assert _refused(verifier, _bundle(kind="app_update")) == "wrong_kind"


@pytest.mark.parametrize("raw", [
    b"", b"[]", b"{" * 50_000, b'{"bundle": {}, "signature": ""}',
    b'{"bundle": {"format": "JCB1"}, "signature": "x"}', b"\xff\xfe",
])
def test_malformed_input_gets_a_code_not_a_crash(tmp_path: Path, raw: bytes) -> None:
    assert _refused(_verifier(tmp_path), raw) in {"malformed", "unknown_key"}


def test_size_limit(tmp_path: Path) -> None:
    assert _refused(_verifier(tmp_path), b" " * (MAX_BUNDLE_BYTES + 1)) == "too_large"
    with pytest.raises(ValueError):
        sign_bundle("site_config", 1, {"x": "y" * MAX_BUNDLE_BYTES}, CENTRE, issued_at=NOW,
                    valid_for=timedelta(days=1))


def test_a_damaged_state_file_refuses_rather_than_forgetting_versions(tmp_path: Path) -> None:
    verifier = _verifier(tmp_path)
    (tmp_path / "bundles.json").write_text("{broken")
    assert _refused(verifier, _bundle(5)) == "malformed"


def test_parse_only_checks_shape_and_signature() -> None:
    bundle = parse_bundle(_bundle(2, kiosks=["k"]), {key_id(CENTRE): CENTRE.public_key()})
    assert bundle.targets == {"kiosks": ["k"]} and bundle.key_id == key_id(CENTRE)
