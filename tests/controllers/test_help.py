"""The help controller without a window: raise, poll, the desk's answer spoken once,
offline → where the desk is (per language, German fallback), agent down, cancel."""

from __future__ import annotations

from typing import Any

from config.model import SiteConfig
from foundation.errors import AgentUnavailable
from kiosk.controllers.help import HelpController, HelpView
from kiosk.controllers.runner import call_now, run_inline


class FakeAgent:
    """Answers like the agent's help commands; records what it was asked."""

    def __init__(self, answers: list[dict[str, Any]] | None = None) -> None:
        self.answers = answers or []
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, op: str, **params: Any) -> dict[str, Any]:
        self.calls.append((op, params))
        if not self.answers:
            raise AgentUnavailable("agent not reachable: ConnectionRefusedError")
        return self.answers.pop(0)


SITE = SiteConfig(service_desk_location={"de": "Theke 3, Erdgeschoss",
                                         "en": "Desk 3, ground floor"})


def _controller(agent: FakeAgent) -> HelpController:
    return HelpController(agent, SITE, run=run_inline, post=call_now)


def test_call_then_the_answer_is_shown_and_spoken_once() -> None:
    agent = FakeAgent([
        {"ok": True, "state": "sent", "call_id": "c1", "name": None},
        {"ok": True, "state": "sent", "call_id": "c1", "name": None},
        {"ok": True, "state": "acknowledged", "call_id": "c1", "name": "Dora"},
        {"ok": True, "state": "acknowledged", "call_id": "c1", "name": "Dora"},
    ])
    help_ = _controller(agent)
    views: list[HelpView] = []
    help_.raise_call("en", "capture", views.append)
    assert agent.calls[0] == ("staff_call", {"language": "en", "step": "capture"})
    assert views[-1].state == "sent" and "has been called" in views[-1].text
    assert help_.active
    help_.poll("en", views.append)
    help_.poll("en", views.append)
    assert views[-1] == HelpView("acknowledged", "Help is on the way: Dora", True)
    help_.poll("en", views.append)
    assert views[-1].speak is False  # spoken once only
    help_.cancel()
    assert agent.calls[-1] == ("help_cancel", {}) and not help_.active


def test_offline_says_where_the_desk_is_in_the_language_or_german() -> None:
    offline = {"ok": True, "state": "offline", "call_id": None, "name": None}
    help_ = _controller(FakeAgent([offline, offline]))
    views: list[HelpView] = []
    help_.raise_call("en", "choose_task", views.append)
    assert views[-1].state == "offline" and "Desk 3, ground floor" in views[-1].text
    help_.raise_call("de", "choose_task", views.append)
    assert "Theke 3, Erdgeschoss" in views[-1].text and "Servicetheke" in views[-1].text
    assert SITE.desk_location("tr") == "Theke 3, Erdgeschoss"


def test_agent_not_running_counts_as_offline() -> None:
    views: list[HelpView] = []
    _controller(FakeAgent()).raise_call("ar", "identify", views.append)
    assert views[-1].state == "offline" and "Theke 3, Erdgeschoss" in views[-1].text
