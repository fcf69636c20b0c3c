"""Documents controller: kept, retaken and deleted pages (and what the capture controller
still holds for them), BACK from the camera, and the reset for the next visitor."""

from __future__ import annotations

from pathlib import Path

from accessibility.audio import DEFAULT_RATE_STEP
from accessibility.speech import RecordingSpeech
from config.loader import load_config
from kiosk.controllers.capture import CapturedPage
from kiosk.controllers.runner import run_inline
from kiosk.services import build_services
from kiosk.session.documents import PageRecord
from kiosk.session.session import Session
from kiosk.session.states import Event, SessionState
from tests.controllers.conftest import Parts, to_capture, variant

OCR_WAIT_S = 120.0


def held(parts: Parts, page: PageRecord) -> bool:
    """Whether the capture controller still holds the page (image and OCR)."""
    return parts.capture.page_result(page, timeout=OCR_WAIT_S) is not None


def states_seen(session: Session) -> list[SessionState]:
    seen: list[SessionState] = []
    session.subscribe(lambda s, what: seen.append(s.state) if what == "state" else None)
    return seen


def test_a_retaken_page_is_forgotten(parts: Parts, sample_page: CapturedPage) -> None:
    session, documents = parts.session, parts.documents
    to_capture(session)
    first = documents.keep_page(session, variant(sample_page, 1))
    session.dispatch(Event.PAGE_DONE)
    documents.retake(session, 0)
    assert session.state is SessionState.CAPTURE and held(parts, first)  # not retaken yet
    second = documents.keep_page(session, variant(sample_page, 2))
    assert session.current_document is not None and session.current_document.pages == [second]
    assert not held(parts, first) and held(parts, second)


def test_a_rejected_page_tried_again_is_forgotten(parts: Parts, sample_page: CapturedPage) -> None:
    session, documents = parts.session, parts.documents
    to_capture(session)
    blurred = documents.keep_page(session, variant(sample_page, 1, rejected=True))
    assert session.data.retake_index == 0
    good = documents.keep_page(session, variant(sample_page, 2))
    assert not held(parts, blurred) and held(parts, good)
    assert session.data.retake_index is None


def test_twice_rejected_page_sent_anyway(parts: Parts, sample_page: CapturedPage) -> None:
    session, documents = parts.session, parts.documents
    to_capture(session)
    documents.keep_page(session, variant(sample_page, 1, rejected=True))
    kept = documents.keep_page(session, variant(sample_page, 2, rejected=True))
    assert kept.rejections == 2
    documents.send_anyway(session)
    assert documents.document_done(session) and session.state is SessionState.DOCUMENTS
    doc = session.current_document
    assert doc is not None and doc.ready and doc.pages[0].sent_anyway


def test_a_deleted_page_is_forgotten_unless_the_same_image_is_still_kept(
        parts: Parts, sample_page: CapturedPage) -> None:
    session, documents = parts.session, parts.documents
    to_capture(session)
    same = variant(sample_page, 1)
    one = documents.keep_page(session, same)
    documents.next_page(session)
    documents.keep_page(session, same)  # the visitor photographed the same page twice
    documents.next_page(session)
    other = documents.keep_page(session, variant(sample_page, 2))
    session.dispatch(Event.PAGE_DONE)
    documents.delete_page(session, 2)
    assert not held(parts, other)
    documents.delete_page(session, 1)
    assert held(parts, one)  # its twin is still in the document
    documents.delete_page(session, 0)
    assert not held(parts, one)


def test_back_from_an_empty_first_document_is_one_step_to_the_task_choice(
        parts: Parts) -> None:
    session = parts.session
    to_capture(session)
    seen = states_seen(session)
    parts.documents.back_from_capture(session)
    assert seen == [SessionState.CHOOSE_TASK]  # never through the page list
    assert session.data.documents == [] and session.current_document is None


def test_back_from_an_empty_next_document_returns_to_the_previous_one(
        parts: Parts, sample_page: CapturedPage) -> None:
    session, documents = parts.session, parts.documents
    to_capture(session)
    documents.keep_page(session, variant(sample_page, 1))
    session.dispatch(Event.PAGE_DONE)
    documents.new_document(session)
    seen = states_seen(session)
    documents.back_from_capture(session)
    assert seen == [SessionState.DOCUMENTS]
    assert len(session.data.documents) == 1 and session.current_document is not None
    assert len(session.current_document.pages) == 1


def test_back_with_pages_goes_to_the_page_list(parts: Parts, sample_page: CapturedPage) -> None:
    session, documents = parts.session, parts.documents
    to_capture(session)
    documents.keep_page(session, variant(sample_page, 1))
    documents.back_from_capture(session)
    assert session.state is SessionState.DOCUMENTS and len(session.data.documents) == 1


def test_type_and_id_copy_choices(parts: Parts, sample_page: CapturedPage) -> None:
    session, documents = parts.session, parts.documents
    to_capture(session)
    documents.keep_page(session, variant(sample_page, 1))
    documents.choose_type(session, "identity_document")
    doc = documents.suggest_type(session)  # the visitor's choice wins over detection
    assert doc is not None and doc.document_type == "identity_document" and doc.type_confirmed
    assert documents.toggle_keep_copy(session) and doc.keep_identity_copy
    assert not documents.toggle_keep_copy(session)


def test_the_next_visitor_gets_default_speech_and_no_pages(
        tmp_path: Path, sample_page: CapturedPage) -> None:
    config = load_config(data_dir=tmp_path, environ={})
    speech = RecordingSpeech()
    services = build_services(config, speech=speech, run_in_background=run_inline)
    session = Session(config, lambda: 1000.0, tmp_path / "session")
    try:
        to_capture(session)
        page = services.documents.keep_page(session, variant(sample_page, 1))
        speech.set_volume_step(5)
        speech.set_rate_step(0)
        session.dispatch(Event.END)
        services.reset_for_next_visitor()
        assert speech.volume_step == config.accessibility.volume_step
        assert speech.rate_step == DEFAULT_RATE_STEP and speech.calls[-3] == "stop"
        assert services.capture.page_result(page) is None
    finally:
        session.wipe()
        services.close()
