"""Encoding and key helpers under the wire contract (re-exported by ``wire.protocol``).

Canonical JSON, depth-limited JSON parsing, canonical base64url without padding, ISO-8601
UTC times, and loading/converting the Ed25519 and X25519 keys. Import these through
``wire.protocol``.

Every decoder is strict on purpose: one value has exactly one accepted encoding, so a signed
message cannot be changed into another text that still verifies (receipt malleability).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

PublicKeyLike = Ed25519PublicKey | Ed25519PrivateKey | bytes | str
EncPublicKeyLike = X25519PublicKey | X25519PrivateKey | bytes | str


# --- encoding helpers -------------------------------------------------------------------


def canonical_json(obj: Any) -> bytes:
    """Serialize ``obj`` deterministically (sorted keys, no spaces, UTF-8)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


#: deepest nesting of arrays and objects any message of the contract may have
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON ``text`` (a linear scan, no recursion)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if ``text`` nests deeper than ``limit``: refuse it before ``json.loads`` recurses."""
    return json_depth(text) > limit


def b64u_encode(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64U_RE = re.compile(r"^[A-Za-z0-9_-]*$")


def b64u_decode(text: str) -> bytes:
    """Decode canonical base64url without padding; raises ``ValueError`` on anything else.

    Canonical: the unused low bits of the last character must be zero, so exactly one text
    decodes to given bytes (``b64u_encode(b64u_decode(t)) == t``).
    """
    if not isinstance(text, str) or not _B64U_RE.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
    if b64u_encode(raw) != text:
        raise ValueError("not canonical base64url")
    return raw


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def format_time(moment: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` suffix, e.g. ``2025-03-01T09:15:02Z`` (milliseconds kept)."""
    moment = moment.astimezone(UTC)
    spec = "milliseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def utc_now_iso() -> str:
    """The current time as ISO-8601 UTC."""
    return format_time(datetime.now(UTC))


def parse_time(text: str) -> datetime:
    """Parse an ISO-8601 time (``Z`` or offset); naive times are taken as UTC.

    Raises ``ValueError`` also for a time that has no UTC equivalent in ``datetime``'s range
    (``0001-01-01T00:00+14:00``), so comparing or converting a parsed time never overflows.
    """
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("time out of range") from exc
    return moment


# --- keys ------------------------------------------------------------------------------


def generate_signing_key() -> Ed25519PrivateKey:
    """A new Ed25519 key (centre signing key or kiosk key)."""
    return Ed25519PrivateKey.generate()


def generate_encryption_key() -> X25519PrivateKey:
    """A new X25519 key (centre encryption key)."""
    return X25519PrivateKey.generate()


def private_key_bytes(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    """The raw 32-byte private key, for storing in a 0600 file."""
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def load_signing_key(raw: bytes) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from its raw 32 bytes."""
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_encryption_key(raw: bytes) -> X25519PrivateKey:
    """Load an X25519 private key from its raw 32 bytes."""
    return X25519PrivateKey.from_private_bytes(raw)


def public_key_b64u(
    key: Ed25519PrivateKey | Ed25519PublicKey | X25519PrivateKey | X25519PublicKey,
) -> str:
    """The raw public key as base64url (works on private or public keys of both kinds)."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey | X25519PrivateKey) else key
    return b64u_encode(pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def ed25519_public(key: PublicKeyLike) -> Ed25519PublicKey:
    """An Ed25519 public key from a key object, raw 32 bytes or base64url text."""
    if isinstance(key, Ed25519PrivateKey):
        return key.public_key()
    if isinstance(key, Ed25519PublicKey):
        return key
    if isinstance(key, str):
        return _ed25519_from_text(key)
    if len(key) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(key)


@functools.lru_cache(maxsize=4096)
def _ed25519_from_text(text: str) -> Ed25519PublicKey:
    """Parsed once per key: a server checks every request of a kiosk against the same text."""
    return ed25519_public(b64u_decode(text))


def x25519_public(key: EncPublicKeyLike) -> X25519PublicKey:
    """An X25519 public key from a key object, raw 32 bytes or base64url text."""
    if isinstance(key, X25519PrivateKey):
        return key.public_key()
    if isinstance(key, X25519PublicKey):
        return key
    raw = b64u_decode(key) if isinstance(key, str) else key
    if len(raw) != 32:
        raise ValueError("an X25519 public key has 32 bytes")
    return X25519PublicKey.from_public_bytes(raw)


def verify_signature(public_key: PublicKeyLike, signature_b64u: Any, message: bytes) -> bool:
    """True if ``signature_b64u`` is a valid Ed25519 signature of ``message``."""
    if not isinstance(signature_b64u, str):
        return False
    try:
        pub = ed25519_public(public_key)
        pub.verify(b64u_decode(signature_b64u), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def without_sig(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a signed object without its ``sig`` field."""
    return {k: v for k, v in obj.items() if k != "sig"}
