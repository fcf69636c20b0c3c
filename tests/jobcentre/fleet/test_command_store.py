"""The ``fleet_commands`` table on both databases: states only move forward, reports are
idempotent, and a kiosk cannot report on another kiosk's command."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from foundation.errors import ApiError
from jobcentre.fleet.commands import CommandStore, issue_command
from jobcentre.repository import open_repository
from wire.bundle import key_id
from wire.fleet_command import verify_command

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_pending_delivered_done_and_refusals(tmp_path: Path, database: str | None) -> None:
    repo = open_repository(tmp_path, database)
    key = Ed25519PrivateKey.generate()
    try:
        store = CommandStore(repo)
        CommandStore(repo)  # several processes create the table: harmless
        record, body = issue_command(store, key, "kiosk-a", "collect_logs", {"lines": 10},
                                     urgent=True, issued_by="ops1")
        assert (record.state, record.urgent, record.params, record.issued_by) == (
            "pending", True, {"lines": 10}, "ops1")
        # what is posted verifies on the kiosk with the centre key
        verify_command(body, {key_id(key): key.public_key()}, "kiosk-a")
        cid = record.command_id
        with pytest.raises(ApiError) as other:
            store.report("kiosk-b", cid, "delivered", {}, None)
        assert (other.value.status, other.value.code) == (403, "not_your_command")
        with pytest.raises(ApiError) as unknown:
            store.report("kiosk-a", "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "done", {}, None)
        assert unknown.value.code == "command_unknown"
        assert store.report("kiosk-a", cid, "delivered", {}, None, NOW).state == "delivered"
        assert store.report("kiosk-a", cid, "delivered", {}, None).state == "delivered"
        done = store.report("kiosk-a", cid, "done", {"ok": True, "lines": []}, None)
        assert (done.state, done.answer, done.error) == ("done", {"ok": True, "lines": []}, None)
        assert done.delivered_at is not None and done.finished_at is not None
        # repeated and late reports change nothing; a different ending is refused
        assert store.report("kiosk-a", cid, "done", {"ok": True}, None).answer == done.answer
        assert store.report("kiosk-a", cid, "delivered", {}, None).state == "done"
        with pytest.raises(ApiError) as finished:
            store.report("kiosk-a", cid, "failed", {}, "internal_error")
        assert finished.value.status == 409
        second, _ = issue_command(store, key, "kiosk-a", "lock", {}, urgent=False,
                                  issued_by="ops1")
        failed = store.report("kiosk-a", second.command_id, "failed", {"ok": False},
                              "bad_signature")
        assert (failed.state, failed.error) == ("failed", "bad_signature")
        assert [c.name for c in store.for_kiosk("kiosk-a")][:2] in (
            ["lock", "collect_logs"], ["collect_logs", "lock"])
        assert store.for_kiosk("kiosk-b") == []
    finally:
        repo.close()
