"""Login and logout.

The login form carries a CSRF token bound to a random pre-login cookie. Wrong name and wrong
password get the same answer; a lockout says how long to wait. Logging in replaces any
earlier session cookie (no session fixation); logging out ends the session on the server.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jobcentre.staff import audit, csrf, sessions
from jobcentre.staff.accounts import LoginResult, log_in
from jobcentre.staff.templates import csrf_field, esc, message, render
from jobcentre.staff.web import (
    PREFIX,
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    NavEntry,
    StaffContext,
    StaffRequest,
    anonymous,
    clear_cookie,
    client_address,
    read_form,
    set_cookie,
)

NAV: NavEntry | None = None
NOTICES = {"expired": ("info", "login.expired"), "bye": ("success", "login.bye"),
           "required": ("info", "login.required")}


def safe_next(target: str | None) -> str:
    """Only redirect to our own pages after login."""
    if target and target.startswith(PREFIX + "/") and "//" not in target and "\\" not in target:
        return target
    return PREFIX + "/"


def _form(req: StaffRequest, notice: str, username: str = "", target: str = "") -> str:
    t = req.t
    action = PREFIX + "/login" + (f"?next={esc(target)}" if target else "")
    return f"""{notice}
<form method="post" action="{action}" class="stack login">{csrf_field(req)}
<div class="field"><label for="username">{esc(t("login.username"))}</label>
<input id="username" name="username" type="text" autocomplete="username" required
 autocapitalize="none" spellcheck="false" value="{esc(username)}" autofocus></div>
<div class="field"><label for="password">{esc(t("login.password"))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
</div>
<button type="submit">{esc(t("login.submit"))}</button>
</form>"""


def _page(req: StaffRequest, notice: str, secret: str, username: str = "",
          target: str = "", status: int = 200) -> Response:
    page = render(req, req.t("login.title"), _form(req, notice, username, target), status)
    set_cookie(page, PRELOGIN_COOKIE, secret, max_age=3600)
    return page


def add_routes(router: APIRouter, ctx: StaffContext) -> None:
    """Register ``GET``/``POST /login`` and ``POST /logout``."""

    @router.get("/login")
    async def login_form(request: Request, state: str = "", next: str = "") -> Response:
        secret = request.cookies.get(PRELOGIN_COOKIE) or csrf.new_prelogin_secret()
        req = anonymous(request, ctx, secret)
        notice = ""
        if state in NOTICES:
            kind, key = NOTICES[state]
            notice = message(kind, req.t(key))
        return _page(req, notice, secret, target=safe_next(next) if next else "")

    @router.post("/login")
    async def login_submit(request: Request, next: str = "") -> Response:
        secret = request.cookies.get(PRELOGIN_COOKIE)
        form = await read_form(request, secret)
        username, password = form.get("username", ""), form.get("password", "")
        address = client_address(request)
        outcome = await run_in_threadpool(
            log_in, ctx.repo, username, password, address, ctx.settings.lockout,
            ctx.settings.clock())
        req = anonymous(request, ctx, secret or "")
        if outcome.result is not LoginResult.OK or outcome.account is None:
            known = await run_in_threadpool(ctx.repo.get_staff, username.strip().lower())
            who = audit.Actor(known.username if known else "?", "-", address)
            locked = outcome.result is LoginResult.LOCKED
            await run_in_threadpool(
                audit.record, ctx.repo, who, "login",
                outcome=audit.DENIED if locked else audit.FAILED,
                detail=f"locked {outcome.wait}s" if locked else "wrong name or password")
            if locked:
                text = req.t("login.locked", minutes=_minutes(outcome.wait),
                             seconds=outcome.wait)
            else:
                text = req.t("login.wrong")
            return _page(req, message("error", text), secret or "", username,
                         safe_next(next) if next else "", 429 if locked else 401)
        account = outcome.account
        token = await run_in_threadpool(
            sessions.start_session, ctx.repo, account, address, ctx.settings.clock())
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            await run_in_threadpool(sessions.end_session, ctx.repo, old)
        await run_in_threadpool(audit.record, ctx.repo,
                                audit.Actor(account.username, account.role, address), "login")
        response = RedirectResponse(safe_next(next), status_code=303)
        lifetime = ctx.settings.lifetime // timedelta(seconds=1)
        set_cookie(response, SESSION_COOKIE, token, max_age=lifetime)
        clear_cookie(response, PRELOGIN_COOKIE)
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        await read_form(request, token)
        resumed = await run_in_threadpool(
            sessions.resume_session, ctx.repo, token, ctx.settings.clock(),
            ctx.settings.idle, ctx.settings.lifetime)
        if resumed.account is not None and token:
            acc = resumed.account
            await run_in_threadpool(sessions.end_session, ctx.repo, token)
            await run_in_threadpool(audit.record, ctx.repo, audit.Actor(
                acc.username, acc.role, client_address(request)), "logout")
        response = RedirectResponse(PREFIX + "/login?state=bye", status_code=303)
        clear_cookie(response, SESSION_COOKIE)
        return response


def _minutes(seconds: int) -> int:
    return max(1, (seconds + 59) // 60)
