"""Tests of the shared wire contract: signatures, envelope, receipts."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from foundation.errors import ForgedReceipt, Undecryptable
from foundation.masking import mask_customer_number
from wire import protocol as p


def _flip(text: str, index: int) -> str:
    """Change one character of base64url text so the decoded bytes differ."""
    ch = text[index]
    return text[:index] + ("A" if ch != "A" else "B") + text[index + 1 :]


def test_canonical_json_and_b64u() -> None:
    assert p.canonical_json({"b": 1, "a": "ä"}) == '{"a":"ä","b":1}'.encode()
    for n in range(0, 10):
        data = bytes(range(n))
        enc = p.b64u_encode(data)
        assert "=" not in enc
        assert p.b64u_decode(enc) == data
    with pytest.raises(ValueError):
        p.b64u_decode("abc=")
    with pytest.raises(ValueError):
        p.b64u_decode("a")


def test_time_roundtrip() -> None:
    moment = datetime(2025, 3, 1, 9, 15, 2, tzinfo=UTC)
    assert p.format_time(moment) == "2025-03-01T09:15:02Z"
    assert p.parse_time("2025-03-01T09:15:02Z") == moment
    assert p.parse_time("2025-03-01T10:15:02+01:00") == moment


def test_certificate_sign_verify_and_tamper() -> None:
    centre = p.generate_signing_key()
    kiosk = p.generate_signing_key()
    cert = p.sign_certificate("k-1", "Foyer", kiosk.public_key(), centre)
    assert p.verify_certificate(cert, centre.public_key())
    assert p.verify_certificate(cert, p.public_key_b64u(centre))
    assert not p.verify_certificate({**cert, "name": "Other"}, centre.public_key())
    assert not p.verify_certificate(cert, p.generate_signing_key().public_key())
    assert not p.verify_certificate({**cert, "sig": "!!"}, centre.public_key())
    assert not p.verify_certificate("nonsense", centre.public_key())


def test_seal_open_roundtrip_and_tamper() -> None:
    centre = p.generate_encryption_key()
    aad = p.document_aad("6f1c0c1e-0000-4000-8000-000000000001")
    blob = p.seal(b"%PDF-1.7 hello", p.public_key_b64u(centre), aad)
    assert blob.startswith(p.SEAL_MAGIC)
    assert len(blob) == len(b"%PDF-1.7 hello") + p.SEAL_OVERHEAD
    assert p.open_sealed(blob, centre, aad) == b"%PDF-1.7 hello"
    for index in (0, 10, 40, 50, len(blob) - 1):
        changed = bytearray(blob)
        changed[index] ^= 0x01
        with pytest.raises(Undecryptable):
            p.open_sealed(bytes(changed), centre, aad)
    with pytest.raises(Undecryptable):
        p.open_sealed(blob, centre, b"other-document")
    with pytest.raises(Undecryptable):
        p.open_sealed(blob, p.generate_encryption_key(), aad)
    with pytest.raises(Undecryptable):
        p.open_sealed(b"JCK1", centre, aad)


def test_key_roundtrip() -> None:
    sk = p.generate_signing_key()
    ek = p.generate_encryption_key()
    assert p.public_key_b64u(p.load_signing_key(p.private_key_bytes(sk))) == p.public_key_b64u(sk)
    loaded = p.load_encryption_key(p.private_key_bytes(ek))
    assert p.public_key_b64u(loaded) == p.public_key_b64u(ek)
    with pytest.raises(ValueError):
        p.ed25519_public(b"short")


def test_ack_sign_verify() -> None:
    centre = p.generate_signing_key()
    ack = p.sign_ack("doc", "k-1-20250301-0001", "ab" * 32, "2025-03-01T09:15:02Z", centre)
    assert p.verify_ack(ack, centre.public_key())
    assert not p.verify_ack({**ack, "sha256": "cd" * 32}, centre.public_key())
    assert not p.verify_ack({k: v for k, v in ack.items() if k != "sig"}, centre.public_key())


def _receipt_fixture() -> tuple[Ed25519PrivateKey, str]:
    centre = p.generate_signing_key()
    kiosk = p.generate_signing_key()
    cert = p.sign_certificate("k-1", "Foyer", kiosk.public_key(), centre)
    rn = p.make_receipt_number("k-1", date(2025, 3, 1), 7)
    assert rn == "k-1-20250301-0007"
    docs = [p.receipt_doc("6f1c0c1e-aaaa-4000-8000-000000000001", "payslip", 2,
                          p.page_hash([b"page1", b"page2"]))]
    receipt = p.build_receipt(rn, "k-1", "Jobcenter Köln", datetime(2025, 3, 1, tzinfo=UTC),
                              mask_customer_number("123A456789"), docs)
    return centre, p.encode_receipt(receipt, kiosk, cert)


def test_receipt_genuine() -> None:
    centre, text = _receipt_fixture()
    verified = p.decode_and_verify_receipt(text, centre.public_key())
    assert verified.receipt_number == "k-1-20250301-0007"
    assert verified.kiosk_id == "k-1"
    assert verified.receipt["cn"] == "123A****89"
    assert verified.docs[0]["id"] == "6f1c0c1e"
    assert len(verified.docs[0]["h"]) == 16
    assert p.decode_and_verify_receipt("  " + text + "\n", centre.public_key())


def test_receipt_every_changed_byte_is_forged() -> None:
    centre, text = _receipt_fixture()
    prefix, body, sig, cert = text.split(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    for index in range(0, len(raw), 7):
        changed = bytearray(raw)
        changed[index] ^= 0x04
        forged = ".".join([prefix, p.b64u_encode(bytes(changed)), sig, cert])
        with pytest.raises(ForgedReceipt):
            p.decode_and_verify_receipt(forged, centre.public_key())
    for part in (2, 3):
        parts = text.split(".")
        parts[part] = _flip(parts[part], 5)
        with pytest.raises(ForgedReceipt):
            p.decode_and_verify_receipt(".".join(parts), centre.public_key())
    with pytest.raises(ForgedReceipt):
        p.decode_and_verify_receipt(text, p.generate_signing_key().public_key())
    with pytest.raises(ForgedReceipt):
        p.decode_and_verify_receipt("hello", centre.public_key())


def test_receipt_other_kiosk_cert_is_forged() -> None:
    centre, text = _receipt_fixture()
    prefix, body, sig, _ = text.split(".")
    other = p.sign_certificate("k-1", "Foyer", p.generate_signing_key().public_key(), centre)
    swapped = ".".join([prefix, body, sig, p.b64u_encode(p.canonical_json(other))])
    with pytest.raises(ForgedReceipt):
        p.decode_and_verify_receipt(swapped, centre.public_key())
    receipt = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert receipt["kiosk"] == "k-1"


def test_page_hash_and_mask() -> None:
    import hashlib

    digests = [hashlib.sha256(b"a").digest(), hashlib.sha256(b"b").digest()]
    assert p.page_hash([b"a", b"b"]) == hashlib.sha256(b"".join(digests)).hexdigest()[:16]
    assert mask_customer_number("12345BG1234567") == "1234********67"
    assert mask_customer_number("123") == "***"
