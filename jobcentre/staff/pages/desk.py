"""Service desk: kiosks' open help calls, live, with "on my way" and escalation.

The page lists open calls (terminal, location, language, step, waiting since, state). With
JavaScript, ``desk.js`` follows ``/desk/events`` (server-sent events: the table as HTML plus
the counts, sent whenever it changes; streams end after ``STREAM_S`` and the browser
reconnects, which re-checks the session), updates the navigation badge and plays the chime
(new call) or the alarm (escalated call). Browsers only play sound after the user has
interacted with the page (autoplay policy), so the page offers a button that switches sound
on; the visible table and badge never depend on sound. Without JavaScript the page has a
reload link. "On my way" is a plain form POST: the call is marked answered, the kiosk gets
``help.ack`` ``{"call_id", "name"}`` on the live channel, and the audit log records it.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from jobcentre.help_calls import HelpCall, HelpDesk
from jobcentre.staff import sounds
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

NAV = NavEntry("/desk", "nav.desk", Permission.ANSWER_HELP_CALLS, badge="desk-badge")
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
       "connect-src 'self'; media-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
SCRIPT = resources.files("jobcentre.staff").joinpath("static/desk.js").read_bytes()
STREAM_S = 300.0
#: the step a kiosk's helper mode sends when staff at the terminal call a colleague
STAFF_SUPPORT = "staff_support"
RECHECK_S = 1.0
KEEPALIVE_S = 15.0
LANGUAGE_NAMES = {
    "de": ("Deutsch", "German"), "de_simple": ("Leichte Sprache", "Easy German"),
    "en": ("Englisch", "English"), "ar": ("Arabisch", "Arabic"), "fa": ("Persisch", "Persian"),
    "pl": ("Polnisch", "Polish"), "ro": ("Rumänisch", "Romanian"), "ru": ("Russisch", "Russian"),
    "tr": ("Türkisch", "Turkish"), "uk": ("Ukrainisch", "Ukrainian"),
}


def first_name(username: str) -> str:
    """The name a kiosk shows for an account: its first part, capitalised (``anna.b`` → Anna)."""
    part = re.split(r"[._\-0-9]", username, maxsplit=1)[0] or username
    return part[:30].capitalize()


def _language(req: StaffRequest, code: str) -> str:
    names = LANGUAGE_NAMES.get(code.replace("-", "_"))
    if names is None:
        return code
    return names[0] if req.t.lang == "de" else names[1]


def _row(req: StaffRequest, call: HelpCall, desk: HelpDesk) -> list[str]:
    t = req.t
    now = desk.now()
    escalated = call.escalated(now, desk.escalate_after_s)
    state = (f'<strong class="escalated">{esc(t("desk.escalated"))}</strong>' if escalated
             else esc(t("desk.open")))
    waiting = t("desk.minutes", time=req.t.when(call.raised_at),
                minutes=int(call.waiting_s(now) // 60))
    label = t("desk.ack_label", location=call.location)
    action = (f'<form method="post" action="{url("/desk/" + call.call_id + "/ack")}">'
              f"{csrf_field(req)}"
              f'<button type="submit" aria-label="{esc(label)}">{esc(t("desk.ack"))}</button>'
              "</form>")
    step = (f'<strong>{esc(t("desk.staff_support"))}</strong>' if call.step == STAFF_SUPPORT
            else esc(call.step.replace("_", " ")))
    return [f"<code>{esc(call.kiosk_id)}</code>", esc(call.location),
            esc(_language(req, call.language)), step,
            esc(waiting), state, action]


def calls_fragment(req: StaffRequest, calls: list[HelpCall], desk: HelpDesk) -> str:
    """The table of open calls (the page and the event stream send the same HTML)."""
    t = req.t
    return table(t("desk.caption", count=len(calls)),
                 [t("desk.kiosk"), t("desk.location"), t("desk.language"), t("desk.step"),
                  t("desk.waiting"), t("desk.state"), t("desk.actions")],
                 [_row(req, c, desk) for c in calls], t("desk.none"))


def snapshot(req: StaffRequest, calls: list[HelpCall], desk: HelpDesk) -> dict[str, object]:
    """What one event carries: the table, the counts, the ids (to know what is new)."""
    now = desk.now()
    escalated = [c.call_id for c in calls if c.escalated(now, desk.escalate_after_s)]
    t = req.t
    return {"html": calls_fragment(req, calls, desk), "open": len(calls),
            "ids": [c.call_id for c in calls], "escalated": escalated,
            "status": t("desk.status", count=len(calls), escalated=len(escalated)),
            "badge": t("desk.badge", count=len(calls))}


def add_routes(router: APIRouter, ctx: StaffContext) -> None:
    """Register the desk page, its event stream, script and sounds, and "on my way"."""

    def desk() -> HelpDesk:
        assert ctx.desk is not None, "the staff app was built without a help desk"
        return ctx.desk  # type: ignore[no-any-return]

    @router.get("/desk")
    async def desk_page(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.ANSWER_HELP_CALLS)
        t = req.t
        calls = await run_in_threadpool(desk().store.open_calls)
        snap = snapshot(req, calls, desk())
        notice = ""
        if request.query_params.get("acked"):
            notice = message("success", t("desk.acked", location=request.query_params.get(
                "where", "")[:200], name=request.query_params.get("name", "")[:60]))
        elif request.query_params.get("gone"):
            notice = message("info", t("desk.gone"))
        reload = f'<a href="{url("/desk")}">{esc(t("desk.reload"))}</a>'
        body = f"""{notice}<p>{esc(t("desk.intro"))} {reload}</p>
