"""Video-call signalling through the agent: the live channel's ``call.*`` messages in, the
signed call requests of docs/video.md out.

The agent owns the kiosk's identity and its connection to the job centre, so the UI
process (which runs the call's media) asks the agent over the unix socket:

* ``call_messages {"after": n, "wait_s": s}`` — the ``call.*`` messages the live channel
  brought since the UI's last look (``seq`` counts locally, from 1); with ``wait_s`` the
  answer waits up to that long for the next one (a short long-poll: an offer reaches the
  call the moment it arrives, not at the UI's next look). They are kept in memory only, at
  most ``INBOX_SIZE`` of them and none older than ``MAX_AGE_S``: SDP and chat text are
  nothing to keep after the call.
* ``call_http {"action", "call_id", "body"}`` — one signed request from a fixed list
  (start, join, status, heartbeat, signal, hangup, document); the answer is
  ``{"ok", "status", "body"}`` with the server's JSON as it is, for the UI to judge.

``register(agent)`` adds the live-channel handlers; the commands sit in the shared
registry like every other agent command (local socket only).
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from foundation.errors import BackendUnavailable
from kiosk.agent.commands import LOCAL_ONLY, Answer, CommandParams, refusal
from kiosk.agent.operations import REGISTRY
from kiosk.delivery.transport import safe_json
from wire import protocol

if TYPE_CHECKING:
    from kiosk.agent.runner import Agent

CALL_TYPES = ("call.accepted", "call.queue", "call.offer", "call.answer", "call.ice",
              "call.chat", "call.party", "call.screen", "call.request_document", "call.hand_in",
              "call.ended")
INBOX_SIZE = 200
MAX_AGE_S = 600.0
MAX_WAIT_S = 1.0  # well inside the UI's socket timeout (AgentClient: 2 s)
CALL_TIMEOUT_S = 10.0
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
PATHS: dict[str, tuple[str, str]] = {
    "start": ("POST", "/calls"), "join": ("POST", "/calls/join"),
    "status": ("GET", "/calls/{id}"), "heartbeat": ("POST", "/calls/{id}/heartbeat"),
    "signal": ("POST", "/calls/{id}/signal"), "hangup": ("POST", "/calls/{id}/hangup"),
    "document": ("POST", "/calls/{id}/document"),
}


class CallInbox:
    """``call.*`` messages waiting for the UI, numbered locally."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self._messages: deque[tuple[int, float, dict[str, Any]]] = deque(maxlen=INBOX_SIZE)
        self._seq = 0
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)

    def add(self, message: dict[str, Any]) -> None:
        """Keep one live-channel message (type and body only)."""
        with self._lock:
            self._seq += 1
            self._messages.append((self._seq, self.clock(), {
                "type": message.get("type"), "id": message.get("id"),
                "body": message.get("body") if isinstance(message.get("body"), dict) else {}}))
            self._arrived.notify_all()

    def since(self, after: int, wait_s: float = 0.0) -> tuple[list[dict[str, Any]], int]:
        """Messages numbered above ``after`` (and not too old), and the newest number;
        waits up to ``wait_s`` for one if there is none yet."""
        with self._lock:
            if wait_s > 0 and self._seq <= after:
                self._arrived.wait_for(lambda: self._seq > after, timeout=wait_s)
            oldest = self.clock() - MAX_AGE_S
            while self._messages and self._messages[0][1] < oldest:
                self._messages.popleft()
            return ([{**m, "seq": seq} for seq, _, m in self._messages if seq > after],
                    self._seq)


_INBOXES: weakref.WeakKeyDictionary[Any, CallInbox] = weakref.WeakKeyDictionary()


def register(agent: Agent) -> CallInbox:
    """Route the live channel's ``call.*`` messages of ``agent`` into its call inbox."""
    inbox = _INBOXES.setdefault(agent, CallInbox())
    for kind in CALL_TYPES:
        agent.live_handlers[kind] = inbox.add
    return inbox


class MessagesParams(CommandParams):
    """The last message number the UI has seen, and how long to wait for a new one."""

    after: int = Field(default=0, ge=0)
    wait_s: float = Field(default=0.0, ge=0.0, le=MAX_WAIT_S)


class CallHttpParams(CommandParams):
    """One call request of docs/video.md."""

    action: Literal["start", "join", "status", "heartbeat", "signal", "hangup", "document"]
    call_id: str | None = Field(default=None, max_length=64)
    body: dict[str, Any] = Field(default_factory=dict)


@REGISTRY.command("call_messages", origins=LOCAL_ONLY)
def call_messages(agent: Agent, params: MessagesParams) -> Answer:
    """``call.*`` messages from the job centre since ``after``."""
    inbox = _INBOXES.get(agent)
    if inbox is None:
        return refusal("calls_unavailable")
    messages, last = inbox.since(params.after, params.wait_s)
    return {"ok": True, "messages": messages, "last": last}


@REGISTRY.command("call_http", origins=LOCAL_ONLY)
def call_http(agent: Agent, params: CallHttpParams) -> Answer:
    """One signed call request to the job centre; its status and JSON answer."""
    method, template = PATHS[params.action]
    if "{id}" in template:
        if params.call_id is None or not _ID.fullmatch(params.call_id):
            return refusal("bad_params")
        template = template.replace("{id}", params.call_id)
    path = f"{protocol.API_PREFIX}{template}"
    try:
        client = agent._open_live_client(CALL_TIMEOUT_S)
    except BackendUnavailable as exc:
        return refusal(exc.code)
    try:
        response = client.call_json(method, path, params.body if method == "POST" else None)
    except BackendUnavailable as exc:
        return refusal(exc.code)
    finally:
        client.close()
    return {"ok": True, "status": response.status_code, "body": safe_json(response)}
