"""The intake service's front line: client addresses, rate limits, concurrency, slow bodies.

``FrontMiddleware`` wraps the whole ASGI app (kiosk API, ``/verify``, staff app):

* **Client address**: the TCP peer, or, when the peer is a configured trusted proxy, the
  right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy.
* **Rate limits** (token buckets, per process, answered 429 with ``Retry-After``): a
  request without kiosk signature headers is charged to its client address before it is
  handled; a signed kiosk request is charged to its kiosk after authentication
  (``FrontGuard.charge_kiosk``), and to its address only if authentication fails
  (``charge_failure``), since many kiosks share one NAT or proxy address. The live channel
  has a per-kiosk bucket of its own.
* **Concurrency cap**: at most ``max_concurrent`` requests in progress (beyond it 503
  ``busy`` with ``Retry-After``); live-channel long-polls do not count (they have their own
  cap in ``jobcentre.live``).
* **Slow bodies**: a body must arrive at ``body_min_rate`` bytes/s on average, counted
  from the first read after a grace period (``body_grace_s``); otherwise 408
  ``body_too_slow`` and the connection is closed. A 4 MiB chunk at the default 2 KiB/s
  gets 34 minutes.
* **Unread bodies**: an answer sent before the request body was read to its end carries
  ``Connection: close``, so neither side reuses a connection with unread bytes in it.

Slow or missing request headers are handled below ASGI, in ``jobcentre.http_protocol``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from foundation.errors import ApiError
from wire import protocol

LIVE_PATH = f"{protocol.API_PREFIX}/live/poll"
_ENROLL_PATH = f"{protocol.API_PREFIX}/enroll"
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class FrontLimits:
    """Timeouts and limits of the HTTP front (``kiosk-server serve`` flags)."""

    header_timeout_s: float = 30.0
    keep_alive_s: int = 5
    body_min_rate: float = 2048.0
    body_grace_s: float = 10.0
    max_concurrent: int = 256
    busy_retry_after_s: int = 2
    address_rate: float = 10.0
    address_burst: float = 200.0
    kiosk_rate: float = 10.0
    kiosk_burst: float = 120.0
    live_rate: float = 1.0
    live_burst: float = 10.0
    trusted_proxies: tuple[str, ...] = ()
    max_tracked: int = 100_000


def parse_networks(values: Iterable[str]) -> tuple[_Network, ...]:
    """Addresses or CIDR networks; raises ValueError naming a bad one."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values)


def client_address(scope: dict[str, Any], trusted: tuple[_Network, ...]) -> str:
    """The client's address: the peer, or behind trusted proxies the forwarded one."""
    peer = (scope.get("client") or ("", 0))[0] or ""
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    forwarded = [v.decode("latin-1") for k, v in scope.get("headers", [])
                 if k == b"x-forwarded-for"]
    hops = [h.strip() for h in ",".join(forwarded).split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted: tuple[_Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted if net.version == ip.version)


class TokenBuckets:
    """Token buckets by key (rate per second, burst); the least recently used are forgotten."""

    def __init__(self, rate: float, burst: float, max_keys: int) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, now: float | None = None) -> float:
        """Take one token: 0.0 if allowed, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate if self.rate > 0 else 3600.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


def _refuse_if(wait: float) -> None:
    if wait > 0:
        raise ApiError(429, protocol.ERROR_RATE_LIMITED, retry_after=max(1, int(wait + 0.999)))


@dataclass
class FrontGuard:
    """The shared state of the front: buckets and requests in progress."""

    limits: FrontLimits = field(default_factory=FrontLimits)
    in_flight: int = 0

    def __post_init__(self) -> None:
        lim = self.limits
        self.trusted = parse_networks(lim.trusted_proxies)
        self.addresses = TokenBuckets(lim.address_rate, lim.address_burst, lim.max_tracked)
        self.kiosks = TokenBuckets(lim.kiosk_rate, lim.kiosk_burst, lim.max_tracked)
        self.live = TokenBuckets(lim.live_rate, lim.live_burst, lim.max_tracked)
        # the kiosk routes charge from their worker thread (jobcentre.routes_kiosk)
        self._lock = threading.Lock()

    def charge_address(self, address: str) -> None:
        """Count one unauthenticated request from ``address``; 429 if over its limit."""
        with self._lock:
            wait = self.addresses.take(address)
        _refuse_if(wait)

    def charge_failure(self, address: str, refusal: ApiError) -> ApiError:
        """A failed authentication counts against the address: 429 once over, else as is."""
        with self._lock:
            wait = self.addresses.take(address)
        if wait > 0:
            return ApiError(429, protocol.ERROR_RATE_LIMITED, retry_after=max(1, int(wait + 1)))
        return refusal

    def charge_kiosk(self, kiosk_id: str, live: bool = False) -> None:
        """Count one authenticated request of a kiosk; 429 if over its limit (thread-safe)."""
        with self._lock:
            wait = (self.live if live else self.kiosks).take(kiosk_id)
        _refuse_if(wait)


def _is_signed_kiosk_call(scope: dict[str, Any]) -> bool:
    path = scope.get("path", "")
    if not path.startswith(protocol.API_PREFIX + "/") or path == _ENROLL_PATH:
        return False
    return any(k == b"x-kiosk-signature" for k, _ in scope.get("headers", []))


def _declares_body(scope: dict[str, Any]) -> bool:
    for key, value in scope.get("headers", []):
        if key == b"transfer-encoding" or (key == b"content-length" and value.strip() != b"0"):
            return True
    return False


class FrontMiddleware:
    """ASGI middleware applying ``FrontGuard`` to every HTTP request."""

    def __init__(self, app: Any, guard: FrontGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        guard, limits = self.guard, self.guard.limits
        address = client_address(scope, guard.trusted)
        scope.setdefault("state", {})["client_address"] = address
        state = {"started": False, "body_done": not _declares_body(scope)}

        async def send_marked(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                if not state["body_done"]:
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"connection", b"close")]}
            await send(message)

        received = 0
        first_read: float | None = None

        async def receive_paced() -> Any:
            nonlocal received, first_read
            if state["body_done"]:
                return await receive()
            now = time.monotonic()
            first_read = now if first_read is None else first_read
            deadline = first_read + limits.body_grace_s + received / limits.body_min_rate
            try:  # a timeout scope, not wait_for: no extra task per piece of a 1 MB body
                async with asyncio.timeout(max(deadline - now, 0.05)):
                    message = await receive()
            except TimeoutError:
                raise ApiError(408, protocol.ERROR_BODY_TIMEOUT) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                state["body_done"] = not message.get("more_body", False)
            return message

        try:
            if not _is_signed_kiosk_call(scope):
                guard.charge_address(address)
            if scope.get("path") == LIVE_PATH:
                await self.app(scope, receive_paced, send_marked)
                return
            if guard.in_flight >= limits.max_concurrent:
                raise ApiError(503, protocol.ERROR_BUSY, retry_after=limits.busy_retry_after_s)
            guard.in_flight += 1
            try:
                await self.app(scope, receive_paced, send_marked)
            finally:
                guard.in_flight -= 1
        except ApiError as exc:
            if state["started"]:
                raise
            await _send_error(send_marked, exc)


async def _send_error(send: Any, exc: ApiError) -> None:
    body = json.dumps(exc.body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    retry = exc.extra.get("retry_after")
    if retry is not None:
        headers.append((b"retry-after", str(retry).encode()))
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
