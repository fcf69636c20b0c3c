"""Signed remote commands reach a real agent over the live channel of its embedded service.

Real pieces: the embedded intake service on loopback (SQLite), the agent's live poll, its
visitor gate and command registry; the job centre's side signs with its own centre key and
reads the states the kiosk reported through ``POST /api/v1/fleet/command-result``. The UI's
part (``ui_state`` twice a second) is played by ``FakeUi`` over the agent's own handler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.model import KioskConfig
from kiosk.agent.commands import Origin
from kiosk.agent.fleet.report_store import ReportStore
from kiosk.agent.runner import Agent
from kiosk.delivery.service import DeliveryService
from kiosk.logfiles import attach_log_file
from tests.agent.fleet.helpers import Centre, FakeUi, wait_for
from tests.delivery.helpers import CUSTOMER, make_document
from wire.fleet_command import result_body, sign_command


@pytest.fixture()
def centre(agent: Agent) -> Iterator[Centre]:
    wait_for(lambda: agent.embedded is not None and agent.open_server_client(1.0) is not None,
             "enrollment")
    found = Centre(agent)
    yield found
    found.close()


def test_lock_shows_out_of_service_survives_a_restart_and_unlock_lifts_it(
        agent: Agent, centre: Centre, tmp_path: Path) -> None:
    with FakeUi(agent) as ui:
        command_id, _ = centre.issue("lock")
        record = centre.wait_state(command_id, "done", "failed")
        assert (record.state, record.answer) == ("done", {"ok": True, "locked": True})
        answer = ui.report()
        assert (answer["admit"], answer["overlay"]) == (False, "out_of_service")
    agent.stop()
    again = Agent(KioskConfig(data_dir=tmp_path), tmp_path)
    again.start()
    try:
        with FakeUi(again) as ui:
            assert (ui.answers[0]["admit"], ui.answers[0]["overlay"]) == (False, "out_of_service")
            command_id, _ = centre.issue("unlock")
            assert centre.wait_state(command_id, "done", "failed").state == "done"
            answer = ui.report()
            assert (answer["admit"], answer["overlay"]) == (True, None)
    finally:
        again.stop()


def test_a_command_waits_for_the_visitor_and_urgent_stops_new_ones_at_once(
        agent: Agent, centre: Centre) -> None:
    with FakeUi(agent) as ui:
        ui.in_session = True
        ui.report()
        command_id, _ = centre.issue("print_test_page")
        centre.wait_state(command_id, "delivered", "done", "failed")
        wait_for(lambda: len(ui.answers) > 4, "a few more reports")
        # not urgent: the visitor goes on and the next one would still be welcome
        assert centre.get(command_id).state == "delivered"
        assert ui.answers[-1]["admit"] is True
        ui.in_session = False
        record = centre.wait_state(command_id, "done", "failed")
        assert record.state == "done" and record.answer and record.answer["bytes"] > 0

        ui.in_session = True
        ui.report()
        command_id, _ = centre.issue("ping", urgent=True)
        centre.wait_state(command_id, "delivered", "done", "failed")
        wait_for(lambda: ui.report()["admit"] is False, "the gate to close")
        assert centre.get(command_id).state == "delivered"  # the visitor is not interrupted
        ui.in_session = False
        assert centre.wait_state(command_id, "done", "failed").state == "done"
        wait_for(lambda: ui.report()["admit"] is True, "the gate to open again")


def test_forged_expired_replayed_and_local_only_commands_are_refused(
        agent: Agent, centre: Centre) -> None:
    body = sign_command(centre.kiosk_id, "unlock", {}, centre.key)
    forged_id = centre.store.add(body, "ops-test").command_id
    body["command"]["name"] = "wipe"  # changed on the way
    centre.post(body)
    assert centre.wait_state(forged_id, "failed").error == "bad_signature"

    old = sign_command(centre.kiosk_id, "ping", {}, centre.key,
                       issued_at=datetime.now(UTC) - timedelta(hours=2),
                       valid_for=timedelta(hours=1))
    expired = centre.store.add(old, "ops-test")
    centre.post(old)
    assert centre.wait_state(expired.command_id, "failed").error == "expired"

    local_id, _ = centre.issue("staff_call")
    assert centre.wait_state(local_id, "done", "failed").error == "origin_refused"

    lock_id, lock_body = centre.issue("lock")
    assert centre.wait_state(lock_id, "done", "failed").state == "done"
    unlock_id, _ = centre.issue("unlock")
    centre.wait_state(unlock_id, "done")
    centre.post(lock_body)  # the same signed lock again
    ping_id, _ = centre.issue("ping")  # handled after the replay, in order
    centre.wait_state(ping_id, "done")
    assert agent.gate.admits  # the replayed lock did not lock the terminal again
    assert [r for r in agent.fleet_commands.reported if r[0] == lock_id] == [
        (lock_id, "delivered", None), (lock_id, "done", None)]


def test_wipe_refuses_with_unsent_documents_and_succeeds_after_draining(
        agent: Agent, centre: Centre, tmp_path: Path) -> None:
    assert agent.embedded is not None
    for folder in ("session", "receipts"):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / "left-over.bin").write_bytes(b"x")
    agent.embedded.stop()
    try:
        with DeliveryService(KioskConfig(data_dir=tmp_path), tmp_path) as svc:
            sub = svc.submit(CUSTOMER, [make_document()], poke_agent=False)
        answer = agent.dispatch("wipe", {"drain_timeout_s": 1.0}, origin=Origin.FLEET)
        assert answer == {"ok": False, "error": "backend_unreachable", "waiting": 1}
        assert (tmp_path / "session" / "left-over.bin").exists()
    finally:
        agent.embedded.start()
    command_id, _ = centre.issue("wipe", {"drain_timeout_s": 30})
    record = centre.wait_state(command_id, "done", "failed")
    assert record.state == "done", record.error
    assert record.answer and set(record.answer["removed"]) >= {"session", "receipts"}
    assert not (tmp_path / "session").exists() and not (tmp_path / "receipts").exists()
    outbox = agent.require_outbox()
    assert outbox.counts()["stored"] == 0 and outbox.counts()["delivered"] == 1
    assert outbox.by_receipt_number(sub.receipt_number) is not None  # its record stays


PERSONAL = ["123A456789", "12345BG1234567", "Anna Schmidt", "DE89 3704 0044 0532 0130 00",
            "DE89370400440532013000", "anna.schmidt@example.org", "Jürgen", "Müller"]


def test_collected_logs_hold_no_personal_data(agent: Agent, centre: Centre, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    handlers = [attach_log_file(tmp_path, "agent"), attach_log_file(tmp_path, "ui")]
    try:
        receipt = f"{centre.kiosk_id}-20261130-0042"
        logging.getLogger("kiosk.agent.runner").warning(
            "upload of %s for %s failed", receipt, CUSTOMER)
        logging.getLogger("kiosk.app").info("visitor Anna Schmidt (anna.schmidt@example.org)"
                                            " typed 12345BG1234567")
        logging.getLogger("kiosk.controllers.help").error(
            "IBAN DE89 3704 0044 0532 0130 00 / DE89370400440532013000 from Jürgen Müller")
        logging.getLogger("kiosk.agent.help").info("help call answered after 12 s")
        command_id, _ = centre.issue("collect_logs", {"lines": 200})
        record = centre.wait_state(command_id, "done", "failed")
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
            handler.close()
    assert record.state == "done" and record.answer
    text = "\n".join(record.answer["lines"])
    assert "help call answered after 12 s" in text and "upload of [receipt]" in text
    assert record.answer["sources"] == ["file:agent", "file:ui"]
    for secret in [*PERSONAL, receipt, "Schmidt", "anna.schmidt"]:
        assert secret not in str(record.answer), secret


def test_a_command_taken_before_a_restart_runs_after_it(agent: Agent, centre: Centre,
                                                        tmp_path: Path) -> None:
    with FakeUi(agent) as ui:
        ui.in_session = True
        ui.report()
        command_id, _ = centre.issue("print_test_page")
        centre.wait_state(command_id, "delivered", "done", "failed")
    agent.stop()  # the visitor was still there: the command has not run
    assert centre.get(command_id).state == "delivered"
    again = Agent(KioskConfig(data_dir=tmp_path), tmp_path)
    again.start()
    try:
        record = centre.wait_state(command_id, "done", "failed")
        assert record.state == "done" and record.answer and record.answer["bytes"] > 0
        wait_for(lambda: not any((tmp_path / "fleet" / "pending").glob("*.json")),
                 "the kept command to be removed")
    finally:
        again.stop()


def test_a_report_left_unsent_when_the_agent_stopped_goes_out_after_the_restart(
        agent: Agent, centre: Centre, tmp_path: Path) -> None:
    with FakeUi(agent) as ui:
        ui.in_session = True
        ui.report()
        command_id, _ = centre.issue("print_test_page")
        centre.wait_state(command_id, "delivered")
    agent.stop()
    # The earlier run ran the command and kept its report, then stopped before sending it
    # (what a restart command or a power cut leaves behind).
    ReportStore(tmp_path).keep(result_body(command_id, "done", {"ok": True, "bytes": 7}))
    (tmp_path / "fleet" / "pending" / f"{command_id}.json").unlink()
    assert centre.get(command_id).state == "delivered"
    again = Agent(KioskConfig(data_dir=tmp_path), tmp_path)
    again.start()
    try:
        record = centre.wait_state(command_id, "done", "failed")
        assert (record.state, record.answer) == ("done", {"ok": True, "bytes": 7})
        wait_for(lambda: not any((tmp_path / "fleet" / "reports").glob("*.json")),
                 "the kept report to be removed once the centre has it")
    finally:
        again.stop()
