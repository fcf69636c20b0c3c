"""The agent's command registry: named handlers, typed parameters, and who may call them.

A command is a small function ``handler(context, params) -> dict`` registered under a name
with the origins allowed to call it::

    REGISTRY = CommandRegistry[Agent]()

    @REGISTRY.command("document_states", origins=LOCAL_ONLY)
    def document_states(agent: Agent, params: ReceiptParams) -> Answer: ...

``params`` is a frozen pydantic model (the handler's annotation names it; ``NoParams`` when
there are none); unknown fields are refused. :meth:`CommandRegistry.dispatch` never raises:
every failure is an answer ``{"ok": False, "error": CODE}`` with a stable code —
``unknown_op``, ``bad_params``, ``origin_refused``, a :class:`KioskError` code, or
``internal_error``. ``bad_params`` names the fields and the problem, never the values sent
(they may be a visitor's data).

Origins: ``Origin.LOCAL`` is the unix socket on this terminal (UI, CLI); ``Origin.FLEET`` is
a command that arrives signed from the job centre (its transport and signature check come
with the fleet connection). A command marked ``LOCAL_ONLY`` is refused from the fleet.
"""

from __future__ import annotations

import enum
import inspect
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from foundation.errors import KioskError

log = logging.getLogger(__name__)

Answer = dict[str, Any]
C = TypeVar("C")
P = TypeVar("P", bound="CommandParams")


class Origin(enum.Enum):
    """Where a command comes from."""

    LOCAL = "local"
    FLEET = "fleet"


LOCAL_ONLY: frozenset[Origin] = frozenset({Origin.LOCAL})
LOCAL_OR_FLEET: frozenset[Origin] = frozenset({Origin.LOCAL, Origin.FLEET})


class CommandParams(BaseModel):
    """Base of every command's parameters: frozen, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(CommandParams):
    """A command without parameters."""


@dataclass(frozen=True)
class Command(Generic[C]):
    """One registered command."""

    name: str
    handler: Callable[[C, Any], Answer]
    params: type[CommandParams]
    origins: frozenset[Origin]
    summary: str


def refusal(error: str, **extra: Any) -> Answer:
    """A failure answer with a stable error code."""
    return {"ok": False, "error": error, **extra}


class CommandRegistry(Generic[C]):
    """Named command handlers over a context object ``C`` (the running agent)."""

    def __init__(self) -> None:
        self._commands: dict[str, Command[C]] = {}

    def command(
        self, name: str, *, origins: frozenset[Origin]
    ) -> Callable[[Callable[[C, P], Answer]], Callable[[C, P], Answer]]:
        """Register the decorated ``handler(context, params)`` under ``name``."""

        def register(handler: Callable[[C, P], Answer]) -> Callable[[C, P], Answer]:
            self.add(name, handler, origins=origins)
            return handler

        return register

    def add(self, name: str, handler: Callable[[C, P], Answer], *,
            origins: frozenset[Origin]) -> None:
        """Register ``handler`` explicitly; names are unique, origins not empty."""
        if name in self._commands:
            raise ValueError(f"agent command {name!r} is registered twice")
        if not origins:
            raise ValueError(f"agent command {name!r} has no allowed origin")
        doc = inspect.getdoc(handler) or ""
        self._commands[name] = Command(name, handler, _params_type(handler), frozenset(origins),
                                       doc.splitlines()[0] if doc else "")

    def get(self, name: str) -> Command[C] | None:
        """The command registered under ``name``, if any."""
        return self._commands.get(name)

    def names(self, origin: Origin | None = None) -> list[str]:
        """Registered names (those callable from ``origin`` if given), sorted."""
        return sorted(n for n, c in self._commands.items() if origin is None or origin in c.origins)

    def dispatch(self, context: C, name: str, params: Mapping[str, Any], *,
                 origin: Origin) -> Answer:
        """Run command ``name`` for ``origin``; every failure becomes an error answer."""
        command = self._commands.get(name)
        if command is None:
            return refusal("unknown_op")
        if origin not in command.origins:
            log.warning("agent command %s refused from origin %s", name, origin.value)
            return refusal("origin_refused")
        try:
            typed = command.params.model_validate(dict(params))
        except ValidationError as exc:
            return refusal("bad_params", problems=[
                {"field": ".".join(str(p) for p in e["loc"]), "problem": e["type"]}
                for e in exc.errors(include_url=False, include_input=False)
            ])
        try:
            return command.handler(context, typed)
        except KioskError as exc:
            log.warning("agent command %s failed: %s", name, exc.code)
            return refusal(exc.code)
        except Exception:  # one bad command must not take the agent down
            log.exception("agent command %s crashed", name)
            return refusal("internal_error")


def _params_type(handler: Callable[..., Answer]) -> type[CommandParams]:
    """The parameter model named by the handler's second annotation (a module-level class)."""
    parameters = list(inspect.signature(handler).parameters.values())
    if len(parameters) != 2:
        raise TypeError(f"{handler.__qualname__} must be handler(context, params: SomeParams)")
    params: object = parameters[1].annotation
    if isinstance(params, str):  # postponed annotation: a name in the handler's module
        params = getattr(handler, "__globals__", {}).get(params)
    if not (isinstance(params, type) and issubclass(params, CommandParams)):
        raise TypeError(f"{handler.__qualname__}: params must be a CommandParams subclass")
    return params
