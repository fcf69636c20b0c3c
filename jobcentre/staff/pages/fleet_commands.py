"""Remote commands of one kiosk: issue (signed, audited), and the list with states and answers.

``commands_section(req, kiosk_id)`` (async, returns HTML) is the section the kiosk detail
page ``/fleet/kiosks/{id}`` shows; ``/fleet/kiosks/{id}/commands`` shows it on its own page.
Issuing posts a form (CSRF) to ``/fleet/kiosks/{id}/commands``; ``wipe`` and ``restart``
answer with a confirmation page first (no script needed). Each issued command is signed with
the centre key (``jobcentre.fleet.commands``), queued on the live channel as
``fleet.command`` and written to the audit log as ``fleet.command``. Answers are shown as the
kiosk sent them (they carry no personal data: ``kiosk.agent.fleet.operations``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError
from jobcentre.fleet.commands import CommandRecord, CommandStore, issue_command
from jobcentre.staff.pages.fleet import DETAIL_SECTIONS
from jobcentre.staff.roles import Permission
from jobcentre.staff.templates import csrf_field, esc, message, render, table, url
from jobcentre.staff.web import StaffContext, StaffRequest, record, session_form, staff_request
from wire.fleet_command import MESSAGE_TYPE

NAV = None  # reached from the fleet's kiosk pages
#: what staff may send, in the order of the form
COMMANDS = ("lock", "unlock", "restart", "print_test_page", "run_doctor", "collect_logs",
            "wipe", "ping", "status")
CONFIRM = ("wipe", "restart")
MAX_LINES_SHOWN = 500

_stores: dict[int, CommandStore] = {}


def _store(ctx: StaffContext) -> CommandStore:
    """The command table of this service's repository (created once per process)."""
    key = id(ctx.repo)
    if key not in _stores:
        _stores[key] = CommandStore(ctx.repo)
    return _stores[key]


def _path(kiosk_id: str) -> str:
    return f"/fleet/kiosks/{kiosk_id}/commands"


def _answer(req: StaffRequest, command: CommandRecord) -> str:
    t = req.t
    parts = []
    if command.error:
        parts.append(f"<p>{esc(t('fleetcmd.error', code=command.error))}</p>")
    answer = dict(command.answer or {})
    lines = answer.pop("lines", None)
    answer.pop("ok", None)
    if answer:
        items = "".join(f"<li><code>{esc(k)}</code>: {esc(_plain(v))}</li>"
                        for k, v in sorted(answer.items()))
        parts.append(f"<ul class='plain'>{items}</ul>")
    if isinstance(lines, list) and lines:
        shown = "\n".join(str(line) for line in lines[-MAX_LINES_SHOWN:])
        parts.append(f"<details><summary>{esc(t('fleetcmd.lines', count=len(lines)))}"
                     f"</summary><pre tabindex='0'>{esc(shown)}</pre></details>")
    return "".join(parts)


def _plain(value: object) -> str:
    """An answer's value as text (lists joined by commas)."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


async def commands_section(req: StaffRequest, kiosk_id: str) -> str:
    """The commands section of a kiosk: the issue form (if allowed) and the command list."""
    t = req.t
    commands = await run_in_threadpool(_store(req.ctx).for_kiosk, kiosk_id)
    rows = []
    for c in commands:
        name = esc(t(f"fleetcmd.name.{c.name}"))
        if c.urgent:
            name += f" <span class='tag'>({esc(t('fleetcmd.urgent_mark'))})</span>"
        rows.append([esc(req.t.when(c.created)), name, esc(c.issued_by),
                     esc(t(f"fleetcmd.state.{c.state}")), _answer(req, c)])
    html = f"<section aria-labelledby='fleetcmd-h'><h2 id='fleetcmd-h'>" \
           f"{esc(t('fleetcmd.heading'))}</h2><p>{esc(t('fleetcmd.help'))}</p>"
    if req.can(Permission.FLEET_COMMANDS):
        options = "".join(f'<option value="{n}">{esc(t(f"fleetcmd.name.{n}"))}</option>'
                          for n in COMMANDS)
        html += f"""<form method="post" action="{url(_path(kiosk_id))}" class="stack">
{csrf_field(req)}<div class="field"><label for="fleetcmd-name">{esc(t("fleetcmd.command"))}</label>
<select id="fleetcmd-name" name="name">{options}</select></div>
<div class="check"><input type="checkbox" id="fleetcmd-urgent" name="urgent" value="1">
<label for="fleetcmd-urgent">{esc(t("fleetcmd.urgent"))}</label></div>
<button type="submit">{esc(t("fleetcmd.issue"))}</button></form>"""
    html += table(t("fleetcmd.caption"),
                  [t("fleetcmd.col_created"), t("fleetcmd.col_command"), t("fleetcmd.col_by"),
                   t("fleetcmd.col_state"), t("fleetcmd.col_answer")], rows, t("fleetcmd.none"))
    return html + "</section>"


async def _commands_on_detail(req: StaffRequest, kiosk_id: str) -> str:
    """The commands section on the fleet's kiosk detail page (for those who may see it)."""
    return await commands_section(req, kiosk_id) if req.can(Permission.VIEW_KIOSKS) else ""


