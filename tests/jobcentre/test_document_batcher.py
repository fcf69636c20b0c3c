"""The group writer of one-request uploads: what waits is shared evenly between the writers
that are free, and every document gets its own answer."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from jobcentre.upload_batch import MAX_GROUP, DocumentBatcher, WholeUpload


class HeldService:
    """Stands in for ``IntakeService.store_new``: records each group's size; the first
    ``held`` groups wait until ``release`` is set, as a write waiting for the disk."""

    def __init__(self, held: int) -> None:
        self.groups: list[int] = []
        self.held = held
        self.release = threading.Event()

    def store_new(self, items: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
        self.groups.append(len(items))
        if len(self.groups) <= self.held:
            self.release.wait(10)
        return [{"stored": prepared} for _, prepared in items]


def _upload(name: str) -> WholeUpload:
    return WholeUpload(kiosk=f"kiosk {name}", auth=None, prepared=name)  # type: ignore[arg-type]


async def _burst(waiting: int) -> tuple[list[int], list[Any]]:
    service = HeldService(held=2)
    batcher = DocumentBatcher(service, lambda requests: [kiosk for kiosk, _ in requests])
    first = [asyncio.ensure_future(batcher.store(_upload(f"first {i}"))) for i in range(2)]
    for _ in range(500):  # both writers take a document of their own and wait for the disk
        if len(service.groups) == 2:
            break
        await asyncio.sleep(0.01)
    rest = [asyncio.ensure_future(batcher.store(_upload(f"doc {i}"))) for i in range(waiting)]
    await asyncio.sleep(0)  # they wait: both writers are busy
    service.release.set()
    time.sleep(0.3)  # the event loop is busy (checking documents) while both writers finish
    answers = await asyncio.wait_for(asyncio.gather(*first, *rest), 10)
    return service.groups, answers


def test_what_waits_is_shared_evenly_between_the_free_writers() -> None:
    groups, answers = asyncio.run(_burst(41))
    assert groups == [1, 1, 21, 20]  # not 32 and 9: the burst's last groups take half as long
    assert [a["stored"] for a in answers] == ["first 0", "first 1",
                                              *[f"doc {i}" for i in range(41)]]


def test_a_group_never_exceeds_its_limit() -> None:
    groups, answers = asyncio.run(_burst(3 * MAX_GROUP))
    assert groups[:2] == [1, 1] and max(groups) == MAX_GROUP
    assert sum(groups) == 2 + 3 * MAX_GROUP == len(answers)
