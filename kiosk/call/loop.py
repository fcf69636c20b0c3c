"""The call's own asyncio loop, in a thread of its own.

Kivy runs its own main loop; aiortc needs asyncio. The call engine and the controller's
background work live on this loop; the UI thread hands work over with ``submit`` and gets
answers back through the controller's post-to-UI. Every coroutine submitted here gets a
done-callback that logs its failure.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class CallLoop:
    """A started-on-demand event loop thread."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop thread (idempotent)."""
        if self.loop is not None:
            return
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                        name="call-loop")
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the loop; its failure is logged (and kept in the future)."""
        self.start()
        assert self.loop is not None
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        future.add_done_callback(_log_future_error)
        return future

    def stop(self) -> None:
        """Stop the loop and its thread."""
        if self.loop is None:
            return
        loop = self.loop

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(concurrent.futures.TimeoutError):
            asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        loop.close()
        self.loop, self._thread = None, None


def _log_future_error(future: concurrent.futures.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("call work failed", exc_info=future.exception())
