"""Letter controller: the letter read on a worker, its number offered (never used silently),
the checklist ticked by documents and by hand, its facts in each document's transfer note,
and what the receipt lists. Real capture checks and Tesseract on a generated letter."""

from __future__ import annotations

import time

import pytest

from kiosk.controllers.capture import CapturedPage
from kiosk.controllers.letter import LetterController, LetterReading
from kiosk.controllers.submit import SubmitController
from kiosk.delivery.models import PreparedDocument, QueuedSubmission
from kiosk.delivery.receipts import build_receipt_layout, default_translate
from kiosk.delivery.service import DeliveryService
from kiosk.demo import demo_letter
from kiosk.session.states import Event, SessionState
from scanning.checklist import MANUAL
from scanning.synthetic_letters import make_letter
from tests.controllers.conftest import HeldWorker, Parts, UiThread, variant


class RecordingDelivery(DeliveryService):
    """The real delivery service, remembering the prepared documents it was given."""

    prepared: list[PreparedDocument]

    def submit(self, customer_number: str, documents: object, poke_agent: bool = True,
               **kwargs: object) -> QueuedSubmission:
        self.prepared = list(documents)  # type: ignore[call-overload]
        return super().submit(customer_number, self.prepared, poke_agent, **kwargs)  # type: ignore[arg-type]


def identified_at_checklist(parts: Parts, letter: LetterController) -> None:
    session = parts.session
    session.dispatch(Event.TOUCH)
    session.choose_language("ar")
    assert session.identify(session.config.site.customer_number_formats[0].example).ok
    session.data.letter = demo_letter(session)  # three items: bank, sick note, vehicle
    letter.choose_upload(session)
    assert session.state is SessionState.CHECKLIST


def add_document(parts: Parts, letter: LetterController, page: CapturedPage, n: int,
                 doc_type: str) -> str:
    session = parts.session
    letter.new_document(session)
    parts.documents.keep_page(session, variant(page, n))
    parts.documents.choose_type(session, doc_type)
    assert parts.documents.document_done(session)
    session.dispatch(Event.SHOW_CHECKLIST)
    document_id: str = session.current_document.document_id  # type: ignore[union-attr]
    return document_id


@pytest.mark.slow
def test_letter_is_read_on_the_worker_and_its_number_only_offered(parts: Parts) -> None:
    truth = make_letter(35, "tuning")
    parts.capture.camera.push(truth.pages[0])  # type: ignore[attr-defined]
    worker, ui = HeldWorker(), UiThread()
    letter = LetterController(parts.config, parts.capture, run=worker, post=ui)
    session = parts.session
    session.dispatch(Event.TOUCH)
    session.choose_language("de")
    session.dispatch(Event.SCAN_LETTER)
    readings: list[LetterReading] = []
    parts.capture.start()  # the letter screen opens the camera for its preview
    assert letter.read(session, readings.append)
    assert not letter.read(session, readings.append)  # one reading at a time
    deadline = time.monotonic() + 120
    while not worker.jobs and not ui.posted and time.monotonic() < deadline:
        time.sleep(0.05)  # the still is taken and judged on the capture worker
    assert worker.run_all() == ["read-letter"]
    assert session.data.letter is None  # nothing reaches the session off the UI thread
    assert ui.drain() == 1
    assert readings == [LetterReading(None, (), truth.truth.customer_number, True)]
    state = letter.letter(session)
    assert state is not None and state.deadline == truth.truth.deadline
    assert [i.document_type for i in state.checklist.items] == list(truth.truth.requested)
    # Shown, not used: the visitor has not confirmed it yet.
    assert session.data.customer_number is None and session.state is SessionState.LETTER
    # Image and text are session data: encrypted scratch, gone with the wipe.
    scratch = session.scratch
    assert scratch is not None
    assert len(scratch.refs("letter_page")) == 1 and len(scratch.refs("letter_text")) == 1
    text_ref = scratch.refs("letter_text")[0]
    number = str(truth.truth.customer_number)
    assert number in scratch.get(text_ref).decode()
    assert number.encode() not in (scratch.directory / f"{text_ref}.bin").read_bytes()
    result = letter.confirm_number(session)
    assert result is not None and result.ok
    assert session.data.customer_number == number
    assert session.state is SessionState.CHECKLIST
    # The letter itself may be handed in as a page: a document of its own, OCR kept.
    assert letter.toggle_hand_in_letter(session)
    letter_doc = session.data.documents[-1]
    assert letter_doc.document_type == "jobcenter_letter"
    assert parts.capture.page_result(letter_doc.pages[0], timeout=0) is not None
    assert not letter.toggle_hand_in_letter(session)
    assert session.data.documents == []
    folder = scratch.directory
    session.wipe()
    assert session.data.letter is None and not list(folder.glob("*.bin"))


