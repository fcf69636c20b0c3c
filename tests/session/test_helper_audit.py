"""The visit's helper audit trail and its ``helper_audit`` v1 transfer-note extension."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kiosk.session import helper_audit as audit
from wire.note_kinds import MAX_ACTIONS, MAX_LABEL, HelperAuditV1
from wire.transfer_note import MAX_EXTENSION_BYTES

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_nobody_helped_means_no_extension() -> None:
    assert audit.HelperAudit().extension() is None


def test_two_helps_in_one_visit_make_one_trail() -> None:
    trail = audit.HelperAudit()
    trail.begin("aschmidt", "Anna", T0)
    trail.record(T0 + timedelta(seconds=5), audit.EXPLAINED, "identify")
    trail.end(T0 + timedelta(seconds=9), audit.HANDED_BACK, "aschmidt")
    trail.confirm(T0 + timedelta(seconds=12))
    trail.begin("bkoch", "Ben", T0 + timedelta(minutes=1))
    assert not trail.awaiting_confirmation and trail.confirmed_at is None  # a new help
    trail.end(T0 + timedelta(minutes=2), audit.CARD_PULLED, "bkoch")
    extension = trail.extension()
    assert extension is not None and extension.known
    data = HelperAuditV1.model_validate(extension.data)
    assert data.staff_id == "aschmidt"  # the first helper; the others are in the actions
    assert data.started_at == "2026-03-02T09:00:00Z" and data.ended_at == "2026-03-02T09:02:00Z"
    assert [(a.action, a.detail) for a in data.actions] == [
        ("helper_joined", "aschmidt"), ("explained_screen", "identify"),
        ("handed_back", "aschmidt"), ("helper_joined", "bkoch"), ("card_pulled", "bkoch")]
    assert not data.visitor_confirmed  # the last help is not confirmed yet
    trail.confirm(T0 + timedelta(minutes=3))
    confirmed = trail.extension()
    assert confirmed is not None and confirmed.data["visitor_confirmed"] is True


def test_long_trails_and_details_fit_the_note() -> None:
    trail = audit.HelperAudit()
    trail.begin("aschmidt", "Anna", T0)
    for n in range(MAX_ACTIONS + 20):
        trail.record(T0 + timedelta(seconds=n), audit.SENT_ANYWAY, "x" * (MAX_LABEL + 50))
    trail.end(T0 + timedelta(hours=1), audit.HANDED_BACK, "aschmidt")
    extension = trail.extension()
    assert extension is not None
    actions = extension.data["actions"]
    assert 2 < len(actions) <= MAX_ACTIONS and actions[-1]["action"] == "handed_back"
    assert actions[0]["action"] == "helper_joined" and len(actions[1]["detail"]) == MAX_LABEL
    assert len(extension.canonical()) <= MAX_EXTENSION_BYTES
