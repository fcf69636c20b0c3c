"""The hub's sweeper with an injected clock (no waiting): a silent guest is dropped and the
kiosk told, a counsellor who reloads in time gets the call back, one who stays away ends it,
an unanswered call ends after ``max_wait_s``; ending revokes the guest links."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from foundation.errors import ApiError
from jobcentre.calls.browser import handle_op, open_party
from jobcentre.calls.hub import CallHub, Party
from jobcentre.calls.ice import CallLimits, VideoSettings
from jobcentre.calls.model import CallState
from jobcentre.calls.store import CallStore
from jobcentre.live import LiveHub
from jobcentre.live_store import LiveStore
from jobcentre.repository import open_repository

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


class FakeSocket:
    """Records what the hub sends; ``closed`` once closed."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed = False

    async def send_json(self, data: Any, mode: str = "text") -> None:
        self.sent.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = True

    def ops(self) -> list[str]:
        return [m["op"] for m in self.sent]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _types(live: LiveStore, kiosk: str) -> list[str]:
    return [m.type for m in live.after(kiosk, 0, 100)]


def _run(tmp_path: Path, scenario: Any) -> None:
    repo = open_repository(tmp_path)
    clock = Clock()
    limits = CallLimits(kiosk_timeout_s=20, browser_timeout_s=30, max_wait_s=600)
    live_store = LiveStore(repo)
    hub = CallHub(CallStore(repo), LiveHub(live_store), VideoSettings(limits=limits), clock)
    try:
        asyncio.run(scenario(hub, clock, live_store))
    finally:
        repo.close()


async def _active_call(hub: CallHub, clock: Clock) -> tuple[str, Party]:
    call = hub.store.create_call("k1", "de", "benefits", "Foyer", clock())
    counsellor = Party("counsellor", "clara", "clara", FakeSocket(), clock())
    await open_party(hub, counsellor)
    await handle_op(hub, counsellor, {"op": "accept", "call_id": call.call_id})
    return call.call_id, counsellor


def test_silent_guest_dropped_and_counsellor_reload(tmp_path: Path) -> None:
    async def scenario(hub: CallHub, clock: Clock, live: LiveStore) -> None:
        call_id, counsellor = await _active_call(hub, clock)
        guest_socket = FakeSocket()
        guest = Party("guest", "g_1", "Olena", guest_socket, clock(), call_id)
        await open_party(hub, guest)
        assert "joined" in guest_socket.ops()
        for _ in range(4):  # kiosk beats, counsellor pings, the guest stays silent
            clock.advance(10)
            hub.store.touch_kiosk(call_id, clock())
            counsellor.seen = clock()
            await hub.sweep()
        assert guest_socket.closed and "guest" not in hub.rooms[call_id].parties
        assert _types(live, "k1")[-1] == "call.party"
        assert live.after("k1", 0, 100)[-1].body["state"] == "left"
        # The counsellor's browser goes (reload) and comes back within the timeout.
        await hub.leave(counsellor)
        clock.advance(20)
        hub.store.touch_kiosk(call_id, clock())
        await hub.sweep()
        again = Party("counsellor", "clara", "clara", FakeSocket(), clock())
        await open_party(hub, again)
        assert again.call_id == call_id and "joined" in again.socket.ops()  # type: ignore[attr-defined]
        # Now it goes for good: after browser_timeout_s the call ends for the kiosk.
        await hub.leave(again)
        clock.advance(31)
        hub.store.touch_kiosk(call_id, clock())
        await hub.sweep()
        ended = hub.store.get(call_id)
        assert ended is not None and ended.ended_reason == "counsellor_gone"
        assert _types(live, "k1")[-1] == "call.ended" and call_id not in hub.rooms

    _run(tmp_path, scenario)


def test_unanswered_and_guest_links_die_with_the_call(tmp_path: Path) -> None:
    async def scenario(hub: CallHub, clock: Clock, live: LiveStore) -> None:
        waiting = hub.store.create_call("k2", "ar", "other", "Flur", clock())
        for _ in range(61):
            clock.advance(10)
            hub.store.touch_kiosk(waiting.call_id, clock())
            await hub.sweep()
        got = hub.store.get(waiting.call_id)
        assert got is not None and got.ended_reason == "not_answered"
        call_id, counsellor = await _active_call(hub, clock)
        call = hub.store.get(call_id)
        assert call is not None
        line = {"type": "chat", "text": "x", "final": False}
        for _ in range(10):  # real-time text: at most chat_per_s lines a second per party
            await hub.kiosk_signal(call, line)
        with pytest.raises(ApiError) as flood:
            await hub.kiosk_signal(call, line)
        assert (flood.value.status, flood.value.code) == (429, "too_many_messages")
        clock.advance(1)
        await hub.kiosk_signal(call, line)
        await handle_op(hub, counsellor, {"op": "invite"})
        link = counsellor.socket.sent[-1]["path"].rsplit("/", 1)[-1]  # type: ignore[attr-defined]
        with pytest.raises(ApiError) as twice:
            await handle_op(hub, counsellor, {"op": "accept", "call_id": call_id})
        assert twice.value.code == "invalid_request"  # in a call, accepting another is no op
        await handle_op(hub, counsellor, {"op": "end"})
        ended = hub.store.get(call_id)
        assert ended is not None and ended.state is CallState.ENDED
        with pytest.raises(ApiError) as dead:
            hub.store.peek_token(link, "guest", clock())
        assert dead.value.code == "token_revoked"
        assert counsellor in hub.lobby and counsellor.socket.sent[-2]["op"] == "ended"  # type: ignore[attr-defined]

    _run(tmp_path, scenario)
