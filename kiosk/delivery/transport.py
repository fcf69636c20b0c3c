"""Signed HTTP calls to the intake service (httpx with timeouts), learning the server's clock.

Every request except enroll/health carries the kiosk's signature headers from the contract
(``wire.request_auth``, version 2: the raw path and query as sent, a fresh nonce, the body's
length and ``Content-Digest``, and ``Upload-Offset``). After an error answer to a request
with a body the connection pool is dropped: the server may have answered without reading
the body and closed its side, and a reused connection would fail the next request.
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

#: how often a rate-limited request is sent again, and the longest wait honoured
RATE_LIMIT_RETRIES = 4
MAX_RATE_LIMIT_WAIT_S = 5.0


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
        self._timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
        self._transport = transport
        self._tls_problem = ""
        self._http = self._connect()

    def _connect(self) -> httpx.Client:
        try:
            return http_client(self.identity.server_url, self.identity.tls, self._timeout,
                               self._transport)
        except OSError as exc:  # the CA file vanished or broke: uploads wait, nothing crashes
            self._tls_problem = f"cannot use the CA file {self.identity.tls.ca_file}: {exc}"
            return httpx.Client(base_url=self.identity.server_url, timeout=self._timeout)

    def _drop_connections(self) -> None:
        """Close every pooled connection; the next request opens a fresh one."""
        self._http.close()
        self._http = self._connect()

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
        upload_offset: int | None = None,
        announcement: str | None = None,
    ) -> httpx.Response:
        """Send one request; raises BackendUnavailable if the server cannot be reached.

        ``announcement``: an ``Upload-Announcement`` value, signed with the request.

        A rate limit (429) with a short ``Retry-After`` is waited out and the request sent
        again, signed anew (a kiosk draining a backlog after an outage must not fall into
        its long outage backoff because it is briefly sending too fast).
        """
        for _ in range(RATE_LIMIT_RETRIES):
            response = self._send_once(method, path, body, headers, signed, upload_offset,
                                       announcement)
            wait = _retry_after(response)
            if response.status_code != 429 or wait is None or wait > MAX_RATE_LIMIT_WAIT_S:
                return response
            log.info("rate limited by the intake service; waiting %.1f s", wait)
            time.sleep(wait)
        return response

    def _send_once(
        self,
        method: str,
        path: str,
        body: bytes,
        headers: dict[str, str] | None,
        signed: bool,
        upload_offset: int | None,
        announcement: str | None = None,
    ) -> httpx.Response:
        all_headers = dict(headers or {})
        if body and "Content-Type" not in all_headers:
            all_headers["Content-Type"] = "application/json"
        if self._tls_problem:
            raise BackendUnavailable(self._tls_problem, code="backend_tls")
        request = self._http.build_request(method, path, content=body, headers=all_headers)
        if signed:
            request.headers.update(protocol.sign_request(
                self.identity.kiosk_key, self.identity.kiosk_id, method,
                request.url.raw_path.decode("ascii"), body,
                timestamp=int(time.time() + self._offset), upload_offset=upload_offset,
                upload_announcement=announcement,
            ))
        elif upload_offset is not None:
            request.headers[protocol.HEADER_UPLOAD_OFFSET] = str(upload_offset)
        try:
            response = self._http.send(request)
        except httpx.HTTPError as exc:
            self._drop_connections()
            reason = describe_tls_failure(exc, self.identity.tls)
            if reason is not None:
                log.warning("intake service certificate refused")
                raise BackendUnavailable(reason, code="backend_tls") from exc
            raise BackendUnavailable(f"intake service not reachable: {type(exc).__name__}") from exc
        if body and response.status_code >= 400:
            self._drop_connections()
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


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta form only), or None."""
    value = response.headers.get("retry-after", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def safe_json(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or {} if it is none."""
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
