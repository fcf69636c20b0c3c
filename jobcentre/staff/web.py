"""Request plumbing of the staff web app: settings, cookies, who is asking, and forms.

Cookies are ``Secure``, ``HttpOnly`` and ``SameSite=Strict`` with the ``__Host-`` prefix
(no domain, path ``/``). Browsers keep Secure cookies over plain ``http://127.0.0.1`` and
``http://localhost`` (both count as secure contexts), so the app works on loopback without
TLS; anywhere else it must be served over HTTPS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError
from jobcentre.docstore import DocumentStore
from jobcentre.intake import IntakeService
from jobcentre.repository import Repository, StaffAccount
from jobcentre.staff import audit, csrf, sessions
from jobcentre.staff.i18n import Translator, pick_language
from jobcentre.staff.lockout import LockoutPolicy
from jobcentre.staff.roles import Permission, allows

SESSION_COOKIE = "__Host-staff_session"
PRELOGIN_COOKIE = "__Host-staff_login"
LANG_COOKIE = "__Host-staff_lang"
FORM_LIMIT = 64 * 1024
PREFIX = "/staff"


@dataclass(frozen=True)
class StaffSettings:
    """Tunable parts of the staff web app (tests shorten the idle time)."""

    idle: timedelta = sessions.DEFAULT_IDLE
    lifetime: timedelta = sessions.DEFAULT_LIFETIME
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class NavEntry:
    """One navigation link: path below ``/staff``, catalog key of its label, permission."""

    path: str
    label: str
    permission: Permission
    badge: str = ""  #: id of a count badge that the page's script fills in (help calls)


@dataclass(frozen=True)
class StaffContext:
    """Everything a page needs about the request it answers."""

    service: IntakeService
    store: DocumentStore
    settings: StaffSettings
    nav: tuple[NavEntry, ...]
    live: Any = None  #: the service's ``LiveHub`` (answers to kiosks)
    desk: Any = None  #: the service's ``HelpDesk`` (help calls)
    fleet: Any = None  #: the service's ``FleetHealth`` (jobcentre.fleet.routes_heartbeat)

    @property
    def repo(self) -> Repository:
        """The service's repository."""
        return self.service.repo


@dataclass(frozen=True)
class StaffRequest:
    """One request: language, the logged-in account (if any), its CSRF token, the path."""

    request: Request
    t: Translator
    account: StaffAccount | None
    csrf_token: str
    ctx: StaffContext

    @property
    def actor(self) -> audit.Actor:
        """The account as the audit log names it."""
        if self.account is None:
            return audit.Actor("-", "-", client_address(self.request))
        return audit.Actor(self.account.username, self.account.role,
                           client_address(self.request))

    def can(self, permission: Permission) -> bool:
        """Whether the logged-in account has ``permission``."""
        return self.account is not None and allows(self.account.role, permission)

    def nav(self) -> list[NavEntry]:
        """The navigation entries this account may use."""
        return [n for n in self.ctx.nav if self.can(n.permission)]


def client_address(request: Request) -> str:
    """The peer address (the app sees the proxy when run behind one)."""
    return request.client.host if request.client else "-"


def translator(request: Request) -> Translator:
    """The translator for the language of this request (query, cookie, default German)."""
    return Translator(pick_language(request.query_params.get("lang"),
                                    request.cookies.get(LANG_COOKIE)))


def anonymous(request: Request, ctx: StaffContext, prelogin: str = "") -> StaffRequest:
    """A request without a session (login page, error pages)."""
    token = csrf.token_for(prelogin) if prelogin else ""
    return StaffRequest(request, translator(request), None, token, ctx)


async def staff_request(
    request: Request, ctx: StaffContext, permission: Permission | None = None
) -> StaffRequest:
    """The logged-in request, or 401 (no or expired session) / 403 (not allowed)."""
    token = request.cookies.get(SESSION_COOKIE)
    resumed = await run_in_threadpool(
        sessions.resume_session, ctx.repo, token, ctx.settings.clock(),
        ctx.settings.idle, ctx.settings.lifetime,
    )
    if resumed.state is sessions.SessionState.EXPIRED:
        raise ApiError(401, "session_expired")
    if resumed.account is None:
        raise ApiError(401, "login_required")
    req = StaffRequest(request, translator(request), resumed.account,
                       csrf.token_for(resumed.token), ctx)
    if permission is not None and not req.can(permission):
        await run_in_threadpool(audit.record, ctx.repo, req.actor, "page.open",
                                request.url.path, audit.DENIED)
        raise ApiError(403, "forbidden")
    return req


async def read_form(request: Request, secret: str | None) -> dict[str, str]:
    """The URL-encoded form of a POST, after checking its CSRF token (403 otherwise)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > FORM_LIMIT:
        raise ApiError(413, "too_large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            raise ApiError(413, "too_large")
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                            keep_blank_values=True).items()}
    if not csrf.matches(secret, fields.get(csrf.FIELD)):
        raise ApiError(403, "csrf_failed")
    return fields


async def session_form(req: StaffRequest) -> dict[str, str]:
    """The form of a logged-in POST, CSRF-checked against the session."""
    return await read_form(req.request, req.request.cookies.get(SESSION_COOKIE))


def set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """Set a ``__Host-`` cookie: Secure, HttpOnly, SameSite=Strict, path /."""
    response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True,
                        samesite="strict")


def clear_cookie(response: Response, name: str) -> None:
    """Remove a cookie set by ``set_cookie``."""
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="strict")


async def record(req: StaffRequest, action: str, target: str = "", **kw: Any) -> None:
    """Append an audit entry for this request's actor (off the event loop)."""
    await run_in_threadpool(lambda: audit.record(req.ctx.repo, req.actor, action, target, **kw))
