"""The staff directory reaches a running agent over the live channel and is verified offline.

Real pieces: the embedded intake service on loopback, an enrolled agent polling its live
channel, the ``kiosk-server`` command line in its own process, and the card authenticator
over the simulated reader with a virtual PIV card.
"""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from config.model import KioskConfig
from device_drivers.card_reader.piv_card import VirtualPivCard
from device_drivers.card_reader.simulated import SimulatedCardReader
from foundation.errors import StaffCardRefused
from jobcentre.live_store import LiveStore
from jobcentre.repository import open_repository
from kiosk.agent.runner import Agent
from kiosk.delivery.identity import load_identity
from kiosk.staffcard.authenticator import StaffCardAuthenticator
from kiosk.staffcard.directory import StaffDirectory
from kiosk.staffcard.wiring import directory_store
from wire import codec
from wire.bundle import sign_bundle

PIN = "123456"
UPPER_BOUND_S = 60.0  # against hanging only; nothing here measures speed


def _server(agent: Agent, *args: str, stdin: str | None = None) -> str:
    assert agent.embedded is not None
    words = next(i for i, a in enumerate(args) if a.startswith("--"))  # the sub-command
    done = subprocess.run(
        [sys.executable, "-m", "jobcentre.cli", *args[:words], "--data",
         str(agent.embedded.server_dir), *args[words:]],
        input=stdin, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _directory(agent: Agent) -> StaffDirectory | None:
    try:
        return directory_store(agent.config).current()
    except StaffCardRefused:
        return None


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + UPPER_BOUND_S
    while not condition():
        assert time.monotonic() < deadline, "the directory never arrived"
        time.sleep(0.1)


def _send(agent: Agent, type_: str, body: dict[str, Any]) -> None:
    identity = load_identity(agent.data_dir)
    assert identity is not None
    _server(agent, "live-send", "--kiosk-id", identity.kiosk_id, "--type", type_,
            "--body", json.dumps(body))


def test_cards_registered_and_revoked_reach_the_kiosk_and_tampering_is_refused(
        agent: Agent, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    card = VirtualPivCard()
    key_file = tmp_path / "anna.pem"
    key_file.write_text(card.key.pem)
    _server(agent, "staff", "add", "--user", "anna", "--role", "desk", "--password-stdin",
            stdin="a long enough password 1\n")
    assert _directory(agent) is None

    out = _server(agent, "staff", "card-register", "--user", "anna", "--display-name",
                  "Anna Beispiel", "--public-key-file", str(key_file))
    assert "queued for 1 kiosk(s)" in out
    _wait_for(lambda: (d := _directory(agent)) is not None and d.find(card.key.key_sha256)
              is not None)
    first = _directory(agent)
    assert first is not None
    auth = StaffCardAuthenticator(SimulatedCardReader(card), directory_store(agent.config))
    login = auth.login(PIN)
    assert (login.staff_id, login.display_name, login.roles) == ("anna", "Anna Beispiel",
                                                                 ("desk",))
    first_raw = directory_store(agent.config).bundle_path.read_bytes()

    _server(agent, "staff", "card-revoke", "--user", "anna")
    _wait_for(lambda: (d := _directory(agent)) is not None and d.version > first.version)
    revoked = _directory(agent)
    assert revoked is not None and revoked.find(card.key.key_sha256) is not None
    auth = StaffCardAuthenticator(SimulatedCardReader(card), directory_store(agent.config))
    with pytest.raises(StaffCardRefused) as refused:
        auth.login(PIN)
    assert refused.value.code == "staff_card_revoked"

    # A directory that re-admits the card: signed by a foreign key, the genuine one edited,
    # an old (replayed) version, and no base64 at all. All are refused.
    kept = directory_store(agent.config).bundle_path.read_bytes()
    entry = {"staff_id": "anna", "display_name": "Anna Beispiel", "roles": ["desk"],
             "public_key": card.key.b64, "key_sha256": card.key.key_sha256, "revoked": False}
    forged = sign_bundle("staff_directory", revoked.version + 5, {"staff": [entry]},
                         Ed25519PrivateKey.generate(), issued_at=datetime.now(UTC),
                         valid_for=timedelta(days=14))
    genuine = json.loads(kept)  # the genuine bundle, edited to re-admit the card
    genuine["bundle"]["version"] += 1
    genuine["bundle"]["payload"]["staff"][0]["revoked"] = False
    edited = codec.canonical_json(genuine)
    received: queue.Queue[dict[str, Any]] = queue.Queue()
    agent.live_handlers["ops.test"] = received.put
    for raw in (forged, edited, first_raw):
        _send(agent, "staff.directory", {"bundle": codec.b64u_encode(raw)})
    _send(agent, "staff.directory", {"bundle": "not base64 ✗"})
    _send(agent, "staff.directory", {})
    _send(agent, "ops.test", {"after": "the bad bundles"})
    assert received.get(timeout=UPPER_BOUND_S)["body"] == {"after": "the bad bundles"}
    after = _directory(agent)
    assert after is not None and after.version == revoked.version
    assert directory_store(agent.config).bundle_path.read_bytes() == kept
    with pytest.raises(StaffCardRefused):
        StaffCardAuthenticator(SimulatedCardReader(card),
                               directory_store(agent.config)).login(PIN)
    refusals = sorted(r.getMessage().rsplit("(", 1)[-1] for r in caplog.records
                      if "staff directory from the live channel refused" in r.getMessage())
    assert refusals == ["bad_signature)", "malformed)", "not base64url)", "older_version)",
                        "unknown_key)"]  # edited, empty, not base64, replayed v1, forged
    assert "anna" not in caplog.text.lower() and "Beispiel" not in caplog.text


def test_a_kiosk_offline_past_the_message_lifetime_catches_up_when_it_reconnects(
        tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    agent = Agent(KioskConfig(data_dir=data), data)
    agent.start()
    agent.stop()  # enrolled, now offline
    card = VirtualPivCard()
    key_file = tmp_path / "bert.pem"
    key_file.write_text(card.key.pem)
    _server(agent, "staff", "add", "--user", "bert", "--role", "desk", "--password-stdin",
            stdin="a long enough password 1\n")
    _server(agent, "staff", "card-register", "--user", "bert", "--public-key-file",
            str(key_file))
    assert agent.embedded is not None
    repo = open_repository(agent.embedded.server_dir)
    try:  # the queued message outlives its time to live while the kiosk is away
        live = LiveStore(repo)
        assert live.expire(datetime.now(UTC) + timedelta(days=2)) == 1
    finally:
        repo.close()
    assert _directory(agent) is None

    again = Agent(KioskConfig(data_dir=data), data)
    again.start()
    try:
        _wait_for(lambda: (d := _directory(again)) is not None and d.find(card.key.key_sha256)
                  is not None)
        login = StaffCardAuthenticator(SimulatedCardReader(card),
                                       directory_store(again.config)).login(PIN)
        assert login.staff_id == "bert"
    finally:
        again.stop()
