"""Upload the outbox: resumable, offset-based, idempotent by document id, with backoff.

For each stored document that fits in one chunk (most do): ``POST /uploads`` with the
announcement (``Upload-Announcement``) and the whole sealed document; the server stores it
and answers with its ack, one request per document. A larger one: ``POST /uploads`` with
the metadata alone (create or learn the server's offset), ``PATCH`` chunks from that offset
(a 409 tells the real offset), then ``POST .../finish``; a server that
stored the document with its last chunk answers that PATCH with the ack, and no finish is
sent. The sealed copy is deleted only after the
centre's signed acknowledgement verified and its SHA-256 equals ours.
A kill at any point is harmless: the next run asks the server where it stands.

Outcomes per document: delivered, rejected for good (the server's 4xx/422 code is kept for
staff and the sealed copy is kept), or a transient problem (``BackendUnavailable`` /
``BackendRefused``) that ends the current sync and is retried with capped, jittered backoff.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
from dataclasses import dataclass, field

import httpx

from foundation.errors import BackendError, BackendRefused, BackendUnavailable
from kiosk.delivery.models import PendingUpload
from kiosk.delivery.outbox import Outbox
from kiosk.delivery.transport import ServerClient, safe_json
from wire import protocol

log = logging.getLogger(__name__)

UPLOADS = f"{protocol.API_PREFIX}/uploads"
_PERMANENT_FINISH = {
    protocol.ERROR_HASH_MISMATCH, protocol.ERROR_SIZE_MISMATCH, protocol.ERROR_NOT_OUR_PDF,
    protocol.ERROR_TOO_MANY_PAGES, protocol.ERROR_UNDECRYPTABLE,
    protocol.ERROR_INVALID_NOTE_EXTENSION,
}


@dataclass
class SyncResult:
    """What one pass over the outbox achieved."""

    delivered: int = 0
    rejected: int = 0
    remaining: int = 0
    error: str | None = None
    rejected_codes: list[str] = field(default_factory=list)


class Backoff:
    """Exponential backoff with full jitter, capped: delay = U(0.5, 1) * min(cap, base * 2^n)."""

    def __init__(
        self, base_s: float = 1.0, cap_s: float = 300.0, rng: random.Random | None = None
    ) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        """Count one failure and return how long to wait before the next try."""
        raw = min(self.cap_s, self.base_s * float(2 ** min(self.failures, 30)))
        self.failures += 1
        return raw * self._rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        """Forget failures after a success."""
        self.failures = 0


class Uploader:
    """Moves stored documents from the outbox to the intake service."""

    def __init__(
        self, outbox: Outbox, client: ServerClient, chunk_bytes: int = protocol.MAX_CHUNK_BYTES
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.chunk_bytes = min(chunk_bytes, protocol.MAX_CHUNK_BYTES)
        self._centre_key = client.identity.centre_signing_public_key

    def sync(self, stop: threading.Event | None = None) -> SyncResult:
        """Upload everything pending once; stop at the first transient server problem."""
        result = SyncResult()
        pending = self.outbox.pending()
        for index, item in enumerate(pending):
            if stop is not None and stop.is_set():
                result.remaining = len(pending) - index
                result.error = "stopped"
                return result
            try:
                outcome = self.upload(item)
            except BackendError as exc:
                self.outbox.record_attempt(item.document_id, exc.code)
                result.remaining = len(pending) - index
                result.error = exc.code
                return result
            if outcome == "delivered":
                result.delivered += 1
            elif outcome == "rejected":
                result.rejected += 1
            else:
                result.remaining += 1
        return result

    def upload(self, item: PendingUpload) -> str:
        """Upload one document: 'delivered' or 'rejected'; transient trouble raises."""
        try:
            sealed = item.sealed_path.read_bytes()
        except FileNotFoundError:
            if not self.outbox.adopt_temp(item.document_id):
                return self._missing_copy(item)
            sealed = item.sealed_path.read_bytes()
        digest = hashlib.sha256(sealed).hexdigest()
        if len(sealed) != item.sealed_size or digest != item.sealed_sha256:
            return self._reject(item, "sealed_copy_corrupt")
        # a document that fits in one chunk goes in one request; a larger one is announced
        # on its own, so that resuming it never sends its first chunk again just to learn
        # the server's offset (a rural line pays for every megabyte)
        offset = self._create(item, sealed if len(sealed) <= self.chunk_bytes else None)
        if offset is None:
            return "delivered"
        if offset < 0:
            return "rejected"
        while offset < len(sealed):
            offset, ack = self._patch(item, offset, sealed[offset : offset + self.chunk_bytes])
            if ack is not None:  # stored with its last chunk: no finish needed
                self._accept_ack(item, ack)
                return "delivered"
        return self._finish(item)

    # --- the protocol steps ---------------------------------------------------------

    def _create(self, item: PendingUpload, whole: bytes | None) -> int | None:
        """POST the metadata, with the whole sealed document if given; the server's offset,
        None if stored (now or before), -1 if rejected."""
        meta = {
            "document_id": item.document_id, "receipt_number": item.receipt_number,
            "sealed_size": item.sealed_size, "sealed_sha256": item.sealed_sha256,
            "sha256": item.sha256, "document_type": item.document_type, "pages": item.pages,
            "page_hash": item.page_hash, "submitted_at": _contract_time(item.submitted_at),
        }
        if whole is None:
            response = self.client.call_json("POST", UPLOADS, meta)
        else:
            response = self.client.request(
                "POST", UPLOADS, whole, {"Content-Type": "application/offset+octet-stream"},
                announcement=protocol.encode_announcement(meta))
        data = safe_json(response)
        if response.status_code in (200, 201):
            if data.get("complete"):
                self._accept_ack(item, data.get("ack"))
                return None
            return _offset(data)
        if response.status_code == 409 and data.get("error") == protocol.ERROR_OFFSET_MISMATCH:
            return _offset(data)  # begun before: go on from where the server stands
        if response.status_code == 409:
            self._reject(item, protocol.ERROR_METADATA_CONFLICT)
            return -1
        if response.status_code == 413:
            self._reject(item, protocol.ERROR_TOO_LARGE)
            return -1
        raise _transient(response)

    def _patch(self, item: PendingUpload, offset: int, chunk: bytes) -> tuple[int, object]:
        """Send one chunk: the next offset, and the ack if the document is stored now."""
        path = f"{UPLOADS}/{item.document_id}"
        headers = {"Content-Type": "application/offset+octet-stream"}
        response = self.client.request("PATCH", path, chunk, headers, upload_offset=offset)
        if response.status_code in (200, 409):
            data = safe_json(response)
            new = _offset(data)
            if response.status_code == 200 and new <= offset:
                raise BackendRefused("server did not advance the offset", code="upload_stalled")
            ack = data.get("ack") if response.status_code == 200 and data.get("complete") else None
            return new, ack
        raise _transient(response)

    def _finish(self, item: PendingUpload) -> str:
        response = self.client.call_json("POST", f"{UPLOADS}/{item.document_id}/finish")
        data = safe_json(response)
        if response.status_code == 200:
            self._accept_ack(item, data.get("ack"))
            return "delivered"
        code = str(data.get("error", ""))
        if response.status_code == 422 and code in _PERMANENT_FINISH:
            return self._reject(item, code)
        raise _transient(response)

    def _accept_ack(self, item: PendingUpload, ack: object) -> None:
        if not protocol.verify_ack(ack, self._centre_key):
            raise BackendRefused("acknowledgement signature does not verify", code="ack_invalid")
        assert isinstance(ack, dict)
        if ack["sha256"] != item.sha256 or ack["document_id"] != item.document_id:
            raise BackendRefused("acknowledgement is for other content", code="ack_mismatch")
        self.outbox.mark_delivered(item.document_id, json.dumps(ack), str(ack["received_at"]))
        log.info("document delivered and its sealed copy deleted")

    def _reject(self, item: PendingUpload, code: str) -> str:
        log.error("document rejected for good: %s (sealed copy kept for staff)", code)
        self.outbox.mark_rejected(item.document_id, code)
        return "rejected"

    def _missing_copy(self, item: PendingUpload) -> str:
        """The sealed copy is gone: maybe it was delivered and the ack not recorded."""
        response = self.client.call_json("GET", f"{UPLOADS}/{item.document_id}")
        data = safe_json(response)
        if response.status_code == 200 and data.get("complete"):
            self._accept_ack(item, data.get("ack"))
            return "delivered"
        if response.status_code in (200, 404):
            return self._reject(item, "sealed_copy_missing")
        raise _transient(response)


def _offset(data: dict[str, object]) -> int:
    value = data.get("offset")
    if not isinstance(value, int) or value < 0:
        raise BackendRefused("server answered without a valid offset", code="bad_answer")
    return value


def _contract_time(stored: str) -> str:
    return protocol.format_time(protocol.parse_time(stored))


def _transient(response: httpx.Response) -> BackendError:
    code = str(safe_json(response).get("error", "")) or f"http_{response.status_code}"
    if response.status_code >= 500 or response.status_code == 429:
        status = response.status_code
        return BackendUnavailable(f"server error {status}", code=f"http_{status}")
    if response.status_code in (401, 403):
        return BackendRefused(f"server refused the kiosk: {code}", code=code)
    return BackendRefused(f"unexpected answer {response.status_code}: {code}", code=code)
