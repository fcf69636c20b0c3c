"""Test helpers: a real ``kiosk-server serve`` process, a signing kiosk client, test PDFs."""

from __future__ import annotations

import hashlib
import io
import os
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pikepdf

from jobcentre.enrollment import issue_code
from wire import protocol

PYTHON = sys.executable


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``kiosk-server`` as a real process."""
    return subprocess.run(
        [PYTHON, "-m", "jobcentre.cli", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def ensure_kek(data_dir: Path) -> Path:
    """The test KEK beside ``data_dir`` (``<data>.kek``, 0600), written on first use."""
    from jobcentre.atrest_kek import write_new_kek

    path = data_dir.parent / f"{data_dir.name}.kek"
    if not path.exists():
        write_new_kek(path)
    return path


class ServerProcess:
    """``kiosk-server serve`` on a free port on loopback (or on ``host``), started and stopped by
    tests."""

    def __init__(self, data_dir: Path, database_url: str | None, extra: tuple[str, ...] = (),
                 verify: ssl.SSLContext | bool = True, kek_file: Path | None = None,
                 prefix: tuple[str, ...] = (), host: str = "127.0.0.1", reach: str = ""):
        self.data_dir = data_dir
        self.kek_file = kek_file or ensure_kek(data_dir)
        self.prefix = prefix  # e.g. ``ip netns exec NAME`` to run it in a network namespace
        self.host = host
        self.reach = reach  # the address tests use when ``host`` is a wildcard
        self.database_url = database_url
        self.extra = extra
        self.verify = verify  # how the /health probe checks an https:// server
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self._log: Any = None

    def start(self) -> ServerProcess:
        """Start the process and wait until /health answers."""
        args = [*self.prefix, PYTHON, "-m", "jobcentre.cli", "serve", "--host", self.host,
                "--port", "0", "--data", str(self.data_dir), "--kek-file", str(self.kek_file)]
        if self.database_url:
            args += ["--database", self.database_url]
        self._log = open(self.data_dir.parent / f"{self.data_dir.name}-server.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(args + list(self.extra), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._log)
        assert self.proc.stdout is not None
        line = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + 30
            while not line.endswith(b"\n") and time.monotonic() < deadline:
                if sel.select(timeout=0.5):
                    byte = os.read(self.proc.stdout.fileno(), 1)
                    if not byte:
                        break
                    line += byte
        if b"listening on" not in line:
            self.stop()
            raise RuntimeError(f"server did not start: {line!r}")
        self.url = line.decode().strip().rsplit(" ", 1)[-1]
        if self.reach:
            scheme, _, port = self.url.split(":")
            self.url = f"{scheme}://{self.reach}:{port}"
        with httpx.Client(timeout=5, verify=self.verify) as client:
            for _ in range(100):
                try:
                    if client.get(self.url + "/api/v1/health").status_code == 200:
                        return self
                except httpx.TransportError:
                    time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not answer /health")

    def _reap(self) -> None:
        assert self.proc is not None
        self.proc.wait(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL the server (no shutdown handlers run)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self._reap()

    def stop(self) -> None:
        """Stop the server gracefully (SIGTERM), killing it if it hangs."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reap()


def make_pdf(
    pages: int = 1, producer: str = "jobcenter-kiosk 0.1 (test)", title: str = ""
) -> bytes:
    """A small PDF with ``pages`` blank pages and the given Producer."""
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    pdf.docinfo["/Producer"] = producer
    pdf.docinfo["/Title"] = title or "Lohnabrechnung"
    pdf.docinfo["/Subject"] = "payslip"
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


