"""Receipt check inside the staff layout: the public ``/verify`` check, audited.

The verdict block is ``jobcentre.verify_page.render_result`` (German with English beneath),
so the staff page and the public page can never disagree.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jobcentre.receipts import check_receipt
from jobcentre.staff.roles import Permission
from jobcentre.staff.templates import csrf_field, esc, render, url
from jobcentre.staff.web import (
    NavEntry,
    StaffContext,
    StaffRequest,
    record,
    session_form,
    staff_request,
)
from jobcentre.verify_page import FORM_LIMIT, render_result

NAV = NavEntry("/receipts", "nav.receipts", Permission.CHECK_RECEIPTS)


def _form(req: StaffRequest, payload: str, result: str) -> str:
    t = req.t
    return f"""<p>{esc(t("receipts.intro"))}</p>
<form method="post" action="{url('/receipts')}" class="stack">{csrf_field(req)}
<div class="field"><label for="payload">{esc(t("receipts.label"))}</label>
<textarea id="payload" name="payload" rows="4" required spellcheck="false"
 autocomplete="off">{esc(payload)}</textarea></div>
<button type="submit">{esc(t("receipts.submit"))}</button>
</form>
<div role="status" aria-live="polite" class="verify-result">{result}</div>
<p><a href="/verify">{esc(t("receipts.public"))}</a></p>"""


def add_routes(router: APIRouter, ctx: StaffContext) -> None:
    """Register ``GET``/``POST /receipts``."""
    centre_key = ctx.service.keys.signing.public_key()

    @router.get("/receipts")
    async def receipts_page(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.CHECK_RECEIPTS)
        return render(req, req.t("receipts.title"), _form(req, "", ""))

    @router.post("/receipts")
    async def receipts_check(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.CHECK_RECEIPTS)
        payload = (await session_form(req)).get("payload", "").strip()[:FORM_LIMIT]
        if not payload:
            return render(req, req.t("receipts.title"), _form(req, "", ""))
        check = await run_in_threadpool(check_receipt, payload, centre_key, ctx.repo)
        kiosk = str(check.receipt.get("kiosk", ""))[:100] if check.receipt else ""
        await record(req, "receipt.check", f"kiosk:{kiosk}" if kiosk else "",
                     detail=f"verdict={check.verdict}")
        return render(req, req.t("receipts.title"), _form(req, payload, render_result(check)))
