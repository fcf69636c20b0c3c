"""The agent's unix-socket endpoint: JSON lines in, JSON lines out, one thread per connection.

Requests are ``{"op": ...}`` objects; each is handed to one handler function (the agent's
command dispatch, local origin) that returns a JSON-able dict. The socket file is created
mode 0600 in the data directory; a stale file left by a killed agent is replaced, a live
agent is never displaced.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from foundation.errors import AgentAlreadyRunning

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], dict[str, Any]]
READ_TIMEOUT_S = 5.0
MAX_REQUEST = 64 * 1024



class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False
    handler: Handler


class _Connection(socketserver.StreamRequestHandler):
    timeout = READ_TIMEOUT_S
    server: _Server

    def handle(self) -> None:
        while True:
            try:
                line = self.rfile.readline(MAX_REQUEST + 1)
            except OSError:
                return
            if not line:
                return
            self.wfile.write(json.dumps(self._answer(line)).encode() + b"\n")
            self.wfile.flush()

    def _answer(self, line: bytes) -> dict[str, Any]:
        if len(line) > MAX_REQUEST:
            return {"ok": False, "error": "request_too_long"}
        try:
            request = json.loads(line)
        except ValueError:
            return {"ok": False, "error": "not_json"}
        if not isinstance(request, dict) or not isinstance(request.get("op"), str):
            return {"ok": False, "error": "no_op"}
        try:
            return self.server.handler(request)
        except Exception:  # one bad request must not take the agent down
            log.exception("agent request failed")
            return {"ok": False, "error": "internal_error"}


class SocketServer:
    """Serves ``handler`` on a unix socket in a background thread."""

    def __init__(self, path: Path, handler: Handler) -> None:
        self.path = path
        _clear_stale_socket(path)
        self._server = _Server(str(path), _Connection, bind_and_activate=False)
        self._server.handler = handler
        old_umask = os.umask(0o177)
        try:
            self._server.server_bind()
        finally:
            os.umask(old_umask)
        self._server.server_activate()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
            name="agent-socket", daemon=True,
        )

    def start(self) -> None:
        """Start answering."""
        self._thread.start()

    def stop(self) -> None:
        """Stop answering and remove the socket file."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        self.path.unlink(missing_ok=True)


def _clear_stale_socket(path: Path) -> None:
    if not path.exists():
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink(missing_ok=True)  # nobody listens: left by a killed agent
        return
    finally:
        probe.close()
    raise AgentAlreadyRunning(f"an agent already listens on {path}")
