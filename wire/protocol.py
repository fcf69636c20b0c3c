"""The shared wire contract between kiosk and job-centre intake service.

Pure format and crypto code (``cryptography`` only): both sides import this module, so it
never imports fastapi, kivy or kiosk. It holds canonical JSON, base64url, the key helpers,
kiosk certificates, request signatures, the sealed document envelope (``JCK1``), the
server acknowledgement and the signed kiosk receipt (``JCR1.`` QR text).

Errors raised here are the ``ProtocolError`` branch of ``foundation.errors``
(re-exported here with ``mask_customer_number`` for callers of the contract).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from foundation.errors import ForgedReceipt, Undecryptable
from wire import codec as _codec
from wire import receipt_shape as _shape
from wire import request_auth as _auth

# Re-exported: both sides import every format helper from this module.
EncPublicKeyLike = _codec.EncPublicKeyLike
PublicKeyLike = _codec.PublicKeyLike
b64u_decode = _codec.b64u_decode
b64u_encode = _codec.b64u_encode
canonical_json = _codec.canonical_json
ed25519_public = _codec.ed25519_public
format_time = _codec.format_time
json_depth = _codec.json_depth
json_too_deep = _codec.json_too_deep
MAX_JSON_DEPTH = _codec.MAX_JSON_DEPTH
generate_encryption_key = _codec.generate_encryption_key
generate_signing_key = _codec.generate_signing_key
load_encryption_key = _codec.load_encryption_key
load_signing_key = _codec.load_signing_key
parse_time = _codec.parse_time
private_key_bytes = _codec.private_key_bytes
public_key_b64u = _codec.public_key_b64u
sha256_hex = _codec.sha256_hex
utc_now_iso = _codec.utc_now_iso
verify_signature = _codec.verify_signature
without_sig = _codec.without_sig
x25519_public = _codec.x25519_public

PROTOCOL_VERSION = 1
API_PREFIX = "/api/v1"

HEADER_KIOSK_ID = _auth.HEADER_KIOSK_ID
HEADER_KIOSK_TIME = _auth.HEADER_KIOSK_TIME
HEADER_KIOSK_NONCE = _auth.HEADER_KIOSK_NONCE
HEADER_KIOSK_SIGNATURE = _auth.HEADER_KIOSK_SIGNATURE
HEADER_CONTENT_DIGEST = _auth.HEADER_CONTENT_DIGEST
HEADER_UPLOAD_OFFSET = _auth.HEADER_UPLOAD_OFFSET
HEADER_UPLOAD_ANNOUNCEMENT = _auth.HEADER_UPLOAD_ANNOUNCEMENT
encode_announcement = _auth.encode_announcement
MAX_CLOCK_SKEW_S = _auth.MAX_CLOCK_SKEW_S
SIGNATURE_VERSION = _auth.SIGNATURE_VERSION
RequestAuth = _auth.RequestAuth
clock_skew_ok = _auth.clock_skew_ok
content_digest = _auth.content_digest
digest_sha256 = _auth.digest_sha256
parse_request_auth = _auth.parse_request_auth
request_signing_input = _auth.request_signing_input
sign_request = _auth.sign_request
verify_request = _auth.verify_request

MAX_CHUNK_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_SEALED_BYTES = 25 * 1000 * 1000
DEFAULT_MAX_PAGES = 50
PDF_PRODUCER_PREFIX = "jobcenter-kiosk"

SEAL_MAGIC = b"JCK1"
SEAL_INFO = b"jobcenter-kiosk document v1"
_NONCE_LEN = 12
_TAG_LEN = 16
SEAL_OVERHEAD = len(SEAL_MAGIC) + 32 + _NONCE_LEN + _TAG_LEN

RECEIPT_PREFIX = "JCR1"
RECEIPT_DOC_ID_LEN = _shape.RECEIPT_DOC_ID_LEN

# Error codes in JSON bodies ``{"error": code}`` of the intake service.
ERROR_UNKNOWN_KIOSK = "unknown_kiosk"
ERROR_BAD_SIGNATURE = "bad_signature"
ERROR_CLOCK_SKEW = "clock_skew"
ERROR_REVOKED = "revoked"
ERROR_SIGNATURE_OUTDATED = "signature_outdated"
ERROR_REPLAYED = "replayed_request"
ERROR_DIGEST_MISMATCH = "digest_mismatch"
ERROR_LENGTH_REQUIRED = "length_required"
ERROR_RATE_LIMITED = "rate_limited"
ERROR_BUSY = "busy"
ERROR_STORAGE_FULL = "storage_full"
ERROR_BODY_TIMEOUT = "body_too_slow"
ERROR_BAD_CODE = "bad_enrollment_code"
ERROR_HASH_MISMATCH = "hash_mismatch"
ERROR_SIZE_MISMATCH = "size_mismatch"
ERROR_NOT_OUR_PDF = "not_our_pdf"
ERROR_TOO_MANY_PAGES = "too_many_pages"
ERROR_UNDECRYPTABLE = "undecryptable"
ERROR_TOO_LARGE = "too_large"
ERROR_METADATA_CONFLICT = "metadata_conflict"
ERROR_OFFSET_MISMATCH = "offset_mismatch"
ERROR_NOT_FOUND = "not_found"
ERROR_INCOMPLETE = "incomplete"
ERROR_INVALID_NOTE_EXTENSION = "invalid_note_extension"  # see wire.transfer_note
ERROR_JSON_TOO_DEEP = _shape.ERROR_JSON_TOO_DEEP
ERROR_RECEIPT_TIME = _shape.ERROR_RECEIPT_TIME


# --- kiosk certificate -----------------------------------------------------------------


def sign_certificate(
    kiosk_id: str,
    name: str,
    kiosk_public_key: PublicKeyLike,
    centre_signing_key: Ed25519PrivateKey,
    issued_at: datetime | None = None,
) -> dict[str, Any]:
    """Issue a kiosk certificate signed by the centre signing key."""
    cert: dict[str, Any] = {
        "v": PROTOCOL_VERSION,
        "kiosk_id": kiosk_id,
        "name": name,
        "public_key": public_key_b64u(ed25519_public(kiosk_public_key)),
        "issued_at": format_time(issued_at or datetime.now(UTC)),
    }
    cert["sig"] = b64u_encode(centre_signing_key.sign(canonical_json(cert)))
    return cert


def verify_certificate(cert: Any, centre_signing_public_key: PublicKeyLike) -> bool:
    """True if ``cert`` is well-formed and signed by the given centre key."""
    if not isinstance(cert, dict) or cert.get("v") != PROTOCOL_VERSION:
        return False
    for field in ("kiosk_id", "name", "public_key", "issued_at"):
        if not isinstance(cert.get(field), str):
            return False
    try:
        ed25519_public(cert["public_key"])
    except ValueError:
        return False
    unsigned = canonical_json(without_sig(cert))
    return verify_signature(centre_signing_public_key, cert.get("sig"), unsigned)


# --- request authentication: see wire.request_auth (signing version 2) -------------------


# --- sealed document envelope ----------------------------------------------------------


def _derive_key(shared: bytes, eph_pub: bytes, centre_pub: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=eph_pub + centre_pub, info=SEAL_INFO)
    return hkdf.derive(shared)


def _raw_pub(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def seal(plaintext: bytes, centre_encryption_public_key: EncPublicKeyLike, aad: bytes) -> bytes:
    """Encrypt ``plaintext`` so that only the centre can open it (``JCK1`` envelope)."""
    centre_pub = x25519_public(centre_encryption_public_key)
    eph = X25519PrivateKey.generate()
    eph_pub = _raw_pub(eph.public_key())
    key = _derive_key(eph.exchange(centre_pub), eph_pub, _raw_pub(centre_pub))
    nonce = os.urandom(_NONCE_LEN)
    return SEAL_MAGIC + eph_pub + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


@dataclass(frozen=True)
class OpenedEnvelope:
    """An opened ``JCK1`` envelope: the document, and the key and nonce it was sealed with.

    ``ciphertext`` (ciphertext and tag) is a view into the envelope, not a copy. With
    ``key`` and ``nonce`` it opens again under the envelope's AAD: the intake service keeps it
    at rest as received, with ``key`` wrapped under its own key (``jobcentre.atrest``)."""

    plaintext: bytes
    key: bytes
    nonce: bytes
    ciphertext: memoryview


def open_envelope(blob: bytes, centre_encryption_private_key: X25519PrivateKey, aad: bytes
                  ) -> OpenedEnvelope:
    """Decrypt a ``JCK1`` envelope, keeping its key; raises ``Undecryptable`` on any defect."""
    if len(blob) < SEAL_OVERHEAD or not blob.startswith(SEAL_MAGIC):
        raise Undecryptable("not a JCK1 envelope")
    start = len(SEAL_MAGIC)
    eph_pub = blob[start : start + 32]
    nonce = blob[start + 32 : start + 32 + _NONCE_LEN]
    # a memoryview: slicing the bytes would copy the whole document first
    ciphertext = memoryview(blob)[start + 32 + _NONCE_LEN :]
    try:
        shared = centre_encryption_private_key.exchange(X25519PublicKey.from_public_bytes(eph_pub))
        centre_pub = _raw_pub(centre_encryption_private_key.public_key())
        key = _derive_key(shared, eph_pub, centre_pub)
        plaintext = AESGCM(key).decrypt(nonce, ciphertext, aad)
    except (InvalidTag, ValueError) as exc:
        raise Undecryptable("envelope does not open") from exc
    return OpenedEnvelope(plaintext, key, nonce, ciphertext)


def open_sealed(blob: bytes, centre_encryption_private_key: X25519PrivateKey, aad: bytes) -> bytes:
    """Decrypt a ``JCK1`` envelope; raises ``Undecryptable`` on any defect."""
    return open_envelope(blob, centre_encryption_private_key, aad).plaintext


def document_aad(document_id: str) -> bytes:
    """The AAD binding an envelope to its document id."""
    return document_id.encode()


# --- server acknowledgement ------------------------------------------------------------


def sign_ack(
    document_id: str,
    receipt_number: str,
    sha256: str,
    received_at: str,
    centre_signing_key: Ed25519PrivateKey,
) -> dict[str, str]:
    """The centre's signed acknowledgement that a document is stored."""
    ack = {
        "document_id": document_id,
        "receipt_number": receipt_number,
        "sha256": sha256,
        "received_at": received_at,
    }
    ack["sig"] = b64u_encode(centre_signing_key.sign(canonical_json(ack)))
    return ack


