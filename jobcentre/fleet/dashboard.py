"""The queries behind the ops dashboard: one page of the kiosk list with its group counts.

Everything is filtered, sorted and paginated in the database (``fleet_kiosk_state`` joined
with ``kiosks`` for the name), so a page of 10,000 kiosks costs two queries: the page's rows
(``LIMIT``/``OFFSET``, ordered by site first, then the chosen column) and the counts per site
and status over the whole filtered set (``benchmarks/bench_fleet_dashboard.py`` times both).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["online", "fault", "offline"]
STATUSES: tuple[Status, ...] = ("online", "fault", "offline")
SORTS = {"name": "COALESCE(k.name, s.kiosk_id)", "last_seen": "s.last_seen_unix",
         "status": "s.status", "version": "s.app_version", "outbox": "s.outbox_depth"}
PER_PAGE = 50
MAX_TEXT = 100


@dataclass(frozen=True)
class Filters:
    """What the list shows: status, site, free text (id or name), sort, direction, page."""

    status: str = ""
    site: str = ""
    text: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE

    @classmethod
    def parse(cls, query: dict[str, str]) -> Filters:
        """Filters from a query string; unknown values fall back to the defaults."""
        status = query.get("status", "")
        sort = query.get("sort", "name")
        try:
            page = max(1, min(100_000, int(query.get("page", "1"))))
        except ValueError:
            page = 1
        return cls(status=status if status in STATUSES else "",
                   site=query.get("site", "")[:120], text=query.get("q", "").strip()[:MAX_TEXT],
                   sort=sort if sort in SORTS else "name",
                   descending=query.get("order") == "desc", page=page)

    def query(self, **changes: Any) -> dict[str, str]:
        """These filters as query parameters (with ``changes``), defaults left out."""
        values = {"status": self.status, "site": self.site, "q": self.text,
                  "sort": "" if self.sort == "name" else self.sort,
                  "order": "desc" if self.descending else "", "page": str(self.page)}
        values.update({k: str(v) for k, v in changes.items()})
        if values.get("page") == "1":
            values["page"] = ""
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class KioskRow:
    """One line of the kiosk list."""

    kiosk_id: str
    name: str
    site: str
    status: str
    last_seen: str
    app_version: str
    config_version: int | None
    update_version: int | None
    outbox_depth: int
    devices: dict[str, Any]


@dataclass
class ListPage:
    """One page of the list, the total it is part of and the counts per site and status."""

    rows: list[KioskRow]
    total: int
    groups: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, int]:
        """Counts per status over every site of the filtered set."""
        out: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for counts in self.groups.values():
            for status in STATUSES:
                out[status] += counts.get(status, 0)
        return out


def _where(filters: Filters) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = ["k.revoked_at IS NULL"]  # revoked kiosks leave the fleet view
    args: list[Any] = []
    if filters.status:
        clauses.append("s.status = ?")
        args.append(filters.status)
    if filters.site:
        clauses.append("s.site = ?")
        args.append(filters.site)
    if filters.text:
        pattern = "%" + filters.text.lower().replace("\\", "").replace("%", "").replace(
            "_", "") + "%"
        clauses.append("(LOWER(s.kiosk_id) LIKE ? OR LOWER(COALESCE(k.name, '')) LIKE ?)")
        args += [pattern, pattern]
    return " WHERE " + " AND ".join(clauses), tuple(args)


_FROM = " FROM fleet_kiosk_state s LEFT JOIN kiosks k ON k.kiosk_id = s.kiosk_id"


def list_kiosks(repo: Any, filters: Filters) -> ListPage:
    """One page of kiosks, grouped by site, with group counts (blocking)."""
    where, args = _where(filters)
    direction = "DESC" if filters.descending else "ASC"
    order = f"s.site ASC, {SORTS[filters.sort]} {direction}, s.kiosk_id ASC"
    offset = (filters.page - 1) * filters.per_page
    with repo.transaction() as execute:
        counts = execute(f"SELECT s.site, s.status, COUNT(*){_FROM}{where}"
                         " GROUP BY s.site, s.status", args).fetchall()
        rows = execute(
            "SELECT s.kiosk_id, COALESCE(k.name, s.kiosk_id), s.site, s.status, s.last_seen,"
            " s.app_version, s.config_version, s.update_version, s.outbox_depth, s.devices"
            f"{_FROM}{where} ORDER BY {order} LIMIT ? OFFSET ?",
            (*args, filters.per_page, offset)).fetchall()
    groups: dict[str, dict[str, int]] = {}
    for site, status, count in counts:
        groups.setdefault(site, dict.fromkeys(STATUSES, 0))[status] = int(count)
    total = sum(sum(c.values()) for c in groups.values())
    return ListPage([KioskRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], int(r[8]),
                              json.loads(r[9])) for r in rows], total, groups)


def sites(repo: Any) -> list[str]:
    """Every site that has reported (for the site filter)."""
    with repo.transaction() as execute:
        rows = execute("SELECT DISTINCT site FROM fleet_kiosk_state ORDER BY site").fetchall()
    return [r[0] for r in rows]


def statuses(repo: Any, kiosk_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Status and last-seen time of the given kiosks (the live-update poll)."""
    if not kiosk_ids:
        return {}
    marks = ", ".join("?" for _ in kiosk_ids)
    with repo.transaction() as execute:
        rows = execute(f"SELECT kiosk_id, status, last_seen FROM fleet_kiosk_state"
                       f" WHERE kiosk_id IN ({marks})", tuple(kiosk_ids)).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


@dataclass(frozen=True)
class Silent:
    """Enrolled kiosks that have not sent a heartbeat yet (``shown`` of ``total``)."""

    total: int
    shown: list[tuple[str, str, str]]  # kiosk id, name, enrolled at


def never_reported(repo: Any, limit: int = 20) -> Silent:
    """Enrolled, unrevoked kiosks without any heartbeat, newest enrollment first (blocking).

    They have no site or status yet, so the list above cannot show them; ops still need to
    see a terminal that was set up and never came online.
    """
    base = (" FROM kiosks k LEFT JOIN fleet_kiosk_state s ON s.kiosk_id = k.kiosk_id"
            " WHERE s.kiosk_id IS NULL AND k.revoked_at IS NULL")
    with repo.transaction() as execute:
        total = execute(f"SELECT COUNT(*){base}").fetchone()[0]
        rows = execute(f"SELECT k.kiosk_id, k.name, k.enrolled_at{base}"
                       " ORDER BY k.enrolled_at DESC, k.kiosk_id LIMIT ?", (limit,)).fetchall()
    return Silent(int(total), [(r[0], r[1], r[2]) for r in rows])
