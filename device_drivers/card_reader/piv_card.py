"""A PIV card in Python: the card side of the commands ``piv`` sends, for simulators and tests.

It holds one authentication key (slot 9A; ECC P-256, P-384 or RSA-2048) with a self-signed
certificate, a PIN with the card's own retry counter (3 by default) and answers SELECT (any
P2, unlike Debian's vicc), GET DATA of the slot 9A certificate, VERIFY (with and without
data), GENERAL AUTHENTICATE, GET RESPONSE and command chaining. Used by the simulated reader
(``simulated``) and by the virtual card behind a real pcscd (``vpcd``). It is no security
boundary: the private key lives in this process.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils
from cryptography.x509.oid import NameOID

from device_drivers.card_reader import apdu
from device_drivers.card_reader.keys import (
    ALG_ECC_P256,
    ALG_ECC_P384,
    ALG_RSA2048,
    CardKey,
    card_key,
)
from device_drivers.card_reader.piv import AUTH_CERT_TAG, PIV_AID

ATR = bytes.fromhex("3BF81300008131FE15597562696B657934D4")  # the ATR a YubiKey 4/5 gives
_APT = apdu.tlv(0x61, apdu.tlv(0x4F, bytes.fromhex("000010000100"))
                + apdu.tlv(0x79, apdu.tlv(0x4F, PIV_AID[:5])))
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _sw(value: int) -> bytes:
    return value.to_bytes(2, "big")


def make_private_key(algorithm: int = ALG_ECC_P256) -> PrivateKey:
    """A fresh key of a PIV algorithm number."""
    if algorithm == ALG_RSA2048:
        return rsa.generate_private_key(65537, 2048)
    return ec.generate_private_key(ec.SECP384R1() if algorithm == ALG_ECC_P384
                                   else ec.SECP256R1())


def self_signed(private_key: PrivateKey, common_name: str) -> bytes:
    """A DER self-signed certificate for ``private_key`` (what a freshly set-up token holds)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(private_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .sign(private_key, hashes.SHA256()))
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.DER)


@dataclass
class VirtualPivCard:
    """One PIV card: key, certificate, PIN and retry counter; ``process`` answers an APDU."""

    private_key: PrivateKey = field(default_factory=make_private_key)
    pin: str = "123456"
    tries_left: int = 3
    max_tries: int = 3
    certificate: bytes | None = None
    has_piv: bool = True
    compress_certificate: bool = False
    received: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.certificate is None:
            self.certificate = self_signed(self.private_key, "Virtual PIV card")
        self._selected = False
        self._verified = False
        self._pending = b""
        self._chain = b""

    @property
    def key(self) -> CardKey:
        """The card's public authentication key."""
        return card_key(self.private_key.public_key())

    def reset(self) -> None:
        """Power cycle: the PIN is no longer verified, nothing is selected."""
        self._selected = self._verified = False
        self._pending = self._chain = b""

    def process(self, command: bytes) -> bytes:
        """Answer one command APDU with response data and status word."""
        self.received.append(bytes(command))
        if len(command) < 4:
            return _sw(0x6700)
        cla, ins, p1, p2 = command[:4]
        data = command[5:5 + command[4]] if len(command) > 5 else b""
        if ins == 0xC0:
            return self._respond(b"")
        if cla & apdu.CHAIN_BIT:
            self._chain += data
            return _sw(apdu.SW_OK)
        data, self._chain = self._chain + data, b""
        if ins == 0xA4:
            return self._select(p1, data)
        if not self._selected:
            return _sw(0x6D00)
        if ins == 0xCB:
            return self._get_data(p1, p2, data)
        if ins == 0x20:
            return self._verify(p2, data)
        if ins == 0x87:
            return self._authenticate(p1, p2, data)
        return _sw(0x6D00)

    def _respond(self, body: bytes) -> bytes:
        """Send at most 256 bytes; the rest waits for GET RESPONSE (SW 61xx)."""
        if body:
            self._pending = body
        chunk, self._pending = self._pending[:256], self._pending[256:]
        if self._pending:
            return chunk + _sw(0x6100 | min(len(self._pending), 256) & 0xFF)
        return chunk + _sw(apdu.SW_OK)

    def _select(self, p1: int, aid: bytes) -> bytes:
        if p1 != 0x04 or not self.has_piv or not PIV_AID.startswith(aid[:len(PIV_AID)]) \
                or len(aid) < 5:
            self._selected = False
            return _sw(0x6A82)
        self._selected = True
        return self._respond(_APT)

    def _get_data(self, p1: int, p2: int, query: bytes) -> bytes:
        if (p1, p2) != (0x3F, 0xFF):
            return _sw(0x6A86)
        try:
            tag = int.from_bytes(apdu.find_tlv(query, 0x5C), "big")
        except ValueError:
            return _sw(0x6A80)
        if tag != AUTH_CERT_TAG or not self.certificate:
            return _sw(0x6A82)
        cert, info = self.certificate, b"\x00"
        if self.compress_certificate:
            import gzip

            cert, info = gzip.compress(cert), b"\x01"
        body = apdu.tlv(0x70, cert) + apdu.tlv(0x71, info) + apdu.tlv(0xFE, b"")
        return self._respond(apdu.tlv(0x53, body))

    def _verify(self, reference: int, data: bytes) -> bytes:
        if reference != 0x80:
            return _sw(0x6A88)
        if self.tries_left == 0:
            return _sw(0x6983)
        if not data:
            return _sw(apdu.SW_OK) if self._verified else _sw(0x63C0 | self.tries_left)
        if data == self.pin.encode("ascii").ljust(8, b"\xff"):
            self.tries_left, self._verified = self.max_tries, True
            return _sw(apdu.SW_OK)
        self.tries_left -= 1
        self._verified = False
        return _sw(0x63C0 | self.tries_left)

    def _authenticate(self, algorithm: int, slot: int, data: bytes) -> bytes:
        if slot != 0x9A:
            return _sw(0x6A86)
        if algorithm != self.key.algorithm:
            return _sw(0x6A80)
        if not self._verified:
            return _sw(0x6982)
        try:
            challenge = apdu.find_tlv(apdu.find_tlv(data, 0x7C), 0x81)
        except ValueError:
            return _sw(0x6A80)
        return self._respond(apdu.tlv(0x7C, apdu.tlv(0x82, self._sign(challenge))))

    def _sign(self, challenge: bytes) -> bytes:
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            numbers = self.private_key.private_numbers()
            n = numbers.public_numbers.n
            return pow(int.from_bytes(challenge, "big"), numbers.d, n).to_bytes(256, "big")
        algorithm = hashes.SHA384() if self.key.algorithm == ALG_ECC_P384 else hashes.SHA256()
        return self.private_key.sign(challenge, ec.ECDSA(utils.Prehashed(algorithm)))


__all__ = ["ATR", "ALG_ECC_P256", "ALG_ECC_P384", "ALG_RSA2048", "VirtualPivCard",
           "make_private_key", "self_signed"]
