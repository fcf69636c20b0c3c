"""The upload-latency histogram on both databases, with two processes counting at once.

Two ``UploadLatency``s over two repositories on one PostgreSQL database stand in for two
intake processes. Before the histogram counted in memory, each finish updated the bucket
rows itself and two finishes could lock them in different orders: PostgreSQL answered
``DeadlockDetected`` and the kiosk got 503 ``database_unavailable`` for a stored document.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from jobcentre.fleet.metrics import UploadLatency
from jobcentre.repository import Repository, open_repository
from tests.jobcentre.conftest import new_database, pg_url  # noqa: F401 - the fixture

# one latency per bucket range, so concurrent observations update different row sets
SECONDS = (0.5, 3.0, 10.0, 30.0, 200.0, 1000.0, 5000.0, 30000.0, 90000.0)
THREADS, EACH = 16, 27


@pytest.fixture(params=["sqlite", "postgresql"])
def repos(request: pytest.FixtureRequest, tmp_path: Path) -> list[Repository]:
    url = None if request.param == "sqlite" else new_database(request.getfixturevalue("pg_url"))
    opened = [open_repository(tmp_path, url) for _ in range(2)]

    def close() -> None:
        for repo in opened:
            repo.close()

    request.addfinalizer(close)
    return opened


def test_two_processes_count_concurrently_without_losing_or_failing(
        repos: list[Repository]) -> None:
    latencies = [UploadLatency(repo) for repo in repos]
    errors: list[BaseException] = []

    def work(number: int) -> None:
        latency = latencies[number % 2]
        try:
            for i in range(EACH):
                latency.observe(SECONDS[(i + number) % len(SECONDS)])
                if i % 10 == number % 10:
                    latency.flush()
            latency.flush()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    values = latencies[0].values()
    total = THREADS * EACH
    assert values["count"] == total
    assert values["le=+Inf"] == total
    expected_sum = sum(SECONDS[(i + n) % len(SECONDS)] for n in range(THREADS)
                       for i in range(EACH))
    assert values["sum"] == pytest.approx(expected_sum)
    per_value = total / len(SECONDS)  # each thread sends each value three times
    assert values["le=1"] == per_value
    assert values["le=86400"] == total - per_value


def test_counts_not_yet_flushed_are_shown_by_their_process_and_kept_for_the_next_flush(
        repos: list[Repository]) -> None:
    first, second = (UploadLatency(repo) for repo in repos)
    first.observe(2.0)
    assert first.values()["count"] == 1
    assert second.values()["count"] == 0  # not in the table yet
    first.flush()
    assert second.values()["count"] == 1
    assert second.values()["le=5"] == 1 and second.values()["le=1"] == 0
    first.flush()  # nothing new: nothing added twice
    assert second.values()["count"] == 1
