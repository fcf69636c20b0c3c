"""The intake logic behind the HTTP API: authentication, resumable uploads, finish.

No FastAPI here: every method takes plain values, returns ``(status, body)`` or a body,
and refuses with ``ApiError``. The HTTP layer (``jobcentre.service``) runs these methods
in worker threads. Idempotency key is the document id: a repeated announcement, chunk or
finish is answered from what is stored, and the database stores each document once. The
transfer-note extensions (``wire.transfer_note``) are read from the PDF at finish and stored
with the document; a malformed one refuses the upload with 422 ``invalid_note_extension``.
The PDF is stored encrypted at rest (``jobcentre.atrest``) and the customer number only as
its keyed blind index and inside the sealed transfer note.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from foundation.errors import ApiError, InvalidNoteExtension, Undecryptable
from jobcentre.atrest import DOCUMENT, AtRest
from jobcentre.docstore import UUID_RE, DocumentStore, check_document_id
from jobcentre.keys import CentreKeys
from jobcentre.nonces import NonceStore
from jobcentre.pdfcheck import inspect_pdf
from jobcentre.repository import DocumentRecord, KioskRecord, Repository, UploadRecord, db_time
from wire import protocol
from wire.transfer_note import NoteExtension, extensions_from_note, extensions_json

log = logging.getLogger(__name__)
SERVICE_VERSION = "0.1.0"
_HEX64 = r"^[0-9a-f]{64}$"
_TOKEN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"


@dataclass(frozen=True)
class IntakeLimits:
    """Limits on what a kiosk may upload."""

    max_sealed_bytes: int = protocol.DEFAULT_MAX_SEALED_BYTES
    max_pages: int = protocol.DEFAULT_MAX_PAGES


class UploadAnnouncement(BaseModel):
    """Body of ``POST /api/v1/uploads``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    document_id: str = Field(pattern=UUID_RE.pattern)
    receipt_number: str = Field(pattern=_TOKEN)
    sealed_size: int = Field(ge=protocol.SEAL_OVERHEAD)
    sealed_sha256: str = Field(pattern=_HEX64)
    sha256: str = Field(pattern=_HEX64)
    document_type: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    pages: int = Field(ge=1)
    page_hash: str = Field(pattern=r"^[0-9a-f]{8,64}$")
    submitted_at: str = Field(max_length=40)

    @field_validator("submitted_at")
    @classmethod
    def _is_time(cls, value: str) -> str:
        protocol.parse_time(value)
        return value


def _invalid(exc: ValidationError) -> ApiError:
    fields = sorted({".".join(str(p) for p in err["loc"]) or "body" for err in exc.errors()})
    return ApiError(422, "invalid_request", fields=fields)


def parse_auth(headers: dict[str, str]) -> protocol.RequestAuth:
    """The request's parsed signature headers, or 401 (malformed, outdated version)."""
    auth = protocol.parse_request_auth(headers)
    if isinstance(auth, str):
        if auth == protocol.ERROR_SIGNATURE_OUTDATED:
            raise ApiError(401, auth, supported=[protocol.SIGNATURE_VERSION])
        raise ApiError(401, auth)
    return auth


def check_signed(kiosk: KioskRecord, method: str, target: str,
                 auth: protocol.RequestAuth) -> None:
    """401 unless ``kiosk`` signed this request within the allowed clock skew (CPU only)."""
    if not protocol.verify_request(kiosk.public_key, method, target, auth):
        raise ApiError(401, protocol.ERROR_BAD_SIGNATURE)
    if not protocol.clock_skew_ok(auth.timestamp):
        raise ApiError(401, protocol.ERROR_CLOCK_SKEW, server_time=protocol.utc_now_iso())


