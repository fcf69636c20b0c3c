"""Ops dashboard: the kiosk list grouped by site, a kiosk's detail page, the open alerts.

``/fleet`` lists kiosks by site with counts per group; status is a colour *and* an icon *and*
a word; filters (status, site, text), sort and pages are plain GET parameters answered by the
database (``jobcentre.fleet.dashboard``). ``fleet.js`` polls ``/fleet/status.json`` for the
kiosks on the page, updates their status and last-seen cells and announces changes in an
``aria-live`` region; without JavaScript the "Reload" link does the same.

``/fleet/kiosks/{id}`` shows the newest heartbeat, devices, alerts and the health history,
then every section in ``DETAIL_SECTIONS``: other parts append functions
``(req, kiosk_id) -> html`` (or an awaitable of it), e.g. remote commands or configuration.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError
from jobcentre.fleet import dashboard
from jobcentre.fleet.alerts import Alert
from jobcentre.fleet.dashboard import Filters, KioskRow
from jobcentre.fleet.health_store import decode_faults
from jobcentre.staff.roles import Permission
from jobcentre.staff.templates import esc, render, table, url
from jobcentre.staff.web import NavEntry, StaffContext, StaffRequest, staff_request

NAV = NavEntry("/fleet", "nav.fleet", Permission.VIEW_FLEET)
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SCRIPT = resources.files("jobcentre.staff").joinpath("static/fleet.js").read_bytes()
ICONS = {"online": "✔", "fault": "⚠", "offline": "✖"}
DetailSection = Callable[[StaffRequest, str], "str | Awaitable[str]"]
#: sections of the kiosk detail page after health (commands, configuration, …)
DETAIL_SECTIONS: list[DetailSection] = []


def status_html(req: StaffRequest, status: str) -> str:
    """Colour, icon and word for a status (never colour alone)."""
    icon = ICONS.get(status, "?")
    return (f'<span class="fleet-status {esc(status)}"><span aria-hidden="true">{icon}</span> '
            f'{esc(req.t(f"fleet.status.{status}", default=status))}</span>')


def _alert_text(req: StaffRequest, kind: str, subject: str) -> str:
    text = req.t(f"fleet.alert.{kind}", default=kind)
    if kind == "device_failed":
        text += ": " + req.t(f"fleet.device.{subject}", default=subject)
    return text


def _devices(req: StaffRequest, devices: dict[str, Any]) -> str:
    t = req.t
    notes = []
    for key, device in sorted(devices.items()):
        paper = device.get("paper")
        if paper in ("near_end", "out"):  # the paper says more than "failed"
            notes.append(f'{t("fleet.device.printer")}: {t("fleet.paper." + paper)}')
        elif device.get("state") not in ("ok", "absent"):
            notes.append(f'{t(f"fleet.device.{key}", default=key)}: '
                         f'{t("fleet.state." + str(device.get("state")), default="?")}')
    return esc("; ".join(notes) if notes else t("fleet.devices_ok"))


def _time(req: StaffRequest, text: str | None) -> str:
    return req.t.when(text) if text else "–"


def _row(req: StaffRequest, row: KioskRow, alerts: int) -> list[str]:
    link = (f'<a href="{url("/fleet/kiosks/" + row.kiosk_id)}">{esc(row.name)}</a>'
            f'<br><code>{esc(row.kiosk_id)}</code>')
    return [link, f'<span data-status-for="{esc(row.kiosk_id)}" data-status="{esc(row.status)}">'
            f"{status_html(req, row.status)}</span>",
            f'<span data-seen-for="{esc(row.kiosk_id)}">{esc(_time(req, row.last_seen))}</span>',
            esc(row.app_version), esc(row.config_version or "–"), esc(alerts),
            _devices(req, row.devices)]


def _options(values: list[tuple[str, str]], chosen: str) -> str:
    return "".join(f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(label)}'
                   "</option>" for v, label in values)


def _filter_form(req: StaffRequest, filters: Filters, sites: list[str]) -> str:
    t = req.t
    status = [("", t("fleet.all"))] + [(s, t(f"fleet.status.{s}")) for s in dashboard.STATUSES]
    site = [("", t("fleet.all"))] + [(s, s) for s in sites]
    sort = [(k, t(f"fleet.sort.{k}")) for k in dashboard.SORTS]
    order = [("", t("fleet.order_asc")), ("desc", t("fleet.order_desc"))]
    return f"""<form class="filters" method="get" action="{url('/fleet')}"
 aria-label="{esc(t("fleet.filters"))}">
