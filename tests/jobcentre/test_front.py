"""The HTTP front of a real ``kiosk-server serve`` with short limits: authentication before
the body, replays, slow headers and bodies, rate limits, the concurrency cap, full disks.

Raw sockets where the point is what happens on the wire (unsent bodies, trickled headers).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.delivery.helpers import make_pdf as make_payload_pdf
from tests.jobcentre.helpers import Document, Kiosk, ServerProcess, make_pdf, upload
from wire import protocol

SHORT = ("--header-timeout", "1", "--body-min-rate", "2000", "--body-grace", "1",
         "--kiosk-rate", "0.01", "--kiosk-burst", "40", "--address-rate", "0.01",
         "--address-burst", "30", "--max-concurrent", "2", "--trusted-proxy", "127.0.0.1")


@pytest.fixture
def front(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """A server with short front limits (SQLite); a ``front_flags`` marker adds flags."""
    (tmp_path / "data").mkdir()
    marker = request.node.get_closest_marker("front_flags")
    extra = SHORT + (tuple(marker.args) if marker else ())
    proc = ServerProcess(tmp_path / "data", None, extra=extra).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def kiosk(front: ServerProcess) -> Iterator[Kiosk]:
    """An enrolled kiosk of ``front``."""
    client = Kiosk(front)
    try:
        yield client
    finally:
        client.close()


def _connect(server: ServerProcess) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=20)
    return sock


def _head(method: str, target: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: test"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        assert more, f"connection closed before an answer: {data!r}"
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        more = sock.recv(65536)
        assert more
        rest += more
    return int(status_line.split()[1]), headers, rest[:length]


def _closed(sock: socket.socket) -> bool:
    """True once the server has closed the connection (reads EOF or a reset)."""
    try:
        while True:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_unsigned_big_body_is_refused_from_the_headers(front: ServerProcess, kiosk: Kiosk) -> None:
    doc = Document(kiosk, make_pdf(), 1)
    kiosk.call("POST", "/api/v1/uploads", doc.announcement())
    forged = protocol.sign_request(protocol.generate_signing_key(), kiosk.kiosk_id, "PATCH",
                                   doc.path, b"x" * 4_000_000, upload_offset=0)
    with contextlib.closing(_connect(front)) as sock:
        sock.sendall(_head("PATCH", doc.path, forged))  # the 4 MB body never comes
        status, headers, body = _read_answer(sock)
        assert status == 401 and b"bad_signature" in body
        assert headers.get("connection") == "close"
        assert _closed(sock)


def test_signed_length_over_the_chunk_limit_is_413_before_reading(
    front: ServerProcess, kiosk: Kiosk
) -> None:
    doc = Document(kiosk, make_pdf(), 1)
    kiosk.call("POST", "/api/v1/uploads", doc.announcement())
    big = b"x" * (protocol.MAX_CHUNK_BYTES + 1)
    signed = protocol.sign_request(kiosk.key, kiosk.kiosk_id, "PATCH", doc.path, big,
                                   upload_offset=0)
    with contextlib.closing(_connect(front)) as sock:
        sock.sendall(_head("PATCH", doc.path, signed))
        status, headers, _ = _read_answer(sock)
    assert status == 413 and headers.get("connection") == "close"


def test_replays_and_changed_headers_are_refused(front: ServerProcess, kiosk: Kiosk) -> None:
    doc = Document(kiosk, make_pdf(), 1)
    kiosk.call("POST", "/api/v1/uploads", doc.announcement())
    half = len(doc.sealed) // 2
    signed = protocol.sign_request(kiosk.key, kiosk.kiosk_id, "PATCH", doc.path,
                                   doc.sealed[:half], upload_offset=0)
    first = kiosk.http.patch(doc.path, content=doc.sealed[:half], headers=signed)
    assert first.status_code == 200, first.text
    again = kiosk.http.patch(doc.path, content=doc.sealed[:half], headers=signed)
    assert again.status_code == 401 and again.json()["error"] == "replayed_request"
    moved = kiosk.http.patch(doc.path, content=doc.sealed[:half],
                             headers={**signed, "Upload-Offset": str(half)})
    assert moved.status_code == 401 and moved.json()["error"] == "bad_signature"
    with_query = kiosk.http.patch(doc.path + "?x=1", content=doc.sealed[:half], headers=signed)
    assert with_query.status_code == 401
    swapped = kiosk.http.patch(doc.path, content=doc.sealed[half:2 * half], headers=signed)
    assert swapped.status_code in (400, 401)
    rest = kiosk.call("PATCH", doc.path, doc.sealed[half:], headers={"Upload-Offset": str(half)})
    assert rest.status_code == 200, rest.text
    assert kiosk.call("POST", doc.path + "/finish").status_code == 200


def test_body_not_matching_the_signed_digest_is_400(front: ServerProcess, kiosk: Kiosk) -> None:
    doc = Document(kiosk, make_pdf(), 1)
    kiosk.call("POST", "/api/v1/uploads", doc.announcement())
    signed = protocol.sign_request(kiosk.key, kiosk.kiosk_id, "PATCH", doc.path, doc.sealed,
                                   upload_offset=0)
    tampered = bytes([doc.sealed[0] ^ 1]) + doc.sealed[1:]
    answer = kiosk.http.patch(doc.path, content=tampered, headers=signed)
    assert answer.status_code == 400 and answer.json()["error"] == "digest_mismatch"
    assert kiosk.call("GET", doc.path).json()["offset"] == 0


def test_old_signature_version_gets_a_clear_code(front: ServerProcess, kiosk: Kiosk) -> None:
    old = {"X-Kiosk-Id": kiosk.kiosk_id, "X-Kiosk-Time": str(int(time.time())),
           "X-Kiosk-Signature": "c2lnbmF0dXJl"}
    answer = kiosk.http.get("/api/v1/uploads/" + "0" * 8, headers=old)
    assert answer.status_code == 401
    assert answer.json() == {"error": "signature_outdated", "supported": ["v2"]}


def test_trickled_headers_are_cut_off(front: ServerProcess) -> None:
    with contextlib.closing(_connect(front)) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
        deadline = time.monotonic() + 15
        closed = False
        while time.monotonic() < deadline and not closed:
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                closed = True
                break
            sock.settimeout(0.5)
            closed = _closed(sock)
        assert closed, "a connection trickling headers was kept open"


def test_slow_body_is_closed_and_a_steady_one_passes(front: ServerProcess, kiosk: Kiosk) -> None:
    doc = Document(kiosk, make_payload_pdf(1, payload_bytes=20_000), 1)
    kiosk.call("POST", "/api/v1/uploads", doc.announcement())
    chunk = doc.sealed[:6000]
    signed = protocol.sign_request(kiosk.key, kiosk.kiosk_id, "PATCH", doc.path, chunk,
                                   upload_offset=0)
    with contextlib.closing(_connect(front)) as sock:
        sock.sendall(_head("PATCH", doc.path, signed) + chunk[:10])
        status, headers, body = _read_answer(sock)  # then nothing more is sent
        assert status == 408 and b"body_too_slow" in body
        assert headers.get("connection") == "close"
    signed = protocol.sign_request(kiosk.key, kiosk.kiosk_id, "PATCH", doc.path, chunk,
                                   upload_offset=0)
    with contextlib.closing(_connect(front)) as sock:
        sock.sendall(_head("PATCH", doc.path, signed))
        for start in range(0, len(chunk), 600):  # about 3000 B/s, above the 2000 B/s minimum
            sock.sendall(chunk[start : start + 600])
            time.sleep(0.2)
        status, _, body = _read_answer(sock)
    assert status == 200, body


def test_rate_limits_per_kiosk_and_per_address(front: ServerProcess, kiosk: Kiosk) -> None:
    answers = [kiosk.call("GET", "/api/v1/uploads/" + "0" * 8) for _ in range(41)]
    assert [a.status_code for a in answers[:40]] == [404] * 40
    assert answers[40].status_code == 429 and int(answers[40].headers["Retry-After"]) >= 1
    other = Kiosk(front, "Second kiosk")  # same address, own bucket
    try:
        assert other.call("GET", "/api/v1/uploads/" + "0" * 8).status_code == 404
    finally:
        other.close()
    with httpx.Client(base_url=front.url, timeout=10) as http:
        one = {"X-Forwarded-For": "198.51.100.7"}
        codes = [http.get("/api/v1/health", headers=one).status_code for _ in range(31)]
        assert codes[:30] == [200] * 30 and codes[30] == 429
        assert http.get("/api/v1/health",
                        headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 200
        bad = {"X-Forwarded-For": "198.51.100.9", "X-Kiosk-Id": "nobody",
               "X-Kiosk-Signature": "v2.x"}
        refusals = [http.get("/api/v1/uploads/x", headers=bad).status_code for _ in range(31)]
        assert refusals[:30] == [401] * 30 and refusals[30] == 429


@pytest.mark.front_flags("--body-grace", "60")
def test_concurrency_cap_spares_live_polls(front: ServerProcess, kiosk: Kiosk) -> None:
    polls: list[httpx.Response] = []
    pollers = [Kiosk(front, f"Poller {i}") for i in range(3)]

    def poll(k: Kiosk) -> None:
        polls.append(k.call("POST", "/api/v1/live/poll", {"after": 0, "wait": 3}))

    threads = [threading.Thread(target=poll, args=(k,)) for k in pollers]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # three long-polls wait; the cap of 2 ordinary requests is still free
    assert kiosk.call("GET", "/api/v1/uploads/" + "0" * 8).status_code == 404
    doc = Document(kiosk, make_pdf(), 1)
    kiosk.call("POST", "/api/v1/uploads", doc.announcement())
    held = []
    for _ in range(2):  # two uploads whose bodies hang hold both places
        signed = protocol.sign_request(kiosk.key, kiosk.kiosk_id, "PATCH", doc.path,
                                       doc.sealed, upload_offset=0)
        sock = _connect(front)
        sock.sendall(_head("PATCH", doc.path, signed) + doc.sealed[:5])
        held.append(sock)
    time.sleep(0.3)
    busy = kiosk.call("GET", "/api/v1/uploads/" + "0" * 8)
    for sock in held:
        sock.close()
    for thread in threads:
        thread.join(timeout=10)
    for k in pollers:
        k.close()
    assert busy.status_code == 503 and busy.json()["error"] == "busy"
    assert int(busy.headers["Retry-After"]) >= 1
    assert [p.status_code for p in polls] == [200, 200, 200]


def test_upload_still_works_end_to_end(front: ServerProcess, kiosk: Kiosk) -> None:
    doc = Document(kiosk, make_pdf(2), 2)
    finished = upload(kiosk, doc, chunk=1000)
    assert finished.status_code == 200, finished.text
