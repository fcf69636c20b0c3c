"""Signed HTTP calls to the intake service (httpx with timeouts), learning the server's clock.

Every request except enroll/health carries the kiosk's signature headers from the contract.
The request time is the kiosk clock corrected by the offset learned at the last contact, so
a kiosk whose clock drifted can still upload (receipts stay refused until the clock is right).
Foreign exceptions are translated here: network trouble becomes ``BackendUnavailable``, a
refused certificate (CA file, pin; see ``kiosk.delivery.tls``) ``BackendUnavailable`` with code
``backend_tls`` and a sentence saying which check failed.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx

from foundation.errors import BackendUnavailable
from kiosk.delivery.clock import ClockGuard, parse_http_date
from kiosk.delivery.identity import Identity
from kiosk.delivery.tls import describe_tls_failure, http_client
from wire import protocol

log = logging.getLogger(__name__)


class ServerClient:
    """One kiosk's HTTP connection to its intake service."""

    def __init__(
        self,
        identity: Identity,
        clock: ClockGuard,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.identity = identity
        self.clock = clock
        self._offset = clock.offset() or 0.0
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
        self._tls_problem = ""
        try:
            self._http = http_client(identity.server_url, identity.tls, timeout, transport)
        except OSError as exc:  # the CA file vanished or broke: uploads wait, nothing crashes
            self._tls_problem = f"cannot use the CA file {identity.tls.ca_file}: {exc}"
            self._http = httpx.Client(base_url=identity.server_url, timeout=timeout)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> ServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> httpx.Response:
        """Send one request; raises BackendUnavailable if the server cannot be reached."""
        all_headers = dict(headers or {})
        if body and "Content-Type" not in all_headers:
            all_headers["Content-Type"] = "application/json"
        if signed:
            all_headers.update(protocol.sign_request(
                self.identity.kiosk_key, self.identity.kiosk_id, method, path, body,
                timestamp=int(time.time() + self._offset),
            ))
        if self._tls_problem:
            raise BackendUnavailable(self._tls_problem, code="backend_tls")
        try:
            response = self._http.request(method, path, content=body, headers=all_headers)
        except httpx.HTTPError as exc:
            reason = describe_tls_failure(exc, self.identity.tls)
            if reason is not None:
                log.warning("intake service certificate refused")
                raise BackendUnavailable(reason, code="backend_tls") from exc
            raise BackendUnavailable(f"intake service not reachable: {type(exc).__name__}") from exc
        self._learn_time(response)
        return response

    def call_json(self, method: str, path: str, payload: Any | None = None) -> httpx.Response:
        """Send a JSON body (canonical encoding) and return the response."""
        body = b"" if payload is None else protocol.canonical_json(payload)
        return self.request(method, path, body)

    def _learn_time(self, response: httpx.Response) -> None:
        server_time = None
        if response.status_code == 401:
            data = safe_json(response)
            if data.get("error") == protocol.ERROR_CLOCK_SKEW:
                try:
                    server_time = protocol.parse_time(str(data.get("server_time")))
                except ValueError:
                    server_time = None
        if server_time is None:
            server_time = parse_http_date(response.headers.get("date"))
        if server_time is not None:
            self._offset = self.clock.learn(server_time)

    def health(self) -> dict[str, Any]:
        """``GET /api/v1/health`` (unsigned)."""
        response = self.request("GET", f"{protocol.API_PREFIX}/health", signed=False)
        return safe_json(response) if response.status_code == 200 else {"status": "error"}


def safe_json(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or {} if it is none."""
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
