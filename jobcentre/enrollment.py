"""One-time enrollment codes and kiosk enrollment.

A code has 100 random bits written as five base32 groups (``ABCD-EFGH-JKLM-NPQR-STUV``),
is stored only as its SHA-256, is valid for 24 hours and can be used once. Enrolling with it
binds the kiosk's Ed25519 public key to a kiosk id (reserved from the name when the code was
issued) in a certificate signed by the centre signing key.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from foundation.errors import ApiError, SetupError
from jobcentre.keys import CentreKeys, load_centre_keys
from jobcentre.repository import Repository, db_time, open_repository
from wire import protocol

CODE_VALIDITY = timedelta(hours=24)
CODE_BYTES = 15  # 120 bits drawn, 100 shown (20 base32 characters)
CODE_CHARS = 20


def generate_code() -> str:
    """A fresh random code like ``ABCD-EFGH-JKLM-NPQR-STUV`` (100 bits)."""
    text = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii")[:CODE_CHARS]
    return "-".join(text[i : i + 4] for i in range(0, CODE_CHARS, 4))


def normalise_code(code: str) -> str:
    """Upper-case the code and drop dashes and spaces (people type it by hand)."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_code(code: str) -> str:
    """The stored form of a code."""
    return hashlib.sha256(normalise_code(code).encode("ascii", "replace")).hexdigest()


def create_code(repo: Repository, name: str, now: datetime | None = None) -> tuple[str, str]:
    """Store a new code for a kiosk called ``name``; returns (code, reserved kiosk id)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise SetupError("the kiosk name must be 1 to 200 characters")
    code = generate_code()
    expires = db_time((now or datetime.now(UTC)) + CODE_VALIDITY)
    kiosk_id = repo.add_enrollment_code(hash_code(code), name, expires)
    return code, kiosk_id


def issue_code(data_dir: Path, name: str, database_url: str | None = None) -> str:
    """Issue a one-time enrollment code for a kiosk called ``name`` (library entry point)."""
    load_centre_keys(data_dir)
    repo = open_repository(data_dir, database_url)
    try:
        return create_code(repo, name)[0]
    finally:
        repo.close()


def enroll_kiosk(repo: Repository, keys: CentreKeys, code: Any, public_key: Any) -> dict[str, Any]:
    """Answer ``POST /api/v1/enroll``: certificate and centre keys, or 403 for a bad code."""
    if not isinstance(code, str) or not isinstance(public_key, str):
        raise ApiError(400, "invalid_request", detail="code and public_key must be strings")
    try:
        protocol.ed25519_public(public_key)
    except ValueError as exc:
        raise ApiError(400, "invalid_request", detail="public_key is not an Ed25519 key") from exc
    if len(normalise_code(code)) != CODE_CHARS:
        raise ApiError(403, protocol.ERROR_BAD_CODE)

    def certify(kiosk_id: str, name: str) -> dict[str, Any]:
        return protocol.sign_certificate(kiosk_id, name, public_key, keys.signing)

    record = repo.enroll(hash_code(code), public_key, certify)
    if record is None:
        raise ApiError(403, protocol.ERROR_BAD_CODE)
    return {
        "certificate": record.certificate,
        "centre_signing_public_key": keys.signing_public,
        "centre_encryption_public_key": keys.encryption_public,
        "server_time": protocol.utc_now_iso(),
    }
