"""Signed fleet commands: the kiosk refuses forged, foreign, expired and replayed ones."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from foundation.errors import CommandRejected
from kiosk.agent.fleet.commands import accept
from kiosk.agent.fleet.replay import SeenCommands
from wire.bundle import key_id
from wire.fleet_command import parse_result, result_body, sign_command, verify_command

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CENTRE = Ed25519PrivateKey.generate()
KEYS = {key_id(CENTRE): CENTRE.public_key()}


def _signed(**kw: object) -> dict:
    return sign_command("kiosk-01", "lock", {}, CENTRE, issued_at=NOW, **kw)  # type: ignore[arg-type]


def test_a_signed_command_verifies_with_its_fields() -> None:
    command = verify_command(_signed(urgent=True), KEYS, "kiosk-01", NOW)
    assert (command.kiosk_id, command.name, command.urgent, dict(command.params)) == (
        "kiosk-01", "lock", True, {})
    assert command.expires_at == NOW + timedelta(hours=24)


@pytest.mark.parametrize(("change", "code"), [
    (lambda m: m["command"].update(name="wipe"), "bad_signature"),
    (lambda m: m["command"].update(urgent=True), "bad_signature"),
    (lambda m: m.update(signature=m["signature"][::-1]), "bad_signature"),
    (lambda m: m["command"].update(key_id="0" * 16), "unknown_key"),
    (lambda m: m["command"].update(format="JCC0"), "malformed"),
    (lambda m: m.pop("signature"), "malformed"),
])
def test_tampered_commands_are_refused(change, code: str) -> None:
    message = copy.deepcopy(_signed())
    change(message)
    with pytest.raises(CommandRejected) as refused:
        verify_command(message, KEYS, "kiosk-01", NOW)
    assert refused.value.code == code


def test_a_command_signed_by_another_key_is_refused() -> None:
    other = Ed25519PrivateKey.generate()
    message = sign_command("kiosk-01", "lock", {}, other, issued_at=NOW)
    with pytest.raises(CommandRejected) as refused:
        verify_command(message, KEYS, "kiosk-01", NOW)
    assert refused.value.code == "unknown_key"


def test_foreign_expired_and_future_commands_are_refused() -> None:
    for kiosk, now, code in (("kiosk-02", NOW, "not_for_this_kiosk"),
                             ("kiosk-01", NOW + timedelta(hours=25), "expired"),
                             ("kiosk-01", NOW - timedelta(hours=1), "not_yet_valid")):
        with pytest.raises(CommandRejected) as refused:
            verify_command(_signed(), KEYS, kiosk, now)
        assert refused.value.code == code


def test_a_replay_is_refused_also_after_a_restart(tmp_path: Path) -> None:
    message = _signed()
    accept(message, KEYS, "kiosk-01", SeenCommands.in_data_dir(tmp_path), NOW)
    with pytest.raises(CommandRejected) as refused:  # a new memory object: as after a restart
        accept(message, KEYS, "kiosk-01", SeenCommands.in_data_dir(tmp_path), NOW)
    assert refused.value.code == "replayed"


def test_the_memory_forgets_expired_ids_and_stays_bounded(tmp_path: Path) -> None:
    seen = SeenCommands(tmp_path / "seen.json", max_ids=3)
    for i in range(5):
        assert seen.remember(f"id-{i}", expires_at=100.0 + i, now=50.0)
    assert [seen.seen(f"id-{i}") for i in range(5)] == [False, False, True, True, True]
    assert seen.remember("late", expires_at=500.0, now=200.0)  # every older one expired
    assert not seen.seen("id-4") and seen.seen("late")


def test_result_bodies_are_checked() -> None:
    body = result_body("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "failed", {"ok": False},
                       "bad_signature")
    assert parse_result(body)[1:] == ("failed", {"ok": False}, "bad_signature")
    for bad in ({**body, "state": "running"}, {**body, "id": "x"},
                {**body, "error": "Not A Code"}, {**body, "answer": []}, []):
        with pytest.raises(ValueError):
            parse_result(bad)
