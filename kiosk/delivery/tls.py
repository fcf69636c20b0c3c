"""TLS towards the intake service: a site's private CA and an optional certificate pin.

``TlsSettings`` is stored with the identity (``server.json``) when the kiosk enrolls, so the
agent's uploads use the same trust as the enrollment. ``ssl_context`` builds the context
httpx uses: the site's CA file (else certifi's CAs, as httpx would), TLS 1.2 or newer, host
name checking, and with a pin a socket class that compares the SHA-256 of the server
certificate's SubjectPublicKeyInfo right after the handshake, before a byte of the request
leaves the kiosk. A pin narrows the CA check; it never replaces it.
"""

from __future__ import annotations

import hashlib
import hmac
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

PIN_HINT = "backend.pin_sha256 / --pin-sha256"
PIN_MISMATCH = "the server certificate's key does not match the pin"

if TYPE_CHECKING:
    import httpx  # loaded by http_client: the kiosk UI starts without the HTTP stack


@dataclass(frozen=True)
class TlsSettings:
    """Whom the kiosk trusts for its server: a CA file (None = public CAs) and an SPKI pin."""

    ca_file: Path | None = None
    pin_sha256: str | None = None

    def to_json(self) -> dict[str, str]:
        """The fields for ``server.json`` (only those that are set)."""
        out: dict[str, str] = {}
        if self.ca_file is not None:
            out["ca_file"] = str(self.ca_file)
        if self.pin_sha256 is not None:
            out["pin_sha256"] = self.pin_sha256
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TlsSettings:
        """Read the fields written by ``to_json`` (missing = not set)."""
        ca_file = data.get("ca_file")
        pin = data.get("pin_sha256")
        return cls(Path(ca_file) if ca_file else None, str(pin).lower() if pin else None)


def spki_sha256(der_certificate: bytes) -> str:
    """Hex SHA-256 of a DER certificate's SubjectPublicKeyInfo (what a pin names)."""
    cert = x509.load_der_x509_certificate(der_certificate)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


class _PinnedContext(ssl.SSLContext):
    """An SSL context that remembers the expected SPKI hash for its sockets."""

    pin_sha256 = ""


class _PinnedSocket(ssl.SSLSocket):
    """Checks the pin as part of the handshake, so a mismatch never carries a request."""

    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        expected = getattr(self.context, "pin_sha256", "")
        der = self.getpeercert(binary_form=True)
        if expected and (der is None or not hmac.compare_digest(spki_sha256(der), expected)):
            raise ssl.SSLCertVerificationError(PIN_MISMATCH)


def ssl_context(settings: TlsSettings) -> ssl.SSLContext:
    """The client context for ``settings``; OSError/ssl.SSLError if the CA file is unusable."""
    context = _PinnedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.ca_file is not None:
        context.load_verify_locations(cafile=str(settings.ca_file.expanduser()))
    else:
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    if settings.pin_sha256:
        context.pin_sha256 = settings.pin_sha256.lower()
        context.sslsocket_class = _PinnedSocket
    return context


def describe_tls_failure(exc: BaseException, settings: TlsSettings) -> str | None:
    """A plain sentence if ``exc`` (an httpx error) came from certificate checking, else None."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            if PIN_MISMATCH in seen.args:
                return f"the server's certificate does not match the pinned key ({PIN_HINT})"
            where = (f"the CA file {settings.ca_file}" if settings.ca_file is not None
                     else "the public CAs (a site with a private CA sets backend.ca_file / "
                          "--ca-file)")
            reason = getattr(seen, "verify_message", "") or str(seen)
            return f"the server's certificate is not trusted by {where}: {reason}"
        seen = seen.__cause__ or seen.__context__
    return None


def http_client(
    base_url: str, settings: TlsSettings, timeout: httpx.Timeout,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An httpx client that trusts what ``settings`` says (plain http:// needs no context)."""
    import httpx

    verify: ssl.SSLContext | bool = True
    if transport is None and base_url.startswith("https://"):
        verify = ssl_context(settings)
    return httpx.Client(base_url=base_url, timeout=timeout, transport=transport, verify=verify)
