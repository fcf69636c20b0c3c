"""Capture controller: camera frames, live guidance, page verdicts and finished documents.

No Kivy here. The capture screen polls ``poll_preview()`` from its frame clock; the
camera read and the per-frame analysis run on a worker thread so the UI never waits for
them. ``capture()`` takes a full-resolution still and judges it on another worker;
full OCR, document type and the PDF are built in the background while the visitor
captures the next page (``prepare_documents`` waits only for what is still missing).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import cv2
import numpy as np

import scanning
from config.model import KioskConfig
from device_drivers.camera import Camera
from foundation.errors import CameraFrameError, DeviceError, KioskError
from kiosk.delivery.models import PreparedDocument
from kiosk.session.documents import DocumentDraft, PageRecord
from scanning.models import PageResult, PageVerdict, PreviewGuidance, PreviewState

log = logging.getLogger(__name__)

JPEG_QUALITY = 88
DISPLAY_WIDTH = 960  # the preview box is never wider; a smaller texture uploads in ~1 ms


@dataclass(frozen=True)
class PreviewUpdate:
    """One analysed preview frame for the screen."""

    frame: np.ndarray  # BGR, downscaled for display (at most DISPLAY_WIDTH wide)
    guidance: PreviewGuidance  # corners in camera-frame pixels
    scale: float = 1.0  # display pixels per camera-frame pixel


@dataclass(frozen=True)
class CapturedPage:
    """A judged still: the verdict and the JPEG bytes of the page image to keep."""

    verdict: PageVerdict
    image_jpeg: bytes
    size: tuple[int, int]


def encode_jpeg(image: np.ndarray) -> bytes:
    """JPEG bytes of a BGR or grey image."""
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise KioskError("could not encode page image")
    return bytes(buffer)


def decode_jpeg(data: bytes) -> np.ndarray:
    """BGR image from JPEG bytes."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise KioskError("stored page image is unreadable")
    return image


