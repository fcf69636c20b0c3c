"""The visitor gate: fleet work (commands, configuration, updates) waits for the session to end.

No command, configuration change or update may interrupt a visitor. The UI tells the agent
where it stands about once a second with the local command ``ui_state`` (``in_session``:
a visitor is past the attract screen) and learns from the answer whether it may take the
next visitor (``admit``), which terminal overlay to show (``overlay``, e.g. the
out-of-service lock) and whether to restart between visitors (``restart``).

Fleet code hands its work to :meth:`VisitorGate.between_sessions`. The gate runs jobs one
at a time on its own thread, each only when:

1. the gate is *closed* (``admit`` is False from that moment: the next visitor is not
   taken; the visitor on screen finishes, an "urgent" job closes it at once), and
2. the UI has since reported ``in_session = False`` (it saw the closed gate, so no new
   visitor slipped in between), or the UI has not reported for ``ui_silent_s`` (no UI runs,
   e.g. it is restarting or the terminal is headless).

After the job the gate opens again unless a lock holds it shut (``lock``/``unlock``). A job
that fails is logged by its name and the error's type only; the next job still runs.

Terminal states the UI shows (``set_overlay``) survive the agent's restart only if the
caller stores them (the fleet command handler does).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

Clock = Callable[[], float]
#: after this long without a ``ui_state`` report, the gate assumes no UI is running
UI_SILENT_S = 5.0


@dataclass
class _Job:
    name: str
    work: Callable[[], Any]
    urgent: bool
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


@dataclass(frozen=True)
class UiAnswer:
    """What the agent tells the UI on every ``ui_state`` report."""

    admit: bool
    overlay: str | None
    restart: bool

    def wire(self) -> dict[str, Any]:
        """The socket answer."""
        return {"ok": True, "admit": self.admit, "overlay": self.overlay,
                "restart": self.restart}


class VisitorGate:
    """Whether a visitor is in a session, and the queue of work that waits for none to be."""

    def __init__(self, clock: Clock = time.monotonic, *, ui_silent_s: float = UI_SILENT_S,
                 wall_clock: Clock = time.time) -> None:
        self.clock = clock
        self.wall_clock = wall_clock
        self.ui_silent_s = ui_silent_s
        self._lock = threading.Condition()
        self._in_session = False
        self._last_report: float | None = None
        self._reports_since_close = 0
        self._closed_by: set[str] = set()
        self._overlay: str | None = None
        self._restart = False
        self._jobs: deque[_Job] = deque()
        self._running: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: wall-clock time the last session ended (no personal data), for the heartbeat
        self.last_session_end: float | None = None

    # -- the UI's side ----------------------------------------------------------------------

    def report(self, in_session: bool) -> UiAnswer:
        """The UI's report (``ui_state``); the answer tells it what to do."""
        with self._lock:
            if self._in_session and not in_session:
                self.last_session_end = self.wall_clock()
            self._in_session = in_session
            self._last_report = self.clock()
            if self._closed_by or self._jobs:
                self._reports_since_close += 1
            answer = UiAnswer(self.admits, self._overlay, self._restart and not in_session)
            if answer.restart:  # told once: the restarted UI must not restart again
                self._restart = False
            self._lock.notify_all()
            return answer

    @property
    def admits(self) -> bool:
        """Whether the UI may take a new visitor now."""
        return not self._closed_by and not self._jobs and self._running is None

    @property
    def in_session(self) -> bool:
        """Whether a visitor is in a session (as last reported; False without a UI)."""
        with self._lock:
            return self._in_session and not self._ui_silent()

    @property
    def ui_present(self) -> bool:
        """Whether a UI has reported within ``ui_silent_s``."""
        with self._lock:
            return not self._ui_silent()

    @property
    def last_report_at(self) -> float | None:
        """When (gate clock) the UI last reported, or None if it never did."""
        return self._last_report

    @property
    def running(self) -> str | None:
        """The name of the job running now, if any."""
        return self._running

    def pending(self) -> list[str]:
        """Names of the jobs waiting, oldest first."""
        with self._lock:
            return [job.name for job in self._jobs]

    # -- terminal states ----------------------------------------------------------------------

    def close(self, reason: str) -> None:
        """Take no new visitor until :meth:`open` with the same reason (e.g. ``lock``)."""
        with self._lock:
            self._closed_by.add(reason)
            self._reports_since_close = 0

    def open(self, reason: str) -> None:
        """Lift one reason the gate was closed for."""
        with self._lock:
            self._closed_by.discard(reason)
            self._lock.notify_all()

    def set_overlay(self, overlay: str | None) -> None:
        """The terminal overlay the UI shows between visitors (``out_of_service`` or None)."""
        with self._lock:
            self._overlay = overlay

    def request_restart(self, wanted: bool = True) -> None:
        """Ask the UI to restart as soon as no visitor is in a session (answered once)."""
        with self._lock:
            self._restart = wanted

    # -- work between sessions ----------------------------------------------------------------

    def between_sessions(self, name: str, work: Callable[[], Any], *,
                         urgent: bool = False) -> _Job:
        """Queue ``work`` to run when no visitor is in a session; returns the job to wait on.

        The gate closes at once (no new visitor); ``urgent`` only documents that the caller
        wants exactly that (every job closes the gate: none may start a session it would
        then interrupt).
        """
        job = _Job(name, work, urgent)
        with self._lock:
            if not self._jobs and self._running is None:
                self._reports_since_close = 0
            self._jobs.append(job)
            self._lock.notify_all()
        return job

    def wait(self, job: _Job, timeout_s: float) -> bool:
        """Wait for ``job`` to finish; False on timeout."""
        return job.done.wait(timeout_s)

    def start(self) -> None:
        """Start the thread that runs queued jobs."""
        self._thread = threading.Thread(target=self._run, name="visitor-gate", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the job thread (jobs still queued stay undone)."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _ui_silent(self) -> bool:
        return self._last_report is None or self.clock() - self._last_report > self.ui_silent_s

    def _free(self) -> bool:
        """No visitor, and the UI has seen the closed gate (or no UI is there)."""
        if self._ui_silent():
            return True
        return not self._in_session and self._reports_since_close >= 1

    def _next_job(self) -> _Job | None:
        with self._lock:
            while not self._stop.is_set():
                if self._jobs and self._free():
                    job = self._jobs.popleft()
                    self._running = job.name
                    return job
                self._lock.wait(0.2)
            return None

    def _run(self) -> None:
        while True:
            job = self._next_job()
            if job is None:
                return
            try:
                job.result = job.work()
            except Exception as exc:  # noqa: BLE001 - one failed job must not stop the gate
                job.error = exc
                log.error("between-sessions job %s failed: %s", job.name, type(exc).__name__)
            finally:
                with self._lock:
                    self._running = None
                    self._reports_since_close = 0
                    self._lock.notify_all()
                job.done.set()
