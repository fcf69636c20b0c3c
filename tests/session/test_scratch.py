"""The session scratch space is usable from worker threads (capture, OCR, hand-in).

Regression: the hand-in worker read a page from the scratch space that the UI thread had
opened and got ``sqlite3.ProgrammingError`` (objects created in a thread can only be used in
that same thread).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from foundation.errors import SessionError
from kiosk.session.scratch import open_scratch


def _in_thread(work):  # type: ignore[no-untyped-def]
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test thread
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


def test_workers_put_get_and_delete_pages(tmp_path: Path) -> None:
    scratch = open_scratch(tmp_path / "scratch")
    ref = _in_thread(lambda: scratch.put(b"page one", "page"))
    assert _in_thread(lambda: scratch.get(ref)) == b"page one"
    assert _in_thread(lambda: scratch.refs("page")) == [ref]
    _in_thread(lambda: scratch.delete(ref))
    assert scratch.refs() == []
    scratch.wipe()
    with pytest.raises(SessionError):
        _in_thread(lambda: scratch.put(b"late", "page"))
    with pytest.raises(SessionError):
        _in_thread(lambda: scratch.get(ref))
    _in_thread(lambda: scratch.delete(ref))  # a late delete after the wipe is harmless
    assert not (tmp_path / "scratch").exists() or not any((tmp_path / "scratch").iterdir())


def test_many_threads_at_once(tmp_path: Path) -> None:
    scratch = open_scratch(tmp_path / "scratch")
    refs: list[str] = []
    lock = threading.Lock()

    def add(n: int) -> None:
        ref = scratch.put(bytes([n]) * 1000, "page")
        with lock:
            refs.append(ref)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(scratch.get(r)[0] for r in refs) == list(range(16))
    scratch.wipe()
