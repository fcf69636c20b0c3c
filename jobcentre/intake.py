"""The intake logic behind the HTTP API: authentication, resumable uploads, finish.

No FastAPI here: every method takes plain values, returns ``(status, body)`` or a body,
and refuses with ``ApiError``. The HTTP layer (``jobcentre.routes_kiosk``) runs these methods
in worker threads; only ``prepare_whole``, which touches no file and no database, runs in
its event loop. Idempotency key is the document id: a repeated announcement, chunk or
finish is answered from what is stored, and the database stores each document once. The
checks of a complete upload are ``jobcentre.intake_checks``; a malformed transfer-note
extension refuses the upload with 422 ``invalid_note_extension``. The PDF is stored
encrypted at rest (``jobcentre.atrest``) and the customer number only as its keyed blind
index and inside the sealed transfer note.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from foundation.errors import ApiError
from jobcentre.admission import KioskAdmission
from jobcentre.atrest import AtRest
from jobcentre.docstore import UUID_RE, DocumentStore, check_document_id
from jobcentre.intake_checks import PreparedDocument, check_sealed
from jobcentre.keys import CentreKeys
from jobcentre.repository import DocumentRecord, KioskRecord, Repository, UploadRecord, db_time
from wire import protocol

log = logging.getLogger(__name__)
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


class IntakeService(KioskAdmission):
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

    def _own_upload(self, kiosk: KioskRecord, document_id: str
                    ) -> tuple[UploadRecord, dict[str, Any] | None]:
        """This kiosk's upload and its document's ack once stored (one query), else 404."""
        upload, ack = self.repo.get_upload_and_ack(check_document_id(document_id))
        if upload is None or upload.kiosk_id != kiosk.kiosk_id:
            raise ApiError(404, protocol.ERROR_NOT_FOUND)
        return upload, ack

    def _announced(self, kiosk: KioskRecord, payload: Any) -> UploadRecord:
        """The upload an announcement describes, checked against the limits."""
        try:
            meta = UploadAnnouncement.model_validate(payload)
        except ValidationError as exc:
            raise _invalid(exc) from exc
        if meta.sealed_size > self.limits.max_sealed_bytes:
            raise ApiError(413, protocol.ERROR_TOO_LARGE, limit=self.limits.max_sealed_bytes)
        if meta.pages > self.limits.max_pages:
            raise ApiError(422, protocol.ERROR_TOO_MANY_PAGES, limit=self.limits.max_pages)
        return UploadRecord(kiosk_id=kiosk.kiosk_id, created_at=db_time(), **meta.model_dump())

    def announce(self, kiosk: KioskRecord, payload: Any) -> tuple[int, dict[str, Any]]:
        """``POST /uploads``: start or resume an upload (201 new, 200 known)."""
        return self._announce(kiosk, self._announced(kiosk, payload))

    def _announce(self, kiosk: KioskRecord, wanted: UploadRecord) -> tuple[int, dict[str, Any]]:
        """Store ``wanted`` unless its upload exists; the announcement's answer."""
        existing = self.repo.create_upload(wanted)  # inserted, or the one stored before
        created = existing.created_at == wanted.created_at
        if existing.metadata() != wanted.metadata():
            raise ApiError(409, protocol.ERROR_METADATA_CONFLICT)
        if created:  # uploads are never deleted: a new one has no stored document
            log.info("upload %s started by kiosk %s", wanted.document_id, kiosk.kiosk_id)
            return 201, {"offset": 0}
        ack = self.repo.get_ack(wanted.document_id)
        if ack is not None:
            return 200, {"complete": True, "ack": ack}
        return 200, {"offset": self.store.durable_offset(wanted.document_id)}

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
            offset = _upload_offset(offset_header)
            return self._append_locked(kiosk, upload, ack, offset, chunk, chunk_sha256)

    def prepare_whole(self, kiosk: KioskRecord, payload: Any, chunk: bytes,
                      chunk_sha256: bytes | None) -> PreparedDocument | None:
        """Check a document that its announcement brings whole, touching no file and no
        database, so that the event loop can run it and a worker thread is left only the
        writing (``store_new``, ``jobcentre.upload_batch``). None if it is not whole or
        anything is amiss: ``announce_with_chunk`` then takes its usual path and gives its
        usual answer."""
        try:
            wanted = self._announced(kiosk, payload)
        except ApiError:
            return None
        if not chunk or len(chunk) != wanted.sealed_size:
            return None
        return self._check_or_none(kiosk, wanted, chunk, chunk_sha256)

    def announce_with_chunk(
        self, kiosk: KioskRecord, payload: Any, chunk: bytes, chunk_sha256: bytes | None,
        whole_new: bool = True,
    ) -> tuple[int, dict[str, Any]]:
        """``POST /uploads`` with ``Upload-Announcement``: announce, then append ``chunk`` at
        offset 0, in one request. A new document that fits in one chunk is stored at once
        and answered with its ack, so the kiosk sends one request per document
        (``whole_new=False``: ``store_new`` found its upload stored before; skip that).

        The answers are those of the two requests it replaces: the announcement's refusals
        (409 ``metadata_conflict``, 413, 422), then the chunk's (an upload already begun
        answers 409 ``offset_mismatch`` with its offset, one already stored its ack), with
        the announcement's status (201 new, 200 known).
        """
        wanted = self._announced(kiosk, payload)
        document_id = wanted.document_id
        if whole_new and chunk and len(chunk) == wanted.sealed_size:  # store it at once
            prepared = self._check_or_none(kiosk, wanted, chunk, chunk_sha256)
            [stored] = self.store_new([(kiosk, prepared)]) if prepared else [None]
            if stored is not None:
                return 201, stored
        status, answer = self._announce(kiosk, wanted)
        if "offset" not in answer or not chunk:  # stored before, or nothing to append
            return status, answer
        with self.store.locked(document_id):
            upload, ack = self._own_upload(kiosk, document_id)
            return status, self._append_locked(kiosk, upload, ack, 0, chunk, chunk_sha256)

    def _check_or_none(self, kiosk: KioskRecord, upload: UploadRecord, sealed: bytes,
                       sealed_digest: bytes | None) -> PreparedDocument | None:
        try:
            return self._check(kiosk, upload, sealed, sealed_digest)
        except ApiError:  # 422: the general path stores upload and chunk; finish refuses them
            return None

    def store_new(self, items: list[tuple[KioskRecord, PreparedDocument]]
                  ) -> list[dict[str, Any] | None]:
        """Store checked documents with their announcements (``prepare_whole``): their
        files (names of their own), then every upload and document row in one transaction.
        Per document, its answer, or None, with nothing of it kept, if an upload of its id
        exists already (``announce_with_chunk`` with ``whole_new=False`` then answers)."""
        self.store.write_stored_many([(p.record.path, p.parts) for _, p in items])
        try:
            stored = self.repo.insert_new_uploads_and_documents(
                [(p.upload, p.record) for _, p in items])
        except BaseException:
            for _, prepared in items:
                self.store.remove_stored(prepared.record.path)
            raise
        answers: list[dict[str, Any] | None] = []
        for (kiosk, prepared), new in zip(items, stored, strict=True):
            upload = prepared.upload
            if not new:
                self.store.remove_stored(prepared.record.path)
                answers.append(None)
                continue
            log.info("document %s stored for kiosk %s", upload.document_id, kiosk.kiosk_id)
            if self.on_stored is not None:
                self.on_stored(upload.submitted_at)
            answers.append({"offset": upload.sealed_size, "complete": True,
                            "ack": prepared.record.ack})
        return answers

    def _append_locked(
        self, kiosk: KioskRecord, upload: UploadRecord, ack: dict[str, Any] | None, offset: int,
        chunk: bytes, chunk_sha256: bytes | None,
    ) -> dict[str, Any]:
        """Append under the document's lock; store the document with its last chunk."""
        if ack is not None:
            return {"offset": upload.sealed_size, "complete": True, "ack": ack}
        if offset + len(chunk) == upload.sealed_size and chunk:
            ack = self._store_with_last_chunk(kiosk, upload, offset, chunk, chunk_sha256)
            if ack is not None:  # the kiosk needs no finish: the ack is here
                return {"offset": upload.sealed_size, "complete": True, "ack": ack}
        new = self.store.append(upload.document_id, offset, chunk, upload.sealed_size,
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
        if len(sealed) < upload.sealed_size:
            raise ApiError(409, protocol.ERROR_INCOMPLETE, offset=self.store.durable_offset(doc_id))
        try:
            prepared = self._check(kiosk, upload, sealed, sealed_digest)
        except ApiError as exc:  # 422: a check failed
            if discard_on_reject:
                self.store.discard_part(doc_id)
                log.warning("upload %s refused at finish: %s", doc_id, exc.code)
            raise
        self.store.write_stored(prepared.record.path, prepared.parts)
        stored = self.repo.insert_document(prepared.record)
        self.store.discard_part(doc_id)
        log.info("document %s stored for kiosk %s", doc_id, kiosk.kiosk_id)
        return stored

    def _check(self, kiosk: KioskRecord, upload: UploadRecord, sealed: bytes,
               sealed_digest: bytes | None) -> PreparedDocument:
        """``check_sealed`` with this service's keys and limits (CPU only)."""
        return check_sealed(kiosk, upload, sealed, sealed_digest, keys=self.keys,
                            at_rest=self.at_rest, max_pages=self.limits.max_pages,
                            path_for=self.store.path_for)


def _upload_offset(header: str | None) -> int:
    """The ``Upload-Offset`` header as a number, or 400."""
    try:
        offset = int(header or "")
    except ValueError as exc:
        raise ApiError(400, "invalid_request", detail="Upload-Offset header needed") from exc
    if offset < 0:
        raise ApiError(400, "invalid_request", detail="Upload-Offset must be >= 0")
    return offset
