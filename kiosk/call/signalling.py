"""The kiosk side of the call contract in docs/video.md, spoken through the agent.

The agent holds the kiosk's identity and live channel (``kiosk/agent/calls.py``); this
module turns the contract's requests and answers into typed calls and ``CallError``
codes for the screens: ``call_already_open``, ``code_unknown``, ``code_expired``,
``code_used``, ``code_too_early``, ``code_invalid`` (checked here before anything is
sent), ``call_ended``, ``party_absent``, ``too_many_messages``; an unreachable job centre
or agent stays a ``BackendUnavailable`` / ``AgentUnavailable``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from foundation.errors import BackendUnavailable, CallError

AgentCall = Callable[..., dict[str, Any]]  # AgentClient.call(op, **params)

TOPICS = ("benefits", "job_search", "documents", "other")
_CODE_CHARS = re.compile(r"[A-Z2-7]{12}")
_TYPOS = str.maketrans({"0": "O", "1": "I", "8": "B"})


def normalise_code(raw: str) -> str:
    """An invitation code as the server reads it: no dashes or spaces, upper case, 0/1/8 read
    as O/I/B; raises CallError ``code_invalid`` if it cannot be one."""
    code = re.sub(r"[\s-]", "", raw).upper().translate(_TYPOS)
    if not _CODE_CHARS.fullmatch(code):
        raise CallError("not an invitation code", code="code_invalid")
    return code


def code_from_letter(image: Any) -> str:
    """The invitation code read from the QR code on an appointment letter (a page image,
    BGR or grey); raises CallError ``code_not_found`` when no code on it is one."""
    from scanning.barcodes import decode_codes

    for payload in decode_codes(image):
        try:
            return normalise_code(payload)
        except CallError:
            continue  # another code on the letter (a customer number, a DataMatrix)
    raise CallError("no invitation code on the letter", code="code_not_found")


@dataclass(frozen=True)
class CallTicket:
    """The answer to starting or joining a call."""

    call_id: str
    state: str
    position: int | None
    estimated_wait_s: int | None
    ice_servers: list[dict[str, Any]] = field(default_factory=list)
    heartbeat_s: float = 5.0


@dataclass(frozen=True)
class CallStatus:
    """``GET /calls/{id}``: the queue and who is in the call."""

    state: str
    position: int | None
    estimated_wait_s: int | None
    parties: tuple[str, ...]
    ended_reason: str | None


class CallSignalling:
    """Signed call requests and live-channel messages, through the agent's socket."""

    def __init__(self, agent_call: AgentCall) -> None:
        self.agent_call = agent_call
        self.after = 0

    def _request(self, action: str, call_id: str | None = None,
                 body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.agent_call("call_http", action=action, call_id=call_id, body=body or {})
        if not answer.get("ok"):
            raise BackendUnavailable("call request not sent",
                                     code=str(answer.get("error", "backend_unavailable")))
        status, data = int(answer.get("status", 0)), answer.get("body") or {}
        if status >= 400:
            raise CallError(f"call request refused ({status})",
                            code=str(data.get("error", f"http_{status}")))
        return dict(data)

    @staticmethod
    def _ticket(data: dict[str, Any]) -> CallTicket:
        return CallTicket(str(data["call_id"]), str(data.get("state", "waiting")),
                          data.get("position"), data.get("estimated_wait_s"),
                          list(data.get("ice_servers") or []),
                          float(data.get("heartbeat_s") or 5.0))

    def start(self, language: str, topic: str, location: str = "") -> CallTicket:
        """A walk-in call into the queue."""
        if topic not in TOPICS:
            raise CallError("unknown topic", code="invalid_request")
        return self._ticket(self._request("start", body={
            "language": language, "topic": topic, "location": location}))

    def join_with_letter(self, image: Any) -> CallTicket:
        """Join a booked appointment by the QR code printed on its letter."""
        return self.join(code_from_letter(image))

    def join(self, raw_code: str) -> CallTicket:
        """Join a booked appointment by the code from the letter."""
        return self._ticket(self._request("join", body={"code": normalise_code(raw_code)}))

    def status(self, call_id: str) -> CallStatus:
        """Queue position, estimate and parties (also the heartbeat)."""
        data = self._request("status", call_id)
        return CallStatus(str(data.get("state")), data.get("position"),
                          data.get("estimated_wait_s"), tuple(data.get("parties") or ()),
                          data.get("ended_reason"))

    def heartbeat(self, call_id: str) -> str:
        """Say the kiosk is still there; the call's state."""
        return str(self._request("heartbeat", call_id).get("state"))

    def send_answer(self, call_id: str, to: str, sdp: str) -> None:
        """Answer ``to``'s offer with complete SDP."""
        self._request("signal", call_id, {"type": "answer", "to": to, "sdp": sdp})

    def ask_reoffer(self, call_id: str, to: str) -> None:
        """Ask ``to`` for a fresh offer (its media stopped reaching the kiosk)."""
        self._request("signal", call_id, {"type": "reoffer", "to": to})

    def send_chat(self, call_id: str, text: str, final: bool) -> None:
        """The visitor's current chat line (``final`` when sent)."""
        self._request("signal", call_id, {"type": "chat", "text": text[:500], "final": final})

    def hangup(self, call_id: str) -> None:
        """Leave the call or the queue (idempotent on the server)."""
        self._request("hangup", call_id)

    def messages(self, wait_s: float = 0.0) -> list[dict[str, Any]]:
        """New ``call.*`` messages from the job centre, oldest first; the agent waits up to
        ``wait_s`` (at most 1 s) for one when there is none yet."""
        answer = self.agent_call("call_messages", after=self.after,
                                 **({"wait_s": min(wait_s, 1.0)} if wait_s > 0 else {}))
        if not answer.get("ok"):
            raise BackendUnavailable("agent has no call messages",
                                     code=str(answer.get("error")))
        last = answer.get("last")
        if isinstance(last, int) and last < self.after:  # the agent restarted: count anew
            self.after = 0
            return self.messages()
        messages = [m for m in answer.get("messages", []) if isinstance(m, dict)]
        self.after = max([self.after, *(int(m.get("seq", 0)) for m in messages)])
        return messages