def verify_ack(ack: Any, centre_signing_public_key: PublicKeyLike) -> bool:
    """True if ``ack`` is complete and signed by the centre."""
    if not isinstance(ack, dict):
        return False
    for field in ("document_id", "receipt_number", "sha256", "received_at"):
        if not isinstance(ack.get(field), str):
            return False
    unsigned = canonical_json(without_sig(ack))
    return verify_signature(centre_signing_public_key, ack.get("sig"), unsigned)


# --- kiosk receipt (QR payload) --------------------------------------------------------


def make_receipt_number(kiosk_id: str, day: date, counter: int) -> str:
    """``{kiosk_id}-{YYYYMMDD}-{counter:04d}``."""
    return f"{kiosk_id}-{day:%Y%m%d}-{counter:04d}"


def page_hash_from_digests(digests: Iterable[bytes]) -> str:
    """First 16 hex chars of SHA-256 over the concatenated raw 32-byte page digests."""
    joined = b"".join(digests)
    return hashlib.sha256(joined).hexdigest()[:16]


def page_hash(page_images: Iterable[bytes]) -> str:
    """The receipt's short page hash over the page images, in order."""
    return page_hash_from_digests(hashlib.sha256(img).digest() for img in page_images)


def receipt_doc(
    document_id: str, document_type: str, pages: int, page_hash_hex: str
) -> dict[str, Any]:
    """One document entry of a receipt."""
    return {
        "id": document_id[:RECEIPT_DOC_ID_LEN], "type": document_type, "p": pages,
        "h": page_hash_hex,
    }


