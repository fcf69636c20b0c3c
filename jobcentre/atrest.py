"""Encryption at rest of stored documents and personal database fields (envelope encryption).

Every stored object -- a document file, a personal database field -- is AES-256-GCM under a
fresh 32-byte data key; the data key is itself AES-256-GCM-wrapped under a wrapping key
derived (HKDF-SHA256) from the key-encryption key (KEK). A blob is self-contained::

    "JCA1" | kek_id (8) | wrap nonce (12) | wrapped data key (32 + 16) | nonce (12) | ct + tag

A document the intake service received is kept as ``JCA2``, the same layout: its data key is
the key of the kiosk's ``JCK1`` envelope, and ``ct + tag`` are the envelope's own, under the
envelope's AAD (``wire.protocol.document_aad``). The document is then stored as it arrived,
without being encrypted a second time. The envelope's ephemeral public key is not kept, so
the centre's encryption key alone cannot open a stored file: only the KEK can. Its secrecy
at rest then rests, as the envelope's does on the wire, on the kiosk drawing a fresh key
and nonce for every envelope (``wire.protocol.seal``: an ephemeral X25519 key and a nonce
from the operating system's random source).

Both the wrapped key and the ciphertext are bound (AAD) to the purpose (``document``,
``field:transfer_note`` …) and the document id, so a file or field swapped for another
document's does not open. ``kek_id`` names the KEK the blob needs, so a wrong KEK gives a
clear message instead of a bare authentication failure. Database fields are stored as text
``jca1.<base64url>``. Staff find a visitor's documents through a keyed blind index:
HMAC-SHA256 under another key derived from the KEK, over the normalised customer or BG number
(no blanks, upper case, ``//`` read as ``BG``) -- never the number itself. The KEK is loaded
by ``jobcentre.atrest_kek``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from foundation.errors import Undecryptable
from wire.codec import canonical_json
from wire.protocol import document_aad

MAGIC = b"JCA1"
MAGIC_KEPT = b"JCA2"
FIELD_PREFIX = "jca1."
KEK_BYTES = 32
_ID = 8
_NONCE = 12
_WRAPPED = 32 + 16
HEADER_BYTES = len(MAGIC) + _ID + _NONCE + _WRAPPED + _NONCE
DOCUMENT = "document"
_BLANKS = re.compile(r"\s+")


def _derive(kek: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(hashes.SHA256(), length, salt=None, info=info).derive(kek)


def normalise_number(number: str) -> str:
    """A customer or BG number as compared: no blanks, upper case, ``//`` read as ``BG``."""
    return _BLANKS.sub("", number).upper().replace("//", "BG")


