"""The agent's commands: one small handler each, registered in ``REGISTRY`` with its origins.

    command           origins          what
    ping              local, fleet     the agent answers (with its pid)
    kick              local, fleet     upload now instead of waiting for the next pass
    status            local, fleet     outbox counts, backend, device health, alerts
    staff_call        local only       a visitor asks for help: sent to the service desk
                                       (or kept in memory and answered ``offline``)
    help_status       local only       the help call's state ("acknowledged" + first name)
    help_cancel       local only       the visitor no longer needs help
    document_states   local only       per-document states of one receipt
    ui_state          local only       the UI reports whether a visitor is in a session;
                                       the answer says whether to admit the next one, which
                                       terminal overlay to show and whether to restart
                                       (``kiosk.agent.visitor_gate``)
    update_apply      local only       a signed ``app_update`` bundle from this terminal
                                       (``kiosk update apply FILE``): verified now,
                                       applied between sessions (``kiosk.updates.local``)

A new command goes here: a ``CommandParams`` model for its parameters (or ``NoParams``) and
a handler ``(agent, params) -> dict`` decorated with ``@REGISTRY.command(name, origins=...)``.
Answers never carry personal data (no customer numbers, no file names).
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING

from pydantic import Field

from kiosk.agent.commands import (
    LOCAL_ONLY,
    LOCAL_OR_FLEET,
    Answer,
    CommandParams,
    CommandRegistry,
    NoParams,
    refusal,
)
from kiosk.delivery.clock import ClockGuard
from kiosk.delivery.identity import load_identity

if TYPE_CHECKING:
    from kiosk.agent.runner import Agent

log = logging.getLogger(__name__)

ALERT_WINDOW_S = 3600.0

REGISTRY: CommandRegistry[Agent] = CommandRegistry()


class HelpCallParams(CommandParams):
    """What the desk may know about a help call: the visitor's language and screen."""

    language: str = Field(default="de", pattern=r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")
    step: str = Field(default="", pattern=r"^([a-z][a-z0-9_]{0,39})?$")


class UiStateParams(CommandParams):
    """The UI's report: is a visitor in a session (past the attract screen)?"""

    in_session: bool


class UpdateApplyParams(CommandParams):
    """A signed ``app_update`` bundle (base64url of its JCB1 bytes)."""

    bundle: str = Field(min_length=1, max_length=60_000, pattern=r"^[A-Za-z0-9_-]+$")


class ReceiptParams(CommandParams):
    """Which receipt to look up."""

    receipt_number: str = Field(min_length=1, max_length=64)


@REGISTRY.command("ping", origins=LOCAL_OR_FLEET)
def ping(agent: Agent, params: NoParams) -> Answer:
    """The agent answers, with its process id."""
    return {"ok": True, "pid": os.getpid()}


@REGISTRY.command("kick", origins=LOCAL_OR_FLEET)
def kick(agent: Agent, params: NoParams) -> Answer:
    """Start an upload pass now."""
    agent.kick_event.set()
    return {"ok": True}


@REGISTRY.command("status", origins=LOCAL_OR_FLEET)
def status(agent: Agent, params: NoParams) -> Answer:
    """Outbox counts, backend state, device health and recent alerts (no personal data)."""
    outbox = agent.require_outbox()
    clock = ClockGuard(outbox)
    identity = load_identity(agent.data_dir)
    return {
        "ok": True,
        "enrolled": identity is not None,
        "kiosk_id": identity.kiosk_id if identity else None,
        "outbox": outbox.counts(),
        "backend": {**agent.backend_state, "mode": agent.config.backend.mode,
                    "clock_offset_s": clock.offset(), "last_contact": clock.last_contact()},
        "health": agent.health_report(),
        "alerts": outbox.recent_events(time.time() - ALERT_WINDOW_S),
    }


@REGISTRY.command("staff_call", origins=LOCAL_ONLY)
def staff_call(agent: Agent, params: HelpCallParams) -> Answer:
    """A visitor asked for help at the terminal: call the desk; also a ``status`` alert."""
    agent.require_outbox().add_event("staff_call", "help_requested")
    log.warning("a visitor asked for staff help at the terminal")
    return agent.help.call(params.language.replace("_", "-"), params.step)


@REGISTRY.command("help_status", origins=LOCAL_ONLY)
def help_status(agent: Agent, params: NoParams) -> Answer:
    """The help call's state: idle, sent, offline or acknowledged (with a first name)."""
    return agent.help.status()


@REGISTRY.command("help_cancel", origins=LOCAL_ONLY)
def help_cancel(agent: Agent, params: NoParams) -> Answer:
    """The visitor no longer needs help: withdraw the call."""
    return agent.help.cancel()


@REGISTRY.command("document_states", origins=LOCAL_ONLY)
def document_states(agent: Agent, params: ReceiptParams) -> Answer:
    """Per-document states of one receipt (the visitor holds the receipt number)."""
    sub = agent.require_outbox().by_receipt_number(params.receipt_number)
    if sub is None:
        return refusal("receipt_unknown")
    return {"ok": True, "receipt_number": sub.receipt_number, "documents": [
        {"id": d.short_id, "type": d.document_type, "pages": d.pages, "state": d.state,
         "error": d.error} for d in sub.documents
    ]}


@REGISTRY.command("ui_state", origins=LOCAL_ONLY)
def ui_state(agent: Agent, params: UiStateParams) -> Answer:
    """The UI's report; answers admit / overlay / restart (the visitor gate)."""
    return agent.gate.report(params.in_session).wire()


@REGISTRY.command("update_apply", origins=LOCAL_ONLY)
def update_apply(agent: Agent, params: UpdateApplyParams) -> Answer:
    """Verify a signed app update now and apply it between sessions."""
    from kiosk.updates.local import start_local_update
    from wire import codec

    return start_local_update(agent, codec.b64u_decode(params.bundle))
