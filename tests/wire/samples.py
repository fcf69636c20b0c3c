"""Valid data for the three known transfer-note extension kinds, shared by the tests."""

from __future__ import annotations

from typing import Any

from wire.transfer_note import NoteExtension


def checklist_data(**override: Any) -> dict[str, Any]:
    """``letter_checklist`` v1 data: two requested items, this document answers the first."""
    data: dict[str, Any] = {
        "letter_date": "2026-02-20",
        "deadline": "2026-03-13",
        "items": [
            {"id": "payslips", "label": "Lohnabrechnungen Januar bis März"},
            {"id": "lease", "label": "Mietvertrag"},
        ],
        "answers": ["payslips"],
    }
    data.update(override)
    return data


def helper_data(**override: Any) -> dict[str, Any]:
    """``helper_audit`` v1 data: a staff member helped with two steps; the visitor confirmed."""
    data: dict[str, Any] = {
        "staff_id": "staff-0042",
        "started_at": "2026-03-02T09:00:00Z",
        "ended_at": "2026-03-02T09:07:30Z",
        "actions": [
            {"at": "2026-03-02T09:01:00Z", "action": "scanned_pages"},
            {"at": "2026-03-02T09:05:00Z", "action": "typed_customer_number",
             "detail": "auf Wunsch"},
        ],
        "visitor_confirmed": True,
        "confirmed_at": "2026-03-02T09:07:00Z",
    }
    data.update(override)
    return data


def call_data(**override: Any) -> dict[str, Any]:
    """``call_request`` v1 data: a counsellor asked for a certificate in a video call."""
    data: dict[str, Any] = {
        "call_id": "call-7f3a",
        "counsellor_id": "counsellor-17",
        "requested_at": "2026-03-02T08:30:00+01:00",
        "requested_item": "Arbeitsunfähigkeitsbescheinigung",
        "note": "bitte bis Freitag",
    }
    data.update(override)
    return data


def known_extensions() -> list[NoteExtension]:
    """One valid extension of each known kind."""
    return [
        NoteExtension("letter_checklist", 1, checklist_data()),
        NoteExtension("helper_audit", 1, helper_data()),
        NoteExtension("call_request", 1, call_data()),
    ]
