"""Video counselling console: the queue, booking appointments, and the call view.

The page is drawn on the server (queue, appointments, booking form, all usable by keyboard);
``/staff/calls/static/console.js`` then opens the counsellor's WebSocket with the single-use
ticket the page carries (``POST /staff/calls/ticket`` gives a new one after a reconnect) and
runs the call: video, mute, camera, screen share, real-time text, invite or remove a guest,
ask for a document, end. The invitation code of a booked appointment is shown once, with a
QR code (PNG) for the letter. Scripts and styles come from the app itself (no CDN).
"""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import qrcode
from babel import Locale, UnknownLocaleError
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from jobcentre.calls.guest_page import static_file
from jobcentre.calls.model import TOPICS
from jobcentre.calls.store import CallStore
from jobcentre.repository import db_time
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

NAV = NavEntry("/calls", "nav.calls", Permission.VIDEO_CALLS)
TICKET_TTL = timedelta(seconds=60)
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob: mediastream:; connect-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
JS_KEYS = ("accept", "language", "topic", "waiting_since", "location", "appointment",
           "queue_empty", "kiosk", "guest", "you", "mute", "unmute", "camera_off", "camera_on",
           "share", "unshare", "joined", "guest_left", "guest_removed", "ended",
           "disconnected", "screen_failed", "requested", "document_in", "page_in", "hand_in_sent",
           *(f"topic.{t}" for t in TOPICS))
BERLIN = ZoneInfo("Europe/Berlin")


def language_name(code: str, lang: str) -> str:
    """``uk`` as "Ukrainisch (uk)" in the page's language; the bare code if unknown."""
    try:
        name = Locale(lang).languages.get(code.split("-")[0])
    except (ValueError, UnknownLocaleError):
        name = None
    return f"{name} ({code})" if name else code


def _store(ctx: StaffContext) -> CallStore:
    return CallStore(ctx.repo)


async def _ticket(req: StaffRequest) -> str:
    assert req.account is not None
    store = await run_in_threadpool(_store, req.ctx)
    return await run_in_threadpool(store.issue_token, "ticket", None, "counsellor",
                                   req.account.username, TICKET_TTL, req.ctx.settings.clock())


def _queue(req: StaffRequest, store: CallStore) -> str:
    t = req.t
    assert req.account is not None
    items = []
    for call in store.open_calls():
        if call.state.value != "waiting" or call.counsellor_id not in (None, req.account.username):
            continue
        label = t("calls.appointment") + " · " if call.appointment_id else ""
        meta = f"meta-{call.call_id}"
        items.append(
            f'<li><span class="meta" id="{esc(meta)}">{esc(label)}{esc(t("calls.language"))}: '
            f'{esc(language_name(call.language, t.lang))} · {esc(t("calls.topic"))}: '
            f'{esc(t("calls.topic." + call.topic))}'
            f' · {esc(t("calls.waiting_since"))} {esc(req.t.when(call.created_at.isoformat()))}'
            f' · {esc(t("calls.location"))}: {esc(call.location)}</span>'
            f'<button type="button" data-accept="{esc(call.call_id)}" aria-describedby='
            f'"{esc(meta)}">{esc(t("calls.accept"))}</button></li>')
    if not items:
        return f'<ul class="queue" id="queue"><li>{esc(t("calls.queue_empty"))}</li></ul>'
    return f'<ul class="queue" id="queue">{"".join(items)}</ul>'


def _appointments(req: StaffRequest, store: CallStore) -> str:
    t = req.t
    assert req.account is not None
    rows = [[esc(req.t.when(a.starts_at.isoformat())), esc(t("calls.topic." + a.topic)),
             esc(language_name(a.language, t.lang)),
             esc(t("calls.used") if a.used_at else t("calls.open"))]
            for a in store.appointments(req.account.username, req.ctx.settings.clock())]
    return table(t("calls.my_appointments"), [t("calls.starts_at"), t("calls.topic"),
                 t("calls.language"), t("calls.state")], rows, t("calls.none_booked"))


def _booking_form(req: StaffRequest) -> str:
    t = req.t
    options = "".join(f'<option value="{k}">{esc(t("calls.topic." + k))}</option>' for k in TOPICS)
    return f"""<form method="post" action="{url('/calls/appointments')}" class="stack">
{csrf_field(req)}<p>{esc(t("calls.book_help"))}</p>
<div class="field"><label for="starts-at">{esc(t("calls.starts_at"))}</label>
<input id="starts-at" name="starts_at" type="datetime-local" required></div>
<div class="field"><label for="book-topic">{esc(t("calls.topic"))}</label>
<select id="book-topic" name="topic">{options}</select></div>
<div class="field"><label for="book-language">{esc(t("calls.language"))}</label>
<input id="book-language" name="language" type="text" value="de" required maxlength="12"
 autocomplete="off"></div>
<button type="submit">{esc(t("calls.book_submit"))}</button></form>"""