class IntakeService:
    """Enrolled kiosks upload sealed documents; the service stores each exactly once."""

    def __init__(
        self, repo: Repository, store: DocumentStore, keys: CentreKeys, limits: IntakeLimits,
        at_rest: AtRest,
    ) -> None:
        self.repo = repo
        self.store = store
        self.keys = keys
        self.limits = limits
        self.at_rest = at_rest
        #: called with a newly stored document's ``submitted_at`` (the fleet's latency metric)
        self.on_stored: Callable[[str], None] | None = None

    def authenticate(
        self, method: str, target: str, headers: dict[str, str], nonces: NonceStore | None = None
    ) -> KioskRecord:
        """The kiosk that signed this request (headers only, no body), or 401/403.

        ``target`` is the raw path and query as received; ``headers`` have lower-case names.
        With ``nonces``, a nonce this kiosk already used is refused (401 ``replayed_request``).
        """
        auth = parse_auth(headers)
        kiosk = self.repo.get_kiosk(auth.kiosk_id)
        if kiosk is None:
            raise ApiError(401, protocol.ERROR_UNKNOWN_KIOSK)
        check_signed(kiosk, method, target, auth)
        return self.admit(kiosk, auth, nonces, reread=False)

    def admit(self, kiosk: KioskRecord, auth: protocol.RequestAuth,
              nonces: NonceStore | None = None, reread: bool = True) -> KioskRecord:
        """After ``check_signed``: refuse a revoked kiosk (403) and a used nonce (401).

        ``kiosk`` may come from a cache (a kiosk's key never changes): with ``reread`` its
        record is read again here, so a revocation takes effect with the next request.
        """
        if reread and nonces is not None and nonces.checks_revocation:
            # PostgreSQL: revocation and nonce in one round trip; the kiosk read only if refused
            if nonces.remember_if_active(kiosk.kiosk_id, auth.nonce, int(auth.timestamp)):
                return kiosk
            self._refuse(self.repo.get_kiosk(kiosk.kiosk_id))
            raise ApiError(401, protocol.ERROR_REPLAYED)  # enrolled, not revoked: a used nonce
        fresh = self._refuse(self.repo.get_kiosk(kiosk.kiosk_id) if reread else kiosk)
        if nonces is not None and not nonces.remember(fresh.kiosk_id, auth.nonce,
                                                      int(auth.timestamp)):
            raise ApiError(401, protocol.ERROR_REPLAYED)
        return fresh

    @staticmethod
    def _refuse(kiosk: KioskRecord | None) -> KioskRecord:
        """401 for a kiosk no longer enrolled, 403 for a revoked one; else the kiosk."""
        if kiosk is None:
            raise ApiError(401, protocol.ERROR_UNKNOWN_KIOSK)
        if kiosk.revoked_at is not None:
            raise ApiError(403, protocol.ERROR_REVOKED)
        return kiosk

    def _own_upload(self, kiosk: KioskRecord, document_id: str
                    ) -> tuple[UploadRecord, dict[str, Any] | None]:
        """This kiosk's upload and its document's ack once stored (one query), else 404."""
        upload, ack = self.repo.get_upload_and_ack(check_document_id(document_id))
        if upload is None or upload.kiosk_id != kiosk.kiosk_id:
            raise ApiError(404, protocol.ERROR_NOT_FOUND)
        return upload, ack

    def announce(self, kiosk: KioskRecord, payload: Any) -> tuple[int, dict[str, Any]]:
        """``POST /uploads``: start or resume an upload (201 new, 200 known)."""
        try:
            meta = UploadAnnouncement.model_validate(payload)
        except ValidationError as exc:
            raise _invalid(exc) from exc
        if meta.sealed_size > self.limits.max_sealed_bytes:
            raise ApiError(413, protocol.ERROR_TOO_LARGE, limit=self.limits.max_sealed_bytes)
        if meta.pages > self.limits.max_pages:
            raise ApiError(422, protocol.ERROR_TOO_MANY_PAGES, limit=self.limits.max_pages)
        wanted = UploadRecord(kiosk_id=kiosk.kiosk_id, created_at=db_time(), **meta.model_dump())
        existing = self.repo.create_upload(wanted)  # inserted, or the one stored before
        created = existing.created_at == wanted.created_at
        if existing.metadata() != wanted.metadata():
            raise ApiError(409, protocol.ERROR_METADATA_CONFLICT)
        if created:  # uploads are never deleted: a new one has no stored document
            log.info("upload %s started by kiosk %s", meta.document_id, kiosk.kiosk_id)
            return 201, {"offset": 0}
        ack = self.repo.get_ack(meta.document_id)
        if ack is not None:
            return 200, {"complete": True, "ack": ack}
        return 200, {"offset": self.store.durable_offset(meta.document_id)}

    def status(self, kiosk: KioskRecord, document_id: str) -> dict[str, Any]:
        """``GET /uploads/{id}``: offset, completeness and ack."""
        upload, ack = self._own_upload(kiosk, document_id)
        if ack is not None:
            return {"offset": upload.sealed_size, "complete": True, "ack": ack}
        return {"offset": self.store.durable_offset(document_id), "complete": False,
                "ack": None}

    def append(
        self, kiosk: KioskRecord, document_id: str, offset_header: str | None, chunk: bytes,
        chunk_sha256: bytes | None = None,
    ) -> dict[str, Any]:
        """``PATCH /uploads/{id}``: add the next chunk at the stated offset.

        ``chunk_sha256`` is the chunk's digest as already verified against the signed
        ``Content-Digest``; a chunk that is the whole upload then needs no hashing at finish.
        """
        check_document_id(document_id)
        with self.store.locked(document_id):  # the upload and whether stored, in one query
            upload, ack = self._own_upload(kiosk, document_id)
            try:
                offset = int(offset_header or "")
            except ValueError as exc:
                raise ApiError(400, "invalid_request",
                               detail="Upload-Offset header needed") from exc
            if offset < 0:
                raise ApiError(400, "invalid_request", detail="Upload-Offset must be >= 0")
            if ack is not None:
                return {"offset": upload.sealed_size, "complete": True, "ack": ack}
            if offset + len(chunk) == upload.sealed_size and chunk:
                ack = self._store_with_last_chunk(kiosk, upload, offset, chunk, chunk_sha256)
                if ack is not None:  # the kiosk needs no finish: the ack is here
                    return {"offset": upload.sealed_size, "complete": True, "ack": ack}
            new = self.store.append(document_id, offset, chunk, upload.sealed_size,
                                    chunk_sha256)
        return {"offset": new}

    def _store_with_last_chunk(self, kiosk: KioskRecord, upload: UploadRecord, offset: int,
                               chunk: bytes, chunk_sha256: bytes | None) -> dict[str, Any] | None:
        """Verify and store the document with its last chunk, as finish would (under the
        document's lock); its signed ack if stored. The chunk then never goes to the part file.

        None, with nothing changed, if the offset is not where the part ends or a check
        fails: the chunk is then appended as usual and finish refuses the upload with the
        same code (and discards the part), so the answers are what they always were.
        """
        doc_id = upload.document_id
        if self.store.offset(doc_id) != offset:
            return None
        if offset == 0:
            sealed, digest = chunk, chunk_sha256
        else:
            part, _ = self.store.read_part(doc_id)
            if len(part) != offset:
                return None
            sealed, digest = part + chunk, None
        try:
            stored = self._verify_and_store(kiosk, upload, sealed, digest,
                                            discard_on_reject=False)
        except ApiError as exc:
            if exc.status != 422:
                raise
            return None
        if self.on_stored is not None:
            self.on_stored(upload.submitted_at)
        return stored.ack

    def finish(self, kiosk: KioskRecord, document_id: str) -> dict[str, Any]:
        """``POST /uploads/{id}/finish``: verify, store once, answer with the signed ack."""
        upload, ack = self._own_upload(kiosk, document_id)
        if ack is not None:  # stored with its last chunk, or finished before
            return {"ack": ack}
        with self.store.locked(document_id):
            ack = self.repo.get_ack(document_id)
            if ack is None:
                sealed, sealed_digest = self.store.read_part(document_id)
                ack = self._verify_and_store(kiosk, upload, sealed, sealed_digest).ack
                if self.on_stored is not None:
                    self.on_stored(upload.submitted_at)
        return {"ack": ack}

    def _verify_and_store(self, kiosk: KioskRecord, upload: UploadRecord, sealed: bytes,
                          sealed_digest: bytes | None, discard_on_reject: bool = True
                          ) -> DocumentRecord:
        """Check the sealed upload (``sealed_digest``: its SHA-256 if already verified) and
        store it once; a check that fails raises 422 and, with ``discard_on_reject``,
        discards the part so the kiosk re-sends it from offset 0."""
        doc_id = upload.document_id

        def _reject(document_id: str, code: str, **extra: Any) -> ApiError:
            if discard_on_reject:
                self.store.discard_part(document_id)
                log.warning("upload %s refused at finish: %s", document_id, code)
            return ApiError(422, code, **extra)

        if len(sealed) < upload.sealed_size:
            raise ApiError(409, protocol.ERROR_INCOMPLETE, offset=self.store.durable_offset(doc_id))
        if len(sealed) != upload.sealed_size:
            raise _reject(doc_id, protocol.ERROR_SIZE_MISMATCH)
        if (sealed_digest or hashlib.sha256(sealed).digest()).hex() != upload.sealed_sha256:
            raise _reject(doc_id, protocol.ERROR_HASH_MISMATCH)
        try:
            plaintext = protocol.open_sealed(
                sealed, self.keys.encryption, protocol.document_aad(doc_id)
            )
        except Undecryptable as exc:
            raise _reject(doc_id, protocol.ERROR_UNDECRYPTABLE) from exc
        if hashlib.sha256(plaintext).hexdigest() != upload.sha256:
            raise _reject(doc_id, protocol.ERROR_HASH_MISMATCH)
        try:
            facts = inspect_pdf(plaintext, upload.pages, self.limits.max_pages)
        except ApiError as exc:
            raise _reject(doc_id, exc.code) from exc
        try:
            extensions = note_extensions_from(facts.xmp)
        except InvalidNoteExtension as exc:
            raise _reject(
                doc_id, protocol.ERROR_INVALID_NOTE_EXTENSION, **exc.details()
            ) from exc
        moment = datetime.now(UTC)
        received_at = db_time(moment)
        path = self.store.store(doc_id, self.at_rest.seal_parts(doc_id, DOCUMENT, plaintext),
                                moment)
        customer_number = customer_number_from(facts.xmp)
        ack = protocol.sign_ack(
            doc_id, upload.receipt_number, upload.sha256, received_at, self.keys.signing
        )
        record = DocumentRecord(
            document_id=doc_id, kiosk_id=kiosk.kiosk_id, receipt_number=upload.receipt_number,
            sha256=upload.sha256, document_type=upload.document_type, pages=facts.pages,
            page_hash=upload.page_hash, submitted_at=upload.submitted_at,
            received_at=received_at, path=path, size=len(plaintext),
            pdf_metadata={"info": facts.info, "xmp": facts.xmp},
            transfer_note={
                **transfer_note(kiosk, upload, facts.producer, received_at, len(plaintext)),
                "customer_number": customer_number,
            },
            ack=ack,
            note_extensions=extensions_json(extensions),
            number_index=self.at_rest.blind_index(customer_number),
        )
        stored = self.repo.insert_document(record)
        self.store.discard_part(doc_id)
        log.info("document %s stored for kiosk %s", doc_id, kiosk.kiosk_id)
        return stored