<div class="desk-sound" id="desk-sound-box" hidden><button type="button" id="desk-sound"
 class="outline" aria-pressed="false">{esc(t("desk.sound_on"))}</button>
<span id="desk-sound-state" role="status" data-on="{esc(t("desk.sound_active"))}"></span></div>
<p class="hint">{esc(t("desk.sound_help"))}</p>
<p id="desk-status" role="status">{esc(snap["status"])}</p>
<div id="desk-calls" data-events="{url('/desk/events')}" data-sounds="{url('/desk/sounds/')}">
{snap["html"]}</div>
<script src="{url('/desk/desk.js')}" defer></script>"""
        return render(req, t("desk.title"), body, headers={"Content-Security-Policy": CSP})

    @router.get("/desk/events")
    async def desk_events(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.ANSWER_HELP_CALLS)
        return StreamingResponse(_stream(request, req, desk()), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})

    @router.get("/desk/desk.js")
    async def desk_script() -> Response:
        return Response(SCRIPT, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=600"})

    @router.get("/desk/sounds/{name}.wav")
    async def desk_sound(name: str) -> Response:
        data = sounds.alarm() if name == "alarm" else sounds.chime()
        return Response(data, media_type="audio/wav",
                        headers={"Cache-Control": "public, max-age=3600"})

    @router.post("/desk/{call_id}/ack")
    async def acknowledge(request: Request, call_id: str) -> Response:
        req = await staff_request(request, ctx, Permission.ANSWER_HELP_CALLS)
        await session_form(req)
        assert req.account is not None
        name = first_name(req.account.username)
        call = await run_in_threadpool(desk().store.acknowledge, call_id, req.account.username,
                                       name)
        if call is None:
            await record(req, "help.ack", f"call:{call_id[:64]}", outcome="failed",
                         detail="not open")
            return RedirectResponse(url("/desk", gone="1"), status_code=303)
        if ctx.live is not None:
            await ctx.live.post(call.kiosk_id, "help.ack", {"call_id": call.call_id,
                                                            "name": name})
        await record(req, "help.ack", f"kiosk:{call.kiosk_id}", detail=f"call={call.call_id}")
        desk().signal.notify()
        return RedirectResponse(url("/desk", acked="1", where=call.location, name=name),
                                status_code=303)


async def _stream(request: Request, req: StaffRequest, desk: HelpDesk) -> AsyncIterator[str]:
    """Send the table whenever it changes (at once on a local change, else within 1 s)."""
    started = last_sent = time.monotonic()
    last = ""
    yield "retry: 2000\n\n"
    while time.monotonic() - started < STREAM_S:
        calls = await run_in_threadpool(desk.store.open_calls)
        data = json.dumps(snapshot(req, calls, desk), ensure_ascii=False)
        if data != last:
            last, last_sent = data, time.monotonic()
            yield f"event: calls\ndata: {data}\n\n"
        elif time.monotonic() - last_sent >= KEEPALIVE_S:
            last_sent = time.monotonic()
            yield ": keep-alive\n\n"
        if await request.is_disconnected():
            return
        await desk.signal.wait(RECHECK_S)
    await asyncio.sleep(0)
