"""Strict decoding in the wire contract: one value has exactly one accepted encoding."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from foundation.errors import ForgedReceipt
from tests.jobcentre.test_protocol import _receipt_fixture
from wire import protocol as p

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _plain_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _same_bytes_other_text(text: str) -> list[str]:
    """Other base64url texts whose last character differs only in the unused bits."""
    others = []
    for ch in _ALPHABET:
        candidate = text[:-1] + ch
        if candidate == text:
            continue
        if _plain_decode(candidate) == _plain_decode(text):
            others.append(candidate)
    return others


@pytest.mark.parametrize("size", [1, 2, 4, 5, 32, 64])
def test_non_canonical_tail_is_refused(size: int) -> None:
    text = p.b64u_encode(bytes(range(size)))
    others = _same_bytes_other_text(text)
    assert others, "sizes not divisible by 3 leave unused bits"
    for other in others:
        with pytest.raises(ValueError):
            p.b64u_decode(other)
    assert p.b64u_decode(text) == bytes(range(size))


def test_changed_signature_tail_is_forged() -> None:
    centre, text = _receipt_fixture()
    assert p.decode_and_verify_receipt(text, centre.public_key())
    sig = text.split(".")[2]
    assert len(_same_bytes_other_text(sig)) == 15  # 64 bytes: the last character has 4 spare bits
    for index in (1, 2, 3):
        parts = text.split(".")
        for other in _same_bytes_other_text(parts[index]):
            parts[index] = other
            with pytest.raises(ForgedReceipt):
                p.decode_and_verify_receipt(".".join(parts), centre.public_key())


def test_keys_need_canonical_text() -> None:
    key = p.public_key_b64u(p.generate_signing_key())
    for other in _same_bytes_other_text(key):
        with pytest.raises(ValueError):
            p.ed25519_public(other)
        with pytest.raises(ValueError):
            p.x25519_public(other)
    centre = p.generate_signing_key()
    cert = p.sign_certificate("k-1", "Foyer", p.generate_signing_key().public_key(), centre)
    assert p.verify_certificate(cert, centre.public_key())
    for other in _same_bytes_other_text(cert["public_key"]):
        assert not p.verify_certificate({**cert, "public_key": other}, centre.public_key())
    for other in _same_bytes_other_text(cert["sig"]):
        assert not p.verify_certificate({**cert, "sig": other}, centre.public_key())


def test_certificate_part_must_be_canonical_json() -> None:
    centre, text = _receipt_fixture()
    prefix, body, sig, cert = text.split(".")
    spaced = json.dumps(json.loads(_plain_decode(cert)), indent=1).encode()
    changed = ".".join([prefix, body, sig, p.b64u_encode(spaced)])
    with pytest.raises(ForgedReceipt):
        p.decode_and_verify_receipt(changed, centre.public_key())


def _signed(receipt_changes: dict[str, Any], doc_changes: dict[str, Any] | None = None) -> tuple[
    Ed25519PrivateKey, str
]:
    """A properly signed receipt with some fields changed before signing."""
    centre, kiosk = p.generate_signing_key(), p.generate_signing_key()
    cert = p.sign_certificate("k-1", "Foyer", kiosk.public_key(), centre)
    doc = p.receipt_doc("6f1c0c1e-aaaa-4000-8000-000000000001", "payslip", 2, "ab" * 8)
    receipt = p.build_receipt("k-1-20250301-0007", "k-1", "Foyer", "2025-03-01T09:00:00Z",
                              "123A****89", [{**doc, **(doc_changes or {})}])
    return centre, p.encode_receipt({**receipt, **receipt_changes}, kiosk, cert)


@pytest.mark.parametrize("doc_id", ["", "6f1c0c1", "6F1C0C1E", "6f1c0c1e-", "6f1c0c1e-aaaa"])
def test_receipt_document_id_must_have_the_full_length(doc_id: str) -> None:
    centre, text = _signed({}, {"id": doc_id})
    with pytest.raises(ForgedReceipt):
        p.decode_and_verify_receipt(text, centre.public_key())


def test_receipt_listing_a_document_twice_is_refused() -> None:
    centre, kiosk = p.generate_signing_key(), p.generate_signing_key()
    cert = p.sign_certificate("k-1", "Foyer", kiosk.public_key(), centre)
    doc = p.receipt_doc("6f1c0c1e-aaaa-4000-8000-000000000001", "payslip", 2, "ab" * 8)
    receipt = p.build_receipt("rn", "k-1", "Foyer", "2025-03-01T09:00:00Z", "x", [doc, doc])
    with pytest.raises(ForgedReceipt):
        p.decode_and_verify_receipt(p.encode_receipt(receipt, kiosk, cert), centre.public_key())


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_receipt_time_out_of_range_has_its_own_code(when: str) -> None:
    centre, text = _signed({"t": when})
    with pytest.raises(ForgedReceipt) as info:
        p.decode_and_verify_receipt(text, centre.public_key())
    assert info.value.code == p.ERROR_RECEIPT_TIME
    with pytest.raises(ValueError):
        p.parse_time(when)


def test_deeply_nested_receipt_json_has_its_own_code() -> None:
    centre, text = _signed({})
    prefix, _, sig, cert = text.split(".")
    deep = p.b64u_encode(b"[" * 20000 + b"]" * 20000)
    with pytest.raises(ForgedReceipt) as info:
        p.decode_and_verify_receipt(".".join([prefix, deep, sig, cert]), centre.public_key())
    assert info.value.code == p.ERROR_JSON_TOO_DEEP


def test_json_depth_ignores_brackets_inside_strings() -> None:
    assert p.json_depth('{"a":[1,{"b":"[[[[\\"{"}]}') == 3
    assert p.json_depth('"[[["') == 0
    assert not p.json_too_deep('{"loc":"' + "[" * 100 + '"}')
    assert p.json_too_deep("[" * (p.MAX_JSON_DEPTH + 1) + "]" * (p.MAX_JSON_DEPTH + 1))
