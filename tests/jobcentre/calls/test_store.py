"""Calls, appointments and tokens on both databases: one open call per kiosk, accepting once,
codes in their window and once, tokens refused when unknown, expired, used or revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from foundation.errors import ApiError
from jobcentre.calls.model import CallEvent, CallState
from jobcentre.calls.store import CallStore
from jobcentre.repository import open_repository

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _code(exc: pytest.ExceptionInfo[ApiError]) -> tuple[int, str]:
    return exc.value.status, exc.value.code


def test_queue_accept_once_and_handling_times(tmp_path: Path, database: str | None) -> None:
    repo = open_repository(tmp_path, database)
    try:
        store = CallStore(repo)
        CallStore(repo)  # creating the tables twice is harmless
        first = store.create_call("k1", "de", "benefits", "Foyer", NOW)
        second = store.create_call("k2", "uk", "other", "Flur", NOW + timedelta(seconds=1))
        with pytest.raises(ApiError) as twice:
            store.create_call("k1", "de", "benefits", "Foyer", NOW)
        assert _code(twice) == (409, "call_already_open")
        assert twice.value.extra["call_id"] == first.call_id
        assert [c.call_id for c in store.open_calls()] == [first.call_id, second.call_id]
        store.apply(first.call_id, CallEvent.ACCEPT, NOW + timedelta(minutes=1), "clara")
        with pytest.raises(ApiError) as taken:
            store.apply(first.call_id, CallEvent.ACCEPT, NOW, "otto")
        assert _code(taken) == (409, "call_taken")
        with pytest.raises(ApiError) as unknown:
            store.apply("c_nope", CallEvent.ACCEPT, NOW, "otto")
        assert _code(unknown) == (404, "call_unknown")
        ended = store.apply(first.call_id, CallEvent.END, NOW + timedelta(minutes=9))
        assert ended.state is CallState.ENDED
        assert store.get(first.call_id) == ended
        spans, people = store.recent_handling(NOW + timedelta(minutes=10))
        assert spans == [timedelta(minutes=8)] and people == 1
        # The kiosk may open a new call once the old one ended.
        store.create_call("k1", "de", "benefits", "Foyer", NOW + timedelta(minutes=10))
        store.touch_kiosk(second.call_id, NOW + timedelta(minutes=3))
        got = store.get(second.call_id)
        assert got is not None and got.kiosk_seen_at == NOW + timedelta(minutes=3)
    finally:
        repo.close()


def test_invitation_codes_work_once_in_their_window(tmp_path: Path, database: str | None) -> None:
    repo = open_repository(tmp_path, database)
    try:
        store = CallStore(repo)
        starts = NOW + timedelta(hours=1)
        appointment, code = store.book("clara", starts, "job_search", "ar", NOW)
        assert [a.appointment_id for a in store.appointments("clara", NOW)] == [
            appointment.appointment_id]
        assert store.appointments("otto", NOW) == []
        with pytest.raises(ApiError) as early:
            store.join_by_code("k1", code, "Foyer", NOW)
        assert _code(early) == (425, "code_too_early")
        with pytest.raises(ApiError) as unknown:
            store.join_by_code("k1", "AAAA-BBBB-CCCC", "Foyer", starts)
        assert _code(unknown) == (404, "code_unknown")
        with pytest.raises(ApiError) as garbage:
            store.join_by_code("k1", "?", "Foyer", starts)
        assert _code(garbage) == (404, "code_unknown")
        call, booked = store.join_by_code("k1", code.lower().replace("-", " "), "Foyer",
                                          starts - timedelta(minutes=10))
        assert call.appointment_id == booked.appointment_id and call.language == "ar"
        assert call.counsellor_id == "clara"  # reserved for the counsellor who booked it
        with pytest.raises(ApiError) as replayed:
            store.join_by_code("k2", code, "Foyer", starts)
        assert _code(replayed) == (409, "code_used")
        _, late_code = store.book("clara", NOW, "other", "de", NOW)
        with pytest.raises(ApiError) as late:
            store.join_by_code("k2", late_code, "Foyer", NOW + timedelta(hours=2, seconds=1))
        assert _code(late) == (410, "code_expired")
    finally:
        repo.close()


def test_tokens_unknown_expired_used_revoked(tmp_path: Path, database: str | None) -> None:
    repo = open_repository(tmp_path, database)
    try:
        store = CallStore(repo)
        minute = timedelta(minutes=1)
        ticket = store.issue_token("ticket", None, "counsellor", "clara", minute, NOW)
        with pytest.raises(ApiError) as wrong_kind:
            store.redeem(ticket, "guest", NOW)
        assert _code(wrong_kind) == (404, "token_unknown")
        assert store.peek_token(ticket, "ticket", NOW).subject == "clara"
        assert store.redeem(ticket, "ticket", NOW).party == "counsellor"
        with pytest.raises(ApiError) as replayed:
            store.redeem(ticket, "ticket", NOW)
        assert _code(replayed) == (409, "token_used")
        old = store.issue_token("ticket", None, "counsellor", "clara", minute, NOW)
        with pytest.raises(ApiError) as expired:
            store.redeem(old, "ticket", NOW + minute)
        assert _code(expired) == (410, "token_expired")
        with pytest.raises(ApiError) as unknown:
            store.redeem("no-such-token", "ticket", NOW)
        assert _code(unknown) == (404, "token_unknown")
        guest = store.issue_token("guest", "c_1", "guest", "g_1", minute, NOW)
        other = store.issue_token("guest", "c_1", "guest", "g_2", minute, NOW)
        assert store.revoke_guests("c_1", NOW, "g_1") == 1
        with pytest.raises(ApiError) as revoked:
            store.peek_token(guest, "guest", NOW)
        assert _code(revoked) == (403, "token_revoked")
        assert store.redeem(other, "guest", NOW).call_id == "c_1"
        assert store.revoke_guests("c_1", NOW) == 1  # a used link is revoked too (removed guest)
        with pytest.raises(ApiError) as removed:
            store.redeem(other, "guest", NOW)
        assert _code(removed) == (403, "token_revoked")
    finally:
        repo.close()
