"""Transfer-note extensions at intake over real HTTP, on SQLite and PostgreSQL.

Known kinds are stored and listed, unknown kinds and newer versions are kept verbatim as
unknown, and malformed or oversized ones are refused at finish with 422
``invalid_note_extension`` (the partial upload discarded, nothing stored).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pikepdf
import pytest

from jobcentre.repository import open_repository
from scanning.pdf import NOTE_NS, write_note_extensions
from tests.jobcentre.helpers import (
    Document,
    Kiosk,
    ServerProcess,
    cli_args,
    make_pdf,
    run_cli,
    server_at_rest,
    upload,
)
from tests.wire.samples import call_data, checklist_data, helper_data
from wire.transfer_note import MAX_EXTENSION_BYTES

KNOWN = [
    {"kind": "letter_checklist", "version": 1, "data": checklist_data()},
    {"kind": "helper_audit", "version": 1, "data": helper_data()},
    {"kind": "call_request", "version": 1, "data": call_data()},
]
UNKNOWN_KIND = {"kind": "acme.survey", "version": 1, "data": {"stars": 4, "nested": {"a": [1]}}}
NEWER = {"kind": "helper_audit", "version": 2, "data": {"staff": {"id": "s1"}, "shape": "new"}}


def _db_args(server: ServerProcess) -> list[str]:
    return cli_args(server)


def _listed(server: ServerProcess) -> list[dict[str, Any]]:
    answer = run_cli("list", *_db_args(server), "--json")
    assert answer.returncode == 0, answer.stderr
    rows: list[dict[str, Any]] = json.loads(answer.stdout)
    return rows


def _document(kiosk: Kiosk, extensions: Any) -> Document:
    """A document whose transfer note carries ``extensions`` as given (even if malformed)."""
    if isinstance(extensions, list):
        return Document(kiosk, write_note_extensions(make_pdf(), extensions), 1)
    pdf = pikepdf.open(io.BytesIO(make_pdf()))
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta[f"{{{NOTE_NS}}}TransferNote"] = json.dumps({"extensions": extensions})
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return Document(kiosk, out.getvalue(), 1)


def test_known_unknown_and_newer_are_stored_and_listed(
    server: ServerProcess, kiosk: Kiosk
) -> None:
    sent = [*KNOWN, UNKNOWN_KIND, NEWER]
    doc = _document(kiosk, sent)
    answer = upload(kiosk, doc)
    assert answer.status_code == 200, answer.text
    repo = open_repository(server.data_dir, server.database_url, server_at_rest(server))
    try:
        stored = repo.get_document(doc.document_id)
    finally:
        repo.close()
    assert stored is not None and stored.note_extensions == sent
    [row] = _listed(server)
    listed = row["note_extensions"]
    assert [{k: e[k] for k in ("kind", "version", "data")} for e in listed] == sent
    assert [e["known"] for e in listed] == [True, True, True, False, False]
    assert listed[0]["title"] == "Checkliste aus dem Aufforderungsschreiben"
    assert listed[3]["title"] == "Unbekannte Erweiterung (acme.survey, Version 1)"
    assert listed[4]["title"] == "Unbekannte Erweiterung (helper_audit, Version 2)"
    plain = run_cli("list", *_db_args(server))
    assert "[letter_checklist v1, helper_audit v1, call_request v1, acme.survey v1" in plain.stdout


def test_document_without_extensions_has_none(server: ServerProcess, kiosk: Kiosk) -> None:
    assert upload(kiosk, Document(kiosk, make_pdf(), 1)).status_code == 200
    assert upload(kiosk, _document(kiosk, [])).status_code == 200
    assert [row["note_extensions"] for row in _listed(server)] == [[], []]


@pytest.mark.parametrize(
    ("extensions", "reason"),
    [
        ({"kind": "acme.x"}, "not_a_list"),
        ([{"kind": "Not Namespaced!", "version": 1, "data": {}}], "bad_kind"),
        ([{"kind": "acme.x", "version": "2", "data": {}}], "bad_version"),
        ([{"kind": "acme.x", "version": 1, "data": {}, "more": True}], "bad_keys"),
        ([{"kind": "call_request", "version": 1, "data": call_data(requested_at="soon")}],
         "schema"),
        ([UNKNOWN_KIND, UNKNOWN_KIND], "duplicate"),
        ([{"kind": "acme.blob", "version": 1, "data": {"t": "x" * MAX_EXTENSION_BYTES}}],
         "too_large"),
    ],
)
def test_malformed_is_refused_with_422(
    server: ServerProcess, kiosk: Kiosk, extensions: Any, reason: str
) -> None:
    doc = _document(kiosk, extensions)
    answer = upload(kiosk, doc)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "invalid_note_extension"
    assert body["reason"] == reason
    if reason == "schema":
        assert body["fields"] == ["requested_at"] and body["index"] == 0
    assert kiosk.call("GET", doc.path).json()["offset"] == 0  # partial upload discarded
    assert _listed(server) == []
    assert not [p for p in (server.data_dir / "documents").rglob("*") if p.is_file()]
