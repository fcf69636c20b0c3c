"""Enrolling over HTTPS with a site's private CA, an untrusted certificate and a pinned key.

The CA and the server certificate are made here with ``cryptography``; the real
``kiosk-server serve --tls-cert/--tls-key`` (uvicorn) serves with them on loopback.
"""

from __future__ import annotations

import argparse
import hashlib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from config.model import KioskConfig
from foundation.errors import BackendUnavailable, EnrollmentError
from jobcentre.enrollment import issue_code
from kiosk.delivery import cli
from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import load_identity
from kiosk.delivery.outbox import Outbox
from kiosk.delivery.tls import TlsSettings
from kiosk.delivery.transport import ServerClient
from tests.jobcentre.helpers import ServerProcess


@dataclass(frozen=True)
class Pki:
    """PEM files: the site CA, a stranger CA, and the server's certificate and key."""

    ca: Path
    stranger_ca: Path
    cert: Path
    key: Path
    spki_sha256: str


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _ca(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = _ca("Jobcenter Musterstadt Test CA")
    _, stranger = _ca("Somebody Else CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(IPv4Address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = Pki(folder / "ca.pem", folder / "stranger.pem", folder / "server.pem",
                folder / "server.key", hashlib.sha256(key.public_key().public_bytes(
                    serialization.Encoding.DER,
                    serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest())
    paths.ca.write_bytes(_pem(ca_cert))
    paths.stranger_ca.write_bytes(_pem(stranger))
    paths.cert.write_bytes(_pem(cert))
    paths.key.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return paths


@pytest.fixture()
def https_server(tmp_path: Path, pki: Pki) -> Iterator[ServerProcess]:
    """The real intake service serving HTTPS with the site CA's certificate."""
    proc = ServerProcess(tmp_path / "centre", None,
                         extra=("--tls-cert", str(pki.cert), "--tls-key", str(pki.key)),
                         verify=ssl.create_default_context(cafile=str(pki.ca)))
    proc.start()
    assert proc.url.startswith("https://127.0.0.1:")
    try:
        yield proc
    finally:
        proc.stop()


def _enroll(server: ServerProcess, config: KioskConfig, code: str, *extra: str) -> int:
    parser = argparse.ArgumentParser()
    cli.add_enroll_arguments(parser)
    args = parser.parse_args(["--server", server.url, "--code", code, *extra])
    return cli.run_enroll(args, config)


def test_ca_file_lets_the_kiosk_enroll_and_upload_channel_use_it(
    https_server: ServerProcess, pki: Pki, tmp_path: Path
) -> None:
    config = KioskConfig(data_dir=tmp_path / "kiosk")
    code = issue_code(https_server.data_dir, "TLS kiosk")
    assert _enroll(https_server, config, code, "--ca-file", str(pki.ca),
                   "--pin-sha256", pki.spki_sha256.upper()) == 0
    identity = load_identity(tmp_path / "kiosk")
    assert identity is not None
    assert identity.tls == TlsSettings(pki.ca, pki.spki_sha256)
    with Outbox(tmp_path / "kiosk") as outbox, \
            ServerClient(identity, ClockGuard(outbox), timeout_s=10) as client:
        assert client.health()["status"] == "ok"
    wrong_pin = replace(identity, tls=TlsSettings(pki.ca, "ab" * 32))
    with Outbox(tmp_path / "kiosk") as outbox, \
            ServerClient(wrong_pin, ClockGuard(outbox), timeout_s=10) as client, \
            pytest.raises(BackendUnavailable, match="pinned key") as refused:
        client.health()
    assert refused.value.code == "backend_tls"


def test_site_ca_from_the_config_is_used(
    https_server: ServerProcess, pki: Pki, tmp_path: Path
) -> None:
    config = KioskConfig.model_validate({
        "data_dir": tmp_path / "kiosk",
        "backend": {"mode": "remote", "url": https_server.url, "ca_file": pki.ca},
    })
    assert _enroll(https_server, config, issue_code(https_server.data_dir, "cfg")) == 0


@pytest.mark.parametrize("trust", ["public CAs", "stranger CA"])
def test_untrusted_certificate_is_refused(
    https_server: ServerProcess, pki: Pki, tmp_path: Path, trust: str
) -> None:
    config = KioskConfig(data_dir=tmp_path / "kiosk")
    code = issue_code(https_server.data_dir, "Untrusting kiosk")
    extra = ("--ca-file", str(pki.stranger_ca)) if trust == "stranger CA" else ()
    with pytest.raises(EnrollmentError, match="certificate is not trusted") as refused:
        _enroll(https_server, config, code, *extra)
    assert refused.value.code == "enrollment_tls"
    assert load_identity(tmp_path / "kiosk") is None
    assert _enroll(https_server, config, code, "--ca-file", str(pki.ca)) == 0  # code unspent


def test_pin_mismatch_is_refused(https_server: ServerProcess, pki: Pki, tmp_path: Path) -> None:
    config = KioskConfig(data_dir=tmp_path / "kiosk")
    code = issue_code(https_server.data_dir, "Pinned kiosk")
    other_pin = hashlib.sha256(b"another key").hexdigest()
    with pytest.raises(EnrollmentError, match="does not match the pinned key") as refused:
        _enroll(https_server, config, code, "--ca-file", str(pki.ca), "--pin-sha256", other_pin)
    assert refused.value.code == "enrollment_tls"
    assert load_identity(tmp_path / "kiosk") is None
    with pytest.raises(EnrollmentError, match="64 hex digits"):
        _enroll(https_server, config, code, "--ca-file", str(pki.ca), "--pin-sha256", "abc")
    assert _enroll(https_server, config, code, "--ca-file", str(pki.ca),
                   "--pin-sha256", pki.spki_sha256) == 0  # the code never left the kiosk


def test_tls_options_need_https(tmp_path: Path, pki: Pki) -> None:
    parser = argparse.ArgumentParser()
    cli.add_enroll_arguments(parser)
    args = parser.parse_args(["--server", "http://127.0.0.1:9", "--code", "A" * 28,
                              "--ca-file", str(pki.ca)])
    with pytest.raises(EnrollmentError, match="need an https:// server URL"):
        cli.run_enroll(args, KioskConfig(data_dir=tmp_path / "kiosk"))