DETAIL_SECTIONS.append(_commands_on_detail)


async def _kiosk(ctx: StaffContext, kiosk_id: str) -> Any:
    kiosk = await run_in_threadpool(ctx.repo.get_kiosk, kiosk_id[:100])
    if kiosk is None:
        raise ApiError(404, "not_found")
    return kiosk


def add_routes(router: APIRouter, ctx: StaffContext) -> None:
    """Register the commands page and the issue form's target."""

    @router.get("/fleet/kiosks/{kiosk_id}/commands")
    async def commands_page(request: Request, kiosk_id: str) -> Response:
        req = await staff_request(request, ctx, Permission.VIEW_KIOSKS)
        kiosk = await _kiosk(ctx, kiosk_id)
        notice = message("success", req.t("fleetcmd.issued")) \
            if request.query_params.get("issued") else ""
        back = (f'<p><a href="{url("/fleet/kiosks/" + kiosk.kiosk_id)}">'
                f'{esc(req.t("fleetcmd.back"))}</a></p>')
        return render(req, req.t("fleetcmd.title", name=kiosk.name),
                      notice + await commands_section(req, kiosk.kiosk_id) + back)

    @router.post("/fleet/kiosks/{kiosk_id}/commands")
    async def issue(request: Request, kiosk_id: str) -> Response:
        req = await staff_request(request, ctx, Permission.FLEET_COMMANDS)
        form = await session_form(req)
        kiosk = await _kiosk(ctx, kiosk_id)
        t = req.t
        name, urgent = form.get("name", ""), form.get("urgent") == "1"
        if name not in COMMANDS:
            return render(req, t("fleetcmd.heading"),
                          message("error", t("fleetcmd.unknown_command")), 422)
        if kiosk.revoked_at:
            return render(req, t("fleetcmd.heading"), message("error", t("fleetcmd.revoked")),
                          409)
        if name in CONFIRM and form.get("confirmed") != "1":
            return render(req, t("fleetcmd.confirm_title"), _confirm(req, kiosk, name, urgent))
        assert req.account is not None
        record_, body = await run_in_threadpool(
            issue_command, _store(ctx), ctx.service.keys.signing, kiosk.kiosk_id, name, {},
            urgent=urgent, issued_by=req.account.username)
        if ctx.live is not None:
            await ctx.live.post(kiosk.kiosk_id, MESSAGE_TYPE, body)
        await record(req, "fleet.command", f"kiosk:{kiosk.kiosk_id}",
                     detail=f"command={name} id={record_.command_id} urgent={urgent}")
        return RedirectResponse(url(_path(kiosk.kiosk_id), issued="1"), status_code=303)


def _confirm(req: StaffRequest, kiosk: Any, name: str, urgent: bool) -> str:
    t = req.t
    hidden = (f'<input type="hidden" name="name" value="{esc(name)}">'
              f'<input type="hidden" name="confirmed" value="1">'
              + ('<input type="hidden" name="urgent" value="1">' if urgent else ""))
    return f"""<p>{esc(t("fleetcmd.confirm_question", command=t(f"fleetcmd.name.{name}"),
                          name=kiosk.name, kiosk_id=kiosk.kiosk_id))}</p>
<p>{esc(t(f"fleetcmd.confirm_{name}"))}</p>
<form method="post" action="{url(_path(kiosk.kiosk_id))}" class="row">{csrf_field(req)}{hidden}
<button type="submit" class="danger">{esc(t("fleetcmd.confirm_yes"))}</button>
<a href="{url(_path(kiosk.kiosk_id))}">{esc(t("fleetcmd.cancel"))}</a></form>"""
