"""A pre-fork supervisor: N worker processes serve on one socket that the parent bound once.

``kiosk-server serve --workers N`` binds N listening sockets on one port in the parent
(``SO_REUSEPORT``), then forks N workers, one per socket; each builds its own app (database
connections, thread pool, event loop are never shared across a fork) and runs uvicorn on
its inherited socket. The kernel spreads new connections evenly over the sockets by their
addresses. With one shared socket the workers raced to accept: under a burst, whichever
woke first took most connections (in ``bench_intake`` one worked 0.55 s, the other 0.22 s),
and the burst lasted as long as the busier worker needed. A worker's socket stays open in the
parent while the worker is replaced, so connections waiting on it are accepted by the new
worker, not reset. The parent only supervises:

* a worker that dies (crash, OOM kill, SIGKILL) is replaced; one that dies within
  ``FAST_EXIT_S`` of its start is replaced after a growing pause (at most ``MAX_BACKOFF_S``),
  so a broken configuration does not fork in a tight loop;
* SIGTERM or SIGINT to the parent is forwarded to every worker as SIGTERM (uvicorn's graceful
  stop); workers still alive after ``stop_timeout_s`` are SIGKILLed. Every wait is bounded.

What is per process and what is shared is listed in docs/intake-api.md (*Several processes*).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger(__name__)
FAST_EXIT_S = 2.0
MAX_BACKOFF_S = 10.0
POLL_S = 0.1


@dataclass
class _Slot:
    pid: int = 0
    started: float = 0.0
    backoff_s: float = 0.0
    not_before: float = 0.0
    restarts: int = field(default=0)


def _fork_worker(sock: socket.socket, work: Callable[[socket.socket], int]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:  # the child: default signal handling, then serve until told to stop
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        code = work(sock)
    except BaseException:  # noqa: BLE001 - a worker must never return into the parent's code
        log.exception("intake worker %d failed", os.getpid())
    finally:
        os._exit(code)


def supervise(
    sockets: list[socket.socket], work: Callable[[socket.socket], int],
    stop_timeout_s: float = 30.0,
) -> int:
    """Run ``work(sock)`` for each socket in a forked process of its own until SIGTERM or
    SIGINT; returns 0."""
    stopping: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    slots = [_Slot() for _ in sockets]
    try:
        while not stopping:
            now = time.monotonic()
            for slot, sock in zip(slots, sockets, strict=True):
                if slot.pid == 0 and now >= slot.not_before and not stopping:
                    slot.pid, slot.started = _fork_worker(sock, work), now
            _reap(slots)
            time.sleep(POLL_S)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        _stop_all(slots, stop_timeout_s)
    return 0


def _reap(slots: list[_Slot]) -> None:
    """Collect dead workers and schedule their replacement."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        for slot in slots:
            if slot.pid == pid:
                now = time.monotonic()
                fast = now - slot.started < FAST_EXIT_S
                slot.backoff_s = min(MAX_BACKOFF_S, slot.backoff_s * 2 or 0.5) if fast else 0.0
                slot.pid, slot.not_before = 0, now + slot.backoff_s
                slot.restarts += 1
                log.warning("intake worker %d ended (%s); starting a new one", pid,
                            _describe(status))


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _stop_all(slots: list[_Slot], timeout_s: float) -> None:
    """SIGTERM every worker, wait up to ``timeout_s``, then SIGKILL the rest."""
    alive = {slot.pid for slot in slots if slot.pid}
    for pid in alive:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while alive and time.monotonic() < deadline:
        alive -= _collect(alive)
        time.sleep(POLL_S)
    for pid in alive:
        log.warning("intake worker %d did not stop in %.0f s; killing it", pid, timeout_s)
        _signal(pid, signal.SIGKILL)
    kill_deadline = time.monotonic() + 5.0
    while alive and time.monotonic() < kill_deadline:
        alive -= _collect(alive)
        time.sleep(POLL_S)


def _collect(pids: set[int]) -> set[int]:
    done = set()
    for pid in pids:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                done.add(pid)
        except ChildProcessError:
            done.add(pid)
    return done


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