class AtRest:
    """Seals and opens stored objects under one key-encryption key."""

    def __init__(self, kek: bytes) -> None:
        if len(kek) != KEK_BYTES:
            raise ValueError("a key-encryption key is 32 bytes")
        self._wrap = AESGCM(_derive(kek, b"jobcenter-kiosk at-rest wrap v1"))
        self._index_key = _derive(kek, b"jobcenter-kiosk at-rest blind index v1")
        self.kek_id = _derive(kek, b"jobcenter-kiosk at-rest key id v1", _ID)

    # --- blobs -------------------------------------------------------------------------

    def seal_parts(self, document_id: str, purpose: str, plaintext: bytes) -> tuple[bytes, bytes]:
        """(header, ciphertext+tag) of ``plaintext``; written one after the other, no join."""
        data_key = AESGCM.generate_key(bit_length=256)
        wrap_nonce, nonce = os.urandom(_NONCE), os.urandom(_NONCE)
        wrapped = self._wrap.encrypt(wrap_nonce, data_key, self._key_aad(document_id, purpose))
        body = AESGCM(data_key).encrypt(nonce, plaintext, _data_aad(document_id, purpose))
        return MAGIC + self.kek_id + wrap_nonce + wrapped + nonce, body

    def keep_envelope(self, document_id: str, key: bytes, nonce: bytes,
                      ciphertext: memoryview) -> tuple[bytes, memoryview]:
        """(header, ciphertext+tag) of a ``JCA2`` blob: a kiosk's sealed document as received,
        its envelope key wrapped under the KEK (``wire.protocol.open_envelope``)."""
        wrap_nonce = os.urandom(_NONCE)
        wrapped = self._wrap.encrypt(wrap_nonce, key, self._key_aad(document_id, DOCUMENT,
                                                                    MAGIC_KEPT))
        return MAGIC_KEPT + self.kek_id + wrap_nonce + wrapped + nonce, ciphertext

    def seal(self, document_id: str, purpose: str, plaintext: bytes) -> bytes:
        """One blob (header and ciphertext) of ``plaintext``."""
        header, body = self.seal_parts(document_id, purpose, plaintext)
        return header + body

    def open(self, document_id: str, purpose: str, blob: bytes | memoryview) -> bytes:
        """The plaintext of a blob; ``Undecryptable`` if damaged, swapped or under another KEK."""
        view = memoryview(blob)
        magic = bytes(view[:4])
        if len(view) < HEADER_BYTES + 16 or magic not in (MAGIC, MAGIC_KEPT):
            raise Undecryptable("not an at-rest blob")
        if magic == MAGIC_KEPT and purpose != DOCUMENT:
            raise Undecryptable("a kept envelope where a sealed field belongs")
        kek_id = bytes(view[4:4 + _ID])
        if kek_id != self.kek_id:
            raise Undecryptable(
                f"sealed under another key-encryption key (id {kek_id.hex()}, this one is "
                f"{self.kek_id.hex()})"
            )
        at = 4 + _ID
        wrap_nonce, at = bytes(view[at:at + _NONCE]), at + _NONCE
        wrapped, at = bytes(view[at:at + _WRAPPED]), at + _WRAPPED
        nonce, at = bytes(view[at:at + _NONCE]), at + _NONCE
        try:
            data_key = self._wrap.decrypt(wrap_nonce, wrapped,
                                          self._key_aad(document_id, purpose, magic))
            aad = (document_aad(document_id) if magic == MAGIC_KEPT
                   else _data_aad(document_id, purpose))
            return AESGCM(data_key).decrypt(nonce, view[at:], aad)
        except InvalidTag as exc:
            raise Undecryptable("damaged, or bound to another document") from exc

    def _key_aad(self, document_id: str, purpose: str, magic: bytes = MAGIC) -> bytes:
        prefix = b"jca1 key\n" if magic == MAGIC else b"jca2 key\n"
        return prefix + self.kek_id + f"\n{purpose}\n{document_id}".encode()

    # --- database fields ---------------------------------------------------------------

    def seal_json(self, document_id: str, name: str, value: Any) -> str:
        """A JSON value as database text ``jca1.<base64url>``."""
        blob = self.seal(document_id, f"field:{name}", canonical_json(value))
        return FIELD_PREFIX + base64.urlsafe_b64encode(blob).rstrip(b"=").decode()

    def open_json(self, document_id: str, name: str, text: str) -> Any:
        """The JSON value of a sealed database field."""
        raw = text[len(FIELD_PREFIX):]
        try:
            blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except ValueError as exc:
            raise Undecryptable("a sealed field is not base64") from exc
        return json.loads(self.open(document_id, f"field:{name}", blob))

    # --- blind index -------------------------------------------------------------------

    def blind_index(self, number: str | None) -> str | None:
        """HMAC-SHA256 (hex) of the normalised number; None for no number."""
        if not number:
            return None
        normalised = normalise_number(number)
        if not normalised:
            return None
        return hmac.new(self._index_key, normalised.encode(), hashlib.sha256).hexdigest()


def _data_aad(document_id: str, purpose: str) -> bytes:
    return f"jca1 data\n{purpose}\n{document_id}".encode()


def is_sealed_field(text: str) -> bool:
    """Whether database text is a sealed field (and not legacy plaintext JSON)."""
    return text.startswith(FIELD_PREFIX)


def is_sealed_blob(head: bytes) -> bool:
    """Whether a file starting with ``head`` is an at-rest blob."""
    return head[:4] in (MAGIC, MAGIC_KEPT)
