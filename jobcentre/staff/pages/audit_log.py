"""The audit log page (admins): newest entries first, filter by account and action."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jobcentre.staff.roles import Permission
from jobcentre.staff.templates import esc, render, table, url
from jobcentre.staff.web import NavEntry, StaffContext, record, staff_request

NAV = NavEntry("/audit", "nav.audit", Permission.READ_AUDIT_LOG)
LIMIT = 500


def add_routes(router: APIRouter, ctx: StaffContext) -> None:
    """Register ``GET /audit``."""

    @router.get("/audit")
    async def audit_page(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.READ_AUDIT_LOG)
        actor = request.query_params.get("actor", "")[:64]
        action = request.query_params.get("action", "")[:64]
        await record(req, "audit.view", detail=f"actor={actor} action={action}".strip())
        entries = await run_in_threadpool(ctx.repo.list_audit, LIMIT, actor, action)
        t = req.t
        rows = [[esc(req.t.when(e.at)), esc(e.actor), esc(t(f"role.{e.role}", default=e.role)),
                 f"<code>{esc(e.action)}</code>", esc(e.target), esc(e.address),
                 esc(t(f"audit.outcome.{e.outcome}", default=e.outcome)), esc(e.detail)]
                for e in entries]
        body = f"""<form method="get" action="{url('/audit')}" class="filters"
 aria-label="{esc(t('audit.filter'))}">
<div class="field"><label for="actor">{esc(t("audit.actor"))}</label>
<input id="actor" name="actor" type="text" value="{esc(actor)}" autocomplete="off"></div>
<div class="field"><label for="action">{esc(t("audit.action"))}</label>
<input id="action" name="action" type="text" value="{esc(action)}" autocomplete="off"></div>
<button type="submit">{esc(t("audit.apply"))}</button></form>
<p>{esc(t("audit.help", limit=LIMIT))}</p>""" + table(
            t("audit.caption", count=len(entries)),
            [t("audit.when"), t("audit.actor"), t("audit.role"), t("audit.action"),
             t("audit.target"), t("audit.address"), t("audit.outcome"), t("audit.detail")],
            rows, t("audit.none"))
        return render(req, t("audit.title"), body)
