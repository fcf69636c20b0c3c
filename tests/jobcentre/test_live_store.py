"""The live-channel queue on both databases: order, per-kiosk cursors, acknowledgement, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobcentre.live_store import LiveStore
from jobcentre.repository import open_repository

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def test_queue_per_kiosk_with_cursor_ack_and_expiry(tmp_path: Path, database: str | None) -> None:
    repo = open_repository(tmp_path, database)
    try:
        store = LiveStore(repo)
        LiveStore(repo)  # creating the table twice is harmless (several processes start)
        day = timedelta(days=1)
        a1 = store.add("kiosk-a", "help.ack", {"name": "Jana"}, day, NOW)
        b1 = store.add("kiosk-b", "ops.ping", {}, day, NOW)
        a2 = store.add("kiosk-a", "ops.ping", {"n": 2}, timedelta(minutes=1), NOW)
        assert a1.seq < b1.seq < a2.seq
        assert store.newest_seq() == a2.seq
        assert [m.seq for m in store.after("kiosk-a", 0, 10, NOW)] == [a1.seq, a2.seq]
        assert store.after("kiosk-a", 0, 10, NOW)[0].body == {"name": "Jana"}
        assert [m.seq for m in store.after("kiosk-a", a1.seq, 10, NOW)] == [a2.seq]
        assert store.kiosks_after(a1.seq) == {"kiosk-a", "kiosk-b"}
        assert store.kiosks_after(b1.seq) == {"kiosk-a"}
        # A message past its time to live is not delivered and is deleted by expiry.
        later = NOW + timedelta(minutes=5)
        assert [m.seq for m in store.after("kiosk-a", 0, 10, later)] == [a1.seq]
        assert store.expire(later) == 1
        store.acknowledge("kiosk-a", a1.seq)
        assert store.after("kiosk-a", 0, 10, NOW) == []
        assert [m.seq for m in store.after("kiosk-b", 0, 10, NOW)] == [b1.seq]
        assert a1.wire()["type"] == "help.ack" and a1.wire()["id"] == a1.message_id
    finally:
        repo.close()
