"""Real network parts for the delivery tests: the intake service as a process, a fault proxy.

``ServerProcess`` runs ``kiosk-server serve`` (the real service) in a subprocess on a fixed
loopback port so it can be killed and restarted at the same URL. ``FaultProxy`` is a small
HTTP/1.1-aware TCP proxy on loopback that can answer 500 instead of forwarding, cut the
connection in the middle of a request body (a network cut mid-upload), or refuse everything
(line down). No mocks: the kiosk talks real HTTP through real sockets.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

SERVE = "import sys; from jobcentre.cli import main; sys.exit(main())"
_LISTEN_RE = re.compile(r"listening on (http://[\d.]+:(\d+))")


class ServerProcess:
    """The real intake service in a child process."""

    def __init__(self, data_dir: Path, port: int = 0) -> None:
        self.data_dir = data_dir
        self.kek_file = data_dir.parent / f"{data_dir.name}.kek"  # beside, never inside
        self.port = port
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout_s: float = 30.0) -> str:
        """Start (or restart on the same port); returns the base URL."""
        if not self.kek_file.exists():
            from jobcentre.atrest_kek import write_new_kek

            write_new_kek(self.kek_file)
        args = [sys.executable, "-c", SERVE, "serve", "--data", str(self.data_dir),
                "--port", str(self.port), "--kek-file", str(self.kek_file)]
        self.proc = subprocess.Popen(  # noqa: S603 - our own command line
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + timeout_s
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError("intake service exited during start")
            match = _LISTEN_RE.search(line)
            if match:
                self.url, self.port = match.group(1), int(match.group(2))
                threading.Thread(target=self._drain, daemon=True).start()
                _wait_port(self.port, deadline)
                return self.url
        self.stop()
        raise RuntimeError("intake service did not start in time")

    def _drain(self) -> None:
        proc = self.proc
        if proc is not None and proc.stdout is not None:
            with contextlib.suppress(ValueError, OSError):
                for _ in proc.stdout:
                    pass

    def stop(self, kill: bool = False) -> None:
        """Stop the service (SIGKILL if ``kill``, else SIGTERM) and wait for it."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None


def _wait_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("port never opened")


class FaultProxy:
    """HTTP/1.1 proxy on loopback with switchable faults."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self.fail_next = 0
        self.fail_status = 500
        self.fail_body = b'{"error":"injected"}'
        #: with a predicate, only requests whose "METHOD path" it accepts are failed
        self.fail_only: Callable[[str], bool] | None = None
        self.cut_next_body_after: int | None = None
        self.cut_patch_number: int | None = None
        self.before_forward: Callable[[str, int], None] | None = None
        self.patches = 0
        self.down = False
        self.requests: list[str] = []
        self.cuts = 0
        self._conns: set[socket.socket] = set()
        self._stop = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the proxy and close every connection."""
        self._stop = True
        self._listener.close()
        self.drop_connections()
        self._thread.join(timeout=5)

    def set_down(self, down: bool) -> None:
        """Line down: close every connection and refuse new ones (or bring it back)."""
        self.down = down
        if down:
            self.drop_connections()

    def drop_connections(self) -> None:
        """Close every open connection (both sides)."""
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._conns.add(sock)

    def _accept_loop(self) -> None:
        while not self._stop:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            self._track(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        reader = _Reader(client)
        try:
            while True:
                head = reader.head()
                if head is None:
                    return
                body = reader.exact(_content_length(head))
                if body is None:
                    return
                line = head.split(b" ", 2)[0].decode() + " " + head.split(b" ", 2)[1].decode()
                self.requests.append(line)
                with self._lock:
                    if line.startswith("PATCH"):
                        self.patches += 1
                        if self.patches == self.cut_patch_number:
                            self.cut_next_body_after = len(body) // 2
                    fail = self.fail_next > 0 and (self.fail_only is None
                                                   or self.fail_only(line))
                    if fail:
                        self.fail_next -= 1
                    cut = self.cut_next_body_after if body else None
                    if cut is not None:
                        self.cut_next_body_after = None
                if fail:
                    payload = self.fail_body
                    client.sendall(b"HTTP/1.1 %d Injected\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: %d\r\n\r\n%s"
                                   % (self.fail_status, len(payload), payload))
                    continue
                if self.before_forward is not None and not fail:
                    self.before_forward(line, self.patches)
                if upstream is None:
                    upstream = socket.create_connection(("127.0.0.1", self.upstream_port), 10)
                    self._track(upstream)
                if cut is not None:
                    upstream.sendall(head + body[:cut])
                    self.cuts += 1
                    return
                upstream.sendall(head + body)
                response = _Reader(upstream)
                rhead = response.head()
                if rhead is None:
                    return
                rbody = response.exact(_content_length(rhead))
                if rbody is None:
                    return
                client.sendall(rhead + rbody)
        except OSError:
            return
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    sock.close()


class _Reader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> bool:
        data = self.sock.recv(262144)
        if not data:
            return False
        self.buffer += data
        return True

    def head(self) -> bytes | None:
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                return None
        end = self.buffer.index(b"\r\n\r\n") + 4
        head, self.buffer = self.buffer[:end], self.buffer[end:]
        return head

    def exact(self, n: int) -> bytes | None:
        while len(self.buffer) < n:
            if not self._fill():
                return None
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data


def _content_length(head: bytes) -> int:
    match = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
    return int(match.group(1)) if match else 0