def build_receipt(
    receipt_number: str,
    kiosk_id: str,
    location: str,
    stored_at: datetime | str,
    masked_customer_number: str,
    docs: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """The receipt dictionary that goes into the QR code."""
    t = stored_at if isinstance(stored_at, str) else format_time(stored_at)
    return {
        "v": PROTOCOL_VERSION,
        "rn": receipt_number,
        "kiosk": kiosk_id,
        "loc": location,
        "t": t,
        "cn": masked_customer_number,
        "docs": [dict(d) for d in docs],
    }


def encode_receipt(
    receipt: Mapping[str, Any], kiosk_key: Ed25519PrivateKey, certificate: Mapping[str, Any]
) -> str:
    """The QR text ``JCR1.<receipt>.<signature>.<certificate>`` signed by the kiosk."""
    body = canonical_json(dict(receipt))
    parts = [
        RECEIPT_PREFIX,
        b64u_encode(body),
        b64u_encode(kiosk_key.sign(body)),
        b64u_encode(canonical_json(dict(certificate))),
    ]
    return ".".join(parts)


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt whose kiosk signature and certificate have been checked."""

    receipt: dict[str, Any]
    certificate: dict[str, Any]

    @property
    def receipt_number(self) -> str:
        """The receipt number ``rn``."""
        return str(self.receipt["rn"])

    @property
    def kiosk_id(self) -> str:
        """The issuing kiosk."""
        return str(self.receipt["kiosk"])

    @property
    def docs(self) -> list[dict[str, Any]]:
        """The document entries (``id`` = first 8 chars of the document id)."""
        return list(self.receipt["docs"])


def _load_json_part(part: str) -> tuple[bytes, Any]:
    raw = b64u_decode(part)
    text = raw.decode("utf-8")
    if json_too_deep(text):
        raise _shape.unreadable("receipt JSON nested too deeply", ERROR_JSON_TOO_DEEP)
    return raw, json.loads(text)


def decode_and_verify_receipt(
    text: str, centre_signing_public_key: PublicKeyLike
) -> VerifiedReceipt:
    """Check a receipt's QR text; raises ``ForgedReceipt`` unless it is genuine."""
    parts = text.strip().split(".") if isinstance(text, str) else []
    if len(parts) != 4 or parts[0] != RECEIPT_PREFIX:
        raise ForgedReceipt("not a JCR1 receipt")
    try:
        body, receipt = _load_json_part(parts[1])
        cert_raw, cert = _load_json_part(parts[3])
    except (ValueError, UnicodeDecodeError) as exc:
        raise ForgedReceipt("receipt does not decode") from exc
    if not isinstance(receipt, dict) or canonical_json(receipt) != body:
        raise ForgedReceipt("receipt is not canonical")
    if not isinstance(cert, dict) or canonical_json(cert) != cert_raw:
        raise ForgedReceipt("certificate is not canonical")
    if not verify_certificate(cert, centre_signing_public_key):
        raise ForgedReceipt("kiosk certificate not issued by this centre")
    if not verify_signature(cert["public_key"], parts[2], body):
        raise ForgedReceipt("receipt signature does not verify")
    if receipt.get("v") != PROTOCOL_VERSION or receipt.get("kiosk") != cert["kiosk_id"]:
        raise ForgedReceipt("receipt kiosk does not match its certificate")
    _shape.check_receipt_shape(receipt)
    return VerifiedReceipt(receipt=receipt, certificate=cert)
