"""Enrollment binding: a code that names the real centre's keys, and a signed enrollment answer.

A code is ``SECRET-CHECK`` written as seven groups of four base32 characters
(``ABCD-EFGH-JKLM-NPQR-STUV-WXYZ-2345``):

* ``SECRET`` (first 20 characters, 100 random bits) is what the kiosk sends; the centre
  stores only its SHA-256 and accepts it once.
* ``CHECK`` (last 8 characters, 40 bits) is ``HMAC-SHA256(SECRET, CHECK_INFO || fingerprint)``
  where ``fingerprint = SHA-256(FINGERPRINT_INFO || signing key || encryption key)`` over the
  centre's raw public keys. The kiosk never sends it: a server that does not hold the keys
  the code was issued for cannot produce keys that fit it except by a 1 in 2^40 guess.

The kiosk sends a fresh ``nonce`` with its enroll request; the centre signs an answer proof
over the kiosk's public key, that nonce, both centre keys and the certificate, so a relay
cannot replay an old answer or combine parts from different centres.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wire import codec

SECRET_CHARS = 20
CHECK_CHARS = 8
CODE_CHARS = SECRET_CHARS + CHECK_CHARS
GROUP = 4
NONCE_BYTES = 32
FINGERPRINT_INFO = b"jobcenter-kiosk centre keys v1\n"
CHECK_INFO = b"jobcenter-kiosk enrollment code v1\n"
PROOF_PURPOSE = "jobcenter-kiosk enrollment answer v1"
BASE32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
# Digits people type for letters that base32 leaves out.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def normalise_code(code: str) -> str:
    """Upper-case, drop dashes and spaces, and read 0/1/8 as O/I/B (people type codes)."""
    return "".join(ch for ch in code.upper() if ch.isalnum()).translate(_LOOKALIKES)


def split_code(code: str) -> tuple[str, str]:
    """(secret, check) of a full code, or (secret, "") of a secret alone; ValueError otherwise."""
    text = normalise_code(code)
    if len(text) not in (SECRET_CHARS, CODE_CHARS) or not set(text) <= BASE32_ALPHABET:
        raise ValueError(f"an enrollment code has {CODE_CHARS} letters and digits 2-7")
    return text[:SECRET_CHARS], text[SECRET_CHARS:]


def group(text: str) -> str:
    """``ABCDEFGH`` → ``ABCD-EFGH``."""
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def centre_fingerprint(
    signing_public_key: codec.PublicKeyLike, encryption_public_key: codec.EncPublicKeyLike
) -> bytes:
    """SHA-256 over the centre's raw signing and encryption public keys (32 bytes)."""
    signing = codec.b64u_decode(codec.public_key_b64u(codec.ed25519_public(signing_public_key)))
    encryption = codec.b64u_decode(
        codec.public_key_b64u(codec.x25519_public(encryption_public_key))
    )
    return hashlib.sha256(FINGERPRINT_INFO + signing + encryption).digest()


def format_fingerprint(fingerprint: bytes) -> str:
    """The first 160 bits of a fingerprint in base32 groups, for people to compare."""
    return group(_b32(fingerprint)[:32])


def code_check(secret: str, fingerprint: bytes) -> str:
    """The check part that binds ``secret`` to the centre keys with this fingerprint."""
    mac = hmac.new(secret.encode("ascii"), CHECK_INFO + fingerprint, hashlib.sha256).digest()
    return _b32(mac)[:CHECK_CHARS]


def make_code(fingerprint: bytes) -> str:
    """A fresh code for the centre whose keys have ``fingerprint``."""
    secret = _b32(secrets.token_bytes(15))[:SECRET_CHARS]
    return group(secret + code_check(secret, fingerprint))


def code_fits_keys(
    code: str, signing_public_key: codec.PublicKeyLike,
    encryption_public_key: codec.EncPublicKeyLike,
) -> bool:
    """True if the full ``code`` was issued for exactly these centre keys."""
    secret, check = split_code(code)
    if len(check) != CHECK_CHARS:
        return False
    expected = code_check(secret, centre_fingerprint(signing_public_key, encryption_public_key))
    return hmac.compare_digest(check, expected)


def new_nonce() -> str:
    """A fresh base64url nonce for one enroll request."""
    return codec.b64u_encode(secrets.token_bytes(NONCE_BYTES))


def check_nonce(nonce: Any) -> str:
    """The nonce if it is base64url of 16 to 64 bytes; ValueError otherwise."""
    if not isinstance(nonce, str) or not 16 <= len(codec.b64u_decode(nonce)) <= 64:
        raise ValueError("nonce must be base64url of 16 to 64 bytes")
    return nonce


def proof_input(
    kiosk_public_key: str, nonce: str, signing_public_key: str, encryption_public_key: str,
    certificate: dict[str, Any],
) -> bytes:
    """The bytes the centre signs to answer one enroll request."""
    return codec.canonical_json({
        "purpose": PROOF_PURPOSE,
        "kiosk_public_key": kiosk_public_key,
        "nonce": nonce,
        "centre_signing_public_key": signing_public_key,
        "centre_encryption_public_key": encryption_public_key,
        "certificate_sha256": codec.sha256_hex(codec.canonical_json(certificate)),
    })


def sign_answer(
    centre_signing_key: Ed25519PrivateKey, kiosk_public_key: str, nonce: str,
    encryption_public_key: str, certificate: dict[str, Any],
) -> str:
    """The centre's proof (base64url Ed25519 signature) for one enroll answer."""
    signing_public = codec.public_key_b64u(centre_signing_key)
    message = proof_input(kiosk_public_key, nonce, signing_public, encryption_public_key,
                          certificate)
    return codec.b64u_encode(centre_signing_key.sign(message))


def verify_answer(
    proof: Any, kiosk_public_key: str, nonce: str, signing_public_key: str,
    encryption_public_key: str, certificate: dict[str, Any],
) -> bool:
    """True if ``proof`` is the centre signing key's signature over this very answer."""
    message = proof_input(kiosk_public_key, nonce, signing_public_key, encryption_public_key,
                          certificate)
    return codec.verify_signature(signing_public_key, proof, message)
