"""The repository's nginx configuration (deploy/nginx/kiosk-server.conf), run for real.

Debian's nginx starts on loopback with that file (listen addresses swapped for loopback
ports, TLS left out) in front of a real ``kiosk-server serve --trusted-proxy 127.0.0.1``:
a signed upload passes through it; the address nginx forwards (its ``X-Forwarded-For``) is
the one the per-address limit counts, whatever a client claims; the kiosk-facing server
answers only the kiosk API, the staff server the staff app and /verify.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.jobcentre.helpers import Document, Kiosk, ServerProcess, free_port, make_pdf, upload

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "kiosk-server.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def loopback_conf(upstream_port: int, kiosk_port: int, staff_port: int) -> str:
    """The repository's config with loopback listeners and no TLS."""
    text = CONF.read_text()
    text = re.sub(r"listen [^;]+;\s+# KIOSK LISTEN", f"listen 127.0.0.1:{kiosk_port};", text)
    text = re.sub(r"listen [^;]+;\s+# STAFF LISTEN[^\n]*", f"listen 127.0.0.1:{staff_port};",
                  text)
    text = re.sub(r"\n\s*ssl_[a-z_]+ [^;]+;", "", text)
    text = re.sub(r"server 127\.0\.0\.1:8443;", f"server 127.0.0.1:{upstream_port};", text)
    assert "ssl" not in text and f"127.0.0.1:{kiosk_port};" in text, text
    assert f"127.0.0.1:{staff_port};" in text and f":{upstream_port};" in text, text
    return text


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[ServerProcess, str, str]]:
    """Intake service + nginx; yields (server, kiosk-facing URL, staff URL)."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed: apt-get install nginx (see ./quickstart)")
    (tmp_path / "data").mkdir()
    server = ServerProcess(tmp_path / "data", None, extra=(
        "--trusted-proxy", "127.0.0.1", "--address-rate", "0.01", "--address-burst", "20",
    )).start()
    upstream_port = int(server.url.rsplit(":", 1)[1])
    kiosk_port, staff_port = free_port(), free_port()
    root = tmp_path / "nginx"
    root.mkdir()
    (root / "kiosk-server.conf").write_text(loopback_conf(upstream_port, kiosk_port, staff_port))
    user = "user root;" if os.geteuid() == 0 else ""
    (root / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {root}/kiosk-server.conf;
}}
""")
    proc = subprocess.Popen([NGINX, "-p", str(root), "-c", str(root / "nginx.conf")],  # noqa: S603
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    kiosk_url, staff_url = f"http://127.0.0.1:{kiosk_port}", f"http://127.0.0.1:{staff_port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
            try:
                if httpx.get(staff_url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield server, kiosk_url, staff_url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stderr is not None:
            proc.stderr.close()
        server.stop()


def _from(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10)


def test_signed_upload_passes_through_nginx(stack: tuple[ServerProcess, str, str]) -> None:
    server, kiosk_url, _ = stack
    kiosk = Kiosk(server)
    try:
        kiosk.http.close()
        kiosk.http = httpx.Client(base_url=kiosk_url, timeout=30)
        doc = Document(kiosk, make_pdf(2), 2)
        finished = upload(kiosk, doc, chunk=700)
        assert finished.status_code == 200, finished.text
        assert finished.json()["ack"]["document_id"] == doc.document_id
        replay = kiosk.call("GET", doc.path + "?a=1")
        assert replay.status_code == 200 and replay.json()["complete"] is True
    finally:
        kiosk.close()


def test_forwarded_address_is_the_one_limited(stack: tuple[ServerProcess, str, str]) -> None:
    _, kiosk_url, _ = stack
    health = kiosk_url + "/api/v1/health"
    with _from("127.0.0.2") as first, _from("127.0.0.3") as second:
        spoof = {"X-Forwarded-For": "192.0.2.77"}  # a client's claim is replaced by nginx
        codes = [first.get(health, headers=spoof).status_code for _ in range(21)]
        assert codes[:20] == [200] * 20 and codes[20] == 429, codes
        assert first.get(health, headers={"X-Forwarded-For": "192.0.2.78"}).status_code == 429
        assert second.get(health).status_code == 200


def test_staff_app_only_on_the_staff_server(stack: tuple[ServerProcess, str, str]) -> None:
    _, kiosk_url, staff_url = stack
    with httpx.Client(timeout=10) as http:
        assert http.get(kiosk_url + "/staff/login").status_code == 404
        assert http.get(kiosk_url + "/verify").status_code == 404
        assert http.get(staff_url + "/staff/login").status_code == 200
        assert http.get(staff_url + "/verify").status_code == 200
        assert http.get(staff_url + "/api/v1/uploads").status_code == 404
