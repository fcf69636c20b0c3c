"""The signalling hub: browsers' WebSockets, the kiosk's live channel, and the sweeper.

A ``Room`` per active call holds the browser parties connected to this process (counsellor,
at most one guest); the kiosk is reached through ``LiveHub.post`` (``call.*`` messages).
Counsellors without a call wait in the lobby and get the queue pushed on every change.
WebSocket ops (JSON ``{"op": ...}``), browser → hub: ``ping``, ``accept`` {call_id},
``signal`` {to, kind: offer|answer|ice, sdp | candidate, sdp_mid, sdp_mline_index},
``chat`` {text, final}, ``screen`` {on}, and for the counsellor ``invite``, ``remove_guest``,
``request_document`` {item, note}, ``hand_in`` {request_id}, ``end``; hub → browser:
``hello``, ``queue``, ``joined``, ``party``, ``signal``, ``chat``, ``screen``, ``invited``,
``document``, ``hand_in_sent``, ``ended``,
``removed``, ``error`` {code}.

The sweeper ends calls whose kiosk fell silent (``kiosk_gone``), that waited too long
(``not_answered``) or whose counsellor has been away longer than the browser timeout
(``counsellor_gone``), and drops silent browsers. Rooms live in one process: run video calls
on one intake process (or route ``/staff/calls/ws``, ``/guest/`` and the kiosk's call
requests to the same one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError
from jobcentre.calls.ice import VideoSettings, ice_servers
from jobcentre.calls.model import (
    Call,
    CallEvent,
    CallState,
    WaitEstimate,
    due_event,
    estimate_wait,
    new_id,
)
from jobcentre.calls.store import CallStore
from jobcentre.live import LiveHub

log = logging.getLogger(__name__)


class Socket(Protocol):
    """What the hub needs of a WebSocket."""

    async def send_json(self, data: Any, mode: str = "text") -> None: ...  # noqa: D102
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...  # noqa: D102


@dataclass(eq=False)
class Party:
    """One browser connected to this process."""

    role: str  # "counsellor" or "guest"
    subject: str  # counsellor account, or guest id
    name: str
    socket: Socket
    seen: datetime
    call_id: str | None = None
    sent: list[datetime] = field(default_factory=list)
    account_role: str = ""  # the counsellor's staff role (for the audit log)
    address: str = "-"


@dataclass
class Room:
    """The browser parties of one active call in this process."""

    call: Call
    parties: dict[str, Party] = field(default_factory=dict)
    counsellor_away_since: datetime | None = None
    chat_seq: int = 0
    kiosk_sent: list[datetime] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


class CallHub:
    """Rooms, lobby and the sweeper of this process."""

    def __init__(self, store: CallStore, live: LiveHub, settings: VideoSettings,
                 clock: Callable[[], datetime] = _now) -> None:
        self.store = store
        self.live = live
        self.settings = settings
        self.limits = settings.limits
        self.clock = clock
        self.rooms: dict[str, Room] = {}
        self.lobby: set[Party] = set()
        self.guest_names: dict[str, str] = {}
        self._positions: dict[str, int] = {}
        self._sweeper: asyncio.Task[None] | None = None

    # --- kiosk side ----------------------------------------------------------------------
    async def kiosk_call(self, kiosk_id: str, call_id: str) -> Call:
        """The kiosk's own open-or-ended call (404 for anyone else's), noting its heartbeat."""
        call = await run_in_threadpool(self.store.get, call_id)
        if call is None or call.kiosk_id != kiosk_id:
            raise ApiError(404, "call_unknown")
        if call.state is not CallState.ENDED:
            await run_in_threadpool(self.store.touch_kiosk, call_id, self.clock())
        return call

    async def status(self, call: Call) -> dict[str, Any]:
        """What the kiosk sees of its call (position and estimate while waiting)."""
        answer: dict[str, Any] = {"call_id": call.call_id, "state": call.state.value,
                                  "position": None, "estimated_wait_s": None,
                                  "estimate_basis": None, "ended_reason": call.ended_reason,
                                  "heartbeat_s": self.limits.heartbeat_s}
        room = self.rooms.get(call.call_id)
        answer["parties"] = ["kiosk", *(room.parties if room else [])]
        if call.state is CallState.WAITING:
            position, estimate = await self._estimate(call)
            answer.update(position=position, estimated_wait_s=estimate.seconds,
                          estimate_basis=estimate.basis)
        return answer

    async def _estimate(self, call: Call) -> tuple[int, WaitEstimate]:
        now = self.clock()
        if call.counsellor_id is not None:  # a booked appointment: its counsellor is told
            return 1, WaitEstimate(0, "appointment")
        waiting = [c for c in await run_in_threadpool(self.store.open_calls)
                   if c.state is CallState.WAITING and c.counsellor_id is None]
        ids = [c.call_id for c in waiting]
        position = ids.index(call.call_id) + 1 if call.call_id in ids else 1
        recent, people = await run_in_threadpool(self.store.recent_handling, now)
        return position, estimate_wait(position, recent, people)

    def kiosk_ice(self, call: Call) -> list[dict[str, Any]]:
        """ICE servers for the kiosk's side of a call."""
        return ice_servers(self.settings, f"kiosk-{call.call_id}", self.clock())

    async def announce(self, call: Call) -> None:
        """A new call is queued: tell the lobby."""
        await self.push_queue()

    async def kiosk_signal(self, call: Call, payload: Any) -> None:
        """Forward an answer, candidate or chat line from the kiosk."""
        room = self._room(call)
        if not isinstance(payload, dict):
            raise ApiError(400, "invalid_request", detail="JSON object expected")
        kind = payload.get("type")
        if kind == "chat":
            text, final = parse_chat(payload)
            self.rate(room, "kiosk")
            await self.chat(room, "kiosk", "", text, final)
            return
        target = room.parties.get(str(payload.get("to")))
        kinds = ("answer", "ice", "reoffer")  # reoffer: "send me a fresh offer"
        if kind not in kinds or target is None:
            raise ApiError(409 if kind in kinds else 400,
                           "party_absent" if kind in kinds else "invalid_request")
        message = {"op": "signal", "from": "kiosk", "kind": kind}
        for key in ("sdp", "candidate", "sdp_mid", "sdp_mline_index"):
            if key in payload:
                message[key] = payload[key]
        await send(target, message)

    async def kiosk_document(self, call: Call, payload: Any) -> None:
        """The kiosk reports a requested document as handed in."""
        room = self._room(call)
        if (not isinstance(payload, dict) or not isinstance(payload.get("request_id"), str)
                or not isinstance(payload.get("document_id"), str)):
            raise ApiError(400, "invalid_request", detail="expected {request_id, document_id}")
        counsellor = room.parties.get("counsellor")
        if counsellor is not None:
            await send(counsellor, {"op": "document", "request_id": payload["request_id"][:80],
                                     "document_id": payload["document_id"][:80]})

    def _room(self, call: Call) -> Room:
        if call.state is CallState.ENDED:
            raise ApiError(409, "call_ended", reason=call.ended_reason)
        room = self.rooms.get(call.call_id)
        if room is None:
            raise ApiError(409, "call_not_active")
        return room

    def rate(self, room: Room, who: str) -> None:
        now = self.clock()
        party = room.parties.get(who)
        stamps = party.sent if party else room.kiosk_sent
        stamps[:] = [s for s in stamps if now - s < timedelta(seconds=1)]
        if len(stamps) >= self.limits.chat_per_s:
            raise ApiError(429, "too_many_messages")
        stamps.append(now)

    # --- ending --------------------------------------------------------------------------
    async def end(self, call_id: str, event: CallEvent) -> Call | None:
        """End a call for everyone (idempotent: None if it had already ended)."""
        try:
            call = await run_in_threadpool(self.store.apply, call_id, event, self.clock())
        except ApiError as exc:
            if exc.code not in ("call_ended", "call_taken", "call_unknown"):
                raise
            call = None
        room = self.rooms.pop(call_id, None)
        if call is None and room is None:
            return None
        reason = event.value if call is None else call.ended_reason
        await run_in_threadpool(self.store.revoke_guests, call_id, self.clock())
        if call is not None:
            await self.live.post(call.kiosk_id, "call.ended", {"call_id": call_id,
                                                               "reason": reason})
            log.info("call ended (%s)", reason)
        for party in list(room.parties.values()) if room else []:
            party.call_id = None
            await send(party, {"op": "ended", "reason": reason})
            if party.role == "counsellor":
                self.lobby.add(party)
            else:
                await close_party(party)
        await self.push_queue()
        return call

    # --- queue ---------------------------------------------------------------------------
    async def queue_for(self, counsellor: str) -> list[dict[str, Any]]:
        """The waiting calls a counsellor may take (walk-ins, and their own appointments)."""
        calls = await run_in_threadpool(self.store.open_calls)
        entries = []
        for c in calls:
            if c.state is not CallState.WAITING or c.counsellor_id not in (None, counsellor):
                continue
            entries.append({"call_id": c.call_id, "language": c.language, "topic": c.topic,
                            "location": c.location, "since": c.created_at.isoformat(),
                            "appointment": c.appointment_id is not None})
        return entries

    async def push_queue(self) -> None:
        """Send the queue to every counsellor in the lobby, and positions to waiting kiosks."""
        for party in list(self.lobby):
            await send(party, {"op": "queue", "calls": await self.queue_for(party.subject)})
        calls = await run_in_threadpool(self.store.open_calls)
        walk_ins = [c for c in calls if c.state is CallState.WAITING and c.counsellor_id is None]
        for position, call in enumerate(walk_ins, start=1):
            if self._positions.get(call.call_id) not in (None, position):
                _, estimate = await self._estimate(call)
                await self.live.post(call.kiosk_id, "call.queue", {
                    "call_id": call.call_id, "position": position,
                    "estimated_wait_s": estimate.seconds})
            self._positions[call.call_id] = position
        open_ids = {c.call_id for c in walk_ins}
        for stale in set(self._positions) - open_ids:
            del self._positions[stale]

    # --- sweeper -------------------------------------------------------------------------
    async def sweep(self) -> None:
        """End calls and drop parties the clock has given up on."""
        now = self.clock()
        kiosk_timeout = timedelta(seconds=self.limits.kiosk_timeout_s)
        browser_timeout = timedelta(seconds=self.limits.browser_timeout_s)
        for call in await run_in_threadpool(self.store.open_calls):
            event = due_event(call, now, kiosk_timeout, timedelta(seconds=self.limits.max_wait_s))
            if event is not None:
                await self.end(call.call_id, event)
        for call_id, room in list(self.rooms.items()):
            for party in list(room.parties.values()):
                if now - party.seen > browser_timeout:
                    await self.leave(party)
                    await close_party(party)
            away = room.counsellor_away_since
            if away is not None and now - away > browser_timeout:
                await self.end(call_id, CallEvent.COUNSELLOR_GONE)
        for party in list(self.lobby):
            if now - party.seen > browser_timeout:
                self.lobby.discard(party)
                await close_party(party)

    async def leave(self, party: Party) -> None:
        """A browser went away (closed, or silent too long)."""
        self.lobby.discard(party)
        room = self.rooms.get(party.call_id or "")
        if room is None or room.parties.get(party.role) is not party:
            return
        del room.parties[party.role]
        if party.role == "counsellor":
            room.counsellor_away_since = self.clock()
            return
        await self.announce_party(room, party, "left")

    async def announce_party(self, room: Room, party: Party, state: str) -> None:
        body = {"call_id": room.call.call_id, "party": party.role, "state": state,
                "name": party.name}
        await self.live.post(room.call.kiosk_id, "call.party", body)
        for other in room.parties.values():
            if other is not party:
                await send(other, {"op": "party", **body})

    async def chat(self, room: Room, sender: str, name: str, text: str, final: bool) -> None:
        room.chat_seq += 1
        body = {"call_id": room.call.call_id, "from": sender, "name": name, "text": text,
                "final": final, "seq": room.chat_seq}
        if sender != "kiosk":
            await self.live.post(room.call.kiosk_id, "call.chat", body)
        for role, party in room.parties.items():
            if role != sender:
                await send(party, {"op": "chat", **body})

    async def start(self) -> None:
        """Start the sweeper."""
        self._sweeper = asyncio.ensure_future(self._sweep_forever())
        self._sweeper.add_done_callback(_report_crash)

    async def stop(self) -> None:
        """Stop the sweeper and close every browser."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for party in [*self.lobby, *(p for r in self.rooms.values() for p in r.parties.values())]:
            await close_party(party)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.limits.sweep_s)
            try:
                await self.sweep()
            except Exception as exc:  # noqa: BLE001 - keep sweeping through database trouble
                log.warning("call sweeper: %s", type(exc).__name__)

    def new_guest_id(self) -> str:
        """An opaque id for an invited guest."""
        return new_id("g")


def parse_chat(payload: dict[str, Any]) -> tuple[str, bool]:
    text, final = payload.get("text", ""), payload.get("final", False)
    if not isinstance(text, str) or len(text) > 500 or not isinstance(final, bool):
        raise ApiError(400, "invalid_request", detail="chat needs text (≤ 500) and final")
    return text, final


async def send(party: Party, message: dict[str, Any]) -> None:
    with contextlib.suppress(Exception):  # a closing socket: its loop notices and leaves
        await party.socket.send_json(message)


async def close_party(party: Party) -> None:
    with contextlib.suppress(Exception):
        await party.socket.close(1000)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("call sweeper stopped: %r", task.exception())
