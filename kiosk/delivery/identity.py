"""The kiosk's identity: its Ed25519 key, its certificate, the centre's public keys, the server.

Everything lives under ``<data>/identity/``: ``kiosk.key`` (raw 32 bytes, mode 0600; one
identity key per kiosk, generated once and reused on re-enrollment), ``certificate.json``,
``centre.json`` (centre signing and encryption public keys) and ``server.json`` (intake URL).
Files are written atomically (temp file, fsync, rename, fsync directory).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from foundation.errors import BackendUnavailable, EnrollmentError, StorageError
from kiosk.delivery.files import fsync_dir
from wire import protocol

log = logging.getLogger(__name__)

KEY_FILE = "kiosk.key"
CERT_FILE = "certificate.json"
CENTRE_FILE = "centre.json"
SERVER_FILE = "server.json"


@dataclass(frozen=True)
class Identity:
    """An enrolled kiosk: key, certificate, centre public keys and server URL."""

    kiosk_key: Ed25519PrivateKey
    certificate: dict[str, Any]
    centre_signing_public_key: str
    centre_encryption_public_key: str
    server_url: str

    @property
    def kiosk_id(self) -> str:
        """The kiosk id the centre certified (used in receipt numbers and request headers)."""
        return str(self.certificate["kiosk_id"])


@dataclass(frozen=True)
class EnrollmentResult:
    """What enrolling returned: the identity and the server's clock at that moment."""

    identity: Identity
    server_time: datetime | None


def identity_dir(data_dir: Path) -> Path:
    """``<data>/identity``."""
    return data_dir / "identity"


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old or the new content, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.write(fd, data)
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"cannot write {path.name}: {exc.strerror}") from exc


def load_or_create_key(data_dir: Path) -> Ed25519PrivateKey:
    """The kiosk's one identity key; generated (0600) on first use."""
    path = identity_dir(data_dir) / KEY_FILE
    if path.exists():
        return protocol.load_signing_key(path.read_bytes())
    key = protocol.generate_signing_key()
    identity_dir(data_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, protocol.private_key_bytes(key), mode=0o600)
    return key


def load_identity(data_dir: Path) -> Identity | None:
    """The stored identity, or None if this kiosk is not enrolled yet."""
    folder = identity_dir(data_dir)
    paths = [folder / n for n in (KEY_FILE, CERT_FILE, CENTRE_FILE, SERVER_FILE)]
    if not all(p.exists() for p in paths):
        return None
    key = protocol.load_signing_key(paths[0].read_bytes())
    cert = json.loads(paths[1].read_text("utf-8"))
    centre = json.loads(paths[2].read_text("utf-8"))
    server = json.loads(paths[3].read_text("utf-8"))
    return Identity(
        kiosk_key=key,
        certificate=cert,
        centre_signing_public_key=centre["signing_public_key"],
        centre_encryption_public_key=centre["encryption_public_key"],
        server_url=server["url"],
    )


def _post_enroll(url: str, body: dict[str, str], timeout_s: float) -> httpx.Response:
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))) as client:
            return client.post(f"{url}{protocol.API_PREFIX}/enroll", json=body)
    except httpx.HTTPError as exc:
        raise BackendUnavailable(f"enrollment server not reachable: {type(exc).__name__}") from exc


def enroll(server_url: str, code: str, data_dir: Path, timeout_s: float = 10.0) -> EnrollmentResult:
    """Enroll this kiosk with a one-time code; verify and store the certificate."""
    url = server_url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise EnrollmentError("server URL must start with http:// or https://")
    key = load_or_create_key(data_dir)
    my_pub = protocol.public_key_b64u(key)
    response = _post_enroll(url, {"code": code.strip().upper(), "public_key": my_pub}, timeout_s)
    if response.status_code == 403:
        raise EnrollmentError(
            "the enrollment code is wrong, used or expired", code="enrollment_code"
        )
    if response.status_code != 200:
        raise EnrollmentError(f"enrollment refused: HTTP {response.status_code}")
    try:
        answer = response.json()
        cert = answer["certificate"]
        signing_pub = str(answer["centre_signing_public_key"])
        enc_pub = str(answer["centre_encryption_public_key"])
        protocol.x25519_public(enc_pub)
    except (ValueError, KeyError, TypeError) as exc:
        raise EnrollmentError("enrollment answer malformed") from exc
    if not protocol.verify_certificate(cert, signing_pub):
        raise EnrollmentError("the certificate does not verify against the centre key")
    if cert.get("public_key") != my_pub:
        raise EnrollmentError("the certificate is not for this kiosk's key")
    folder = identity_dir(data_dir)
    write_atomic(folder / CERT_FILE, protocol.canonical_json(cert))
    centre = {"signing_public_key": signing_pub, "encryption_public_key": enc_pub}
    write_atomic(folder / CENTRE_FILE, protocol.canonical_json(centre))
    write_atomic(folder / SERVER_FILE, protocol.canonical_json({"url": url}))
    server_time: datetime | None
    try:
        server_time = protocol.parse_time(str(answer.get("server_time", "")))
    except ValueError:
        server_time = None
    identity = load_identity(data_dir)
    assert identity is not None
    log.info("enrolled as kiosk %s", identity.kiosk_id)
    return EnrollmentResult(identity=identity, server_time=server_time)