class CaptureController:
    """Drives the camera and the scanning pipeline for the capture screen."""

    def __init__(self, config: KioskConfig, camera: Camera) -> None:
        self.config = config
        self.camera = camera
        self._preview_pool = ThreadPoolExecutor(1, thread_name_prefix="preview")
        self._capture_pool = ThreadPoolExecutor(1, thread_name_prefix="capture")
        self._ocr_pool = ThreadPoolExecutor(2, thread_name_prefix="ocr")
        self._preview_future: Future[PreviewUpdate] | None = None
        self._preview_state = PreviewState()
        self._latest: PreviewUpdate | None = None
        self._open = False
        self._lock = threading.Lock()
        self._completions: dict[bytes, Future[PageResult]] = {}
        self._verdicts: dict[bytes, PageVerdict] = {}
        self.last_error: str | None = None

    # -- preview -----------------------------------------------------------------------
    def start(self) -> None:
        """Open the camera for the capture screen."""
        if not self._open:
            self.camera.open()
            self._open = True
            self._preview_state = PreviewState()
            self._latest = None  # never show the previous visitor's last frame

    def stop(self) -> None:
        """Close the camera when the capture screen is left."""
        if self._open:
            self._open = False
            if self._preview_future is not None:
                self._preview_future.cancel()  # a running analysis finishes unseen
                self._preview_future = None
            self._latest = None
            self.camera.close()

    def _analyse_next(self) -> PreviewUpdate:
        frame = self.camera.read_frame()
        guidance = scanning.analyze_preview(frame, self._preview_state)
        self._preview_state = guidance.state
        scale = min(1.0, DISPLAY_WIDTH / frame.shape[1])
        if scale < 1.0:
            frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return PreviewUpdate(frame=frame, guidance=guidance, scale=scale)

    def poll_preview(self) -> PreviewUpdate | None:
        """The newest analysed frame (None until the first); starts the next analysis."""
        future = self._preview_future
        if future is not None and future.done():
            try:
                self._latest = future.result()
                self.last_error = None
            except (CameraFrameError, DeviceError) as exc:
                self.last_error = exc.code
                log.warning("preview frame failed: %s", exc.code)
            except CancelledError:
                pass  # left over from a closed preview: just start the next analysis
            future = None
        if future is None and self._open:
            self._preview_future = self._preview_pool.submit(self._analyse_next)
        return self._latest

    # -- capture -----------------------------------------------------------------------
    def capture(self, done: Callable[[CapturedPage | KioskError], None]) -> None:
        """Take and judge a still on a worker; ``done`` gets the page or the error."""

        def work() -> None:
            try:
                still = self.camera.capture_still()
                verdict = scanning.check_page(still, self.config.scanning)
                image = verdict.image if verdict.image is not None else still
                page = CapturedPage(verdict, encode_jpeg(image), (image.shape[1], image.shape[0]))
            except KioskError as exc:
                done(exc)
                return
            except Exception as exc:  # noqa: BLE001 - the visitor gets a retry, not a crash
                log.exception("capture failed")
                done(KioskError(f"capture failed: {type(exc).__name__}", code="capture_failed"))
                return
            done(page)

        self._capture_pool.submit(work)

    def complete_in_background(self, page: PageRecord, captured: CapturedPage) -> None:
        """Start full OCR and document typing for a kept page (accepted or sent anyway)."""
        with self._lock:
            self._verdicts[page.sha256] = captured.verdict
            self._completions[page.sha256] = self._ocr_pool.submit(
                scanning.complete_page, captured.verdict, self.config.scanning)

    def adopt_result(self, page: PageRecord, result: PageResult) -> None:
        """Keep a page finished elsewhere (the letter, read already) for its PDF."""
        future: Future[PageResult] = Future()
        future.set_result(result)
        with self._lock:
            self._verdicts[page.sha256] = result.verdict
            self._completions[page.sha256] = future

    def forget(self, page: PageRecord) -> None:
        """Drop what is held for a deleted or retaken page (its image must not linger)."""
        with self._lock:
            self._verdicts.pop(page.sha256, None)
            future = self._completions.pop(page.sha256, None)
        if future is not None:
            future.cancel()

    def forget_all(self) -> None:
        """Drop every page held for the session (called by the session wipe)."""
        with self._lock:
            futures = list(self._completions.values())
            self._completions.clear()
            self._verdicts.clear()
        for future in futures:
            future.cancel()

    def page_result(self, page: PageRecord, timeout: float | None = None) -> PageResult | None:
        """The finished page (waits up to ``timeout``), or None if none was started.

        If OCR failed or timed out the page still gets a result, without a text layer.
        """
        with self._lock:
            future = self._completions.get(page.sha256)
            verdict = self._verdicts.get(page.sha256)
        if future is None or verdict is None:
            return None
        try:
            return future.result(timeout=timeout)
        except Exception:  # noqa: BLE001 - a page without text is still a page
            log.warning("background OCR did not finish; page sent without text layer")
            return PageResult(verdict, None, verdict.language, "other", 0.0, 0.0, 0.0)

    def _result_from_image(self, page: PageRecord, image_jpeg: bytes) -> PageResult:
        """A result for a page that had no background run (checks again, no OCR)."""
        image = decode_jpeg(image_jpeg)
        verdict = scanning.check_page(image, self.config.scanning)
        if verdict.image is None:
            verdict = replace(verdict, image=image)
        return PageResult(verdict, None, verdict.language, "other", 0.0, 0.0, 0.0)

    def suggest_type(self, document: DocumentDraft) -> tuple[str, float] | None:
        """Document type from the pages finished so far (None if none is ready yet)."""
        results = []
        for page in document.pages:
            with self._lock:
                future = self._completions.get(page.sha256)
            if future is not None and future.done() and future.exception() is None:
                results.append(future.result())
        if not results:
            return None
        return scanning.classify_document(results)

    # -- finishing ---------------------------------------------------------------------
    def prepare_documents(
        self,
        documents: list[DocumentDraft],
        load_image: Callable[[PageRecord], bytes],
        customer_number: str,
    ) -> list[PreparedDocument]:
        """Build one PDF per document (waits for background OCR still running).

        The customer number goes into each PDF's transfer note so the job centre can file
        the document; the PDF is sealed to the job centre's key before it is stored.
        """
        prepared = []
        for document in documents:
            results = []
            for page in document.pages:
                result = self.page_result(page, timeout=self.config.scanning.ocr_timeout_s * 2)
                if result is None:
                    result = self._result_from_image(page, load_image(page))
                results.append(result)
            note = {**self.transfer_note(document), "customer_number": customer_number}
            pdf = scanning.build_document_pdf(results, note)
            prepared.append(PreparedDocument(
                document_type=document.document_type, pdf=pdf, pages=len(document.pages),
                page_image_sha256=tuple(p.sha256 for p in document.pages)))
        return prepared

    def transfer_note(self, document: DocumentDraft) -> dict[str, Any]:
        """Facts for the transfer note (BSI TR-03138 spirit): kiosk, time, device, pages."""
        return {
            "kiosk_id": self.config.identity.kiosk_id,
            "location": self.config.identity.location,
            "captured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "device": self.camera.describe(),
            "document_type": document.document_type,
            "document_type_confirmed_by_visitor": document.type_confirmed,
            "pages": [
                {"sha256": p.sha256.hex(), "accepted": p.accepted, "sent_anyway": p.sent_anyway,
                 "reasons": list(p.reasons), "size_px": [p.width, p.height]}
                for p in document.pages
            ],
        }

    def close(self) -> None:
        """Stop the camera and the workers."""
        self.stop()
        self.forget_all()
        for pool in (self._preview_pool, self._capture_pool, self._ocr_pool):
            pool.shutdown(wait=False, cancel_futures=True)
