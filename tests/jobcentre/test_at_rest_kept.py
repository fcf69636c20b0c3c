"""Documents kept at rest as the kiosk sealed them (``JCA2``): the envelope's key wrapped
under the KEK, bound to its document, and openable with the KEK alone, never with the
centre's encryption key alone."""

from __future__ import annotations

import os

import pytest

from foundation.errors import Undecryptable
from jobcentre.atrest import DOCUMENT, HEADER_BYTES, MAGIC, MAGIC_KEPT, AtRest, is_sealed_blob
from wire import codec, protocol

DOC_ID = "0b9c1f1e-1111-4d6a-9c55-0123456789ab"
OTHER_ID = "0b9c1f1e-2222-4d6a-9c55-0123456789ab"


def _kept(at_rest: AtRest, plaintext: bytes) -> tuple[bytes, bytes]:
    """(envelope as the kiosk sent it, the blob the service stores for it)."""
    centre = codec.generate_encryption_key()
    envelope = protocol.seal(plaintext, centre.public_key(), protocol.document_aad(DOC_ID))
    opened = protocol.open_envelope(envelope, centre, protocol.document_aad(DOC_ID))
    assert opened.plaintext == plaintext
    header, ciphertext = at_rest.keep_envelope(DOC_ID, opened.key, opened.nonce,
                                               opened.ciphertext)
    return envelope, header + bytes(ciphertext)


def test_kept_envelope_opens_with_the_kek_and_is_the_ciphertext_as_received() -> None:
    at_rest = AtRest(os.urandom(32))
    plaintext = b"%PDF-1.7 " + os.urandom(100_000)
    envelope, blob = _kept(at_rest, plaintext)

    assert blob.startswith(MAGIC_KEPT) and is_sealed_blob(blob)
    assert at_rest.open(DOC_ID, DOCUMENT, blob) == plaintext
    assert at_rest.open(DOC_ID, DOCUMENT, memoryview(blob)) == plaintext
    # the envelope's ciphertext and tag, stored as received: not encrypted a second time
    ciphertext = envelope[len(protocol.SEAL_MAGIC) + 32 + 12:]
    assert blob[HEADER_BYTES:] == ciphertext
    assert len(blob) == HEADER_BYTES + len(ciphertext)
    # the ephemeral public key is not kept: the centre's encryption key alone cannot open it
    ephemeral = envelope[len(protocol.SEAL_MAGIC):len(protocol.SEAL_MAGIC) + 32]
    assert ephemeral not in blob
    assert b"%PDF" not in blob


def test_kept_envelope_is_bound_to_its_document_purpose_and_kek() -> None:
    at_rest = AtRest(os.urandom(32))
    _, blob = _kept(at_rest, b"%PDF-1.7 payslip")

    with pytest.raises(Undecryptable, match="damaged, or bound to another document"):
        at_rest.open(OTHER_ID, DOCUMENT, blob)
    with pytest.raises(Undecryptable, match="where a sealed field belongs"):
        at_rest.open(DOC_ID, "field:transfer_note", blob)
    with pytest.raises(Undecryptable, match="another key-encryption key"):
        AtRest(os.urandom(32)).open(DOC_ID, DOCUMENT, blob)
    damaged = bytearray(blob)
    damaged[-1] ^= 1
    with pytest.raises(Undecryptable, match="damaged"):
        at_rest.open(DOC_ID, DOCUMENT, bytes(damaged))


def test_a_sealed_blob_relabelled_as_kept_or_back_does_not_open() -> None:
    """The wrapped key's AAD names the format: a ``JCA1`` header cannot pass for ``JCA2``."""
    at_rest = AtRest(os.urandom(32))
    sealed = at_rest.seal(DOC_ID, DOCUMENT, b"%PDF-1.7 letter")
    assert at_rest.open(DOC_ID, DOCUMENT, sealed) == b"%PDF-1.7 letter"
    with pytest.raises(Undecryptable, match="damaged"):
        at_rest.open(DOC_ID, DOCUMENT, MAGIC_KEPT + sealed[4:])
    _, kept = _kept(at_rest, b"%PDF-1.7 letter")
    with pytest.raises(Undecryptable, match="damaged"):
        at_rest.open(DOC_ID, DOCUMENT, MAGIC + kept[4:])