def _call_view(req: StaffRequest) -> str:
    t = req.t
    return f"""<section id="call" hidden aria-labelledby="call-h">
<h2 id="call-h" tabindex="-1">{esc(t("calls.call"))}</h2>
<div class="call-grid"><div><div class="videos" id="videos">
<figure><video id="self-view" autoplay muted playsinline></video>
<figcaption>{esc(t("calls.self_view"))}</figcaption></figure></div>
<div class="controls">
<button type="button" id="mute" aria-pressed="false">{esc(t("calls.mute"))}</button>
<button type="button" id="camera" aria-pressed="false">{esc(t("calls.camera_off"))}</button>
<button type="button" id="share" aria-pressed="false">{esc(t("calls.share"))}</button>
<button type="button" id="invite">{esc(t("calls.invite"))}</button>
<button type="button" id="remove-guest" disabled>{esc(t("calls.remove_guest"))}</button>
<button type="button" id="end" class="danger">{esc(t("calls.end"))}</button></div>
<p id="invite-out" hidden><span id="invite-text"></span>
<code class="invite-link" id="invite-link"></code></p></div>
<div><h3 id="chat-h">{esc(t("calls.chat"))}</h3>
<div id="chat-log" class="chat-log" role="log" aria-labelledby="chat-h" tabindex="0"></div>
<form id="chat-form" class="chat-form">
<label for="chat-input">{esc(t("calls.chat_input"))}</label>
<input id="chat-input" type="text" maxlength="500" autocomplete="off">
<button type="submit">{esc(t("calls.send"))}</button></form>
<h3>{esc(t("calls.request"))}</h3>
<form id="request-form" class="chat-form">
<label for="request-item">{esc(t("calls.request_item"))}</label>
<input id="request-item" type="text" maxlength="300" autocomplete="off">
<button type="submit">{esc(t("calls.request_send"))}</button></form>
<figure id="doc-out" class="doc-out" hidden><img id="doc-page" alt="{esc(t("calls.doc_page"))}">
<figcaption>{esc(t("calls.doc_page"))}</figcaption></figure>
<button type="button" id="hand-in" hidden>{esc(t("calls.hand_in"))}</button></div></div>
</section>"""


async def _page(req: StaffRequest, notice: str = "", status: int = 200) -> Response:
    t = req.t
    store = await run_in_threadpool(_store, req.ctx)
    queue = await run_in_threadpool(_queue, req, store)
    appointments = await run_in_threadpool(_appointments, req, store)
    texts = {k: t("calls." + k) for k in JS_KEYS}
    texts["invite_link"] = t("calls.invite_link", time="{time}")
    texts["error"] = t("calls.error", code="{code}")
    texts["ended_reason"] = t("calls.ended_reason", reason="{reason}")
    texts["connected"] = t("calls.connected", party="{party}")
    texts["guest_joined"] = t("calls.guest_joined", name="{name}")
    data = json.dumps(texts).replace("<", "\\u003c")
    body = f"""{notice}<div id="status" role="status" class="status"></div>
<div id="console" data-ticket="{esc(await _ticket(req))}" data-csrf="{esc(req.csrf_token)}"
 data-ticket-url="{url('/calls/ticket')}">
<section id="lobby" aria-labelledby="queue-h"><h2 id="queue-h">{esc(t("calls.queue"))}</h2>
{queue}</section>{_call_view(req)}</div>
<section aria-labelledby="book-h"><h2 id="book-h">{esc(t("calls.book"))}</h2>
{_booking_form(req)}{appointments}</section>
<link rel="stylesheet" href="{url('/calls/static/call.css')}">
<script type="application/json" id="texts">{data}</script>
<script src="{url('/calls/static/call.js')}"></script>
<script src="{url('/calls/static/console.js')}"></script>"""
    return render(req, t("calls.title"), body, status,
                  headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"})


def _qr_png(code: str) -> str:
    image = qrcode.make(code.replace("-", ""), box_size=8, border=4)
    out = io.BytesIO()
    image.save(out)
    return base64.b64encode(out.getvalue()).decode()


def add_routes(router: APIRouter, ctx: StaffContext) -> None:
    """Register the console, its static files, tickets and booking."""

    @router.get("/calls")
    async def console(request: Request) -> Response:
        return await _page(await staff_request(request, ctx, Permission.VIDEO_CALLS))

    @router.get("/calls/static/{name}")
    async def assets(name: str) -> Response:
        return static_file(name)

    @router.post("/calls/ticket")
    async def ticket(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.VIDEO_CALLS)
        await session_form(req)
        return JSONResponse({"ticket": await _ticket(req)}, headers={"Cache-Control": "no-store"})

    @router.post("/calls/appointments")
    async def book(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.VIDEO_CALLS)
        form = await session_form(req)
        t = req.t
        now = ctx.settings.clock()
        try:
            starts = datetime.fromisoformat(form.get("starts_at", "")).replace(tzinfo=BERLIN)
        except ValueError:
            starts = None
        topic, language = form.get("topic", ""), form.get("language", "").strip()
        if (starts is None or starts < now - timedelta(minutes=5) or topic not in TOPICS
                or not 2 <= len(language) <= 12):
            return await _page(req, message("error", t("calls.bad_appointment")), 422)
        assert req.account is not None
        store = await run_in_threadpool(_store, ctx)
        appointment, code = await run_in_threadpool(
            store.book, req.account.username, starts.astimezone(UTC), topic, language, now)
        await record(req, "call.appointment", f"appointment:{appointment.appointment_id}")
        png = await run_in_threadpool(_qr_png, code)
        when = req.t.when(db_time(appointment.starts_at))
        name = f"einladung-{appointment.appointment_id}.png"
        notice = (f'<div class="notice success" role="status">'
                  f'<p>{esc(t("calls.booked", time=when))}</p><p>{esc(t("calls.code"))}</p>'
                  f'<p class="code"><code>{esc(code)}</code></p>'
                  f'<p><img src="data:image/png;base64,{png}" alt="{esc(t("calls.qr"))}" '
                  f'width="200" height="200"></p><p><a download="{esc(name)}" '
                  f'href="data:image/png;base64,{png}">{esc(t("calls.qr_download"))}</a></p></div>')
        return await _page(req, notice)
