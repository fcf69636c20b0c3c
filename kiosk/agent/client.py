"""``AgentClient``: talk to the agent over its unix socket (JSON lines), always with a timeout.

The UI only pokes the agent; when the agent is down, :meth:`AgentClient.kick` returns False
and the other calls raise :class:`AgentUnavailable`, so the UI keeps working.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from foundation.errors import AgentUnavailable

MAX_LINE = 1024 * 1024



class AgentClient:
    """A short-lived connection per call to ``<data>/agent.sock``."""

    def __init__(self, socket_path: Path, timeout_s: float = 2.0) -> None:
        self.socket_path = Path(socket_path)
        self.timeout_s = timeout_s

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        """Send one request and return the answer; raises AgentUnavailable."""
        request = json.dumps({"op": op, **args}).encode() + b"\n"
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout_s)
                sock.connect(str(self.socket_path))
                sock.sendall(request)
                buffer = b""
                while not buffer.endswith(b"\n"):
                    part = sock.recv(65536)
                    if not part:
                        break
                    buffer += part
                    if len(buffer) > MAX_LINE:
                        raise AgentUnavailable("agent answer too long")
        except OSError as exc:
            raise AgentUnavailable(f"agent not reachable: {type(exc).__name__}") from exc
        try:
            answer = json.loads(buffer)
        except ValueError as exc:
            raise AgentUnavailable("agent answer is not JSON") from exc
        if not isinstance(answer, dict):
            raise AgentUnavailable("agent answer is not an object")
        return answer

    def ping(self) -> bool:
        """True if the agent answers."""
        try:
            return bool(self.call("ping").get("ok"))
        except AgentUnavailable:
            return False

    def kick(self) -> bool:
        """Ask the agent to upload now; False if it is not running."""
        try:
            return bool(self.call("kick").get("ok"))
        except AgentUnavailable:
            return False

    def status(self) -> dict[str, Any]:
        """Outbox counts and device health (no personal data)."""
        return self.call("status")

    def staff_call(self) -> bool:
        """Ask for staff help (shows as an alert in ``status``); False if the agent is down."""
        try:
            return bool(self.call("staff_call").get("ok"))
        except AgentUnavailable:
            return False

    def document_states(self, receipt_number: str) -> dict[str, Any]:
        """Per-document states of one receipt."""
        return self.call("document_states", receipt_number=receipt_number)
