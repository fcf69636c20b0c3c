"""Submit controller: durable hand-in off the UI thread, the ID-copy rule, failures."""

from __future__ import annotations

import queue
import sqlite3
from pathlib import Path

from kiosk.controllers.capture import CapturedPage
from kiosk.controllers.runner import start_thread
from kiosk.controllers.submit import SubmitController, is_left_out
from kiosk.delivery.models import QueuedSubmission
from kiosk.delivery.service import DeliveryService
from kiosk.session.states import Event, SessionState
from tests.controllers.conftest import HeldWorker, Parts, UiThread, to_summary, variant


def ignore(*_args: object) -> None:
    """A callback whose call the test does not look at."""


def stored_documents(data: Path) -> int:
    with sqlite3.connect(data / "outbox" / "outbox.db") as db:
        (count,) = db.execute("SELECT COUNT(*) FROM documents").fetchone()
    db.close()
    return int(count)


def controller(parts: Parts, worker: HeldWorker, ui: UiThread,
               delivery: DeliveryService | None = None) -> SubmitController:
    return SubmitController(parts.capture, delivery or parts.delivery, run=worker, post=ui)


def test_submit_stores_on_the_worker_and_moves_on_only_on_the_ui_thread(
        parts: Parts, sample_page: CapturedPage) -> None:
    worker, ui = HeldWorker(), UiThread()
    submit = controller(parts, worker, ui)
    to_summary(parts, variant(sample_page, 1), variant(sample_page, 2))
    pages = list(parts.session.data.documents[0].pages)
    stored: list[QueuedSubmission] = []
    failed: list[str] = []
    assert submit.start(parts.session, stored.append, failed.append) is None
    assert submit.busy and submit.start(parts.session, stored.append, failed.append) == "busy"
    assert worker.run_all() == ["submit"]
    assert parts.session.state is SessionState.SUMMARY and stored == []  # not yet on the UI
    assert ui.drain() == 1
    assert failed == [] and len(stored) == 1 and not submit.busy
    assert parts.session.state is SessionState.RECEIPT
    assert parts.session.data.submission is stored[0] and parts.session.data.documents == []
    assert stored_documents(parts.data) == 1
    # The outbox holds the pages now: nothing of them is kept for OCR any more.
    assert [parts.capture.page_result(p) for p in pages] == [None, None]


def test_identity_copy_is_sent_only_with_consent(parts: Parts, sample_page: CapturedPage) -> None:
    worker, ui = HeldWorker(), UiThread()
    submit = controller(parts, worker, ui)
    to_summary(parts, variant(sample_page, 1))
    session = parts.session
    session.data.documents[0].set_type("identity_document")
    assert is_left_out(session.data.documents[0])
    assert submit.documents_to_send(session) == []
    assert submit.start(session, ignore, ignore) == "no_documents"
    assert worker.jobs == [] and not submit.busy
    session.data.documents[0].keep_identity_copy = True
    assert not is_left_out(session.data.documents[0])
    assert submit.start(session, ignore, ignore) is None
    worker.run_all()
    ui.drain()
    assert session.state is SessionState.RECEIPT and stored_documents(parts.data) == 1


def test_identity_document_without_consent_is_left_out_of_a_mixed_submission(
        parts: Parts, sample_page: CapturedPage) -> None:
    worker, ui = HeldWorker(), UiThread()
    submit = controller(parts, worker, ui)
    to_summary(parts, variant(sample_page, 1))
    session = parts.session
    session.dispatch(Event.BACK)  # summary → documents
    parts.documents.new_document(session)
    parts.documents.keep_page(session, variant(sample_page, 2))
    parts.documents.choose_type(session, "identity_document")
    session.dispatch(Event.PAGE_DONE)
    session.dispatch(Event.FINISH)
    stored: list[QueuedSubmission] = []
    submit.start(session, stored.append, ignore)
    worker.run_all()
    ui.drain()
    assert "identity_document" not in [d.document_type for d in stored[0].documents]
    assert len(stored[0].documents) == 1 and stored_documents(parts.data) == 1


def test_failed_storage_keeps_the_documents_and_answers_a_code(
        parts: Parts, sample_page: CapturedPage, tmp_path: Path) -> None:
    unenrolled = DeliveryService(parts.config, tmp_path / "not-enrolled")
    worker, ui = HeldWorker(), UiThread()
    submit = controller(parts, worker, ui, unenrolled)
    try:
        to_summary(parts, variant(sample_page, 1))
        failed: list[str] = []
        submit.start(parts.session, ignore, failed.append)
        worker.run_all()
        ui.drain()
    finally:
        unenrolled.close()
    assert failed == ["not_enrolled"] and not submit.busy
    assert parts.session.state is SessionState.SUMMARY
    assert len(parts.session.data.documents[0].pages) == 1


def test_an_answer_for_a_visit_that_ended_is_dropped(
        parts: Parts, sample_page: CapturedPage) -> None:
    worker, ui = HeldWorker(), UiThread()
    submit = controller(parts, worker, ui)
    to_summary(parts, variant(sample_page, 1))
    stored: list[QueuedSubmission] = []
    submit.start(parts.session, stored.append, ignore)
    parts.session.dispatch(Event.END)  # the visitor walked away while it was storing
    worker.run_all()
    ui.drain()
    assert stored == [] and parts.session.state is SessionState.ATTRACT
    assert parts.session.data.submission is None and not submit.busy
    assert stored_documents(parts.data) == 1  # stored durably all the same


def test_with_a_real_thread_the_answer_is_posted(parts: Parts, sample_page: CapturedPage) -> None:
    answers: queue.Queue[object] = queue.Queue()
    submit = SubmitController(parts.capture, parts.delivery, run=start_thread, post=answers.put)
    to_summary(parts, variant(sample_page, 1))
    stored: list[QueuedSubmission] = []
    submit.start(parts.session, stored.append, ignore)
    callback = answers.get(timeout=120)
    assert callable(callback) and parts.session.state is SessionState.SUMMARY
    callback()
    assert parts.session.state is SessionState.RECEIPT and len(stored) == 1
