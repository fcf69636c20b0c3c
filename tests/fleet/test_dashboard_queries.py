"""The dashboard's list: grouped by site with counts over the filtered set, filters, sorts
and pages answered by the database (SQLite here; the benchmark runs it on PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from jobcentre.fleet import dashboard
from jobcentre.fleet.alerts import AlertStore, FleetMonitor
from jobcentre.fleet.dashboard import Filters
from jobcentre.fleet.health_store import HealthStore, offline_after_s
from jobcentre.repository import open_repository
from tests.fleet.test_health_store import Clock, beat


def test_groups_filters_sorts_and_pages(tmp_path: Path) -> None:
    repo = open_repository(tmp_path)
    try:
        clock = Clock()
        monitor = FleetMonitor(HealthStore(repo, clock), AlertStore(repo))
        for number in range(12):
            heartbeat = beat(paper="out" if number % 4 == 0 else "ok")
            heartbeat = heartbeat.model_copy(update={"site": f"Site {'AB'[number % 2]}"})
            clock.now += 1
            monitor.on_heartbeat(f"kiosk-{number:02d}", heartbeat)
        clock.now += offline_after_s(30.0) - 5  # only the first kiosks are overdue
        assert monitor.check_offline() == 6  # kiosk-00 … kiosk-05

        page = dashboard.list_kiosks(repo, Filters(per_page=5))
        assert page.total == 12
        assert page.groups == {"Site A": {"online": 2, "fault": 1, "offline": 3},
                               "Site B": {"online": 3, "fault": 0, "offline": 3}}
        assert [r.kiosk_id for r in page.rows] == [
            "kiosk-00", "kiosk-02", "kiosk-04", "kiosk-06", "kiosk-08"]
        second = dashboard.list_kiosks(repo, Filters(per_page=5, page=2))
        assert [r.kiosk_id for r in second.rows] == [
            "kiosk-10", "kiosk-01", "kiosk-03", "kiosk-05", "kiosk-07"]

        faults = dashboard.list_kiosks(repo, Filters.parse({"status": "fault"}))
        assert [r.kiosk_id for r in faults.rows] == ["kiosk-08"]
        assert faults.totals == {"online": 0, "fault": 1, "offline": 0}
        site_b = dashboard.list_kiosks(repo, Filters.parse({"site": "Site B", "sort": "last_seen",
                                                            "order": "desc"}))
        assert [r.kiosk_id for r in site_b.rows][:2] == ["kiosk-11", "kiosk-09"]
        text = dashboard.list_kiosks(repo, Filters.parse({"q": "KIOSK-1"}))
        assert sorted(r.kiosk_id for r in text.rows) == ["kiosk-10", "kiosk-11"]
        wild = dashboard.list_kiosks(repo, Filters.parse({"q": "%_"}))
        assert wild.total == 12  # LIKE wildcards in the text are not wildcards
        junk = Filters.parse({"status": "burning", "sort": "DROP TABLE", "page": "-3"})
        assert (junk.status, junk.sort, junk.page) == ("", "name", 1)
    finally:
        repo.close()


def test_a_revoked_kiosk_is_neither_listed_nor_reported_offline(tmp_path: Path) -> None:
    repo = open_repository(tmp_path)
    try:
        clock = Clock()
        monitor = FleetMonitor(HealthStore(repo, clock), AlertStore(repo))
        with repo.transaction(write=True) as execute:
            execute("INSERT INTO kiosks (kiosk_id, name, public_key, certificate, enrolled_at,"
                    " revoked_at) VALUES ('gone', 'Alt', 'x', '{}', '2027-01-01T00:00:00.000Z',"
                    " '2027-01-02T00:00:00.000Z')")
        monitor.on_heartbeat("gone", beat())
        monitor.on_heartbeat("here", beat())
        clock.now += offline_after_s(30.0) + 1
        assert monitor.check_offline() == 1
        assert [a.kiosk_id for a in monitor.alerts.open_alerts()] == ["here"]
        assert [r.kiosk_id for r in dashboard.list_kiosks(repo, Filters()).rows] == ["here"]
    finally:
        repo.close()


def test_enrolled_kiosks_without_a_heartbeat_are_counted_apart(tmp_path: Path) -> None:
    repo = open_repository(tmp_path)
    try:
        with repo.transaction(write=True) as execute:
            for kiosk_id, enrolled, revoked in (
                    ("quiet-1", "2027-01-01T08:00:00.000Z", None),
                    ("quiet-2", "2027-01-02T08:00:00.000Z", None),
                    ("gone", "2027-01-03T08:00:00.000Z", "2027-01-04T08:00:00.000Z"),
                    ("talks", "2027-01-05T08:00:00.000Z", None)):
                execute("INSERT INTO kiosks (kiosk_id, name, public_key, certificate,"
                        " enrolled_at, revoked_at) VALUES (?, ?, 'x', '{}', ?, ?)",
                        (kiosk_id, kiosk_id.title(), enrolled, revoked))
        FleetMonitor(HealthStore(repo, Clock()), AlertStore(repo)).on_heartbeat("talks", beat())
        silent = dashboard.never_reported(repo, limit=1)
        assert silent.total == 2  # neither the revoked one nor the one that reported
        assert silent.shown == [("quiet-2", "Quiet-2", "2027-01-02T08:00:00.000Z")]
    finally:
        repo.close()
