"""Controllers without a window: real session, capture pipeline, outbox and simulated
devices; the injected runner and UI post are held by the test, which decides when the
worker runs and when the "UI thread" gets the answer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from config.loader import load_config
from config.model import KioskConfig
from device_drivers.camera import SimulatedCamera
from kiosk.controllers.capture import CaptureController, CapturedPage
from kiosk.controllers.documents import DocumentsController
from kiosk.delivery.service import DeliveryService
from kiosk.session.session import Session
from kiosk.session.states import Event, SessionState
from scanning.samples import sample_photos
from tests.delivery.helpers import enroll_locally

Work = Callable[[], None]


class HeldWorker:
    """The injected background runner: keeps each job until the test runs it."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, Work]] = []

    def __call__(self, name: str, work: Work) -> None:
        self.jobs.append((name, work))

    def run_all(self) -> list[str]:
        names = []
        while self.jobs:
            name, work = self.jobs.pop(0)
            work()
            names.append(name)
        return names


class UiThread:
    """The injected post-to-UI: answers wait here until the "UI thread" drains them."""

    def __init__(self) -> None:
        self.posted: list[Work] = []
        self.lock = threading.Lock()
        self.arrived = threading.Event()

    def __call__(self, callback: Work) -> None:
        with self.lock:
            self.posted.append(callback)
        self.arrived.set()

    def drain(self) -> int:
        with self.lock:
            callbacks, self.posted = self.posted, []
        for callback in callbacks:
            callback()
        return len(callbacks)


@dataclass
class Parts:
    config: KioskConfig
    session: Session
    capture: CaptureController
    documents: DocumentsController
    delivery: DeliveryService
    data: Path


@pytest.fixture(scope="session")
def sample_page(tmp_path_factory: pytest.TempPathFactory) -> CapturedPage:
    """One page photographed and judged by the real capture pipeline."""
    config = load_config(data_dir=tmp_path_factory.mktemp("sample"), environ={})
    camera = SimulatedCamera([sample_photos()[0]], cycle=False)
    controller = CaptureController(config, camera)
    box: list[object] = []
    done = threading.Event()
    controller.start()
    try:
        controller.capture(lambda result: (box.append(result), done.set()))
        assert done.wait(120), "capture did not finish"
    finally:
        controller.close()
    page = box[0]
    assert isinstance(page, CapturedPage), page
    return page


def variant(page: CapturedPage, n: int, *, rejected: bool = False) -> CapturedPage:
    """The same photo as different bytes (another take), optionally judged unusable."""
    verdict = replace(page.verdict, reasons=("blur",)) if rejected else page.verdict
    return replace(page, verdict=verdict, image_jpeg=page.image_jpeg + bytes([n]) * (n + 1))


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[Parts]:
    config = load_config(data_dir=tmp_path, environ={})
    enroll_locally(tmp_path, config.identity.kiosk_id)
    capture = CaptureController(config, SimulatedCamera([], cycle=False))
    delivery = DeliveryService(config, tmp_path)
    session = Session(config, lambda: 1000.0, tmp_path / "session")
    yield Parts(config, session, capture, DocumentsController(capture), delivery, tmp_path)
    session.wipe()
    capture.close()
    delivery.close()


def to_capture(session: Session) -> None:
    """A visitor who identified and chose to upload (an empty first document)."""
    session.dispatch(Event.TOUCH)
    session.choose_language("de")
    assert session.identify(session.config.site.customer_number_formats[0].example).ok
    session.choose_upload()
    assert session.state is SessionState.CAPTURE


def to_summary(parts: Parts, *pages: CapturedPage) -> None:
    """A visitor at the summary with one document of ``pages``."""
    to_capture(parts.session)
    for page in pages:
        parts.documents.keep_page(parts.session, page)
        parts.documents.next_page(parts.session)
    parts.session.dispatch(Event.PAGE_DONE)
    parts.session.dispatch(Event.FINISH)
