"""The gate's kept kiosk records (``KioskGate.authenticate``): a request checked against a kept
public key is still refused when replayed, forged or sent by a kiosk revoked meanwhile, on
both backends (PostgreSQL checks revocation and the nonce in one statement)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from foundation.errors import ApiError
from jobcentre.atrest_kek import write_new_kek
from jobcentre.enrollment import enroll_kiosk, issue_code
from jobcentre.http_front import FrontGuard
from jobcentre.nonces import NonceStore
from jobcentre.repository import KioskRecord
from jobcentre.routes_kiosk import KioskGate
from jobcentre.service import create_app
from wire import protocol

PATH = "/api/v1/uploads/00000000-0000-4000-8000-000000000000"


@pytest.fixture
def gate(tmp_path: Path, database: str | None) -> Iterator[KioskGate]:
    """A gate on a fresh service (SQLite or PostgreSQL)."""
    write_new_kek(tmp_path / "kek")
    app = create_app(tmp_path / "data", database, kek_file=tmp_path / "kek")
    service = app.state.service
    nonces = NonceStore(service.repo)
    try:
        yield KioskGate(service, nonces, FrontGuard())
    finally:
        nonces.close()
        service.repo.close()


def _signed(key: object, kiosk_id: str) -> dict[str, str]:
    headers = protocol.sign_request(key, kiosk_id, "GET", PATH)  # type: ignore[arg-type]
    return {k.lower(): v for k, v in headers.items()}


def _refusal(gate: KioskGate, headers: dict[str, str]) -> tuple[int, str]:
    with pytest.raises(ApiError) as refused:
        gate.authenticate("GET", PATH, headers)
    return refused.value.status, refused.value.code


def test_kept_kiosk_is_refused_when_replayed_forged_or_revoked(
    gate: KioskGate, tmp_path: Path, database: str | None
) -> None:
    key = protocol.generate_signing_key()
    code = issue_code(tmp_path / "data", "Foyer", database)
    kiosk_id = enroll_kiosk(gate.service.repo, gate.service.keys, code,
                            protocol.public_key_b64u(key))["certificate"]["kiosk_id"]
    first = _signed(key, kiosk_id)
    assert gate.authenticate("GET", PATH, first).kiosk_id == kiosk_id  # read, then kept
    again = _signed(key, kiosk_id)
    assert gate.authenticate("GET", PATH, again).kiosk_id == kiosk_id  # from the kept key
    assert _refusal(gate, again) == (401, protocol.ERROR_REPLAYED)
    assert _refusal(gate, first) == (401, protocol.ERROR_REPLAYED)
    forged = _signed(protocol.generate_signing_key(), kiosk_id)
    assert _refusal(gate, forged) == (401, protocol.ERROR_BAD_SIGNATURE)
    assert gate.service.repo.revoke(kiosk_id=kiosk_id) == 1
    assert _refusal(gate, _signed(key, kiosk_id)) == (403, protocol.ERROR_REVOKED)


def test_unknown_kiosk_is_not_kept(gate: KioskGate) -> None:
    stranger = _signed(protocol.generate_signing_key(), "k-nobody")
    assert _refusal(gate, stranger) == (401, protocol.ERROR_UNKNOWN_KIOSK)
    assert _refusal(gate, _signed(protocol.generate_signing_key(), "k-nobody"))[0] == 401


def test_a_group_is_admitted_like_its_requests_one_by_one(
    gate: KioskGate, tmp_path: Path, database: str | None
) -> None:
    """``admit_many`` (one statement per group on PostgreSQL): a nonce twice in the group,
    a nonce used before, a revoked kiosk and a good request each get what ``admit`` gives."""
    def enrolled(name: str) -> tuple[Ed25519PrivateKey, KioskRecord]:
        key = protocol.generate_signing_key()
        code = issue_code(tmp_path / "data", name, database)
        kiosk_id = enroll_kiosk(gate.service.repo, gate.service.keys, code,
                                protocol.public_key_b64u(key))["certificate"]["kiosk_id"]
        kiosk = gate.service.repo.get_kiosk(kiosk_id)
        assert kiosk is not None
        return key, kiosk

    def auth(key: Ed25519PrivateKey, kiosk: KioskRecord) -> protocol.RequestAuth:
        parsed = protocol.parse_request_auth(_signed(key, kiosk.kiosk_id))
        assert isinstance(parsed, protocol.RequestAuth)
        return parsed

    key, kiosk = enrolled("Foyer")
    other_key, other = enrolled("Annex")
    used = auth(key, kiosk)
    assert gate.admit(kiosk, used).kiosk_id == kiosk.kiosk_id
    fresh = auth(key, kiosk)
    assert gate.service.repo.revoke(kiosk_id=other.kiosk_id) == 1
    answers = gate.admit_many([(kiosk, fresh), (kiosk, fresh), (kiosk, used),
                               (other, auth(other_key, other))])
    assert isinstance(answers[0], KioskRecord) and answers[0].kiosk_id == kiosk.kiosk_id
    refusals = [(a.status, a.code) for a in answers[1:] if isinstance(a, ApiError)]
    assert refusals == [(401, protocol.ERROR_REPLAYED), (401, protocol.ERROR_REPLAYED),
                        (403, protocol.ERROR_REVOKED)]
