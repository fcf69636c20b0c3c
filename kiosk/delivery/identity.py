"""The kiosk's identity: its Ed25519 key, its certificate, the centre's public keys, the server.

Everything lives under ``<data>/identity/``: ``kiosk.key`` (raw 32 bytes, mode 0600; one
identity key per kiosk, generated once and reused on re-enrollment), ``certificate.json``,
``centre.json`` (centre signing and encryption public keys) and ``server.json`` (intake URL,
CA file and certificate pin). Files are written atomically (temp file, fsync, rename, fsync
directory).

Enrolling (see ``wire.enrollment``): the kiosk first fetches the server's public keys and
checks that they fit the code; only then does it send the code's secret with its public key
and a nonce, and it accepts only an answer with the same keys, a certificate for its own key
and the centre's signature over the kiosk key and nonce.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from config.model import server_url_problem
from foundation.errors import BackendUnavailable, EnrollmentError, StorageError
from kiosk.delivery.files import fsync_dir
from kiosk.delivery.tls import TlsSettings, describe_tls_failure, http_client
from wire import enrollment as binding
from wire import protocol

if TYPE_CHECKING:
    import httpx  # loaded when enrolling: the kiosk UI starts without the HTTP stack

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
    tls: TlsSettings = TlsSettings()

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
        tls=TlsSettings.from_json(server),
    )


WRONG_CENTRE = (
    "this server's keys do not fit the enrollment code: either the code is mistyped, or the "
    "server is not the job centre that issued it (a relay or a rogue server)"
)


def _send(http: httpx.Client, method: str, body: dict[str, str] | None,
          tls: TlsSettings) -> httpx.Response:
    import httpx

    try:
        return http.request(method, f"{protocol.API_PREFIX}/enroll", json=body)
    except httpx.HTTPError as exc:
        reason = describe_tls_failure(exc, tls)
        if reason is not None:
            raise EnrollmentError(reason, code="enrollment_tls") from exc
        raise BackendUnavailable(f"enrollment server not reachable: {type(exc).__name__}") from exc


def _centre_keys(data: Any) -> tuple[str, str]:
    """The (signing, encryption) public keys of an answer; ValueError/KeyError/TypeError."""
    signing = str(data["centre_signing_public_key"])
    encryption = str(data["centre_encryption_public_key"])
    protocol.ed25519_public(signing)
    protocol.x25519_public(encryption)
    return signing, encryption


def _check_url_and_code(url: str, code: str, tls: TlsSettings) -> str:
    """Refuse a plain-http remote URL, TLS options without https, or a malformed code."""
    if (problem := server_url_problem(url)) is not None:
        raise EnrollmentError(f"server URL {url!r} {problem}", code="enrollment_url")
    if (tls.ca_file or tls.pin_sha256) and not url.startswith("https://"):
        raise EnrollmentError("--ca-file and --pin-sha256 need an https:// server URL",
                              code="enrollment_url")
    try:
        secret, check = binding.split_code(code)
    except ValueError:
        check = ""
    if not check:
        raise EnrollmentError(
            f"an enrollment code has {binding.CODE_CHARS} letters and digits 2-7 "
            "(seven groups of four, as `kiosk-server enroll` prints it)", code="enrollment_code"
        )
    return secret


def enroll(
    server_url: str, code: str, data_dir: Path, timeout_s: float = 10.0,
    tls: TlsSettings | None = None,
) -> EnrollmentResult:
    """Enroll with a one-time code: only a server holding the keys the code names succeeds."""
    url = server_url.rstrip("/")
    tls = tls or TlsSettings()
    if tls.ca_file is not None:  # the agent runs elsewhere: remember an absolute path
        tls = replace(tls, ca_file=tls.ca_file.expanduser().absolute())
    secret = _check_url_and_code(url, code, tls)
    key = load_or_create_key(data_dir)
    my_pub = protocol.public_key_b64u(key)
    nonce = binding.new_nonce()
    import httpx

    timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
    try:
        http = http_client(url, tls, timeout)
    except OSError as exc:
        raise EnrollmentError(f"cannot use the CA file {tls.ca_file}: {exc}",
                              code="enrollment_tls") from exc
    with http:
        offered = _send(http, "GET", None, tls)
        try:
            keys = _centre_keys(offered.json()) if offered.status_code == 200 else None
        except (ValueError, KeyError, TypeError):
            keys = None
        if keys is None:
            raise EnrollmentError(f"the server did not show its keys (HTTP {offered.status_code})")
        if not binding.code_fits_keys(code, *keys):
            raise EnrollmentError(WRONG_CENTRE + "; the code was not sent",
                                  code="enrollment_wrong_centre")
        response = _send(http, "POST", {"code": secret, "public_key": my_pub, "nonce": nonce}, tls)
    answer, cert = _checked_answer(response, keys, my_pub, nonce)
    folder = identity_dir(data_dir)
    write_atomic(folder / CERT_FILE, protocol.canonical_json(cert))
    centre = {"signing_public_key": keys[0], "encryption_public_key": keys[1]}
    write_atomic(folder / CENTRE_FILE, protocol.canonical_json(centre))
    server = {"url": url, **tls.to_json()}
    write_atomic(folder / SERVER_FILE, protocol.canonical_json(server))
    server_time: datetime | None
    try:
        server_time = protocol.parse_time(str(answer.get("server_time", "")))
    except ValueError:
        server_time = None
    identity = load_identity(data_dir)
    assert identity is not None
    log.info("enrolled as kiosk %s", identity.kiosk_id)
    return EnrollmentResult(identity=identity, server_time=server_time)


def _checked_answer(
    response: httpx.Response, keys: tuple[str, str], my_pub: str, nonce: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answer and certificate, if the centre whose keys fit the code signed them for us."""
    if response.status_code == 403:
        raise EnrollmentError(
            "the enrollment code is wrong, used or expired", code="enrollment_code"
        )
    if response.status_code != 200:
        raise EnrollmentError(f"enrollment refused: HTTP {response.status_code}")
    try:
        answer = response.json()
        cert = answer["certificate"]
        answered = _centre_keys(answer)
    except (ValueError, KeyError, TypeError) as exc:
        raise EnrollmentError("enrollment answer malformed") from exc
    if answered != keys:
        raise EnrollmentError(WRONG_CENTRE + "; its answer names other keys",
                              code="enrollment_wrong_centre")
    if not protocol.verify_certificate(cert, keys[0]):
        raise EnrollmentError("the certificate does not verify against the centre key")
    if cert.get("public_key") != my_pub:
        raise EnrollmentError("the certificate is not for this kiosk's key")
    if not binding.verify_answer(answer.get("proof"), my_pub, nonce, keys[0], keys[1], cert):
        raise EnrollmentError("the centre did not prove it holds its key (answer proof missing "
                              "or wrong)", code="enrollment_wrong_centre")
    return answer, cert
