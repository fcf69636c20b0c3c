"""Help controller: "Get help from staff" raises a call without ending the visit.

The screen forwards the button press (``raise_call``) and then asks for news every few
seconds (``poll``); both go to the local agent on a worker (``staff_call`` and
``help_status``), never to the network. Each answer comes back on the UI thread as a
``HelpView``: the text to show in the visitor's language, and whether to speak it (once,
when the desk has answered: "Help is on the way: Dora"). If the agent cannot reach the job
centre, or is not running, the view says where the service desk is (site configuration,
per language with German as the fallback). The visitor's step in the session is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accessibility.i18n import N_
from accessibility.i18n import translate as default_translate
from config.model import SiteConfig
from foundation.errors import KioskError
from kiosk.controllers.runner import Post, Runner

log = logging.getLogger(__name__)

AgentCall = Callable[..., dict[str, Any]]
Translate = Callable[..., str]

CALLED = N_("A member of staff has been called to this terminal. Please wait here.")
ON_THE_WAY = N_("Help is on the way: {name}")
GO_TO_DESK = N_("The staff could not be called from here. Please go to the service desk: "
                "{where}")
ACTIVE = ("sent", "offline", "acknowledged")


@dataclass(frozen=True)
class HelpView:
    """What the screen shows about the call: state, text, and whether to speak it now."""

    state: str
    text: str
    speak: bool = False


class HelpController:
    """Raises the visitor's help call through the agent and reports the desk's answer."""

    def __init__(self, agent_call: AgentCall, site: SiteConfig, *, run: Runner, post: Post,
                 translate: Translate = default_translate) -> None:
        self.agent_call = agent_call
        self.site = site
        self.run = run
        self.post = post
        self.translate = translate
        self.state = "idle"
        self._announced: str | None = None

    @property
    def active(self) -> bool:
        """Whether a call is under way (the screen keeps polling while it is)."""
        return self.state in ACTIVE

    def raise_call(self, lang: str, step: str, on_view: Callable[[HelpView], None]) -> None:
        """Call the desk for the visitor (language and step only; nothing personal)."""
        self._ask(lang, on_view, "staff_call", language=lang, step=step)

    def poll(self, lang: str, on_view: Callable[[HelpView], None]) -> None:
        """Ask the agent whether the desk has answered."""
        self._ask(lang, on_view, "help_status")

    def cancel(self) -> None:
        """The visit ended: withdraw the call."""
        if self.active:
            self.state, self._announced = "idle", None
            self.run("help-cancel", lambda: self._call_quietly("help_cancel"))

    def view(self, answer: dict[str, Any], lang: str) -> HelpView:
        """The view of one agent answer (an error answer means: go to the desk)."""
        state = str(answer.get("state", "offline")) if answer.get("ok") else "offline"
        if state == "acknowledged" and answer.get("name"):
            key = str(answer.get("call_id"))
            speak = key != self._announced
            self._announced = key
            return HelpView(state, self.translate(lang, ON_THE_WAY, name=str(answer["name"])),
                            speak)
        if state == "sent":
            return HelpView(state, self.translate(lang, CALLED))
        if state == "idle":
            return HelpView(state, "")
        return HelpView("offline", self.translate(lang, GO_TO_DESK,
                                                  where=self.site.desk_location(lang)))

    def _ask(self, lang: str, on_view: Callable[[HelpView], None], op: str,
             **params: str) -> None:
        def work() -> None:
            try:
                answer = self.agent_call(op, **params)
            except KioskError as exc:
                log.info("help call: agent not reachable (%s)", exc.code)
                answer = {"ok": False}
            view = self.view(answer, lang)
            self.state = view.state

            def show() -> None:
                on_view(view)

            self.post(show)

        self.run(f"help-{op}", work)

    def _call_quietly(self, op: str) -> None:
        try:
            self.agent_call(op)
        except KioskError as exc:
            log.info("help call: agent not reachable (%s)", exc.code)
