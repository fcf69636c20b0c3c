"""A site configuration goes to a named canary, then to all; a broken one is rolled back.

Real pieces: ``kiosk-server serve`` on loopback over PostgreSQL, two enrolled agents polling
their live channels, the ``kiosk-server rollout`` command line in its own process, the
kiosks' own device health checks. Nothing here measures speed; the waits are upper bounds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from config.fleet_layer import LayerStore
from config.model import BackendConfig, KioskConfig
from jobcentre.enrollment import issue_code
from jobcentre.fleet.rollout_store import RolloutTables
from jobcentre.repository import open_repository
from kiosk.agent.live import LiveBackoff
from kiosk.agent.runner import Agent
from kiosk.delivery.identity import enroll
from tests.jobcentre.conftest import new_database
from tests.jobcentre.helpers import ServerProcess, cli_args, run_cli

UPPER_BOUND_S = 60.0


@pytest.fixture
def server(tmp_path: Path, pg_url: str) -> Iterator[ServerProcess]:
    running = ServerProcess(tmp_path / "server", new_database(pg_url)).start()
    yield running
    running.stop()


def _agent(server: ServerProcess, data: Path, name: str) -> Agent:
    data.mkdir(parents=True)
    enroll(server.url, issue_code(server.data_dir, name, server.database_url), data)
    config = KioskConfig(data_dir=data, backend=BackendConfig(
        mode="remote", url=server.url, live_wait_s=2.0))
    agent = Agent(config, data)
    agent.start()
    assert agent.live is not None
    agent.live.backoff = LiveBackoff(first_s=0.2, max_s=1.5)
    return agent


@pytest.fixture
def kiosks(server: ServerProcess, tmp_path: Path) -> Iterator[tuple[Agent, Agent]]:
    one = _agent(server, tmp_path / "k1", "Foyer 1")
    two = _agent(server, tmp_path / "k2", "Foyer 2")
    yield one, two
    one.stop()
    two.stop()


def _rollout(server: ServerProcess, tmp_path: Path, *args: str,
             payload: dict[str, Any] | None = None) -> dict[str, Any]:
    verb, rest = args[0], list(args[1:])
    if payload is not None:
        path = tmp_path / f"payload-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(payload))
        rest += ["--payload-file", str(path)]
    done = run_cli("rollout", verb, *cli_args(server)[:2],
                   *(cli_args(server)[4:]), *rest, timeout=120)
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def _states(server: ServerProcess, rollout_id: int) -> dict[str, tuple[str, str]]:
    repo = open_repository(server.data_dir, server.database_url)
    try:
        return {s.kiosk_id: (s.state, s.reason)
                for s in RolloutTables(repo).kiosk_states(rollout_id)}
    finally:
        repo.close()


def _wait(what: str, condition: Callable[[], bool],
          describe: Callable[[], object] = lambda: "") -> None:
    deadline = time.monotonic() + UPPER_BOUND_S
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what} ({describe()})"
        time.sleep(0.2)


def _kiosk_id(agent: Agent) -> str:
    from kiosk.delivery.identity import load_identity

    identity = load_identity(agent.data_dir)
    assert identity is not None
    return identity.kiosk_id


def test_a_change_reaches_the_named_canary_then_all_and_a_broken_one_rolls_back(
        server: ServerProcess, kiosks: tuple[Agent, Agent], tmp_path: Path) -> None:
    one, two = kiosks
    first, second = _kiosk_id(one), _kiosk_id(two)
    layer = {"session": {"inactivity_timeout_s": 300.0}, "accessibility": {"theme":
                                                                           "high_contrast"}}
    created = _rollout(server, tmp_path, "create", "--kind", "site_config",
                       "--canary-kiosks", first, payload={"config": layer})
    assert created["stage"] == "canary" and created["targets"] == [first]

    _wait("the canary applied", lambda: _states(server, created["id"]).get(first, ("",))[0]
          == "applied")
    assert one.config.session.inactivity_timeout_s == 300.0
    assert one.config.accessibility.theme == "high_contrast"
    assert two.config.session.inactivity_timeout_s == 120.0  # not a canary: unchanged
    assert LayerStore(one.data_dir).active() is not None
    assert LayerStore(two.data_dir).active() is None

    promoted = _rollout(server, tmp_path, "promote", "--id", str(created["id"]))
    assert promoted["stage"] == "all"
    _wait("both applied", lambda: {k: s for k, (s, _) in _states(server, created["id"]).items()}
          == {first: "applied", second: "applied"})
    assert two.config.session.inactivity_timeout_s == 300.0
    assert one.bundles.held_versions() == two.bundles.held_versions() == {"site_config": 1}

    # A configuration that breaks a device that worked: the canary rolls back by itself,
    # reports it, and the rollout halts; it can no longer be promoted.
    broken = {"devices": {"camera": {"driver": "opencv", "device_index": 63}}}
    bad = _rollout(server, tmp_path, "create", "--kind", "site_config", "--canary-kiosks",
                   second, payload={"config": broken})
    _wait("the canary rolled back", lambda: _states(server, bad["id"]).get(second, ("",))[0]
          == "rolled_back")
    assert _states(server, bad["id"])[second][1] == "health_check:camera"
    assert two.config.devices.camera.driver == "simulated"
    assert two.config.session.inactivity_timeout_s == 300.0  # back on version 1's layer
    stored = LayerStore(two.data_dir).active()
    assert stored is not None and stored.version == 1
    listed = json.loads(run_cli("rollout", "list", *cli_args(server)[:2],
                                *cli_args(server)[4:]).stdout)
    assert [r["stage"] for r in listed if r["id"] == bad["id"]] == ["halted"]
    refused = run_cli("rollout", "promote", "--id", str(bad["id"]), *cli_args(server)[:2],
                      *cli_args(server)[4:])
    assert refused.returncode == 1 and "rollout_halted" in refused.stderr

    # Back to the site file alone (an empty layer, to every kiosk), then version 1's
    # content again as a new version: the only way back is forward.
    back = _rollout(server, tmp_path, "create", "--kind", "site_config", "--canary-percent",
                    "100", payload={"config": {}})
    _wait("both went back", lambda: {s for s, _ in _states(server, back["id"]).values()}
          == {"applied"} and len(_states(server, back["id"])) == 2,
          lambda: _states(server, back["id"]))
    assert one.config.session.inactivity_timeout_s == 120.0
    again = _rollout(server, tmp_path, "reissue", "--id", str(created["id"]),
                     "--canary-kiosks", first)
    assert again["version"] == back["version"] + 1
    _wait("the re-issue applied", lambda: _states(server, again["id"]).get(first, ("",))[0]
          == "applied")
    assert one.config.accessibility.theme == "high_contrast"
