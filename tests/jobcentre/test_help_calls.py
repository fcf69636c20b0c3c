"""The help-call table on SQLite and PostgreSQL: one open call per kiosk, acknowledge once,
cancel only one's own open call, escalation by age, and the request body's checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from foundation.errors import ApiError
from jobcentre.help_calls import ACKED, CANCELLED, OPEN, HelpCallStore, parse_call
from jobcentre.repository import open_repository


def test_open_ack_cancel_and_escalation(tmp_path: Path, database: str | None) -> None:
    repo = open_repository(tmp_path, database)
    try:
        store = HelpCallStore(repo)
        HelpCallStore(repo)  # creating the table twice is harmless (several processes)
        t0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
        first = store.raise_call("k1", "Foyer 1", "ar", "capture", now=t0)
        again = store.raise_call("k1", "Foyer 1", "ar", "summary", now=t0)
        assert again.call_id == first.call_id and again.step == "summary"
        other = store.raise_call("k2", "Foyer 2", "uk", "identify", now=t0 + timedelta(1))
        assert [c.call_id for c in store.open_calls()] == [first.call_id, other.call_id]
        assert not first.escalated(t0 + timedelta(seconds=119), 120)
        assert first.escalated(t0 + timedelta(seconds=120), 120)
        acked = store.acknowledge(first.call_id, "dora", "Dora")
        assert acked is not None and (acked.state, acked.acked_name) == (ACKED, "Dora")
        assert store.acknowledge(first.call_id, "anna", "Anna") is None  # answered once
        assert not store.cancel("k1", other.call_id)  # not k1's call
        assert store.cancel("k2", other.call_id)
        assert store.get(other.call_id).state == CANCELLED  # type: ignore[union-attr]
        assert store.open_calls() == []
        assert store.raise_call("k1", "Foyer 1", "de", "", now=t0).state == OPEN
        assert store.purge(timedelta(days=7), now=datetime.now(UTC)) == 0  # closed just now
        assert store.purge(timedelta(0), now=datetime.now(UTC) + timedelta(seconds=1)) == 2
        assert len(store.open_calls()) == 1  # open calls are never purged
    finally:
        repo.close()


@pytest.mark.parametrize("body", [
    [], {"language": "de", "step": "x", "name": "Max"}, {"language": "Deutsch"},
    {"language": "de", "step": "../etc"}, {"language": 1}, {"step": "A" * 50},
])
def test_call_bodies_carry_only_language_and_step(body: object) -> None:
    with pytest.raises(ApiError) as refused:
        parse_call(body)
    assert refused.value.status == 400


def test_a_call_body_may_leave_out_both_fields() -> None:
    assert parse_call({}) == ("de", "unknown")
    assert parse_call({"language": "de-simple", "step": "choose_task"}) == (
        "de-simple", "choose_task")
