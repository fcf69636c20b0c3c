"""One-request uploads, checked in the event loop and written in groups (group commit).

A kiosk sends a document that fits in one chunk as one request: ``POST /uploads`` with an
``Upload-Announcement`` header and the sealed document as its body. For a kiosk whose key
this process keeps (``KioskGate.signed_body``), ``WholeUploads.announce``

1. checks signature, rate and the body's digest in the event loop, without a thread;
2. runs the document's checks there too (``IntakeService.prepare_whole``: envelope,
   hashes, PDF, sealing at rest, the signed ack), CPU work that touches no file and no
   database;
3. hands it to ``DocumentBatcher``, which shares what is waiting evenly between its free
   ``WRITERS`` threads (at most ``MAX_GROUP`` documents each): revocation and replay
   (``KioskGate.admit_many``: one statement for the group on PostgreSQL); then every file
   is written (its writeback started at once) and the group made durable with one
   ``syncfs``, and every upload and document row inserted in one transaction
   (``IntakeService.store_new``).

A group costs about 1.2 ms of CPU of its own (the syncfs, the transaction, waking a
writer) besides some 0.7 ms per document in it (the file, its rows), so a writer takes
everything that waits when it is free instead of one document at a time: handing a
writer each document as soon as one was free made groups of one to five documents and
cost 0.6 ms more CPU per document in the burst of ``bench_intake``.

Why: measured on 2 cores (``benchmarks/bench_intake.py``), a worker thread per request,
taking turns at the GIL with the event loop at each of the two dozen points where either
releases it (hashing, encryption, each file and database call), cost about 1 ms of CPU per
document in context switches alone (21,000 per 200 documents, some 500 now), and each
document's own commit an fsync. Here the CPU work never changes threads, and the writers'
I/O waits for a whole group overlap with the loop's checks of the next documents.

Any other case takes the general path (``KioskGate.run`` and ``announce_with_chunk``),
with the same answers: a kiosk not kept yet, a document that is not whole, one whose checks
fail (422 after the upload is stored, at finish, as always), one whose upload exists.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from foundation.errors import ApiError
from jobcentre.intake import IntakeService
from jobcentre.intake_checks import PreparedDocument
from jobcentre.kiosk_requests import parse_announcement
from jobcentre.repository import KioskRecord
from wire import protocol

log = logging.getLogger(__name__)
MAX_GROUP = 32  # documents written in one transaction
WRITERS = 2  # groups written at once: one writes while the other waits for the disk


@dataclass(frozen=True)
class WholeUpload:
    """A signed, checked document waiting to be admitted and written."""

    kiosk: KioskRecord
    auth: protocol.RequestAuth
    prepared: PreparedDocument


Outcome = dict[str, Any] | None | ApiError


class DocumentBatcher:
    """Admits and writes waiting ``WholeUpload`` s in groups, on ``WRITERS`` threads of
    its own: a group is handed to a free writer the moment a document is ready, and what
    waited meanwhile once a writer's answers are in (on the loop's next turn)."""

    def __init__(self, service: IntakeService, admit_many: Any, writers: int = WRITERS
                 ) -> None:
        self.service = service
        self.admit_many = admit_many  # KioskGate.admit_many: each kiosk, or its refusal
        self.writers = writers
        self._waiting: list[tuple[WholeUpload, asyncio.Future[Outcome]]] = []
        self._busy = 0
        self._executor = ThreadPoolExecutor(writers, thread_name_prefix="intake-writer")

    async def store(self, upload: WholeUpload) -> dict[str, Any] | None:
        """The document's answer once written; None if its upload existed already (the
        general path answers then); raises the refusal of ``admit`` and any storage error
        (``jobcentre.service.error_response`` turns those into 503)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._waiting.append((upload, future))
        self._hand_out(loop)
        outcome = await future
        if isinstance(outcome, ApiError):
            raise outcome
        return outcome

    def _hand_out(self, loop: asyncio.AbstractEventLoop) -> None:
        """Give what waits to the free writers, shared evenly, at most ``MAX_GROUP``
        documents each (41 waiting for two free writers: 21 and 20, not 32 and 9: the last
        groups of a burst are written in about half the time)."""
        while self._waiting and self._busy < self.writers:
            size = min(MAX_GROUP, -(-len(self._waiting) // (self.writers - self._busy)))
            group, self._waiting = self._waiting[:size], self._waiting[size:]
            self._busy += 1
            work = self._executor.submit(self._write_or_fail, [u for u, _ in group])
            work.add_done_callback(functools.partial(self._report, loop, group))

    def _report(self, loop: asyncio.AbstractEventLoop,
                group: list[tuple[WholeUpload, asyncio.Future[Outcome]]],
                done: Future[list[Outcome | Exception]]) -> None:
        """In the writer thread, once its group is written: wake the event loop."""
        loop.call_soon_threadsafe(self._written, loop, group, done.result())

    def _written(self, loop: asyncio.AbstractEventLoop,
                 group: list[tuple[WholeUpload, asyncio.Future[Outcome]]],
                 outcomes: list[Outcome | Exception]) -> None:
        self._busy -= 1
        for (_, future), outcome in zip(group, outcomes, strict=True):
            if future.done():  # the client went away meanwhile
                continue
            if isinstance(outcome, Exception) and not isinstance(outcome, ApiError):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        # on the loop's next turn: a second writer that finished meanwhile is free by then,
        # and what waits is shared between both instead of the first taking MAX_GROUP
        loop.call_soon(self._hand_out, loop)

    def _write_or_fail(self, group: list[WholeUpload]) -> list[Outcome | Exception]:
        try:
            return list(self._write(group))
        except Exception as exc:  # noqa: BLE001 - every waiting request gets the error
            return [exc] * len(group)

    def _write(self, group: list[WholeUpload]) -> list[Outcome]:
        """In the worker thread: admit each, then write the admitted ones together."""
        outcomes: list[Outcome] = []
        admitted: list[tuple[int, KioskRecord, PreparedDocument]] = []
        kiosks = self.admit_many([(upload.kiosk, upload.auth) for upload in group])
        for index, (upload, kiosk) in enumerate(zip(group, kiosks, strict=True)):
            if isinstance(kiosk, ApiError):
                outcomes.append(kiosk)
                continue
            outcomes.append(None)
            admitted.append((index, kiosk, upload.prepared))
        if admitted:
            answers = self.service.store_new([(k, p) for _, k, p in admitted])
            for (index, _, _), answer in zip(admitted, answers, strict=True):
                outcomes[index] = answer
        return outcomes


class WholeUploads:
    """``POST /uploads`` with ``Upload-Announcement`` (see the module docstring)."""

    def __init__(self, gate: Any, service: IntakeService) -> None:
        self.gate = gate  # jobcentre.routes_kiosk.KioskGate
        self.service = service
        self.batcher = DocumentBatcher(service, gate.admit_many)

    async def announce(self, request: Request, headers: dict[str, str]) -> Response:
        """Announce a document with its first chunk (often all of it): 201 with the ack
        when stored at once, else the answers of an announcement and a chunk."""
        announcement = headers.get("upload-announcement", "")
        digest = protocol.digest_sha256(headers.get("content-digest", ""))

        def general(kiosk: KioskRecord, body: bytes, whole_new: bool = True) -> Any:
            return self.service.announce_with_chunk(
                kiosk, parse_announcement(announcement), body, digest, whole_new)

        signed = await self.gate.signed_body(request, headers, protocol.MAX_CHUNK_BYTES)
        if signed is None:  # a kiosk not kept yet, or no body
            status, answer = await self.gate.run(request, general, protocol.MAX_CHUNK_BYTES)
            return JSONResponse(answer, status_code=status)
        kiosk, auth, body = signed
        prepared = self._prepare(kiosk, announcement, body, digest)
        if prepared is None:  # not whole, or a check failed: the general path answers
            status, answer = await self.gate.run_admitted(
                request, kiosk, auth, lambda admitted: general(admitted, body))
            return JSONResponse(answer, status_code=status)
        try:
            stored = await self.batcher.store(WholeUpload(kiosk, auth, prepared))
        except ApiError as exc:
            raise self.gate.refusal(request, exc) from None
        if stored is not None:
            return JSONResponse(stored, status_code=201)
        status, answer = await run_in_threadpool(general, kiosk, body, False)  # admitted
        return JSONResponse(answer, status_code=status)

    def _prepare(self, kiosk: KioskRecord, announcement: str, body: bytes,
                 digest: bytes | None) -> PreparedDocument | None:
        try:
            payload = parse_announcement(announcement)
        except ApiError:
            return None  # refused by the general path, after admission
        return self.service.prepare_whole(kiosk, payload, body, digest)
