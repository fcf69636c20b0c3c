"""kill -9 of kiosk processes (and of the server) at random points of submit and upload."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.delivery.conftest import enroll_kiosk
from tests.delivery.killharness import run_kills
from tests.delivery.netfaults import ServerProcess


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
