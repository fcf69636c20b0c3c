"""uvicorn's server for the intake service: stopping it answers the held live polls first.

A kiosk's live-channel poll is held open for up to 25 s. On SIGTERM or SIGINT uvicorn stops
accepting, then waits for open requests up to its graceful timeout and cancels what is left,
so every stop of ``kiosk-server serve`` took that long and ended held polls without an
answer (the kiosk saw a dropped connection and backed off). ``IntakeServer.handle_exit``,
which uvicorn calls from its signal handlers, first tells the live hub that the service is
closing (``LiveHub.closing``: every held poll is answered now, none is held any more), so a
stop takes as long as the requests really in progress. The embedded service of the kiosk
agent stops the same way.
"""

from __future__ import annotations

from types import FrameType
from typing import Any

import uvicorn


class IntakeServer(uvicorn.Server):
    """``uvicorn.Server`` whose exit first answers the live hub's held polls."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._app: Any = config.app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Answer the held polls, then stop as uvicorn does on ``sig``."""
        self._answer_held_polls()
        super().handle_exit(sig, frame)

    def stop(self) -> None:
        """Stop from another thread: the held polls are answered, then the server ends
        (no signal is recorded, so none is raised again after the shutdown)."""
        self._answer_held_polls()
        self.should_exit = True

    def _answer_held_polls(self) -> None:
        # safe in a signal handler and from any thread: the hub only schedules its answers
        hub = getattr(getattr(self._app, "state", None), "live", None)
        if hub is not None:
            hub.closing()