def test_documents_tick_items_and_the_visitor_may_correct_them(
        parts: Parts, sample_page: CapturedPage) -> None:
    letter = LetterController(parts.config, parts.capture, run=HeldWorker(), post=UiThread())
    session = parts.session
    identified_at_checklist(parts, letter)
    bank = add_document(parts, letter, sample_page, 1, "bank_statement")
    items = letter.checklist(session).items
    assert [i.ticked_by for i in items] == [bank, None, None]
    session.dispatch(Event.BACK)  # to the task choice; the documents screen retypes it
    session.data.documents[0].set_type("payslip")
    assert [i.ticked_by for i in letter.checklist(session).items] == [None, None, None]
    session.data.documents[0].set_type("bank_statement")
    assert letter.checklist(session).items[0].ticked_by == bank
    # Recognition can be wrong: the visitor unticks, and the document does not tick it again.
    letter.toggle(session, 0)
    assert letter.checklist(session).items[0].ticked_by is None
    letter.toggle(session, 0)
    assert letter.checklist(session).items[0].ticked_by == MANUAL
    letter.toggle(session, 0)
    letter.toggle(session, 2)  # "I have the vehicle papers in another document"
    assert [i.ticked_by for i in letter.checklist(session).items] == [None, None, MANUAL]
    assert [d.document_type for d in letter.other_documents(session)] == ["bank_statement"]
    # A deleted document gives its tick back.
    session.data.letter.declined.clear()
    assert letter.checklist(session).items[0].ticked_by == bank
    session.data.documents.clear()
    assert letter.checklist(session).items[0].ticked_by is None


def test_hand_in_carries_the_confirmed_facts_and_the_receipt_lists_what_is_missing(
        parts: Parts, sample_page: CapturedPage) -> None:
    delivery = RecordingDelivery(parts.config, parts.data)
    letter = LetterController(parts.config, parts.capture, run=HeldWorker(), post=UiThread())
    submit = SubmitController(parts.capture, delivery, run=HeldWorker(), post=UiThread(),
                              letter=letter)
    session = parts.session
    identified_at_checklist(parts, letter)
    bank = add_document(parts, letter, sample_page, 1, "bank_statement")
    add_document(parts, letter, sample_page, 2, "payslip")
    assert letter.finish(session) and session.state is SessionState.SUMMARY
    submission = submit.submit_now(session, poke_agent=False)
    try:
        notes = [[e.as_json() for e in d.note_extensions] for d in delivery.prepared]
        first = notes[0][0]
        assert first["kind"] == "letter_checklist" and first["version"] == 1
        data = first["data"]
        assert data["deadline"] == "2027-02-28" and data["letter_date"] == "2027-02-12"
        assert [i["label"] for i in data["items"]] == [
            "Kontoauszüge der letzten drei Monate", "Arbeitsunfähigkeitsbescheinigung",
            "Fahrzeugschein"]
        assert data["answers"] == ["item-1"]
        assert notes[1][0]["data"]["answers"] == []  # the payslip answers no item
        outcome = letter.outcome(session)
        assert outcome is not None
        assert [line.document_type for line in outcome.handed_in] == ["bank_statement"]
        assert [line.document_type for line in outcome.missing] == ["sick_note",
                                                                   "vehicle_document"]
        assert outcome.unrequested == ("payslip",)
        assert session.state.value == "receipt" and bank
        layout = build_receipt_layout(submission, "ar", default_translate, outcome)
        text = "\n".join(getattr(item, "text", "") for item in layout.items)
        for expected in ("Angefordert und abgegeben", "Angefordert und noch fehlend",
                         "Fahrzeugschein", "Frist: 28.02.2027", "الموعد النهائي: 28.02.2027",
                         "مطلوب وما زال ناقصًا", "Abgegeben, im Schreiben nicht angefordert",
                         "Lohn-/Gehaltsabrechnung"):
            assert expected in text, expected
        plain = build_receipt_layout(submission, "ar", default_translate)
        assert "Fahrzeugschein" not in "\n".join(getattr(i, "text", "") for i in plain.items)
    finally:
        delivery.close()
