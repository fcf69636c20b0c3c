"""The live hub's waiting polls: woken by a post here or by the watcher, idle ones cost one read.

A real ``LiveStore`` on SQLite; the store below only counts how often the hub reads it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from jobcentre.live import LiveHub, LiveLimits
from jobcentre.live_store import LiveMessage, LiveStore
from jobcentre.repository import open_repository

DAY = timedelta(days=1)


class CountingStore(LiveStore):
    """A ``LiveStore`` that counts its reads of waiting messages."""

    def __init__(self, repo: Any) -> None:
        super().__init__(repo)
        self.reads = 0

    def after(self, kiosk_id: str, cursor: int, limit: int, now: Any = None
              ) -> list[LiveMessage]:
        self.reads += 1
        return super().after(kiosk_id, cursor, limit, now)


def test_an_idle_poll_reads_once_and_posts_wake_waiting_polls(tmp_path: Path) -> None:
    repo = open_repository(tmp_path)
    store = CountingStore(repo)
    hub = LiveHub(store, LiveLimits(watch_interval_s=0.05))

    async def scenario() -> None:
        await hub.start()
        try:
            assert await hub.poll("kiosk-a", 0, 0.3) == []  # nothing came: answered empty
            assert store.reads == 1  # … without asking the database a second time

            waiting = asyncio.ensure_future(hub.poll("kiosk-a", 0, 30))
            await asyncio.sleep(0.1)
            posted = await hub.post("kiosk-a", "ops.ping", {"n": 1})  # a post in this process
            assert [m.message_id for m in await asyncio.wait_for(waiting, 10)] == [
                posted.message_id]

            waiting = asyncio.ensure_future(hub.poll("kiosk-b", 0, 30))
            await asyncio.sleep(0.1)
            other = store.add("kiosk-b", "ops.ping", {"n": 2}, DAY)  # another process's post
            assert [m.message_id for m in await asyncio.wait_for(waiting, 10)] == [
                other.message_id]  # the watcher woke the poll
        finally:
            await hub.stop()

    try:
        asyncio.run(scenario())
    finally:
        repo.close()
