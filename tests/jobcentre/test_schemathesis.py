"""Schemathesis against the service's own ``/openapi.json``: no input gives a 5xx.

Every generated request goes through a ``requests`` auth hook that signs it as an enrolled
kiosk (signature v2 over the request exactly as it will be sent), so the cases reach the
code behind authentication. A bounded number of examples per operation keeps this short;
the front's limits are lifted for the run and long-polls are cut to a moment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.jobcentre.helpers import Kiosk, ServerProcess
from wire import protocol

EXAMPLES = 30
OPEN = ("--kiosk-rate", "100000", "--kiosk-burst", "100000", "--address-rate", "100000",
        "--address-burst", "100000", "--live-max-wait", "0.1")
_SIGNED_HEADERS = {h.lower() for h in (
    protocol.HEADER_KIOSK_ID, protocol.HEADER_KIOSK_TIME, protocol.HEADER_KIOSK_NONCE,
    protocol.HEADER_KIOSK_SIGNATURE, protocol.HEADER_CONTENT_DIGEST)}

_B64U = re.compile(r"^[A-Za-z0-9_-]{1,2048}$")  # an announcement the signer signs as sent


class KioskSigner(requests.auth.AuthBase):
    """Signs each prepared request as the kiosk (replacing generated signature headers)."""

    def __init__(self, kiosk: Kiosk) -> None:
        self.kiosk = kiosk

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
            request.body = body
        if not isinstance(body, bytes):
            return request  # a streamed body: sent unsigned, and refused with 401
        url = urlsplit(request.url or "")
        target = url.path + (f"?{url.query}" if url.query else "")
        offset = request.headers.get(protocol.HEADER_UPLOAD_OFFSET, "")
        announcement = request.headers.get(protocol.HEADER_UPLOAD_ANNOUNCEMENT, "")
        for name in [h for h in request.headers if h.lower() in _SIGNED_HEADERS]:
            del request.headers[name]
        signed = protocol.sign_request(
            self.kiosk.key, self.kiosk.kiosk_id, request.method or "GET", target, body,
            upload_offset=int(offset) if offset.isdigit() and len(offset) < 16 else None,
            upload_announcement=announcement if _B64U.match(announcement) else None)
        if not (offset.isdigit() and len(offset) < 16):
            signed.pop(protocol.HEADER_UPLOAD_OFFSET, None)  # keep the generated odd value
        request.headers.update(signed)
        return request


@pytest.fixture
def open_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server whose rate limits do not get in the way of many generated requests."""
    (tmp_path / "data").mkdir()
    proc = ServerProcess(tmp_path / "data", None, extra=OPEN).start()
    try:
        yield proc
    finally:
        proc.stop()


def test_no_server_errors_for_generated_requests(open_server: ServerProcess) -> None:
    kiosk = Kiosk(open_server)
    schema = schemathesis.openapi.from_url(open_server.url + "/openapi.json")
    failures: list[str] = []
    past_auth: dict[str, int] = {}
    with requests.Session() as session:
        session.auth = KioskSigner(kiosk)
        for result in schema.get_all_operations():
            operation = result.ok()

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def check(case: schemathesis.Case) -> None:
                try:
                    response = case.call(session=session, base_url=open_server.url, timeout=10)
                except (requests.exceptions.InvalidHeader, ValueError):
                    return  # not sendable over HTTP/1.1 at all (e.g. a newline in a header)
                label = case.operation.label
                if response.status_code != 401:
                    past_auth[label] = past_auth.get(label, 0) + 1
                if response.status_code >= 500:
                    failures.append(f"{label}: {response.status_code} "
                                    f"{response.text[:200]}")

            check()
    kiosk.close()
    assert not failures, "\n".join(sorted(set(failures)))
    for label in ("POST /api/v1/uploads", "PATCH /api/v1/uploads/{document_id}",
                  "POST /api/v1/live/poll"):
        assert past_auth.get(label, 0) > 0, f"no generated {label} got past authentication"
