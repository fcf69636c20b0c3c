"""Recycle the UI process between visitors, without a blank screen (issue #9: memory).

A Kivy process under Mesa's llvmpipe keeps what a visit touched: code pages, shader
variants, label textures and a fragmented malloc heap (benchmarks/bench_ui.py). Instead of
chasing every byte, the UI is replaced by a fresh process while the attract screen shows:

1. After a visitor's session is wiped (attract screen, no visitor), :meth:`visit_ended`
   asks the policy. When it is due, the UI stops taking visitors (the attract screen says
   "One moment, please.") and writes ``recycle`` on its stdout to the host
   (``kiosk.ui_host``, the ``kiosk run`` parent).
2. The host starts the next UI process. That one draws its first frame and writes
   ``first-frame <time>``; the old window stays on screen meanwhile.
3. The host writes ``exit`` to the old process's stdin; the reader started by
   :meth:`visit_ended` posts ``on_exit`` to the UI thread, which writes ``last-frame
   <time>`` and stops the app. The new window's first frame comes before the old one's
   last (a negative gap): there is no blank screen between them.

Never during a session: a due recycle is only asked for at the attract screen, and while
it is pending no visitor is admitted. A UI not started by a host (tests, ``kiosk
screenshot``) has no ``HOSTED_ENV`` and never recycles. No Kivy here.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kiosk.controllers.runner import Post, Runner, start_thread

log = logging.getLogger(__name__)

#: set by the host for the UI processes it starts (the value is the handover protocol)
HOSTED_ENV = "KIOSK_UI_HOSTED"
PROTOCOL = "1"
#: A fresh UI process holds ~218 MB after its first frame (1280 x 800, llvmpipe), ~281 MB
#: after one upload visit; its first visit peaks at ~300-308 MB and every later visit at
#: 40-47 MB above the RSS it started from (benchmarks/bench_ui.py). A process whose RSS
#: after a visit is above 250 MB would pass 300 MB in its next visit, so it is replaced:
#: in practice after every upload visit (the peak is then the first visit's). Visits that
#: leave less (a visitor who only looked) do not cost a process start.
RECYCLE_ABOVE_MB = 250.0
RECYCLE_AFTER_VISITS = 100


def resident_mb(field: str = "VmRSS", pid: int | str = "self") -> float:
    """Resident memory of a process in MB (``VmHWM``: its peak so far); 0 if unknown."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass(frozen=True)
class RecyclePolicy:
    """When a UI process should make way for a fresh one (between visitors only)."""

    above_mb: float = RECYCLE_ABOVE_MB
    after_visits: int = RECYCLE_AFTER_VISITS

    def due(self, rss_mb: float, visits: int) -> bool:
        """Whether a process at ``rss_mb`` after ``visits`` visits should be replaced."""
        return rss_mb > self.above_mb or visits >= self.after_visits


class RecycleController:
    """The UI process's side of the handover (writes to the host, reads its answer)."""

    def __init__(self, policy: RecyclePolicy, *, post: Post, run: Runner = start_thread,
                 hosted: bool | None = None,
                 out: IO[str] | None = None, inp: IO[str] | None = None,
                 rss: Callable[[], float] = resident_mb) -> None:
        self.policy = policy
        self.post = post
        self.run = run
        self.hosted = os.environ.get(HOSTED_ENV) == PROTOCOL if hosted is None else hosted
        self.out = out or sys.stdout
        self.inp = inp or sys.stdin
        self.rss = rss
        self.visits = 0
        self.pending = False  # asked the host; no new visitor until the process ends

    def _say(self, line: str) -> None:
        try:
            self.out.write(line + "\n")
            self.out.flush()
        except (OSError, ValueError):  # the host is gone: nothing to hand over to
            log.warning("the UI host did not take the message")

    def first_frame(self, at: float | None = None) -> None:
        """The first frame is on screen: the host may now end the previous UI process."""
        if self.hosted:
            self._say(f"first-frame {time.time() if at is None else at:.6f}")

    def last_frame(self, at: float | None = None) -> None:
        """This process draws no more frames (it is being replaced)."""
        if self.hosted:
            self._say(f"last-frame {time.time() if at is None else at:.6f}")

    def visit_ended(self, on_exit: Callable[[], None]) -> bool:
        """A visitor's session was wiped (attract screen); True if a recycle was asked for.

        ``on_exit`` runs on the UI thread once the host says the next process is drawing.
        """
        self.visits += 1
        if not self.hosted or self.pending:
            return False
        rss = self.rss()
        if not self.policy.due(rss, self.visits):
            return False
        log.info("recycling the UI process after %d visits (%.0f MB resident)",
                 self.visits, rss)
        self.pending = True
        self._say("recycle")
        self.run("ui-recycle", functools.partial(self._wait_for_exit, on_exit))
        return True

    def _wait_for_exit(self, on_exit: Callable[[], None]) -> None:
        try:
            for line in self.inp:
                if line.strip() == "exit":
                    break
            else:
                log.warning("the UI host closed its pipe; this UI process ends")
        except (OSError, ValueError):
            log.warning("the UI host's pipe failed; this UI process ends")
        self.post(on_exit)
