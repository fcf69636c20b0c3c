"""Kiosk request signatures, version 2 (re-exported by ``wire.protocol``).

A kiosk signs every request except enroll and health. The signed input names everything
that changes a request's meaning, so nothing can be replayed or altered on the way::

    jobcenter-kiosk request v2
    METHOD
    TARGET              raw path and query exactly as sent (``/api/v1/x?a=1``)
    KIOSK_ID
    TIME                unix seconds
    NONCE               16+ random bytes, base64url, never used twice
    CONTENT_LENGTH      decimal, 0 without a body
    CONTENT_DIGEST      RFC 9530 ``sha-256=:<base64>:`` of the body
    UPLOAD_OFFSET       the ``Upload-Offset`` header, empty if absent
    UPLOAD_ANNOUNCEMENT the ``Upload-Announcement`` header; this line only if it is sent

``Upload-Announcement`` (base64url of the canonical JSON announcement) lets ``POST
/uploads`` carry the document's first chunk, often all of it: one request per document
instead of an announcement and a chunk. A request without it signs the same nine lines as
before; with it, ten. No header value holds a line break, so the two never collide.

The signature header is ``v2.<base64url Ed25519>``. The server checks the signature from
the headers alone, before it reads a byte of the body, then reads at most the signed
``Content-Length`` and compares the body with the signed ``Content-Digest``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wire import codec

SIGNATURE_VERSION = "v2"
SIGNING_CONTEXT = "jobcenter-kiosk request v2"
HEADER_KIOSK_ID = "X-Kiosk-Id"
HEADER_KIOSK_TIME = "X-Kiosk-Time"
HEADER_KIOSK_NONCE = "X-Kiosk-Nonce"
HEADER_KIOSK_SIGNATURE = "X-Kiosk-Signature"
HEADER_CONTENT_DIGEST = "Content-Digest"
HEADER_UPLOAD_OFFSET = "Upload-Offset"
HEADER_UPLOAD_ANNOUNCEMENT = "Upload-Announcement"
MAX_ANNOUNCEMENT_HEADER = 2048  # base64url characters: an announcement is some 400 bytes
MAX_CLOCK_SKEW_S = 900

_NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_KIOSK_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_DECIMAL_RE = re.compile(r"^(0|[1-9][0-9]{0,15})$")
_TIME_RE = re.compile(r"^[0-9]{1,12}$")
_B64U_RE = re.compile(r"^[A-Za-z0-9_-]*$")


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` value (SHA-256) of ``body``."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def digest_sha256(header: str) -> bytes | None:
    """The SHA-256 named in a ``Content-Digest`` value, or None if it names none validly."""
    for member in header.split(","):
        name, _, value = member.strip().partition("=")
        if name.strip() != "sha-256":
            continue
        value = value.strip()
        if len(value) < 2 or value[0] != ":" or value[-1] != ":":
            return None
        try:
            raw = base64.b64decode(value[1:-1], validate=True)
        except (binascii.Error, ValueError):
            return None
        return raw if len(raw) == 32 else None
    return None


def new_nonce() -> str:
    """A fresh request nonce (16 random bytes, base64url)."""
    return codec.b64u_encode(os.urandom(16))


def request_signing_input(
    method: str, target: str, kiosk_id: str, timestamp: int | str, nonce: str,
    content_length: int, digest: str, upload_offset: str = "", upload_announcement: str = "",
) -> bytes:
    """The bytes a kiosk signs for one request (see the module docstring)."""
    fields = [SIGNING_CONTEXT, method.upper(), target, kiosk_id, str(timestamp), nonce,
              str(content_length), digest, upload_offset]
    if upload_announcement:
        fields.append(upload_announcement)
    return "\n".join(fields).encode("utf-8")


def encode_announcement(announcement: Mapping[str, object]) -> str:
    """The ``Upload-Announcement`` header value of an announcement."""
    return codec.b64u_encode(codec.canonical_json(dict(announcement)))


def sign_request(
    kiosk_key: Ed25519PrivateKey,
    kiosk_id: str,
    method: str,
    target: str,
    body: bytes = b"",
    timestamp: int | None = None,
    *,
    upload_offset: int | None = None,
    nonce: str | None = None,
    upload_announcement: str | None = None,
) -> dict[str, str]:
    """The headers that authenticate one request (``target``: path and query as sent).

    They include ``Content-Length``, ``Content-Digest`` and, if given, ``Upload-Offset``
    and ``Upload-Announcement`` (``encode_announcement``): send them unchanged.
    """
    ts = int(time.time()) if timestamp is None else int(timestamp)
    nonce = nonce or new_nonce()
    digest = content_digest(body)
    offset = "" if upload_offset is None else str(int(upload_offset))
    announcement = upload_announcement or ""
    message = request_signing_input(method, target, kiosk_id, ts, nonce, len(body), digest,
                                    offset, announcement)
    headers = {
        HEADER_KIOSK_ID: kiosk_id,
        HEADER_KIOSK_TIME: str(ts),
        HEADER_KIOSK_NONCE: nonce,
        HEADER_KIOSK_SIGNATURE: f"{SIGNATURE_VERSION}.{codec.b64u_encode(kiosk_key.sign(message))}",
        "Content-Length": str(len(body)),
        HEADER_CONTENT_DIGEST: digest,
    }
    if offset:
        headers[HEADER_UPLOAD_OFFSET] = offset
    if announcement:
        headers[HEADER_UPLOAD_ANNOUNCEMENT] = announcement
    return headers


@dataclass(frozen=True)
class RequestAuth:
    """The signature headers of one request, parsed (nothing verified yet)."""

    kiosk_id: str
    timestamp: str
    nonce: str
    signature: str
    content_length: int
    digest: str
    upload_offset: str
    upload_announcement: str = ""

    def signing_input(self, method: str, target: str) -> bytes:
        """What the kiosk must have signed for this request."""
        return request_signing_input(method, target, self.kiosk_id, self.timestamp, self.nonce,
                                     self.content_length, self.digest, self.upload_offset,
                                     self.upload_announcement)


def parse_request_auth(headers: Mapping[str, str]) -> RequestAuth | str:
    """The parsed signature headers (lower-case keys), or the 401 error code why not.

    ``unknown_kiosk`` (no usable kiosk id), ``signature_outdated`` (an older signing
    version, e.g. a kiosk not yet updated) or ``bad_signature`` (malformed headers).
    """
    kiosk_id = headers.get("x-kiosk-id", "")
    if not _KIOSK_ID_RE.match(kiosk_id):
        return "unknown_kiosk"
    signature = headers.get("x-kiosk-signature", "")
    nonce = headers.get("x-kiosk-nonce")
    if not signature.startswith(SIGNATURE_VERSION + ".") or nonce is None:
        return "signature_outdated"
    timestamp = headers.get("x-kiosk-time", "")
    length = headers.get("content-length", "0")
    offset = headers.get("upload-offset", "")
    digest = headers.get("content-digest", "")
    announcement = headers.get("upload-announcement", "")
    if (not _NONCE_RE.match(nonce) or not _TIME_RE.match(timestamp)
            or not _DECIMAL_RE.match(length) or (offset and not _DECIMAL_RE.match(offset))
            or not digest or len(digest) > 512
            or len(announcement) > MAX_ANNOUNCEMENT_HEADER or not _B64U_RE.match(announcement)):
        return "bad_signature"
    return RequestAuth(kiosk_id, timestamp, nonce, signature[len(SIGNATURE_VERSION) + 1:],
                       int(length), digest, offset, announcement)


def verify_request(public_key: codec.PublicKeyLike, method: str, target: str,
                   auth: RequestAuth) -> bool:
    """True if the request's signature is the kiosk's over this method, target and headers."""
    return codec.verify_signature(public_key, auth.signature, auth.signing_input(method, target))


def clock_skew_ok(timestamp: str, now: float | None = None) -> bool:
    """True if the request time is an integer within ``MAX_CLOCK_SKEW_S`` of ``now``."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    return abs(current - ts) <= MAX_CLOCK_SKEW_S
