"""Strict decoding in the wire contract: one value has exactly one accepted encoding."""

from __future__ import annotations

import base64
import json

import pytest

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
