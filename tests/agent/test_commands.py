"""The command registry: typed params, unknown commands, bad params, origins, failures."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pydantic import Field

from foundation.errors import PrinterOutOfPaper
from kiosk.agent.commands import (
    LOCAL_ONLY,
    LOCAL_OR_FLEET,
    Answer,
    CommandParams,
    CommandRegistry,
    NoParams,
    Origin,
)
from kiosk.agent.operations import REGISTRY


@dataclass
class Counter:
    """A tiny context for the registry (the real one is the running agent)."""

    calls: list[str] = field(default_factory=list)


class AddParams(CommandParams):
    amount: int = Field(ge=1, le=10)
    label: str = "x"


def make_registry() -> CommandRegistry[Counter]:
    registry: CommandRegistry[Counter] = CommandRegistry()

    @registry.command("add", origins=LOCAL_OR_FLEET)
    def add(ctx: Counter, params: AddParams) -> Answer:
        """Record a call."""
        ctx.calls.extend([params.label] * params.amount)
        return {"ok": True, "count": len(ctx.calls)}

    @registry.command("wipe_local", origins=LOCAL_ONLY)
    def wipe_local(ctx: Counter, params: NoParams) -> Answer:
        ctx.calls.clear()
        return {"ok": True}

    def paper_out(ctx: Counter, params: NoParams) -> Answer:
        raise PrinterOutOfPaper("no paper")

    def broken(ctx: Counter, params: NoParams) -> Answer:
        raise ZeroDivisionError

    registry.add("paper_out", paper_out, origins=LOCAL_ONLY)
    registry.add("broken", broken, origins=LOCAL_ONLY)
    return registry


def test_dispatch_runs_the_handler_with_typed_params() -> None:
    ctx = Counter()
    answer = make_registry().dispatch(ctx, "add", {"amount": 2, "label": "a"},
                                      origin=Origin.LOCAL)
    assert answer == {"ok": True, "count": 2}
    assert ctx.calls == ["a", "a"]


def test_unknown_command_is_an_error_code() -> None:
    assert make_registry().dispatch(Counter(), "format_disk", {}, origin=Origin.LOCAL) == {
        "ok": False, "error": "unknown_op"}


@pytest.mark.parametrize(("params", "field_name", "problem"), [
    ({}, "amount", "missing"),
    ({"amount": "many"}, "amount", "int_parsing"),
    ({"amount": 99}, "amount", "less_than_equal"),
    ({"amount": 1, "label": 7}, "label", "string_type"),
    ({"amount": 1, "customer": "123A456789"}, "customer", "extra_forbidden"),
])
def test_bad_params_name_the_field_but_never_echo_the_value(
        params: dict[str, object], field_name: str, problem: str) -> None:
    ctx = Counter()
    answer = make_registry().dispatch(ctx, "add", params, origin=Origin.LOCAL)
    assert answer["ok"] is False and answer["error"] == "bad_params"
    assert {"field": field_name, "problem": problem} in answer["problems"]
    assert "123A456789" not in str(answer) and "many" not in str(answer)
    assert ctx.calls == []


def test_local_only_command_is_refused_from_the_fleet() -> None:
    ctx = Counter(calls=["kept"])
    registry = make_registry()
    assert registry.dispatch(ctx, "wipe_local", {}, origin=Origin.FLEET) == {
        "ok": False, "error": "origin_refused"}
    assert ctx.calls == ["kept"]
    assert registry.dispatch(ctx, "wipe_local", {}, origin=Origin.LOCAL)["ok"] is True
    assert ctx.calls == []
    assert registry.names(Origin.FLEET) == ["add"]


def test_failing_handlers_answer_with_a_code_instead_of_raising() -> None:
    registry = make_registry()
    assert registry.dispatch(Counter(), "paper_out", {}, origin=Origin.LOCAL) == {
        "ok": False, "error": "printer_out_of_paper"}
    assert registry.dispatch(Counter(), "broken", {}, origin=Origin.LOCAL) == {
        "ok": False, "error": "internal_error"}


def test_registration_mistakes_fail_at_import_time() -> None:
    registry = make_registry()

    def again(ctx: Counter, params: NoParams) -> Answer:
        return {"ok": True}

    def untyped(ctx: Counter, params: dict[str, object]) -> Answer:
        return {"ok": True}

    def no_params(ctx: Counter) -> Answer:
        return {"ok": True}

    with pytest.raises(ValueError, match="twice"):
        registry.add("add", again, origins=LOCAL_ONLY)
    with pytest.raises(ValueError, match="origin"):
        registry.add("nowhere", again, origins=frozenset())
    with pytest.raises(TypeError, match="CommandParams"):
        registry.add("untyped", untyped, origins=LOCAL_ONLY)
    with pytest.raises(TypeError, match="handler"):
        registry.add("no_params", no_params, origins=LOCAL_ONLY)  # type: ignore[arg-type]


def test_the_agent_marks_each_command_local_or_fleet() -> None:
    import kiosk.agent.calls  # noqa: F401 - the agent always registers the call commands
    import kiosk.agent.fleet.operations  # noqa: F401 - and the fleet's commands

    assert REGISTRY.names() == ["call_http", "call_messages", "collect_logs", "document_states",
                              "help_cancel", "help_status", "kick", "lock", "ping",
                              "print_test_page", "restart", "run_doctor", "staff_call",
                              "status", "ui_state", "unlock", "update_apply", "wipe"]
    assert REGISTRY.names(Origin.FLEET) == ["collect_logs", "kick", "lock", "ping",
                                            "print_test_page", "restart", "run_doctor",
                                            "status", "unlock", "wipe"]
    staff_call = REGISTRY.get("staff_call")
    assert staff_call is not None and staff_call.origins == LOCAL_ONLY
    assert staff_call.summary.startswith("A visitor asked for help")
