"""kill -9 of kiosk processes (and of the server, or of one of two intake processes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.delivery.conftest import enroll_kiosk
from tests.delivery.killharness import TwoWorkerServer, enroll_with, run_kills
from tests.delivery.netfaults import ServerProcess
from tests.jobcentre import conftest as jobcentre_fixtures
from tests.jobcentre.conftest import new_database

pg_url = jobcentre_fixtures.pg_url  # the private PostgreSQL cluster fixture


@pytest.mark.slow
def test_twenty_kills_lose_nothing_and_duplicate_nothing(
    server: ServerProcess, tmp_path: Path
) -> None:
    data = tmp_path / "kiosk"
    enroll_kiosk(server, data)
    report = run_kills(data, server, kills=20, seed=7, server_kill_every=7)
    assert report.kills == 20 and report.server_kills == 2
    assert report.promises, "no submission completed before the kills: delays too short"
    assert report.server_documents >= sum(len(p.documents) for p in report.promises)


@pytest.mark.slow
def test_killing_one_of_two_intake_processes_loses_and_duplicates_nothing(
    pg_url: str, tmp_path: Path
) -> None:
    (tmp_path / "server").mkdir()
    server = TwoWorkerServer(tmp_path / "server", new_database(pg_url))
    server.start()
    try:
        data = tmp_path / "kiosk"
        enroll_with(server, data, server.database)
        report = run_kills(data, server, kills=10, seed=11, server_kill_every=3)
    finally:
        server.stop()
    assert report.kills == 10 and report.server_kills == 3
    assert report.promises, "no submission completed before the kills: delays too short"
    assert report.server_documents >= sum(len(p.documents) for p in report.promises)
