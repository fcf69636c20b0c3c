"""One browser's WebSocket session with the hub: ticket check, then its ops until it leaves.

The socket is accepted first so that a refusal can say why (``{"op": "error", "code"}``,
then close code 4403). A refused op answers with an ``error`` and the session goes on.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError
from jobcentre.calls.hub import CallHub, Party, Room, close_party, parse_chat, send
from jobcentre.calls.ice import ice_servers
from jobcentre.calls.model import CallEvent, CallState, new_id
from jobcentre.staff import audit
from jobcentre.staff.roles import Permission, allows
from wire import codec

log = logging.getLogger(__name__)
PARTIES = ("kiosk", "counsellor", "guest")
MAX_MESSAGE = 64 * 1024


async def serve_browser(hub: CallHub, websocket: WebSocket, role: str) -> None:
    """Run one browser's session (``role`` is what the endpoint admits)."""
    await websocket.accept()
    try:
        token = await run_in_threadpool(hub.store.redeem,
                                        websocket.query_params.get("ticket", ""), "ticket",
                                        hub.clock())
        if token.party != role:
            raise ApiError(404, "token_unknown")
    except ApiError as exc:
        await websocket.send_json({"op": "error", "code": exc.code})
        await websocket.close(4403)
        return
    account_role = ""
    if role == "counsellor":  # the account may have been disabled since the ticket was issued
        account = await run_in_threadpool(hub.store.repo.get_staff, token.subject)
        if (account is None or account.disabled_at is not None
                or not allows(account.role, Permission.VIDEO_CALLS)):
            await websocket.send_json({"op": "error", "code": "forbidden"})
            await websocket.close(4403)
            return
        account_role = account.role
    name = hub.guest_names.pop(token.subject, "") if role == "guest" else token.subject
    party = Party(role, token.subject, name, websocket, hub.clock(), token.call_id,
                  account_role=account_role,
                  address=websocket.client.host if websocket.client else "-")
    try:
        try:
            await open_party(hub, party)
        except ApiError as exc:
            await send(party, {"op": "error", "code": exc.code, **exc.extra})
            await close_party(party)
            return
        while True:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                break
            text = frame.get("text")
            if not isinstance(text, str):  # binary frames are not part of the protocol
                await close_party(party)
                break
            party.seen = hub.clock()
            try:
                if len(text) > MAX_MESSAGE:
                    raise ApiError(413, "too_large")
                message = json.loads(text)
                if not isinstance(message, dict):
                    raise ApiError(400, "invalid_request")
                await handle_op(hub, party, message)
            except ValueError:
                await send(party, {"op": "error", "code": "invalid_request"})
            except ApiError as exc:
                await send(party, {"op": "error", "code": exc.code, **exc.extra})
    except WebSocketDisconnect:  # the client went while we were sending
        pass
    finally:
        await hub.leave(party)


async def _audit(hub: CallHub, party: Party, action: str, call_id: str) -> None:
    actor = audit.Actor(party.subject, party.account_role or party.role, party.address)
    await run_in_threadpool(audit.record, hub.store.repo, actor, action, f"call:{call_id}")


async def _joined(hub: CallHub, party: Party, room: Room) -> None:
    call = room.call
    others = ["kiosk", *(r for r in room.parties if r != party.role)]
    await send(party, {"op": "joined", "call_id": call.call_id, "you": party.role,
                        "parties": others, "language": call.language, "topic": call.topic,
                        "location": call.location,
                        "ice_servers": ice_servers(hub.settings, party.role, hub.clock()),
                        "ice_transport_policy": hub.settings.ice_transport_policy})


async def open_party(hub: CallHub, party: Party) -> None:
    """Greet a newly connected browser and put it in the lobby or its call."""
    await send(party, {"op": "hello", "role": party.role, "ping_s": 10})
    if party.role == "counsellor":
        for room in hub.rooms.values():  # a reload: back into the own active call
            if room.call.counsellor_id == party.subject and "counsellor" not in room.parties:
                room.parties["counsellor"] = party
                room.counsellor_away_since = None
                party.call_id = room.call.call_id
                await _joined(hub, party, room)
                return
        hub.lobby.add(party)
        await send(party, {"op": "queue", "calls": await hub.queue_for(party.subject)})
        return
    guest_room = hub.rooms.get(party.call_id or "")
    if guest_room is None:
        raise ApiError(409, "call_ended")
    if "guest" in guest_room.parties:
        raise ApiError(409, "guest_present")
    guest_room.parties["guest"] = party
    await _joined(hub, party, guest_room)
    await hub.announce_party(guest_room, party, "joined")


async def handle_op(hub: CallHub, party: Party, message: dict[str, Any]) -> None:
    """Carry out one op from a browser (ApiError when refused)."""
    op = message.get("op")
    if op == "ping":
        await send(party, {"op": "pong"})
        return
    if op == "accept" and party.role == "counsellor" and party.call_id is None:
        await _accept(hub, party, str(message.get("call_id", ""))[:80])
        return
    room = hub.rooms.get(party.call_id or "")
    if room is None or room.parties.get(party.role) is not party:
        raise ApiError(409, "call_not_active")
    if op == "signal":
        await _signal(hub, party, room, message)
    elif op == "chat":
        text, final = parse_chat(message)
        hub.rate(room, party.role)
        await hub.chat(room, party.role, party.name, text, final)
    elif op == "screen":
        body = {"call_id": room.call.call_id, "from": party.role,
                "on": message.get("on") is True}
        await hub.live.post(room.call.kiosk_id, "call.screen", body)
        for other in room.parties.values():
            if other is not party:
                await send(other, {"op": "screen", **body})
    elif op == "leave" and party.role == "guest":
        await close_party(party)
    elif party.role == "counsellor" and op in _COUNSELLOR_OPS:
        await _COUNSELLOR_OPS[op](hub, party, room, message)
    else:
        raise ApiError(400, "invalid_request", detail="unknown op")