def transfer_note(
    kiosk: KioskRecord, upload: UploadRecord, producer: str, received_at: str, size: int
) -> dict[str, Any]:
    """The transfer note (who, when, checks, anomalies) kept with each document."""
    anomalies = []
    delay = (protocol.parse_time(received_at) - protocol.parse_time(upload.submitted_at))
    if delay.total_seconds() < -protocol.MAX_CLOCK_SKEW_S:
        anomalies.append("kiosk_time_after_receipt")
    if delay.total_seconds() > 86400:
        anomalies.append("delivered_after_more_than_a_day")
    return {
        "v": 1,
        "document_id": upload.document_id,
        "receipt_number": upload.receipt_number,
        "kiosk_id": kiosk.kiosk_id,
        "kiosk_name": kiosk.name,
        "submitted_at": upload.submitted_at,
        "received_at": received_at,
        "document_type": upload.document_type,
        "pages": upload.pages,
        "page_hash": upload.page_hash,
        "size": size,
        "sealed_size": upload.sealed_size,
        "sealed_sha256": upload.sealed_sha256,
        "sha256": upload.sha256,
        "producer": producer,
        "checks": {
            "kiosk_signature": "ok", "sealed_sha256": "ok", "envelope_opened": "ok",
            "sha256": "ok", "producer": "ok", "page_count": "ok",
        },
        "anomalies": anomalies,
        "service": f"jobcentre-intake {SERVICE_VERSION}",
        "checked_at_unix": int(time.time()),
    }


