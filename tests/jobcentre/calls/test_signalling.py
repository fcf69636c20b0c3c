"""Signalling end to end against a real ``kiosk-server``: a signed kiosk, the counsellor's
and a guest's WebSockets; tickets and links refused when replayed or withdrawn; a silent
kiosk and a vanished counsellor end the call (no zombie calls)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from jobcentre.calls.store import CallStore
from jobcentre.repository import open_repository
from tests.jobcentre.helpers import Kiosk, ServerProcess
from tests.jobcentre.staff.conftest import add_staff

LIMITS = {"kiosk_timeout_s": 2.0, "browser_timeout_s": 2.0, "sweep_s": 0.2, "heartbeat_s": 0.5}


class LiveReader:
    """The kiosk's side of the live channel: polls and keeps every call message."""

    def __init__(self, kiosk: Kiosk) -> None:
        self.kiosk = kiosk
        self.cursor = 0

    def next(self, type_: str, timeout: float = 5) -> dict[str, Any]:
        """The body of the next message of ``type_`` (others are skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self.kiosk.call("POST", "/api/v1/live/poll", {"after": self.cursor,
                                                                   "wait": 1})
            assert answer.status_code == 200, answer.text
            for message in answer.json()["messages"]:
                self.cursor = message["seq"]
                if message["type"] == type_:
                    return dict(message["body"])
        raise AssertionError(f"no {type_} message")


class Heart:
    """Heartbeats of the kiosk for one call, in a thread, until stopped."""

    def __init__(self, kiosk: Kiosk, call_id: str) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, args=(kiosk, call_id), daemon=True)
        self.thread.start()

    def _beat(self, kiosk: Kiosk, call_id: str) -> None:
        while not self.stop.wait(0.4):
            kiosk.call("POST", f"/api/v1/calls/{call_id}/heartbeat", {})

    def halt(self) -> None:
        """Stop beating (the kiosk 'vanishes')."""
        self.stop.set()
        self.thread.join(5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("calls") / "data"
    data.mkdir()
    (data / "video.json").write_text(json.dumps({"limits": LIMITS}))
    proc = ServerProcess(data, None).start()
    add_staff(proc, "clara", "counsellor")
    add_staff(proc, "dora", "desk")
    try:
        yield proc
    finally:
        proc.stop()


def _ticket(data_dir: Path, party: str = "counsellor", subject: str = "clara",
            ttl: timedelta = timedelta(minutes=1)) -> str:
    repo = open_repository(data_dir)
    try:
        return CallStore(repo).issue_token("ticket", None, party, subject, ttl,
                                           datetime.now(UTC))
    finally:
        repo.close()


def _ws(server: ServerProcess, path: str, ticket: str) -> ClientConnection:
    return connect(server.url.replace("http", "ws") + f"{path}?ticket={ticket}", open_timeout=5)


def _expect(ws: ClientConnection, op: str, timeout: float = 5) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        if message["op"] == op:
            return dict(message)


def test_call_from_queue_to_guest_and_a_silent_kiosk_ends_it(server: ServerProcess) -> None:
    kiosk = Kiosk(server, name="Foyer links")
    live = LiveReader(kiosk)
    started = kiosk.call("POST", "/api/v1/calls", {"language": "uk", "topic": "benefits"})
    assert started.status_code == 201, started.text
    call = started.json()
    assert call["state"] == "waiting" and call["position"] == 1
    assert call["estimate_basis"] == "default" and call["estimated_wait_s"] == 300
    call_id = call["call_id"]
    heart = Heart(kiosk, call_id)
    assert kiosk.call("POST", "/api/v1/calls", {"language": "de", "topic": "other"}
                      ).json()["error"] == "call_already_open"
    other = Kiosk(server, name="Other")
    assert other.call("GET", f"/api/v1/calls/{call_id}").status_code == 404  # not its call

    ticket = _ticket(server.data_dir)
    with _ws(server, "/staff/calls/ws", ticket) as counsellor:
        queue = _expect(counsellor, "queue")["calls"]
        assert [(c["call_id"], c["language"], c["location"]) for c in queue] == [
            (call_id, "uk", "Foyer links")]
        with _ws(server, "/staff/calls/ws", ticket) as replay:  # the same ticket again
            assert json.loads(replay.recv(timeout=5)) == {"op": "error", "code": "token_used"}
        counsellor.send(json.dumps({"op": "accept", "call_id": call_id}))
        joined = _expect(counsellor, "joined")
        assert joined["parties"] == ["kiosk"] and joined["you"] == "counsellor"
        assert live.next("call.accepted")["counsellor_id"] == "clara"
        assert kiosk.call("GET", f"/api/v1/calls/{call_id}").json()["state"] == "active"

        counsellor.send(json.dumps({"op": "signal", "to": "kiosk", "kind": "offer",
                                    "sdp": "v=0 offer"}))
        offer = live.next("call.offer")
        assert offer["from"] == "counsellor" and offer["sdp"] == "v=0 offer"
        assert kiosk.call("POST", f"/api/v1/calls/{call_id}/signal", {
            "type": "answer", "to": "counsellor", "sdp": "v=0 answer"}).status_code == 200
        answer = _expect(counsellor, "signal")
        assert (answer["from"], answer["kind"], answer["sdp"]) == ("kiosk", "answer", "v=0 answer")
        # The kiosk (answerer only) asks for a fresh offer when the media stopped.
        assert kiosk.call("POST", f"/api/v1/calls/{call_id}/signal", {
            "type": "reoffer", "to": "counsellor"}).status_code == 200
        assert _expect(counsellor, "signal")["kind"] == "reoffer"
        refused = kiosk.call("POST", f"/api/v1/calls/{call_id}/signal",
                             {"type": "reoffer", "to": "guest"})
        assert (refused.status_code, refused.json()["error"]) == (409, "party_absent")

        counsellor.send(json.dumps({"op": "chat", "text": "Guten T", "final": False}))
        assert live.next("call.chat")["text"] == "Guten T"
        kiosk.call("POST", f"/api/v1/calls/{call_id}/signal",
                   {"type": "chat", "text": "Hallo", "final": True})
        line = _expect(counsellor, "chat")
        assert (line["from"], line["text"], line["final"]) == ("kiosk", "Hallo", True)

        counsellor.send(json.dumps({"op": "request_document", "item": "Mietvertrag"}))
        asked = live.next("call.request_document")
        assert asked["requested_item"] == "Mietvertrag" and asked["counsellor_id"] == "clara"
        counsellor.send(json.dumps({"op": "hand_in", "request_id": asked["request_id"]}))
        assert _expect(counsellor, "hand_in_sent")["request_id"] == asked["request_id"]
        hand_in = live.next("call.hand_in")
        assert (hand_in["request_id"], hand_in["counsellor_id"]) == (asked["request_id"], "clara")
        counsellor.send(json.dumps({"op": "hand_in", "request_id": ""}))
        assert _expect(counsellor, "error")["code"] == "invalid_request"
        handed_in = kiosk.call("POST", f"/api/v1/calls/{call_id}/document", {
            "request_id": asked["request_id"], "document_id": "0b8f3c1e-doc"})
        assert handed_in.status_code == 200, handed_in.text
        assert _expect(counsellor, "document")["request_id"] == asked["request_id"]
        assert kiosk.call("POST", f"/api/v1/calls/{call_id}/document", {"request_id": 1}
                          ).status_code == 400

        counsellor.send(json.dumps({"op": "invite"}))
        path = _expect(counsellor, "invited")["path"]
        http = httpx.Client(base_url=server.url, timeout=10)
        assert http.get(path).status_code == 200
        assert http.post(path + "/join", json={"name": ""}).json()["error"] == "name_required"
        guest_ticket = http.post(path + "/join", json={"name": "Olena"}).json()["ticket"]
        replayed = http.post(path + "/join", json={"name": "Olena"})
        assert (replayed.status_code, replayed.json()["error"]) == (409, "token_used")
        assert "schon benutzt" in http.get(path).text
        with _ws(server, "/guest/ws", guest_ticket) as guest:
            assert _expect(guest, "joined")["parties"] == ["kiosk", "counsellor"]
            assert _expect(counsellor, "party")["name"] == "Olena"
            assert live.next("call.party")["state"] == "joined"
            counsellor.send(json.dumps({"op": "remove_guest"}))
            assert _expect(guest, "removed") == {"op": "removed"}
            assert live.next("call.party")["state"] == "removed"
        gone = http.get(path)
        assert gone.status_code == 403 and "zurückgezogen" in gone.text
        unknown = http.get("/guest/not-a-token?lang=en")
        assert unknown.status_code == 404 and "does not exist" in unknown.text
        repo = open_repository(server.data_dir)
        try:
            stale = CallStore(repo).issue_token("guest", call_id, "guest", "g_old",
                                                timedelta(seconds=-1), datetime.now(UTC))
        finally:
            repo.close()
        expired = http.get(f"/guest/{stale}")
        assert expired.status_code == 410 and "abgelaufen" in expired.text
        assert http.post(f"/guest/{stale}/join", json={"name": "X"}).json()["error"] == (
            "token_expired")

        heart.halt()  # the kiosk vanishes: no heartbeat for longer than kiosk_timeout_s
        ended = _expect(counsellor, "ended", timeout=6)
        assert ended["reason"] == "kiosk_gone"
        assert _expect(counsellor, "queue")["calls"] == []
    assert live.next("call.ended")["reason"] == "kiosk_gone"
    status = kiosk.call("GET", f"/api/v1/calls/{call_id}").json()
    assert (status["state"], status["ended_reason"]) == ("ended", "kiosk_gone")
    assert kiosk.call("POST", f"/api/v1/calls/{call_id}/signal", {
        "type": "chat", "text": "x", "final": True}).json()["error"] == "call_ended"
    repo = open_repository(server.data_dir)
    try:
        actions = [(e.action, e.target, e.role) for e in repo.list_audit(actor="clara")]
    finally:
        repo.close()
    for action in ("call.accept", "call.request_document", "call.invite_guest",
                   "call.remove_guest"):
        assert (action, f"call:{call_id}", "counsellor") in actions
    for client in (kiosk, other):
        client.close()
    http.close()


def test_a_vanished_counsellor_ends_the_call(server: ServerProcess) -> None:
    kiosk = Kiosk(server, name="Foyer rechts")
    live = LiveReader(kiosk)
    call_id = kiosk.call("POST", "/api/v1/calls", {"language": "de", "topic": "other"}
                         ).json()["call_id"]
    heart = Heart(kiosk, call_id)
    expired = _ticket(server.data_dir, ttl=timedelta(seconds=-1))
    with _ws(server, "/staff/calls/ws", expired) as late:
        assert json.loads(late.recv(timeout=5))["code"] == "token_expired"
    with _ws(server, "/guest/ws", _ticket(server.data_dir)) as wrong_door:
        assert json.loads(wrong_door.recv(timeout=5))["code"] == "token_unknown"
    for who in ("dora", "nobody"):  # a desk account, an account that does not exist
        with _ws(server, "/staff/calls/ws", _ticket(server.data_dir, subject=who)) as refused:
            assert json.loads(refused.recv(timeout=5))["code"] == "forbidden"
    with _ws(server, "/staff/calls/ws", _ticket(server.data_dir)) as rude:
        _expect(rude, "queue")
        rude.send("not json")
        assert _expect(rude, "error")["code"] == "invalid_request"
        rude.send(json.dumps({"op": "accept", "call_id": "c_nope"}))
        assert _expect(rude, "error")["code"] == "call_unknown"
        rude.send(b"\x00binary")
        with pytest.raises(ConnectionClosed):
            rude.recv(timeout=5)
    with _ws(server, "/staff/calls/ws", _ticket(server.data_dir)) as counsellor:
        _expect(counsellor, "queue")
        counsellor.send(json.dumps({"op": "accept", "call_id": call_id}))
        _expect(counsellor, "joined")
    # The counsellor's browser is gone; after browser_timeout_s the call ends for the kiosk.
    assert live.next("call.ended", timeout=8)["reason"] == "counsellor_gone"
    assert kiosk.call("GET", f"/api/v1/calls/{call_id}").json()["state"] == "ended"
    heart.halt()
    hangup = kiosk.call("POST", "/api/v1/calls", {"language": "de", "topic": "other"}).json()
    assert kiosk.call("POST", f"/api/v1/calls/{hangup['call_id']}/hangup", {}).json() == {
        "state": "ended"}
    assert kiosk.call("POST", f"/api/v1/calls/{hangup['call_id']}/hangup", {}).status_code == 200
    kiosk.close()