<div class="field"><label for="f-status">{esc(t("fleet.filter_status"))}</label>
<select id="f-status" name="status">{_options(status, filters.status)}</select></div>
<div class="field"><label for="f-site">{esc(t("fleet.filter_site"))}</label>
<select id="f-site" name="site">{_options(site, filters.site)}</select></div>
<div class="field"><label for="f-q">{esc(t("fleet.filter_text"))}</label>
<input id="f-q" name="q" type="search" maxlength="100" value="{esc(filters.text)}"></div>
<div class="field"><label for="f-sort">{esc(t("fleet.filter_sort"))}</label>
<select id="f-sort" name="sort">{_options(sort, filters.sort)}</select></div>
<div class="field"><label for="f-order">{esc(t("fleet.filter_order"))}</label>
<select id="f-order" name="order">{_options(order, "desc" if filters.descending else "")}
</select></div>
<button type="submit">{esc(t("fleet.apply"))}</button></form>"""


def _pager(req: StaffRequest, filters: Filters, total: int) -> str:
    t = req.t
    pages = max(1, -(-total // filters.per_page))
    links = [f'<span>{esc(t("fleet.page_of", page=filters.page, pages=pages))}</span>']
    if filters.page > 1:
        target = url("/fleet", **filters.query(page=filters.page - 1))
        links.insert(0, f'<a rel="prev" href="{esc(target)}">{esc(t("fleet.previous"))}</a>')
    if filters.page < pages:
        target = url("/fleet", **filters.query(page=filters.page + 1))
        links.append(f'<a rel="next" href="{esc(target)}">{esc(t("fleet.next"))}</a>')
    return f'<nav class="pager" aria-label="{esc(t("fleet.pages"))}">{" ".join(links)}</nav>'


def _counts(req: StaffRequest, key: str, counts: dict[str, int]) -> str:
    return req.t(key, total=sum(counts.values()), online=counts.get("online", 0),
                 fault=counts.get("fault", 0), offline=counts.get("offline", 0))


async def _list_page(req: StaffRequest, filters: Filters) -> str:
    t = req.t
    fleet = req.ctx.fleet
    repo = req.ctx.repo
    page, sites, open_counts, silent = await run_in_threadpool(
        lambda: (dashboard.list_kiosks(repo, filters), dashboard.sites(repo),
                 fleet.alerts.open_counts(), dashboard.never_reported(repo)))
    by_kiosk = await run_in_threadpool(fleet.alerts.open_by_kiosk,
                                       [r.kiosk_id for r in page.rows])
    parts = [f'<p>{esc(t("fleet.intro"))}</p>',
             f'<p class="fleet-summary"><strong>{esc(_counts(req, "fleet.summary", page.totals))}'
             f'</strong></p>',
             f'<p class="row-links"><a href="{esc(url("/fleet", **filters.query()))}">'
             f'{esc(t("fleet.reload"))}</a> <a href="{url("/fleet/alerts")}">'
             f'{esc(t("fleet.alerts_link", count=sum(open_counts.values())))}</a></p>',
             _filter_form(req, filters, sites),
             f'<div id="fleet-live" class="visually-hidden" role="status" aria-live="polite"'
             f' data-url="{url("/fleet/status.json")}" data-poll-ms="{fleet.settings.poll_ms}"'
             f' data-failed="{esc(t("fleet.live_failed"))}"></div>']
    if not page.rows:
        parts.append(f'<p class="empty">{esc(t("fleet.none"))}</p>')
    headers = [t("fleet.kiosk"), t("fleet.status"), t("fleet.last_seen"), t("fleet.version"),
               t("fleet.config"), t("fleet.open_alerts"), t("fleet.devices")]
    for site in dict.fromkeys(r.site for r in page.rows):
        rows = [_row(req, r, by_kiosk.get(r.kiosk_id, 0)) for r in page.rows if r.site == site]
        parts.append(f'<section class="fleet-group"><h2>{esc(site)}</h2>'
                     f'<p>{esc(_counts(req, "fleet.group_counts", page.groups.get(site, {})))}</p>'
                     f'{table(t("fleet.caption", site=site), headers, rows, t("fleet.none"))}'
                     "</section>")
    parts.append(_pager(req, filters, page.total))
    if silent.total:
        parts.append(_silent_section(req, silent))
    parts.append(f'<script src="{url("/fleet/fleet.js")}" defer></script>')
    return "\n".join(parts)


def _silent_section(req: StaffRequest, silent: dashboard.Silent) -> str:
    t = req.t
    rows = [[f'<a href="{url("/fleet/kiosks/" + kiosk_id)}">{esc(name)}</a>'
             f'<br><code>{esc(kiosk_id)}</code>', esc(_time(req, enrolled))]
            for kiosk_id, name, enrolled in silent.shown]
    caption = t("fleet.silent.caption", shown=len(silent.shown), total=silent.total)
    return (f'<section class="fleet-group"><h2>{esc(t("fleet.silent.title"))}</h2>'
            f'<p>{esc(t("fleet.silent.intro"))}</p>'
            f'{table(caption, [t("fleet.kiosk"), t("fleet.silent.enrolled")], rows, "")}'
            "</section>")


def _alert_rows(req: StaffRequest, alerts: list[Alert], with_kiosk: bool) -> list[list[str]]:
    rows = []
    for a in alerts:
        row = [esc(_alert_text(req, a.kind, a.subject)), esc(_time(req, a.raised_at)),
               esc(_time(req, a.cleared_at)) if a.cleared_at else esc(req.t("fleet.alerts.open"))]
        if with_kiosk:
            row = [f'<a href="{url("/fleet/kiosks/" + a.kiosk_id)}"><code>{esc(a.kiosk_id)}'
                   "</code></a>", esc(a.site), *row]
        rows.append(row)
    return rows


def add_routes(router: APIRouter, ctx: StaffContext) -> None:
    """Register the fleet list, the kiosk detail page, open alerts and the live poll."""
    from jobcentre.staff.pages.fleet_detail import detail_body

    @router.get("/fleet")
    async def fleet_page(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.VIEW_FLEET)
        filters = Filters.parse(dict(request.query_params))
        return render(req, req.t("fleet.title"), await _list_page(req, filters),
                      headers={"Content-Security-Policy": CSP})

    @router.get("/fleet/fleet.js")
    async def fleet_script() -> Response:
        return Response(SCRIPT, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=3600"})

    @router.get("/fleet/status.json")
    async def fleet_status(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.VIEW_FLEET)
        ids = [i for i in request.query_params.get("ids", "").split(",") if i][:200]
        found = await run_in_threadpool(dashboard.statuses, ctx.repo, ids)
        return JSONResponse({"kiosks": {
            kiosk_id: {"status": status, "html": status_html(req, status),
                       "seen": _time(req, seen),
                       "text": req.t("fleet.changed", kiosk=kiosk_id,
                                     status=req.t(f"fleet.status.{status}", default=status))}
            for kiosk_id, (status, seen) in found.items()}})

    @router.get("/fleet/alerts")
    async def alerts_page(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.VIEW_FLEET)
        t = req.t
        alerts = await run_in_threadpool(ctx.fleet.alerts.open_alerts)
        body = (f'<p><a href="{url("/fleet")}">{esc(t("fleet.back"))}</a></p>' + table(
            t("fleet.alerts.caption", count=len(alerts)),
            [t("fleet.kiosk"), t("fleet.alerts.site"), t("fleet.alerts.kind"),
             t("fleet.alerts.raised"), t("fleet.alerts.cleared")],
            _alert_rows(req, alerts, True), t("fleet.alerts.none")))
        return render(req, t("fleet.alerts.title"), body)

    @router.get("/fleet/kiosks/{kiosk_id}")
    async def kiosk_page(request: Request, kiosk_id: str) -> Response:
        req = await staff_request(request, ctx, Permission.VIEW_FLEET)
        kiosk_id = kiosk_id[:100]
        record = await run_in_threadpool(ctx.repo.get_kiosk, kiosk_id)
        state = await run_in_threadpool(ctx.fleet.health.latest, kiosk_id)
        if record is None and state is None:
            raise ApiError(404, "not_found")
        name = record.name if record is not None else kiosk_id
        body = await detail_body(req, kiosk_id, state)
        for section in DETAIL_SECTIONS:
            html = section(req, kiosk_id)
            body += await html if inspect.isawaitable(html) else html
        return render(req, req.t("fleet.detail.title", name=name), body)


def faults_text(req: StaffRequest, faults: str) -> str:
    """A stored fault set as words."""
    items = sorted(decode_faults(faults))
    return "; ".join(_alert_text(req, k, s) for k, s in items) or req.t("fleet.devices_ok")


__all__ = ["DETAIL_SECTIONS", "NAV", "add_routes", "faults_text", "status_html"]
