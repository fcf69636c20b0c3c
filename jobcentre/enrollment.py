"""One-time enrollment codes bound to the centre's keys, and kiosk enrollment.

A code (``wire.enrollment``) is a 100-bit secret plus a 40-bit check derived from the
fingerprint of this centre's public keys, written ``ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-2345``.
Only the SHA-256 of the secret is stored; a code is valid for 24 hours and can be used once.
Enrolling with it binds the kiosk's Ed25519 public key to a kiosk id (reserved from the name
when the code was issued) in a certificate signed by the centre signing key; the answer
carries the centre's proof over the kiosk's key and nonce.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from foundation.errors import ApiError, SetupError
from jobcentre.keys import CentreKeys, load_centre_keys
from jobcentre.repository import Repository, db_time, open_repository
from wire import enrollment as binding
from wire import protocol

CODE_VALIDITY = timedelta(hours=24)


def centre_fingerprint(keys: CentreKeys) -> bytes:
    """The fingerprint of this centre's public keys that every code is bound to."""
    return binding.centre_fingerprint(keys.signing_public, keys.encryption_public)


def hash_code(code: str) -> str:
    """The stored form of a code: SHA-256 of its secret part; ValueError if malformed."""
    secret, _ = binding.split_code(code)
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_code(
    repo: Repository, keys: CentreKeys, name: str, now: datetime | None = None
) -> tuple[str, str]:
    """Store a new code for a kiosk called ``name``; returns (code, reserved kiosk id)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise SetupError("the kiosk name must be 1 to 200 characters")
    code = binding.make_code(centre_fingerprint(keys))
    expires = db_time((now or datetime.now(UTC)) + CODE_VALIDITY)
    kiosk_id = repo.add_enrollment_code(hash_code(code), name, expires)
    return code, kiosk_id


def issue_code(data_dir: Path, name: str, database_url: str | None = None) -> str:
    """Issue a one-time enrollment code for a kiosk called ``name`` (library entry point)."""
    keys = load_centre_keys(data_dir)
    repo = open_repository(data_dir, database_url)
    try:
        return create_code(repo, keys, name)[0]
    finally:
        repo.close()


def centre_keys_answer(keys: CentreKeys) -> dict[str, str]:
    """Answer ``GET /api/v1/enroll``: the centre's public keys, which a kiosk checks first."""
    return {
        "centre_signing_public_key": keys.signing_public,
        "centre_encryption_public_key": keys.encryption_public,
    }


def enroll_kiosk(
    repo: Repository, keys: CentreKeys, code: Any, public_key: Any, nonce: Any = None
) -> dict[str, Any]:
    """Answer ``POST /api/v1/enroll``: certificate, centre keys and proof, or 403 for a bad code."""
    if not isinstance(code, str) or not isinstance(public_key, str):
        raise ApiError(400, "invalid_request", detail="code and public_key must be strings")
    try:
        protocol.ed25519_public(public_key)
    except ValueError as exc:
        raise ApiError(400, "invalid_request", detail="public_key is not an Ed25519 key") from exc
    if nonce is not None:
        try:
            binding.check_nonce(nonce)
        except ValueError as exc:
            raise ApiError(400, "invalid_request", detail=str(exc)) from exc
    try:
        code_hash = hash_code(code)
    except ValueError as exc:
        raise ApiError(403, protocol.ERROR_BAD_CODE) from exc

    def certify(kiosk_id: str, name: str) -> dict[str, Any]:
        return protocol.sign_certificate(kiosk_id, name, public_key, keys.signing)

    record = repo.enroll(code_hash, public_key, certify)
    if record is None:
        raise ApiError(403, protocol.ERROR_BAD_CODE)
    answer: dict[str, Any] = {
        "certificate": record.certificate,
        **centre_keys_answer(keys),
        "server_time": protocol.utc_now_iso(),
    }
    if nonce is not None:
        answer["proof"] = binding.sign_answer(
            keys.signing, public_key, nonce, keys.encryption_public, record.certificate
        )
    return answer
