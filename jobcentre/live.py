"""The live channel from job centre to kiosk: a signed long-poll that passes proxies and NAT.

A kiosk agent keeps one ``POST /api/v1/live/poll`` open, signed like every kiosk request,
with the body ``{"after": CURSOR, "wait": SECONDS}``. The service answers at once when
messages past the cursor wait for that kiosk, otherwise as soon as one is posted, or with an
empty list after ``wait`` seconds (capped, so that idle proxies never cut the line). Polling
with a higher cursor acknowledges what came before. Helper mode ("help is on the way"),
video call signalling and fleet commands all travel this way (types in docs/intake-api.md).

Several intake processes share the queue through the database: each process wakes its own
waiting polls when it posts, and a watcher notices messages that other processes posted.
Limits are sized for 10,000 kiosks: one waiting poll per kiosk (a new poll answers the old
one empty), a cap on waiting polls per process (503 with Retry-After beyond it), a cap on
messages per answer, and a time to live for every message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError
from jobcentre.live_store import LiveMessage, LiveStore

log = logging.getLogger(__name__)

ERROR_TOO_MANY_WAITING = "live_channel_busy"


@dataclass(frozen=True)
class LiveLimits:
    """Limits of the live channel (all configurable so tests use short ones)."""

    max_wait_s: float = 25.0
    max_waiting: int = 12_000
    max_batch: int = 100
    message_ttl: timedelta = timedelta(hours=24)
    watch_interval_s: float = 0.25
    expire_every_s: float = 300.0


class LiveHub:
    """Waiting polls of this process, and the store they read."""

    def __init__(self, store: LiveStore, limits: LiveLimits | None = None) -> None:
        self.store = store
        self.limits = limits or LiveLimits()
        self._waiting: dict[str, asyncio.Event] = {}
        self._seen = 0
        self._acked: dict[str, int] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False  # the service stops: polls answer at once, none is held

    @property
    def waiting(self) -> int:
        """Polls waiting in this process now."""
        return len(self._waiting)

    async def post(self, kiosk_id: str, type_: str, body: dict[str, Any]) -> LiveMessage:
        """Queue a message for ``kiosk_id`` and wake its poll if it waits here."""
        message = await run_in_threadpool(self.store.add, kiosk_id, type_, body,
                                          self.limits.message_ttl)
        event = self._waiting.get(kiosk_id)
        if event is not None:
            event.set()
        return message

    async def poll(self, kiosk_id: str, after: int, wait_s: float) -> list[LiveMessage]:
        """Messages past ``after``, waiting up to ``wait_s`` (capped) for the first one."""
        wait_s = 0.0 if self._closing else max(0.0, min(wait_s, self.limits.max_wait_s))
        if after > self._acked.get(kiosk_id, 0):
            await run_in_threadpool(self.store.acknowledge, kiosk_id, after)
            self._acked[kiosk_id] = after
        previous = self._waiting.pop(kiosk_id, None)
        if previous is not None:
            previous.set()  # the kiosk reconnected: its old poll answers (empty) now
        if wait_s > 0 and len(self._waiting) >= self.limits.max_waiting:
            raise ApiError(503, ERROR_TOO_MANY_WAITING, retry_after=5)
        event = asyncio.Event()
        if wait_s > 0:
            self._waiting[kiosk_id] = event
        try:
            messages = await run_in_threadpool(self.store.after, kiosk_id, after,
                                               self.limits.max_batch)
            if messages or wait_s == 0:
                return messages
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), wait_s)
            if self._waiting.get(kiosk_id) is not event or not event.is_set():
                # replaced by a newer poll of the same kiosk, or nothing was posted for it
                # while it waited (a post here or the watcher sets the event): answer empty
                # without asking the database again
                return []
            return await run_in_threadpool(self.store.after, kiosk_id, after,
                                           self.limits.max_batch)
        finally:
            if self._waiting.get(kiosk_id) is event:
                del self._waiting[kiosk_id]

    async def start(self) -> None:
        """Start watching for messages posted by other processes."""
        self._loop = asyncio.get_running_loop()
        self._seen = await run_in_threadpool(self.store.newest_seq)
        self._watcher = asyncio.ensure_future(self._watch())
        self._watcher.add_done_callback(_report_crash)

    async def stop(self) -> None:
        """Stop the watcher and answer every waiting poll."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        self._answer_all()

    def closing(self) -> None:
        """From any thread, as the server begins to stop: answer the held polls now and hold
        no new one, so the server need not cancel them (a poll waits up to 25 s)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._answer_all)

    def _answer_all(self) -> None:
        self._closing = True
        for event in self._waiting.values():
            event.set()

    async def _watch(self) -> None:
        since_expiry = 0.0
        while True:
            await asyncio.sleep(self.limits.watch_interval_s)
            since_expiry += self.limits.watch_interval_s
            try:
                await self._wake_new()
                if since_expiry >= self.limits.expire_every_s:
                    since_expiry = 0.0
                    await run_in_threadpool(self.store.expire)
            except Exception as exc:  # noqa: BLE001 - keep watching through database trouble
                log.warning("live channel watcher: %s", type(exc).__name__)

    async def _wake_new(self) -> None:
        newest = await run_in_threadpool(self.store.newest_seq)
        if newest <= self._seen:
            return
        if self._waiting:
            for kiosk_id in await run_in_threadpool(self.store.kiosks_after, self._seen):
                event = self._waiting.get(kiosk_id)
                if event is not None:
                    event.set()
        self._seen = newest


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("live channel watcher stopped: %r", task.exception())


def parse_poll(payload: Any) -> tuple[int, float]:
    """``(after, wait)`` from a poll body, or 400."""
    if not isinstance(payload, dict) or set(payload) - {"after", "wait"}:
        raise ApiError(400, "invalid_request", detail="expected {after, wait}")
    after, wait = payload.get("after", 0), payload.get("wait", 0)
    if (not isinstance(after, int) or isinstance(after, bool) or after < 0
            or after > 2**62):
        raise ApiError(400, "invalid_request", detail="after must be a cursor (integer ≥ 0)")
    if not isinstance(wait, (int, float)) or isinstance(wait, bool) or not 0 <= wait <= 3600:
        raise ApiError(400, "invalid_request", detail="wait must be seconds (0–3600)")
    return after, float(wait)
