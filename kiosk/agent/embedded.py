"""The embedded backend: the job-centre intake service on 127.0.0.1, run by the agent.

With ``backend.mode == "embedded"`` (the default) a developer gets the whole flow on one
machine: uvicorn serves ``jobcentre.service.create_app(<data>/embedded-server)`` in a thread,
on the port remembered from last time if it is free, and the kiosk is enrolled to it with a
code from ``jobcentre.enrollment.issue_code`` if it is not enrolled yet. That code is bound to
the embedded centre's keys like any other, and the kiosk checks them the same way.

The embedded service keeps the centre's private key, the stored documents and their
key-encryption key (``<data>/embedded-server.kek``, beside the server's data directory, not
inside it, made on first start) on the same terminal, so its encryption at rest protects
nothing there: it is for trying the kiosk out only, and the config refuses it together with
fullscreen kiosk mode.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any

from foundation.errors import BackendUnavailable
from kiosk.delivery.identity import (
    SERVER_FILE,
    Identity,
    enroll,
    identity_dir,
    load_identity,
    write_atomic,
)

log = logging.getLogger(__name__)
START_TIMEOUT_S = 20.0


class EmbeddedBackend:
    """uvicorn serving the intake service in a background thread."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.server_dir = data_dir / "embedded-server"
        self.kek_file = data_dir / "embedded-server.kek"
        self.url = ""
        self._server: Any = None
        self._app: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def start(self) -> str:
        """Start serving; returns the base URL."""
        import uvicorn

        from jobcentre.atrest_kek import write_new_kek
        from jobcentre.intake_server import IntakeServer
        from jobcentre.service import create_app

        self.server_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.kek_file.exists():
            write_new_kek(self.kek_file)
        app = self._app = create_app(self.server_dir, kek_file=self.kek_file)
        sock = _bind(self._remembered_port())
        port = sock.getsockname()[1]
        # stopping answers the held live polls first (stop); what still runs after 1 s is
        # cancelled
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                timeout_graceful_shutdown=1)
        self._server = IntakeServer(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="embedded-backend",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                sock.close()
                raise BackendUnavailable("embedded intake service did not start")
            time.sleep(0.02)
        self._sock = sock
        self.url = f"http://127.0.0.1:{port}"
        log.info("embedded intake service listening on 127.0.0.1:%d", port)
        return self.url

    def stop(self) -> None:
        """Stop serving (waits a few seconds at most)."""
        if self._server is not None:
            self._server.stop()  # the agent's own long poll answers now, not cancelled later
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()

    def _remembered_port(self) -> int:
        path = identity_dir(self.data_dir) / SERVER_FILE
        try:
            url = str(json.loads(path.read_text("utf-8"))["url"])
        except (OSError, ValueError, KeyError):
            return 0
        if url.startswith("http://127.0.0.1:"):
            return int(url.rsplit(":", 1)[1])
        return 0

    def ensure_enrolled(self, name: str, timeout_s: float) -> Identity:
        """Enroll to this embedded service unless already enrolled; point server.json here."""
        from jobcentre.enrollment import issue_code

        identity = load_identity(self.data_dir)
        if identity is None:
            code = issue_code(self.server_dir, name)
            identity = enroll(self.url, code, self.data_dir, timeout_s).identity
        elif identity.server_url != self.url:
            payload = json.dumps({"url": self.url}, sort_keys=True).encode()
            write_atomic(identity_dir(self.data_dir) / SERVER_FILE, payload)
            identity = load_identity(self.data_dir)
            assert identity is not None
        return identity


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.bind(("127.0.0.1", 0))  # the remembered port is taken: any free one
    sock.listen(128)
    return sock
