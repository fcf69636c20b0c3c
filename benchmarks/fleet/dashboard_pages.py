"""The ops dashboard's pages over HTTP, timed as an ``ops`` account loads them.

Shared by ``bench_fleet.py`` (pages over the simulated fleet's live state) and
``bench_fleet_dashboard.py`` (pages over a filled fleet table).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from jobcentre.staff.accounts import add_account
from jobcentre.staff.sessions import start_session
from jobcentre.staff.web import SESSION_COOKIE

#: the issue's bar for filtering and sorting over all kiosks
TARGET_S = 1.0

QUERIES: dict[str, dict[str, str]] = {
    "page 1 (all kiosks, by name)": {},
    "page 100": {"page": "100"},
    "status = fault": {"status": "fault"},
    "status = offline": {"status": "offline"},
    "text search": {"q": "012"},
    "sort last seen, descending": {"sort": "last_seen", "order": "desc"},
    "sort waiting documents": {"sort": "outbox", "order": "desc"},
}


def ops_session(repo: Any, username: str = "bench.ops") -> str:
    """A session token of a new ``ops`` account (benchmark only: straight into the tables)."""
    account = add_account(repo, username, "ops", "a long bench password 1")
    return start_session(repo, account, "127.0.0.1", datetime.now(UTC))


def time_pages(server_url: str, token: str, pages: dict[str, tuple[str, dict[str, str]]],
               repeat: int = 5) -> float:
    """Load every page ``repeat`` times, print p50/max per page; returns the slowest (s)."""
    worst = 0.0
    with httpx.Client(base_url=server_url, timeout=30,
                      headers={"Cookie": f"{SESSION_COOKIE}={token}"}) as client:
        for name, (path, query) in pages.items():
            runs = []
            for _ in range(repeat):
                start = time.perf_counter()
                response = client.get(path, params=query)
                runs.append(time.perf_counter() - start)
                assert response.status_code == 200, (name, response.status_code)
            worst = max(worst, max(runs))
            print(f"  {name:48s} p50 {statistics.median(runs) * 1000:7.1f}  max "
                  f"{max(runs) * 1000:7.1f} ms  ({len(response.content) // 1024} KiB)")
    return worst


def list_pages() -> dict[str, tuple[str, dict[str, str]]]:
    """The fleet list with each filter and sort of ``QUERIES``, plus the open alerts."""
    pages = {f"/staff/fleet ({name})": ("/staff/fleet", q) for name, q in QUERIES.items()}
    pages["/staff/fleet/alerts"] = ("/staff/fleet/alerts", {})
    return pages
