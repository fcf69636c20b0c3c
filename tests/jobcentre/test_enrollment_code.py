"""The enrollment binding of the wire contract: codes tied to centre keys, the answer proof."""

from __future__ import annotations

import re

import pytest

from jobcentre.enrollment import hash_code
from wire import enrollment as b
from wire import protocol as p


def _keys() -> tuple[str, str]:
    signing, encryption = p.generate_signing_key(), p.generate_encryption_key()
    return p.public_key_b64u(signing), p.public_key_b64u(encryption)


def test_code_is_typeable_and_fits_only_its_centre_keys() -> None:
    signing, encryption = _keys()
    code = b.make_code(b.centre_fingerprint(signing, encryption))
    assert re.fullmatch(r"([A-Z2-7]{4}-){6}[A-Z2-7]{4}", code)
    assert b.code_fits_keys(code, signing, encryption)
    assert b.code_fits_keys(code.lower().replace("-", " "), signing, encryption)
    other_signing, other_encryption = _keys()
    assert not b.code_fits_keys(code, other_signing, encryption)
    assert not b.code_fits_keys(code, signing, other_encryption)
    secret, _ = b.split_code(code)
    assert not b.code_fits_keys(secret, signing, encryption)  # the check part is needed


def test_lookalike_digits_are_read_as_letters_and_junk_is_refused() -> None:
    assert b.normalise_code("ab0-1c8") == "ABOICB"
    with pytest.raises(ValueError):
        b.split_code("ABCD-EFGH")
    with pytest.raises(ValueError):
        b.split_code("9" * 28)


def test_the_centre_stores_only_the_secret_so_either_form_finds_the_code() -> None:
    code = b.make_code(b.centre_fingerprint(*_keys()))
    secret, check = b.split_code(code)
    assert len(secret) == 20 and len(check) == 8
    assert hash_code(code) == hash_code(secret) == hash_code(b.group(secret))
    assert secret not in hash_code(code)


def test_answer_proof_covers_kiosk_key_nonce_keys_and_certificate() -> None:
    centre, encryption = p.generate_signing_key(), p.public_key_b64u(p.generate_encryption_key())
    signing = p.public_key_b64u(centre)
    kiosk = p.public_key_b64u(p.generate_signing_key())
    cert = p.sign_certificate("k-1", "Foyer", kiosk, centre)
    nonce = b.new_nonce()
    proof = b.sign_answer(centre, kiosk, nonce, encryption, cert)
    assert b.verify_answer(proof, kiosk, nonce, signing, encryption, cert)
    other_kiosk = p.public_key_b64u(p.generate_signing_key())
    other_encryption = p.public_key_b64u(p.generate_encryption_key())
    assert not b.verify_answer(proof, kiosk, b.new_nonce(), signing, encryption, cert)
    assert not b.verify_answer(proof, other_kiosk, nonce, signing, encryption, cert)
    assert not b.verify_answer(proof, kiosk, nonce, signing, other_encryption, cert)
    assert not b.verify_answer(proof, kiosk, nonce, signing, encryption, {**cert, "name": "X"})
    assert not b.verify_answer(None, kiosk, nonce, signing, encryption, cert)
    with pytest.raises(ValueError):
        b.check_nonce("c2hvcnQ")  # 5 bytes
