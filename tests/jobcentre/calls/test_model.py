"""The call state machine, its clock-driven endings, validation, codes and the wait estimate."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from foundation.errors import ApiError
from jobcentre.calls.ice import VideoSettings, ice_servers, turn_credential
from jobcentre.calls.model import (
    Call,
    CallEvent,
    CallState,
    due_event,
    estimate_wait,
    new_invitation_code,
    normalize_code,
    step,
    validate_walk_in,
)

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
KIOSK_TIMEOUT = timedelta(seconds=20)
MAX_WAIT = timedelta(hours=1)


def _call(state: CallState = CallState.WAITING, **kw: object) -> Call:
    call = Call("c_1", "Foyer-1", "de", "benefits", "Foyer", CallState.WAITING, NOW, NOW)
    if state is not CallState.WAITING:
        call = step(call, CallEvent.ACCEPT, NOW, "clara")
    if state is CallState.ENDED:
        call = step(call, CallEvent.END, NOW)
    return call


def test_accept_then_end_and_nothing_after_the_end() -> None:
    active = step(_call(), CallEvent.ACCEPT, NOW, "clara")
    assert active.state is CallState.ACTIVE and active.counsellor_id == "clara"
    assert active.accepted_at == NOW
    with pytest.raises(ApiError) as taken:
        step(active, CallEvent.ACCEPT, NOW, "other")
    assert taken.value.code == "call_taken"
    ended = step(active, CallEvent.END, NOW + timedelta(minutes=5))
    assert ended.state is CallState.ENDED and ended.ended_reason == "ended_by_counsellor"
    for event in CallEvent:
        with pytest.raises(ApiError) as after:
            step(ended, event, NOW)
        assert after.value.code == "call_ended"
        assert after.value.extra["reason"] == ended.ended_reason


def test_a_waiting_call_cannot_be_ended_by_a_counsellor_or_lose_one() -> None:
    for event in (CallEvent.END, CallEvent.COUNSELLOR_GONE):
        with pytest.raises(ApiError) as refused:
            step(_call(), event, NOW)
        assert refused.value.code == "call_not_active"
    assert step(_call(), CallEvent.HANGUP, NOW).ended_reason == "hangup"


def test_clock_ends_silent_kiosks_and_unanswered_calls() -> None:
    waiting = _call()
    assert due_event(waiting, NOW + timedelta(seconds=19), KIOSK_TIMEOUT, MAX_WAIT) is None
    assert due_event(waiting, NOW + timedelta(seconds=21), KIOSK_TIMEOUT,
                     MAX_WAIT) is CallEvent.KIOSK_GONE
    active = _call(CallState.ACTIVE)
    assert due_event(active, NOW + timedelta(seconds=21), KIOSK_TIMEOUT,
                     MAX_WAIT) is CallEvent.KIOSK_GONE
    # A kiosk that keeps beating but nobody answers for an hour: not_answered.
    alive = replace(waiting, kiosk_seen_at=NOW + timedelta(hours=1, seconds=5))
    later = NOW + timedelta(hours=1, seconds=10)
    assert due_event(alive, later, KIOSK_TIMEOUT, MAX_WAIT) is CallEvent.NOT_ANSWERED
    assert due_event(replace(alive, state=CallState.ACTIVE), later, KIOSK_TIMEOUT,
                     MAX_WAIT) is None
    assert due_event(_call(CallState.ENDED), later, KIOSK_TIMEOUT, MAX_WAIT) is None


@pytest.mark.parametrize("payload", [
    None, [], {"language": "de"}, {"language": "German", "topic": "benefits"},
    {"language": "de", "topic": "holiday"}, {"language": "de", "topic": "other", "x": 1},
    {"language": "de", "topic": "other", "location": "x" * 81},
])
def test_walk_in_announcements_are_checked(payload: object) -> None:
    with pytest.raises(ApiError) as bad:
        validate_walk_in(payload)
    assert bad.value.status == 400


def test_walk_in_accepts_a_plain_announcement() -> None:
    assert validate_walk_in({"language": "uk", "topic": "documents"}) == ("uk", "documents", "")
    assert validate_walk_in({"language": "de-DE", "topic": "other", "location": " Foyer "}) == (
        "de-DE", "other", "Foyer")


def test_invitation_codes_forgive_typing() -> None:
    code = new_invitation_code()
    assert len(code) == 14 and code.count("-") == 2
    assert normalize_code(code.lower().replace("-", " ")) == code.replace("-", "")
    assert normalize_code("ABCD-EFGH-I1O0") == "ABCDEFGHIIOO"
    assert normalize_code("too short") == "" and normalize_code("ABCD-EFGH-IJK9") == ""


def test_wait_estimate_is_honest() -> None:
    few = estimate_wait(3, [timedelta(minutes=4)], 1)
    assert few.basis == "default" and few.seconds == int(2.5 * 600)
    recent = [timedelta(minutes=m) for m in (4, 6, 8, 200)]  # 200 min clamps to 60
    first = estimate_wait(1, recent, 2)
    assert first.basis == "recent" and first.seconds == int(0.5 * 7 * 60 / 2)
    assert estimate_wait(4, recent, 1).seconds == int(3.5 * 7 * 60)
    # No counsellor seen lately still gives a number (as if one), never a division by zero.
    assert estimate_wait(2, recent, 0).seconds == int(1.5 * 7 * 60)


def test_turn_credentials_follow_the_coturn_rest_scheme() -> None:
    user, password = turn_credential("s3cret", "guest", 1_800_000_000)
    assert user == "1800000000:guest" and password == "ATvqhZDkTCZFcPCUC8tp8M8PrBM="
    settings = VideoSettings(stun_urls=("stun:a:3478",), turn_urls=("turn:a:3478",),
                             turn_secret="s3cret", turn_ttl_s=600)
    stun, turn = ice_servers(settings, "guest", NOW)
    assert stun == {"urls": ["stun:a:3478"]}
    assert turn["username"] == f"{int(NOW.timestamp()) + 600}:guest"
    assert ice_servers(VideoSettings(turn_urls=("turn:a",)), "guest", NOW) == []  # no secret