_CUSTOMER_NUMBER = re.compile(r"^[0-9A-Z]{5,20}$")


def kiosk_note_from(xmp: dict[str, str]) -> dict[str, Any] | None:
    """The kiosk's transfer note (JSON in the XMP); None if absent or not a JSON object."""
    for key, value in xmp.items():
        if key.endswith("}TransferNote") or key == "jck:TransferNote":
            try:
                note = json.loads(value)
            except (ValueError, RecursionError):
                return None
            return note if isinstance(note, dict) else None
    return None


def customer_number_from(xmp: dict[str, str]) -> str | None:
    """The customer number in the kiosk's transfer note (XMP), for filing; None if absent.

    It travels inside the sealed PDF only, so nobody on the way can read it.
    """
    note = kiosk_note_from(xmp)
    number = note.get("customer_number") if note is not None else None
    if isinstance(number, str) and _CUSTOMER_NUMBER.match(number):
        return number
    return None


def note_extensions_from(xmp: dict[str, str]) -> list[NoteExtension]:
    """The note's extensions ([] without a note); raises InvalidNoteExtension if malformed.

    Unknown kinds and versions come back verbatim (``known`` is False), never dropped.
    """
    note = kiosk_note_from(xmp)
    return [] if note is None else extensions_from_note(note)
