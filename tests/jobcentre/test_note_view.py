"""The staff view of transfer-note extensions: German rows per known kind, unknown as such."""

from __future__ import annotations

from typing import Any

import pytest

from jobcentre.note_view import view_extension, view_extensions
from tests.wire.samples import call_data, checklist_data, helper_data


def _rows(kind: str, data: dict[str, Any]) -> dict[str, str]:
    view = view_extension({"kind": kind, "version": 1, "data": data})
    assert view.known, view
    return dict(view.rows)


def test_letter_checklist_rows() -> None:
    view = view_extension({"kind": "letter_checklist", "version": 1, "data": checklist_data()})
    assert view.title == "Checkliste aus dem Aufforderungsschreiben"
    rows = dict(view.rows)
    assert rows["Schreiben vom"] == "20.02.2026"
    assert rows["Frist"] == "13.03.2026"
    assert rows["Angefordert 1"] == (
        "Lohnabrechnungen Januar bis März – mit diesem Dokument eingereicht"
    )
    assert rows["Angefordert 2"] == "Mietvertrag"
    assert rows["Dieses Dokument belegt"] == "Lohnabrechnungen Januar bis März"
    bare = _rows("letter_checklist", checklist_data(letter_date=None, deadline=None, answers=[]))
    assert bare["Frist"] == "–" and bare["Dieses Dokument belegt"] == "keine Angabe"


def test_helper_audit_rows_in_german_local_time() -> None:
    rows = _rows("helper_audit", helper_data())
    assert rows["Mitarbeiter/in (Kennung)"] == "staff-0042"
    assert rows["Hilfe begonnen"] == "02.03.2026, 10:00 Uhr"  # CET
    assert rows["Schritt 02.03.2026, 10:01 Uhr"] == "Seiten mit eingescannt"
    assert rows["Schritt 02.03.2026, 10:05 Uhr"] == "Kundennummer mit eingegeben (auf Wunsch)"
    assert rows["Von der Person bestätigt"] == "ja, am 02.03.2026, 10:07 Uhr"
    other = _rows("helper_audit", helper_data(
        visitor_confirmed=False, confirmed_at=None, ended_at=None,
        actions=[{"at": "2026-07-01T08:00:00Z", "action": "new_kind_of_help"}]))
    assert other["Von der Person bestätigt"] == "nein"
    assert other["Hilfe beendet"] == "–"
    assert other["Schritt 01.07.2026, 10:00 Uhr"] == "new_kind_of_help"  # CEST, code as is


def test_call_request_rows() -> None:
    view = view_extension({"kind": "call_request", "version": 1, "data": call_data()})
    assert view.title == "Angefordert im Videogespräch"
    assert view.rows == [
        ("Angefordertes Dokument", "Arbeitsunfähigkeitsbescheinigung"),
        ("Angefordert am", "02.03.2026, 08:30 Uhr"),
        ("Berater/in (Kennung)", "counsellor-17"),
        ("Videogespräch (Kennung)", "call-7f3a"),
        ("Hinweis", "bitte bis Freitag"),
    ]
    assert "Hinweis" not in _rows("call_request", call_data(note=None))


@pytest.mark.parametrize(
    ("extension", "title"),
    [
        ({"kind": "acme.survey", "version": 1, "data": {"b": 1, "a": "ä"}},
         "Unbekannte Erweiterung (acme.survey, Version 1)"),
        ({"kind": "call_request", "version": 2, "data": {"b": 1, "a": "ä"}},
         "Unbekannte Erweiterung (call_request, Version 2)"),
        # stored data that does not fit the schema (any more) is shown, not raised
        ({"kind": "call_request", "version": 1, "data": {"b": 1, "a": "ä"}},
         "Unbekannte Erweiterung (call_request, Version 1)"),
    ],
)
def test_unknown_and_unfitting_are_shown_verbatim(extension: dict[str, Any], title: str) -> None:
    view = view_extension(extension)
    assert not view.known
    assert view.title == title
    assert view.rows[-1] == ("Inhalt", '{"a":"ä","b":1}')


def test_anything_stored_renders_without_raising() -> None:
    odd: list[Any] = [{}, {"kind": 3, "version": True}, "text", {"kind": "x", "data": None}]
    views = view_extensions(odd)
    assert len(views) == 4 and not any(v.known for v in views)
    assert views[1].title == "Unbekannte Erweiterung (3, Version ?)"


def test_submission_checklists_join_the_documents_of_one_receipt() -> None:
    from types import SimpleNamespace

    from jobcentre.note_view import submission_checklists

    items = [{"id": "item-1", "label": "Kontoauszüge"}, {"id": "item-2", "label": "Attest"},
             {"id": "item-3", "label": "Fahrzeugschein"}]

    def doc(doc_id: str, receipt: str, answers: list[str]) -> SimpleNamespace:
        note = {"kind": "letter_checklist", "version": 1,
                "data": {"deadline": "2027-02-28", "items": items, "answers": answers}}
        return SimpleNamespace(document_id=doc_id, receipt_number=receipt,
                               note_extensions=[note])

    plain = SimpleNamespace(document_id="d0", receipt_number="r2", note_extensions=[])
    found = submission_checklists([doc("d1", "r1", ["item-1"]), plain,
                                   doc("d2", "r1", ["item-2"])])
    assert len(found) == 1
    checklist = found[0]
    assert (checklist.receipt_number, checklist.deadline, checklist.letter_date) == (
        "r1", "2027-02-28", None)
    assert checklist.items == (("Kontoauszüge", ("d1",)), ("Attest", ("d2",)),
                               ("Fahrzeugschein", ()))
