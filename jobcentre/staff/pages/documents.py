"""Documents received: filter by date, kiosk and type, or find them by customer or BG number;
open or download. Listing, number search, open and download are all audited.

The number search is a POST (with the CSRF token), so the number never lands in a URL, the
browser history or a proxy log; the service looks it up through its blind index only.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jobcentre.note_view import submission_checklists
from jobcentre.repository import DocumentRecord
from jobcentre.staff.documents import (
    DOWNLOAD,
    OPEN,
    DocumentFilter,
    find_documents,
    list_documents,
    read_document,
)
from jobcentre.staff.roles import Permission
from jobcentre.staff.templates import csrf_field, esc, render, table, url
from jobcentre.staff.web import NavEntry, StaffContext, StaffRequest, session_form, staff_request

NAV = NavEntry("/documents", "nav.documents", Permission.READ_DOCUMENTS)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _options(values: list[str], chosen: str, any_label: str) -> str:
    opts = [f'<option value="">{esc(any_label)}</option>']
    for value in values:
        mark = " selected" if value == chosen else ""
        opts.append(f'<option value="{esc(value)}"{mark}>{esc(value)}</option>')
    return "".join(opts)


def _filter_form(req: StaffRequest, wanted: DocumentFilter, kiosks: list[str],
                 types: list[str]) -> str:
    t = req.t
    any_label = t("documents.any")
    return f"""<form method="get" action="{url('/documents')}" class="filters"
 aria-label="{esc(t('documents.filter'))}">
<div class="field"><label for="from">{esc(t("documents.from"))}</label>
<input id="from" name="from" type="date" value="{esc(wanted.date_from or '')}"></div>
<div class="field"><label for="to">{esc(t("documents.to"))}</label>
<input id="to" name="to" type="date" value="{esc(wanted.date_to or '')}"></div>
<div class="field"><label for="kiosk">{esc(t("documents.kiosk"))}</label>
<select id="kiosk" name="kiosk">{_options(kiosks, wanted.kiosk_id, any_label)}</select></div>
<div class="field"><label for="type">{esc(t("documents.type"))}</label>
<select id="type" name="type">{_options(types, wanted.document_type, any_label)}</select></div>
<button type="submit">{esc(t("documents.apply"))}</button>
</form>"""


def _number_form(req: StaffRequest, number: str) -> str:
    t = req.t
    return f"""<form method="post" action="{url('/documents')}" class="filters"
 aria-label="{esc(t('documents.number_search'))}">{csrf_field(req)}
<div class="field"><label for="number">{esc(t("documents.number"))}</label>
<input id="number" name="number" type="text" value="{esc(number)}" autocomplete="off"
 spellcheck="false" maxlength="40" aria-describedby="number-hint">
<p id="number-hint" class="hint">{esc(t("documents.number_hint"))}</p></div>
<button type="submit">{esc(t("documents.search"))}</button>
</form>"""


def _shown_day(text: str | None) -> str:
    day = _day(text or "")
    return day.strftime("%d.%m.%Y") if day else "–"


def _checklists(req: StaffRequest, docs: list[DocumentRecord]) -> str:
    """The confirmed checklist of each listed submission that came with a request letter."""
    t = req.t
    types = {d.document_id: d.document_type for d in docs}
    parts = []
    for number, checklist in enumerate(submission_checklists(docs), start=1):
        rows = []
        for label, answered in checklist.items:
            state = ", ".join(f"{types.get(i, '?')} ({i[:8]})" for i in answered) \
                or t("checklist.missing")
            rows.append([esc(label), esc(state)])
        receipt = checklist.receipt_number
        dates = t("checklist.dates", letter=_shown_day(checklist.letter_date),
                  deadline=_shown_day(checklist.deadline))
        parts.append(
            f'<section aria-labelledby="checklist-{number}">'
            f'<h2 id="checklist-{number}">{esc(t("checklist.title", receipt=receipt))}</h2>'
            f"<p>{esc(dates)}</p>"
            + table(t("checklist.caption", receipt=receipt),
                    [t("checklist.item"), t("checklist.state")], rows, "")
            + "</section>")
    return "".join(parts)


def add_routes(router: APIRouter, ctx: StaffContext) -> None:
    """Register the documents list, the number search, open and download."""

    async def _page(req: StaffRequest, wanted: DocumentFilter, docs: list[DocumentRecord],
                    number: str) -> Response:
        everything = await run_in_threadpool(ctx.repo.list_documents)
        kiosks = sorted({d.kiosk_id for d in everything})
        types = sorted({d.document_type for d in everything})
        t = req.t
        rows = []
        for d in docs:
            label = t("documents.row", type=d.document_type, receipt=d.receipt_number)
            rows.append([
                esc(req.t.when(d.received_at)), esc(d.kiosk_id), esc(d.document_type),
                esc(d.pages), esc(d.receipt_number),
                f'<a href="{url("/documents/" + d.document_id)}" '
                f'aria-label="{esc(t("documents.open") + ": " + label)}">'
                f'{esc(t("documents.open"))}</a> '
                f'<a href="{url("/documents/" + d.document_id + "/download")}" download '
                f'aria-label="{esc(t("documents.download") + ": " + label)}">'
                f'{esc(t("documents.download"))}</a>',
            ])
        body = _filter_form(req, wanted, kiosks, types) + _number_form(req, number) + table(
            t("documents.caption", count=len(docs)),
            [t("documents.received"), t("documents.kiosk"), t("documents.type"),
             t("documents.pages"), t("documents.receipt"), t("documents.actions")],
            rows, t("documents.none")) + _checklists(req, docs)
        return render(req, t("documents.title"), body)

    @router.get("/documents")
    async def documents_page(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.READ_DOCUMENTS)
        q = request.query_params
        wanted = DocumentFilter(_day(q.get("from", "")), _day(q.get("to", "")),
                                q.get("kiosk", "")[:100], q.get("type", "")[:100])
        docs = await run_in_threadpool(list_documents, ctx.repo, req.actor, wanted)
        return await _page(req, wanted, docs, "")

    @router.post("/documents")
    async def documents_by_number(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.READ_DOCUMENTS)
        number = (await session_form(req)).get("number", "").strip()[:40]
        wanted = DocumentFilter()
        if not number:
            docs = await run_in_threadpool(list_documents, ctx.repo, req.actor, wanted)
        else:
            docs = await run_in_threadpool(
                find_documents, ctx.repo, ctx.service.at_rest, req.actor, number)
        return await _page(req, wanted, docs, number)

    async def _serve(request: Request, document_id: str, action: str) -> Response:
        req = await staff_request(request, ctx, Permission.READ_DOCUMENTS)
        doc, content = await run_in_threadpool(
            read_document, ctx.repo, ctx.store, ctx.service.at_rest, document_id, req.actor,
            action)
        disposition = "attachment" if action == DOWNLOAD else "inline"
        name = f"{doc.document_type}-{doc.document_id[:8]}.pdf"
        return Response(content, media_type="application/pdf", headers={
            "Content-Disposition": f'{disposition}; filename="{name}"'})

    @router.get("/documents/{document_id}")
    async def open_document(request: Request, document_id: str) -> Response:
        return await _serve(request, document_id, OPEN)

    @router.get("/documents/{document_id}/download")
    async def download_document(request: Request, document_id: str) -> Response:
        return await _serve(request, document_id, DOWNLOAD)
