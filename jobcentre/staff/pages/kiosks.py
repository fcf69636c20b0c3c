"""Kiosks: the enrolled terminals, one-time enrollment codes (admin) and revocation.

Revoking asks once more on its own page (no script needed for a confirmation). A new code
is shown once, on the answer to the POST, and never stored in clear.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError, SetupError
from jobcentre.enrollment import create_code
from jobcentre.staff.roles import Permission
from jobcentre.staff.templates import csrf_field, esc, message, render, table, url
from jobcentre.staff.web import (
    NavEntry,
    StaffContext,
    StaffRequest,
    record,
    session_form,
    staff_request,
)

NAV = NavEntry("/kiosks", "nav.kiosks", Permission.VIEW_KIOSKS)


async def _list(req: StaffRequest, notice: str = "", name: str = "") -> str:
    t = req.t
    kiosks = await run_in_threadpool(req.ctx.repo.list_kiosks)
    rows = []
    for k in kiosks:
        state = (t("kiosks.revoked", at=req.t.when(k.revoked_at)) if k.revoked_at
                 else t("kiosks.active"))
        action = ""
        if not k.revoked_at and req.can(Permission.REVOKE_KIOSKS):
            action = (f'<a href="{url("/kiosks/" + k.kiosk_id + "/revoke")}" '
                      f'aria-label="{esc(t("kiosks.revoke") + ": " + k.name)}">'
                      f'{esc(t("kiosks.revoke"))}</a>')
        rows.append([esc(k.name), f"<code>{esc(k.kiosk_id)}</code>",
                     esc(req.t.when(k.enrolled_at)), esc(state), action])
    html = notice + table(
        t("kiosks.caption", count=len(kiosks)),
        [t("kiosks.name"), t("kiosks.id"), t("kiosks.enrolled"), t("kiosks.state"),
         t("kiosks.actions")], rows, t("kiosks.none"))
    if req.can(Permission.ISSUE_ENROLLMENT_CODES):
        html += f"""<h2>{esc(t("kiosks.new"))}</h2>
<p>{esc(t("kiosks.new_help"))}</p>
<form method="post" action="{url('/kiosks/codes')}" class="stack">{csrf_field(req)}
<div class="field"><label for="name">{esc(t("kiosks.new_name"))}</label>
<input id="name" name="name" type="text" required maxlength="200" value="{esc(name)}"
 autocomplete="off"></div>
<button type="submit">{esc(t("kiosks.issue"))}</button></form>"""
    return html


def add_routes(router: APIRouter, ctx: StaffContext) -> None:
    """Register the kiosk list, code issuing and revocation."""

    @router.get("/kiosks")
    async def kiosks_page(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.VIEW_KIOSKS)
        notice = ""
        if request.query_params.get("revoked"):
            notice = message("success", req.t("kiosks.revoked_done"))
        return render(req, req.t("kiosks.title"), await _list(req, notice))

    @router.post("/kiosks/codes")
    async def issue_code(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.ISSUE_ENROLLMENT_CODES)
        name = (await session_form(req)).get("name", "").strip()
        t = req.t
        try:
            code, kiosk_id = await run_in_threadpool(create_code, ctx.repo, ctx.service.keys, name)
        except SetupError:
            notice = message("error", t("kiosks.bad_name"))
            return render(req, t("kiosks.title"), await _list(req, notice, name), 422)
        await record(req, "kiosk.enrollment_code", f"kiosk:{kiosk_id}")
        notice = (f'<div class="notice success" role="status"><p>'
                  f'{esc(t("kiosks.code_for", name=name, kiosk_id=kiosk_id))}</p>'
                  f'<p class="code"><code>{esc(code)}</code></p>'
                  f'<p>{esc(t("kiosks.code_once"))}</p></div>')
        return render(req, t("kiosks.title"), await _list(req, notice),
                      headers={"Cache-Control": "no-store"})

    async def _kiosk(req: StaffRequest, kiosk_id: str) -> str:
        kiosk = await run_in_threadpool(ctx.repo.get_kiosk, kiosk_id[:100])
        if kiosk is None:
            raise ApiError(404, "not_found")
        return kiosk.name

    @router.get("/kiosks/{kiosk_id}/revoke")
    async def revoke_confirm(request: Request, kiosk_id: str) -> Response:
        req = await staff_request(request, ctx, Permission.REVOKE_KIOSKS)
        name = await _kiosk(req, kiosk_id)
        t = req.t
        body = f"""<p>{esc(t("kiosks.revoke_question", name=name, kiosk_id=kiosk_id))}</p>
<form method="post" action="{url('/kiosks/' + kiosk_id + '/revoke')}" class="row">
{csrf_field(req)}<button type="submit" class="danger">{esc(t("kiosks.revoke_yes"))}</button>
<a href="{url('/kiosks')}">{esc(t("kiosks.cancel"))}</a></form>"""
        return render(req, t("kiosks.revoke_title"), body)

    @router.post("/kiosks/{kiosk_id}/revoke")
    async def revoke(request: Request, kiosk_id: str) -> Response:
        req = await staff_request(request, ctx, Permission.REVOKE_KIOSKS)
        await session_form(req)
        await _kiosk(req, kiosk_id)
        count = await run_in_threadpool(lambda: ctx.repo.revoke(kiosk_id=kiosk_id))
        await record(req, "kiosk.revoke", f"kiosk:{kiosk_id}", detail=f"revoked={count}")
        return RedirectResponse(url("/kiosks", revoked="1"), status_code=303)
