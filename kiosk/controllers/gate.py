"""The UI's side of the visitor gate (``kiosk.agent.visitor_gate``): report, admit, lock, restart.

About once a second a worker reports ``ui_state {in_session}`` to the agent (in a session =
past the attract screen) and posts the answer to the UI thread, where :meth:`apply`:

* keeps ``admit``: while False the attract screen takes no new visitor (it shows a short
  "one moment" line); the visitor on screen is never interrupted;
* shows or removes ``Overlay.OUT_OF_SERVICE`` on the session when the answer's ``overlay``
  is ``"out_of_service"`` or not (the app draws the out-of-service screen for it; a staff
  card or the staff gesture still reach maintenance);
* on ``restart`` and with no visitor in a session, calls ``on_restart`` (the app exits with
  ``UI_RESTART_EXIT_CODE`` and is started again: systemd ``Restart=always`` in production,
  ``kiosk run`` re-executes itself in development; the agent keeps running).

An agent that does not answer changes nothing: the UI admits visitors as it always did
(a lock shown before stays until the agent says otherwise).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from foundation.errors import KioskError
from kiosk.controllers.runner import Post, Runner
from kiosk.session.states import Overlay, SessionState

log = logging.getLogger(__name__)

#: the UI's exit code for "restart me" (EX_TEMPFAIL); systemd and ``kiosk run`` restart it
UI_RESTART_EXIT_CODE = 75
REPORT_EVERY_S = 1.0
OUT_OF_SERVICE = "out_of_service"

AgentCall = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class GateAnswer:
    """What the agent answered (or None fields when it did not answer)."""

    admit: bool
    overlay: str | None
    restart: bool
    reached: bool


UNREACHED = GateAnswer(admit=True, overlay=None, restart=False, reached=False)


class GateController:
    """Reports the session's state to the agent and applies its answer on the UI thread."""

    def __init__(self, agent_call: AgentCall, session: Any, *, run: Runner, post: Post,
                 every_s: float = REPORT_EVERY_S) -> None:
        self.agent_call = agent_call
        self.session = session
        self.run = run
        self.post = post
        self.every_s = every_s
        self.admit = True
        self.overlay: str | None = None
        self.on_restart: Callable[[], None] | None = None
        self._listeners: list[Callable[[GateAnswer], None]] = []
        self._stop = threading.Event()

    def subscribe(self, listener: Callable[[GateAnswer], None]) -> None:
        """Call ``listener(answer)`` on the UI thread after each applied answer."""
        self._listeners.append(listener)

    def start(self) -> None:
        """Start reporting (on the injected runner)."""
        self._stop.clear()
        self.run("ui-gate", self._loop)

    def stop(self) -> None:
        """Stop reporting."""
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            answer = self.report()
            self.post(functools.partial(self.apply, answer))
            self._stop.wait(self.every_s)

    def report(self) -> GateAnswer:
        """One report; the agent's answer (``UNREACHED`` if it did not answer)."""
        in_session = self.session.state is not SessionState.ATTRACT
        try:
            answer = self.agent_call("ui_state", in_session=in_session)
        except KioskError:
            return UNREACHED
        if not answer.get("ok"):
            return UNREACHED
        overlay = answer.get("overlay")
        return GateAnswer(bool(answer.get("admit", True)),
                          overlay if isinstance(overlay, str) else None,
                          bool(answer.get("restart")), True)

    def apply(self, answer: GateAnswer) -> None:
        """On the UI thread: admit, overlay and restart as the agent said."""
        if answer.reached:
            self.admit = answer.admit
            self.overlay = answer.overlay
            if answer.overlay == OUT_OF_SERVICE:
                self.session.show_overlay(Overlay.OUT_OF_SERVICE)
            else:
                self.session.close_overlay(Overlay.OUT_OF_SERVICE)
        else:
            self.admit = True
        for listener in list(self._listeners):
            listener(answer)
        if answer.restart and self.session.state is SessionState.ATTRACT:
            log.info("restarting the UI between visitors (asked by the agent)")
            if self.on_restart is not None:
                self.on_restart()

    @property
    def locked(self) -> bool:
        """Whether the out-of-service screen is up."""
        return Overlay.OUT_OF_SERVICE in self.session.overlays.shown
