"""Signed site configuration on a running agent: refusals are reported, the gate is kept.

Real pieces: the embedded intake service on loopback (its own process and SQLite), an
enrolled agent polling its live channel, bundles signed with the centre's own key (and
forged ones), the agent's unix socket for the UI's ``ui_state`` reports.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from config.fleet_layer import LayerStore
from config.model import KioskConfig
from jobcentre.fleet.rollout_store import Report, RolloutTables
from jobcentre.fleet.rollouts import Canary, create_rollout
from jobcentre.keys import load_centre_keys
from jobcentre.live import LiveLimits
from jobcentre.live_store import LiveStore
from jobcentre.repository import open_repository
from kiosk.agent.client import AgentClient
from kiosk.agent.fleet.config import apply_site_config
from kiosk.agent.runner import Agent
from kiosk.delivery.identity import load_identity
from wire import codec
from wire.bundle import sign_bundle

UPPER_BOUND_S = 60.0  # against hanging only


def _kiosk_id(agent: Agent) -> str:
    identity = load_identity(agent.data_dir)
    assert identity is not None
    return identity.kiosk_id


def _sign(agent: Agent, version: int, layer: dict[str, Any],
          key: Ed25519PrivateKey | None = None) -> bytes:
    assert agent.embedded is not None
    key = key or load_centre_keys(agent.embedded.server_dir).signing
    return sign_bundle("site_config", version, {"config": layer}, key,
                       issued_at=datetime.now(UTC), valid_for=timedelta(days=1),
                       kiosks=[_kiosk_id(agent)])


def _post(agent: Agent, raw: bytes) -> None:
    assert agent.embedded is not None
    repo = open_repository(agent.embedded.server_dir)
    try:
        LiveStore(repo).add(_kiosk_id(agent), "fleet.bundle", {"bundle": codec.b64u_encode(raw)},
                            LiveLimits().message_ttl)
    finally:
        repo.close()


def _reports(agent: Agent) -> list[Report]:
    assert agent.embedded is not None
    repo = open_repository(agent.embedded.server_dir)
    try:
        return list(reversed(RolloutTables(repo).reports(_kiosk_id(agent), limit=100)))
    finally:
        repo.close()


def _wait(what: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + UPPER_BOUND_S
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.1)


def _code(report: Report) -> tuple[int, str, str]:
    return report.version, report.state, report.reason.split(":", 1)[0]


def test_tampered_replayed_older_forged_trust_anchor_and_invalid_bundles_are_refused(
        agent: Agent) -> None:
    _wait("the agent is enrolled", lambda: load_identity(agent.data_dir) is not None)
    _post(agent, _sign(agent, 1, {"backend": {"url": "https://elsewhere.example"}}))
    _post(agent, _sign(agent, 2, {"session": {"inactivity_timeout_s": 5}}))
    good = _sign(agent, 3, {"session": {"goodbye_s": 20.0}})
    _post(agent, good)
    tampered = json.loads(good)
    tampered["bundle"]["version"] = 4
    tampered["bundle"]["payload"]["config"]["session"]["goodbye_s"] = 100.0
    _post(agent, codec.canonical_json(tampered))
    _post(agent, good)  # replayed: ignored quietly, no report
    _post(agent, _sign(agent, 2, {"session": {"goodbye_s": 30.0}}))  # older than held 3
    _post(agent, _sign(agent, 9, {"session": {"goodbye_s": 40.0}},
                       Ed25519PrivateKey.generate()))  # a key the kiosk does not trust
    _post(agent, _sign(agent, 5, {"session": {"goodbye_s": 25.0}}))
    agent.bundles.appliers["app_update"] = lambda: None  # a build without the updater
    assert agent.embedded is not None
    _post(agent, sign_bundle("app_update", 1, {"manifest": {}},
                             load_centre_keys(agent.embedded.server_dir).signing,
                             issued_at=datetime.now(UTC), valid_for=timedelta(days=1)))
    _wait("eight reports", lambda: len(_reports(agent)) >= 8)

    reports = _reports(agent)
    assert [_code(r) for r in reports] == [
        (1, "refused", "trust_anchor"), (2, "refused", "invalid"), (3, "applied", ""),
        (4, "refused", "bad_signature"), (2, "refused", "older_version"),
        (9, "refused", "unknown_key"), (5, "applied", ""), (1, "refused", "no_updater")]
    assert reports[-1].kind == "app_update"
    assert "backend.url" in reports[0].reason
    assert "session.inactivity_timeout_s" in reports[1].reason
    assert agent.config.session.goodbye_s == 25.0
    assert agent.bundles.held_versions() == {"site_config": 5}  # a refusal is not held
    layer = LayerStore(agent.data_dir).active()
    assert layer is not None and layer.version == 5


class _Ui:
    """The UI's side of the gate over the real socket: reports ``ui_state`` like the app."""

    def __init__(self, agent: Agent) -> None:
        self.client = AgentClient(agent.socket_path, timeout_s=5.0)
        self.in_session = True
        self.quit_on_restart = False
        self.answers: list[tuple[bool, dict[str, Any]]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            in_session = self.in_session
            answer = self.client.call("ui_state", in_session=in_session)
            self.answers.append((in_session, answer))
            if answer.get("restart") and self.quit_on_restart:
                return
            self.stop.wait(0.2)


@pytest.fixture
def ui(agent: Agent) -> Iterator[_Ui]:
    running = _Ui(agent)
    running.thread.start()
    yield running
    running.stop.set()
    running.thread.join(timeout=10)


def test_a_kiosk_in_a_session_applies_the_configuration_only_after_the_session_ends(
        agent: Agent, ui: _Ui) -> None:
    _wait("the agent is enrolled", lambda: load_identity(agent.data_dir) is not None)
    _wait("the UI reports", lambda: len(ui.answers) >= 2)
    _post(agent, _sign(agent, 1, {"accessibility": {"theme": "high_contrast"}}))
    _wait("the gate closed for the next visitor",
          lambda: any(not answer["admit"] for _, answer in ui.answers))
    time.sleep(2.0)  # the visitor goes on; nothing may change under them
    assert agent.config.accessibility.theme == "default"
    assert LayerStore(agent.data_dir).active() is None
    assert not any(answer["restart"] for _, answer in ui.answers)

    ui.in_session = False  # the visitor finished
    _wait("applied", lambda: [_code(r) for r in _reports(agent)] == [(1, "applied", "")])
    assert str(agent.config.accessibility.theme) == "high_contrast"
    restarts = [in_session for in_session, answer in ui.answers if answer["restart"]]
    assert restarts and not any(restarts)  # the UI restarts, but never during a session
    _wait("the gate opens again", lambda: ui.answers[-1][1]["admit"])
    assert not ui.answers[-1][1]["restart"]


def test_a_ui_that_does_not_come_back_after_its_restart_rolls_the_configuration_back(
        agent: Agent, ui: _Ui) -> None:
    _wait("the agent is enrolled", lambda: load_identity(agent.data_dir) is not None)
    agent.bundles.appliers["site_config"] = lambda: functools.partial(
        apply_site_config, ui_pickup_s=5.0, ui_return_s=3.0)
    ui.in_session = False
    ui.quit_on_restart = True  # the new settings keep the UI from starting again
    _post(agent, _sign(agent, 1, {"accessibility": {"theme": "high_contrast"}}))
    _wait("reported", lambda: len(_reports(agent)) == 1)
    assert _code(_reports(agent)[0]) == (1, "rolled_back", "ui_not_back")
    assert agent.config.accessibility.theme == "default"
    stored = LayerStore(agent.data_dir).active()
    assert stored is not None and stored.version == 0 and not stored.config
    assert agent.bundles.held_versions() == {"site_config": 1}  # resending it is a replay


def test_a_kiosk_offline_past_the_message_lifetime_catches_up_when_it_reconnects(
        tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    first = Agent(KioskConfig(data_dir=data), data)
    first.start()
    _wait("the agent is enrolled", lambda: load_identity(data) is not None)
    kiosk_id = _kiosk_id(first)
    first.stop()  # enrolled, now offline
    assert first.embedded is not None
    server_dir = first.embedded.server_dir
    repo = open_repository(server_dir)
    try:
        created = create_rollout(repo, "site_config", {"config": {"session": {
            "goodbye_s": 21.0}}}, canary=Canary(kiosks=(kiosk_id,)), issued_by="test",
            signing_key=load_centre_keys(server_dir).signing)
        LiveStore(repo).acknowledge(kiosk_id, 10**9)  # the message outlived its lifetime
    finally:
        repo.close()

    again = Agent(KioskConfig(data_dir=data), data)
    again.start()
    try:
        _wait("caught up", lambda: [_code(r) for r in _reports(again)] == [
            (created.version, "applied", "")])
        assert again.config.session.goodbye_s == 21.0
    finally:
        again.stop()
    restarted = Agent(KioskConfig(data_dir=data), data)  # every start loads the active layer
    assert restarted.config.session.goodbye_s == 21.0