async def _accept(hub: CallHub, party: Party, call_id: str) -> None:
    call = await run_in_threadpool(hub.store.get, call_id)
    if call is None:
        raise ApiError(404, "call_unknown")
    if call.counsellor_id not in (None, party.subject):
        raise ApiError(403, "call_reserved")
    call = await run_in_threadpool(hub.store.apply, call_id, CallEvent.ACCEPT, hub.clock(),
                                   party.subject)
    room = Room(call, {"counsellor": party})
    hub.rooms[call_id] = room
    hub.lobby.discard(party)
    party.call_id = call_id
    await hub.live.post(call.kiosk_id, "call.accepted", {
        "call_id": call_id, "counsellor_id": party.subject, "counsellor_name": None})
    log.info("call accepted")
    await _audit(hub, party, "call.accept", call_id)
    await _joined(hub, party, room)
    await hub.push_queue()


async def _signal(hub: CallHub, party: Party, room: Room, message: dict[str, Any]) -> None:
    to, kind = message.get("to"), message.get("kind")
    if to not in PARTIES or to == party.role or kind not in ("offer", "answer", "ice"):
        raise ApiError(400, "invalid_request", detail="signal needs to and kind")
    keys = ("sdp", "candidate", "sdp_mid", "sdp_mline_index")
    fields: dict[str, Any] = {k: message[k] for k in keys if k in message}
    if to == "kiosk":
        call = room.call
        if kind == "offer":
            await hub.live.post(call.kiosk_id, "call.offer", {
                "call_id": call.call_id, "from": party.role, "sdp": fields.get("sdp", ""),
                "ice_servers": hub.kiosk_ice(call)})
        elif kind == "ice":
            await hub.live.post(call.kiosk_id, "call.ice", {
                "call_id": call.call_id, "from": party.role,
                "candidate": fields.get("candidate"), "sdp_mid": fields.get("sdp_mid"),
                "sdp_mline_index": fields.get("sdp_mline_index")})
        else:
            raise ApiError(400, "invalid_request", detail="the kiosk only answers")
        return
    target = room.parties.get(str(to))
    if target is None:
        raise ApiError(409, "party_absent")
    await send(target, {"op": "signal", "from": party.role, "kind": kind, **fields})


async def _invite(hub: CallHub, party: Party, room: Room, _: dict[str, Any]) -> None:
    if "guest" in room.parties:
        raise ApiError(409, "guest_present")
    now = hub.clock()
    await run_in_threadpool(hub.store.revoke_guests, room.call.call_id, now)
    ttl = timedelta(seconds=hub.limits.guest_ttl_s)
    token = await run_in_threadpool(hub.store.issue_token, "guest", room.call.call_id, "guest",
                                    hub.new_guest_id(), ttl, now)
    await _audit(hub, party, "call.invite_guest", room.call.call_id)
    await send(party, {"op": "invited", "path": f"/guest/{token}",
                        "base": hub.settings.guest_base_url,
                        "expires_at": codec.format_time(now + ttl)})


async def _remove_guest(hub: CallHub, party: Party, room: Room, _: dict[str, Any]) -> None:
    await run_in_threadpool(hub.store.revoke_guests, room.call.call_id, hub.clock())
    await _audit(hub, party, "call.remove_guest", room.call.call_id)
    guest = room.parties.pop("guest", None)
    if guest is None:
        return
    guest.call_id = None
    await send(guest, {"op": "removed"})
    await hub.announce_party(room, guest, "removed")
    await close_party(guest)


async def _request_document(hub: CallHub, party: Party, room: Room,
                            message: dict[str, Any]) -> None:
    item, note = message.get("item"), message.get("note") or None
    if not isinstance(item, str) or not 1 <= len(item.strip()) <= 300 or (
            note is not None and (not isinstance(note, str) or len(note) > 1000)):
        raise ApiError(400, "invalid_request", detail="item 1–300, note ≤ 1000")
    request_id = new_id("r")
    await hub.live.post(room.call.kiosk_id, "call.request_document", {
        "call_id": room.call.call_id, "request_id": request_id, "counsellor_id": party.subject,
        "requested_item": item.strip(), "note": note,
        "requested_at": codec.format_time(hub.clock())})
    await _audit(hub, party, "call.request_document", room.call.call_id)
    await send(party, {"op": "requested", "request_id": request_id})


async def _hand_in(hub: CallHub, party: Party, room: Room, message: dict[str, Any]) -> None:
    """The counsellor wants the page the kiosk showed handed in to the file."""
    request_id = message.get("request_id")
    if not isinstance(request_id, str) or not 1 <= len(request_id) <= 80:
        raise ApiError(400, "invalid_request", detail="request_id 1–80 characters")
    await hub.live.post(room.call.kiosk_id, "call.hand_in", {
        "call_id": room.call.call_id, "request_id": request_id,
        "counsellor_id": party.subject})
    await _audit(hub, party, "call.hand_in", room.call.call_id)
    await send(party, {"op": "hand_in_sent", "request_id": request_id})


async def _end(hub: CallHub, party: Party, room: Room, _: dict[str, Any]) -> None:
    if room.call.state is not CallState.ENDED:
        await hub.end(room.call.call_id, CallEvent.END)
        await _audit(hub, party, "call.end", room.call.call_id)


_COUNSELLOR_OPS = {"invite": _invite, "remove_guest": _remove_guest,
                   "request_document": _request_document, "hand_in": _hand_in, "end": _end}
