"""Staff-card public keys: load, name and check them, and verify a card's signature.

Both sides use this module: the job centre to register a card's key (``kiosk-server staff
card-register``) and to put it into the staff directory, the kiosk to match a card to the
directory and to check the card's answer to a challenge. A key is named by the SHA-256 of
its DER SubjectPublicKeyInfo (``key_sha256``), in hex.

Accepted keys are the PIV authentication key types that staff cards carry: ECC P-256,
ECC P-384 and RSA-2048. The challenge the card signs is ``digest(DOMAIN + nonce)``: a fresh
random nonce per login, a domain prefix so the signature is useless anywhere else.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

ALG_RSA2048 = 0x07
ALG_ECC_P256 = 0x11
ALG_ECC_P384 = 0x14
DOMAIN = b"jobcenter-kiosk staff-card login v1\x00"

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@dataclass(frozen=True)
class CardKey:
    """A staff card's authentication public key with its PIV algorithm number."""

    public_key: PublicKey
    algorithm: int

    @property
    def spki_der(self) -> bytes:
        """The DER SubjectPublicKeyInfo."""
        return self.public_key.public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def key_sha256(self) -> str:
        """Hex SHA-256 of the SubjectPublicKeyInfo: the key's name in the directory."""
        return hashlib.sha256(self.spki_der).hexdigest()

    @property
    def pem(self) -> str:
        """PEM text of the public key (what ``kiosk staff-card export-key`` prints)."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")

    @property
    def b64(self) -> str:
        """Base64 of the SubjectPublicKeyInfo (the directory's ``public_key`` field)."""
        return base64.b64encode(self.spki_der).decode("ascii")

    @property
    def algorithm_name(self) -> str:
        """``ECC P-256``, ``ECC P-384`` or ``RSA-2048``."""
        return {ALG_ECC_P256: "ECC P-256", ALG_ECC_P384: "ECC P-384",
                ALG_RSA2048: "RSA-2048"}[self.algorithm]


def card_key(public_key: object) -> CardKey:
    """Wrap a public key of an accepted type; ValueError for any other."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if isinstance(public_key.curve, ec.SECP256R1):
            return CardKey(public_key, ALG_ECC_P256)
        if isinstance(public_key.curve, ec.SECP384R1):
            return CardKey(public_key, ALG_ECC_P384)
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == 2048:
        return CardKey(public_key, ALG_RSA2048)
    raise ValueError("only ECC P-256, ECC P-384 and RSA-2048 card keys are accepted")


def load_card_key(data: bytes) -> CardKey:
    """A card key from PEM (public key or certificate), DER or base64 DER text."""
    from cryptography import x509

    text = data if data[:1] == b"\x30" else data.strip()  # never strip bytes off DER
    try:
        if text.startswith(b"-----BEGIN CERTIFICATE"):
            return card_key(x509.load_pem_x509_certificate(text).public_key())
        if text.startswith(b"-----BEGIN"):
            return card_key(serialization.load_pem_public_key(text))
        der = text if text[:1] == b"\x30" else base64.b64decode(text, validate=True)
        return card_key(serialization.load_der_public_key(der))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a usable card public key: {exc}") from exc


def _hash_for(key: CardKey) -> hashes.HashAlgorithm:
    return hashes.SHA384() if key.algorithm == ALG_ECC_P384 else hashes.SHA256()


def challenge_digest(key: CardKey, nonce: bytes) -> bytes:
    """The digest the card signs for ``nonce`` (SHA-384 for P-384 keys, else SHA-256)."""
    digest = hashes.Hash(_hash_for(key))
    digest.update(DOMAIN + nonce)
    return digest.finalize()


def pkcs1_v15_block(digest: bytes, size: int = 256) -> bytes:
    """The PKCS #1 v1.5 signature block of a SHA-256 digest, for a raw RSA card operation."""
    info = bytes.fromhex("3031300d060960864801650304020105000420") + digest
    return b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info


def card_input(key: CardKey, digest: bytes) -> bytes:
    """What GENERAL AUTHENTICATE sends: the digest (ECC) or its padded block (RSA)."""
    return pkcs1_v15_block(digest) if key.algorithm == ALG_RSA2048 else digest


def verify_card_signature(key: CardKey, digest: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the card key's signature over ``digest``."""
    prehashed = utils.Prehashed(_hash_for(key))
    try:
        if isinstance(key.public_key, rsa.RSAPublicKey):
            key.public_key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        else:
            key.public_key.verify(signature, digest, ec.ECDSA(prehashed))
    except InvalidSignature:
        return False
    return True
