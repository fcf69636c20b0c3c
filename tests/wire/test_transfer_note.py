"""The transfer-note extension envelope: validation, limits, registry, canonical form."""

from __future__ import annotations

import json
from typing import Any

import pytest

from foundation.errors import InvalidNoteExtension, ProtocolError
from tests.wire.samples import call_data, checklist_data, helper_data, known_extensions
from wire.transfer_note import (
    KNOWN_KINDS,
    MAX_EXTENSION_BYTES,
    MAX_EXTENSIONS,
    MAX_TOTAL_BYTES,
    NoteExtension,
    canonical_extensions,
    extensions_from_note,
    extensions_json,
    parse_extensions,
    supported_versions,
)


def _reason(raw: Any) -> InvalidNoteExtension:
    with pytest.raises(InvalidNoteExtension) as caught:
        parse_extensions(raw)
    assert isinstance(caught.value, ProtocolError)
    assert caught.value.code == "invalid_note_extension"
    return caught.value


def test_three_kinds_are_known_at_version_one() -> None:
    assert set(KNOWN_KINDS) == {"letter_checklist", "helper_audit", "call_request"}
    assert all(supported_versions(kind) == (1,) for kind in KNOWN_KINDS)
    assert supported_versions("acme.survey") == ()
    assert all(e.known for e in known_extensions())


def test_round_trip_through_json_is_verbatim() -> None:
    raw = extensions_json(known_extensions())
    again = parse_extensions(json.loads(json.dumps(raw)))
    assert extensions_json(again) == raw
    assert again == known_extensions()
    assert extensions_from_note({"kiosk_id": "k", "extensions": raw}) == again
    assert extensions_from_note({"kiosk_id": "k"}) == []


def test_canonical_form_sorts_keys_and_keeps_order() -> None:
    first = NoteExtension("call_request", 1, {**call_data()})
    second = NoteExtension("acme.survey", 2, {"b": 1, "a": "ä"})
    text = canonical_extensions([first, second])
    assert text.startswith(b'[{"data":{"call_id"')
    assert text.endswith('{"data":{"a":"ä","b":1},"kind":"acme.survey","version":2}]'.encode())
    expected = [{"kind": "call_request", "version": 1, "data": call_data()},
                {"kind": "acme.survey", "version": 2, "data": {"a": "ä", "b": 1}}]
    assert text == json.dumps(
        expected, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def test_data_is_copied_not_shared() -> None:
    data = checklist_data()
    extension = NoteExtension("letter_checklist", 1, data)
    data["items"].append({"id": "x", "label": "später dazu"})
    assert len(extension.data["items"]) == 2
    extension.as_json()["data"]["items"].clear()
    assert len(extension.data["items"]) == 2


def test_unknown_kind_and_newer_version_are_kept_as_unknown() -> None:
    raw = [
        {"kind": "acme.survey", "version": 1, "data": {"anything": [1, 2.5, None, True]}},
        {"kind": "letter_checklist", "version": 2, "data": {"items": "changed shape"}},
    ]
    parsed = parse_extensions(raw)
    assert [e.known for e in parsed] == [False, False]
    assert extensions_json(parsed) == raw
    both = [{"kind": "helper_audit", "version": 1, "data": helper_data()}, raw[1] | {
        "kind": "helper_audit"}]
    assert [e.known for e in parse_extensions(both)] == [True, False]  # one kind, two versions


@pytest.mark.parametrize(
    ("raw", "reason", "index"),
    [
        ({"kind": "x"}, "not_a_list", None),
        (["x"], "not_an_object", 0),
        ([{"kind": "acme.x", "version": 1}], "bad_keys", 0),
        ([{"kind": "acme.x", "version": 1, "data": {}, "extra": 1}], "bad_keys", 0),
        ([{"kind": "Acme X", "version": 1, "data": {}}], "bad_kind", 0),
        ([{"kind": "a" * 41, "version": 1, "data": {}}], "bad_kind", 0),
        ([{"kind": 7, "version": 1, "data": {}}], "bad_kind", 0),
        ([{"kind": "acme.x", "version": "1", "data": {}}], "bad_version", 0),
        ([{"kind": "acme.x", "version": True, "data": {}}], "bad_version", 0),
        ([{"kind": "acme.x", "version": 0, "data": {}}], "bad_version", 0),
        ([{"kind": "acme.x", "version": 1, "data": []}], "bad_data", 0),
        ([{"kind": "acme.x", "version": 1, "data": {"n": float("nan")}}], "bad_data", 0),
        ([{"kind": "acme.x", "version": 1, "data": {"d": {"d": {"d": {"d": {"d": {"d": {
            "d": {"d": 1}}}}}}}}}], "too_deep", 0),
        ([{"kind": "acme.x", "version": 1, "data": {}},
          {"kind": "acme.y", "version": 1, "data": {}},
          {"kind": "acme.x", "version": 1, "data": {"other": 1}}], "duplicate", 2),
    ],
)
def test_malformed_envelopes_are_refused(raw: Any, reason: str, index: int | None) -> None:
    error = _reason(raw)
    assert (error.reason, error.index) == (reason, index)


def test_known_kind_data_is_checked_against_its_schema() -> None:
    cases = [
        ("letter_checklist", checklist_data(answers=["nope"]), "data"),
        ("letter_checklist", checklist_data(deadline="13.03.2026"), "deadline"),
        ("letter_checklist", checklist_data(items=[]), "items"),
        ("letter_checklist", checklist_data(colour="red"), "colour"),
        ("helper_audit", helper_data(visitor_confirmed="yes"), "visitor_confirmed"),
        ("helper_audit", helper_data(confirmed_at=None), "data"),
        ("helper_audit", helper_data(started_at="2026-03-02T09:00:00"), "started_at"),
        ("call_request", call_data(counsellor_id="Frau Müller"), "counsellor_id"),
        ("call_request", call_data(requested_item=""), "requested_item"),
    ]
    for kind, data, field in cases:
        error = _reason([{"kind": kind, "version": 1, "data": data}])
        assert error.reason == "schema" and error.index == 0, (kind, field)
        assert field in error.fields, (kind, field, error.fields)
        assert "Müller" not in str(error) and "Mietvertrag" not in str(error)


def test_size_limits() -> None:
    big = {"kind": "acme.blob", "version": 1, "data": {"text": "x" * MAX_EXTENSION_BYTES}}
    assert _reason([big]).reason == "too_large"
    just = {"kind": "acme.blob", "version": 1, "data": {"text": "x" * (MAX_EXTENSION_BYTES - 100)}}
    assert len(parse_extensions([just])) == 1
    many = [{"kind": f"acme.k{i}", "version": 1, "data": {}} for i in range(MAX_EXTENSIONS + 1)]
    assert _reason(many).reason == "too_many"
    assert len(parse_extensions(many[:MAX_EXTENSIONS])) == MAX_EXTENSIONS
    share = MAX_EXTENSION_BYTES - 100
    total = [{"kind": f"acme.k{i}", "version": 1, "data": {"t": "x" * share}}
             for i in range(MAX_TOTAL_BYTES // share + 1)]
    assert _reason(total).reason == "too_large"


def test_constructor_validates_too() -> None:
    with pytest.raises(InvalidNoteExtension):
        NoteExtension("call_request", 1, call_data(call_id=""))
    with pytest.raises(InvalidNoteExtension):
        NoteExtension("acme.x", 1, {"when": object()})
