"""A small pool of database connections for the repository's worker threads.

At most ``size`` connections are lent at once (a borrower waits up to 30 s, then
``DatabaseUnavailable``); a connection whose borrower raised is closed instead of returned,
so a broken or half-used connection is never lent again.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from foundation.errors import DatabaseUnavailable

log = logging.getLogger(__name__)


class ConnectionPool:
    """A few reusable connections; broken ones are closed instead of returned."""

    def __init__(self, factory: Callable[[], Any], size: int) -> None:
        self._factory = factory
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._open: list[Any] = []
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """Borrow a connection for one transaction."""
        if not self._slots.acquire(timeout=30):
            raise DatabaseUnavailable("no database connection free for 30 s")
        conn: Any = None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._factory()
                with self._lock:
                    self._open.append(conn)
            yield conn
        except BaseException:
            if conn is not None:
                self._discard(conn)
                conn = None
            raise
        finally:
            if conn is not None:
                self._idle.put(conn)
            self._slots.release()

    def _discard(self, conn: Any) -> None:
        with self._lock:
            if conn in self._open:
                self._open.remove(conn)
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail again
            log.debug("closing a broken connection failed", exc_info=True)

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            conns, self._open = self._open, []
        for conn in conns:
            conn.close()
