"""The fleet's health tables on both databases: dedup, clear, history, offline exactly once.

Two ``HealthStore``s over two repositories on one PostgreSQL database stand in for two intake
processes; their offline watchers race and each newly offline kiosk goes to exactly one.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from jobcentre.fleet.alerts import AlertStore, FleetMonitor
from jobcentre.fleet.health_store import HealthStore, offline_after_s
from jobcentre.repository import open_repository
from kiosk.agent.fleet.heartbeat import HeartbeatInputs, build_heartbeat
from tests.jobcentre.conftest import new_database, pg_url  # noqa: F401 - the fixture
from wire.fleet import Heartbeat


class Clock:
    """A settable clock (seconds)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Recorder:
    """Collects notifier events."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def enqueue(self, event: dict[str, Any]) -> None:
        self.events.append((event["event"], event["kiosk_id"], event["kind"]))


def beat(paper: str = "ok", disk: float = 40.0, oldest: float | None = None,
         camera_ok: bool = True, session_end: float | None = None) -> Heartbeat:
    health = {
        "printer": {"key": "printer", "ok": paper != "out", "required": True, "paper": paper},
        "camera": {"key": "camera", "ok": camera_ok, "required": True},
        "audio": {"key": "audio", "ok": False, "required": False},
    }
    return build_heartbeat(HeartbeatInputs(
        site="Jobcenter Musterstadt", app_version="0.1.0", interval_s=30.0,
        now=datetime(2027, 1, 15, 9, 0, tzinfo=UTC), health=health, outbox_depth=2,
        outbox_oldest_age_s=oldest, disk_used_percent=disk, disk_free_bytes=10**9,
        last_session_end=session_end))


@pytest.fixture(params=["sqlite", "postgresql"])
def repo_url(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str | None]:
    if request.param == "sqlite":
        return tmp_path, None
    return tmp_path, new_database(request.getfixturevalue("pg_url"))


def test_faults_raise_once_clear_with_time_and_history_is_thinned(
        repo_url: tuple[Path, str | None]) -> None:
    repo = open_repository(*repo_url)
    try:
        clock = Clock()
        health, alerts, sent = HealthStore(repo, clock), AlertStore(repo), Recorder()
        monitor = FleetMonitor(health, alerts, sent)
        monitor.on_heartbeat("k1", beat())
        assert beat().devices["audio"].state == "warn"  # optional device: no alert
        for _ in range(3):  # the same fault reported again: still one open alert
            clock.now += 30
            monitor.on_heartbeat("k1", beat(paper="out", camera_ok=False))
        clock.now += 30
        monitor.on_heartbeat("k1", beat(paper="near_end", disk=95.0, oldest=4000.0))
        clock.now += 30
        monitor.on_heartbeat("k1", beat())
        assert sent.events == [
            ("raised", "k1", "device_failed"), ("raised", "k1", "paper_out"),
            ("cleared", "k1", "device_failed"), ("cleared", "k1", "paper_out"),
            ("raised", "k1", "disk_full"), ("raised", "k1", "outbox_stuck"),
            ("raised", "k1", "paper_near_end"),
            ("cleared", "k1", "disk_full"), ("cleared", "k1", "outbox_stuck"),
            ("cleared", "k1", "paper_near_end")]
        assert alerts.open_alerts() == []
        assert all(a.cleared_at for a in alerts.of_kiosk("k1"))
        # a history row per change of the faults (4), not one per heartbeat (6)
        statuses = [status for _, status, _ in health.history("k1")]
        assert statuses == ["online", "fault", "fault", "online"]
        state = health.latest("k1")
        assert state is not None and state.status == "online" and state.outbox_depth == 2
    finally:
        repo.close()


def test_two_watchers_mark_each_offline_kiosk_exactly_once(pg_url: str,  # noqa: F811
                                                           tmp_path: Path) -> None:
    url = new_database(pg_url)
    repos = [open_repository(tmp_path, url) for _ in range(2)]
    try:
        clock = Clock()
        sent = Recorder()
        monitors = [FleetMonitor(HealthStore(r, clock), AlertStore(r), sent) for r in repos]
        for number in range(40):
            monitors[number % 2].on_heartbeat(f"k{number}", beat())
        clock.now += offline_after_s(30.0) + 1
        monitors[0].on_heartbeat("k0", beat())  # k0 is still alive
        barrier = threading.Barrier(2)
        found: list[int] = []

        def watch(monitor: FleetMonitor) -> None:
            barrier.wait()
            found.append(monitor.check_offline())

        threads = [threading.Thread(target=watch, args=(m,)) for m in monitors]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sum(found) == 39
        offline = sorted(k for event, k, kind in sent.events if kind == "offline")
        assert offline == sorted(f"k{n}" for n in range(1, 40))
        assert monitors[1].check_offline() == 0
        assert AlertStore(repos[0]).open_counts()["offline"] == 39
        monitors[1].on_heartbeat("k7", beat())  # back: the offline alert clears
        assert ("cleared", "k7", "offline") in sent.events
    finally:
        for repo in repos:
            repo.close()


def test_offline_is_detected_within_90_seconds_at_the_default_interval() -> None:
    assert offline_after_s(30.0) + 5.0 <= 90.0  # + the watcher's default period
    assert offline_after_s(0.3) >= 2 * 0.3 + 5  # a short test interval is not flaky


def test_a_heartbeat_with_unknown_or_personal_fields_is_refused() -> None:
    body = beat().model_dump(mode="json")
    body["customer_number"] = "123A456789"
    with pytest.raises(ValueError, match="customer_number"):
        Heartbeat.model_validate(body)
    body = beat().model_dump(mode="json")
    body["errors"] = {"count": 1, "codes": ["upload failed for 123A456789"]}
    with pytest.raises(ValueError, match="codes"):
        Heartbeat.model_validate(body)