class Kiosk:
    """An enrolled kiosk that signs its requests like the real one."""

    def __init__(self, server: ServerProcess, name: str = "Test Kiosk") -> None:
        self.server = server
        self.key = protocol.generate_signing_key()
        code = issue_code(server.data_dir, name, server.database_url)
        self.http = httpx.Client(base_url=server.url, timeout=30)
        answer = self.http.post(
            "/api/v1/enroll", json={"code": code, "public_key": protocol.public_key_b64u(self.key)}
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        self.code = code
        self.certificate: dict[str, Any] = body["certificate"]
        self.kiosk_id: str = self.certificate["kiosk_id"]
        self.centre_signing = body["centre_signing_public_key"]
        self.centre_encryption = body["centre_encryption_public_key"]

    def rebase(self, server: ServerProcess) -> None:
        """Talk to a restarted server."""
        self.http.close()
        self.server = server
        self.http = httpx.Client(base_url=server.url, timeout=30)

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def call(
        self, method: str, path: str, body: bytes | dict[str, Any] = b"",
        headers: dict[str, str] | None = None, timestamp: int | None = None,
    ) -> httpx.Response:
        """A signed request."""
        raw = protocol.canonical_json(body) if isinstance(body, dict) else body
        extra = dict(headers or {})
        offset = extra.pop("Upload-Offset", None)
        signed = protocol.sign_request(self.key, self.kiosk_id, method, path, raw, timestamp,
                                       upload_offset=None if offset is None else int(offset))
        return self.http.request(method, path, content=raw, headers={**signed, **extra})


class Document:
    """A sealed document as the kiosk's outbox would hold it."""

    def __init__(self, kiosk: Kiosk, pdf: bytes, pages: int, receipt_number: str = "") -> None:
        self.document_id = str(uuid.uuid4())
        self.pdf = pdf
        self.sealed = protocol.seal(
            pdf, kiosk.centre_encryption, protocol.document_aad(self.document_id)
        )
        self.pages = pages
        self.page_hash = protocol.page_hash([b"page%d" % i for i in range(pages)])
        self.receipt_number = receipt_number or f"{kiosk.kiosk_id}-20250301-0001"
        self.submitted_at = protocol.utc_now_iso()

    def announcement(self, **override: Any) -> dict[str, Any]:
        """The body of ``POST /api/v1/uploads``."""
        body = {
            "document_id": self.document_id,
            "receipt_number": self.receipt_number,
            "sealed_size": len(self.sealed),
            "sealed_sha256": hashlib.sha256(self.sealed).hexdigest(),
            "sha256": hashlib.sha256(self.pdf).hexdigest(),
            "document_type": "payslip",
            "pages": self.pages,
            "page_hash": self.page_hash,
            "submitted_at": self.submitted_at,
        }
        body.update(override)
        return body

    @property
    def path(self) -> str:
        """The upload's URL path."""
        return f"/api/v1/uploads/{self.document_id}"


def upload(
    kiosk: Kiosk, doc: Document, *, chunk: int = 64 * 1024, **override: Any
) -> httpx.Response:
    """Announce, send every chunk, and finish; returns the finish response."""
    first = kiosk.call("POST", "/api/v1/uploads", doc.announcement(**override))
    assert first.status_code in (200, 201), first.text
    offset = first.json().get("offset", 0)
    while offset < len(doc.sealed):
        part = doc.sealed[offset : offset + chunk]
        answer = kiosk.call("PATCH", doc.path, part, headers={"Upload-Offset": str(offset)})
        assert answer.status_code == 200, answer.text
        offset = answer.json()["offset"]
    return kiosk.call("POST", doc.path + "/finish")


def cli_args(server: ServerProcess) -> list[str]:
    """``--data``, ``--database`` (if any) and ``--kek-file`` of a server, for the CLI."""
    args = ["--data", str(server.data_dir), "--kek-file", str(server.kek_file)]
    return args + (["--database", server.database_url] if server.database_url else [])


def server_at_rest(server: ServerProcess) -> Any:
    """The server's at-rest sealer (``jobcentre.atrest.AtRest``) from its KEK file."""
    from jobcentre.atrest_kek import open_at_rest

    return open_at_rest(server.kek_file, server.data_dir)


def stored_plaintext(server: ServerProcess, document_id: str) -> bytes:
    """The stored file of a document, decrypted with the server's KEK (exactly one file)."""
    from jobcentre.atrest import DOCUMENT

    [path] = (server.data_dir / "documents").rglob(f"{document_id}.*")
    return bytes(server_at_rest(server).open(document_id, DOCUMENT, path.read_bytes()))


def add_staff_account(server: ServerProcess, username: str, role: str) -> None:
    """Create a staff account directly in the server's database."""
    from jobcentre.repository import open_repository
    from jobcentre.staff.accounts import add_account

    repo = open_repository(server.data_dir, server.database_url)
    try:
        add_account(repo, username, role, "correct horse battery staple 42")
    finally:
        repo.close()
