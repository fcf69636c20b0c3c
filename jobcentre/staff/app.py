"""The staff web app (a FastAPI app that ``jobcentre.service`` mounts at ``/staff``).

Every response gets strict security headers (no scripts, styles only from the app itself, no
framing; only the service-desk page allows its own script, its event stream and its sound,
and the fleet dashboard its own status-polling script);
errors become pages in the staff layout: no session → the login page, not allowed or a
failed CSRF check → 403 page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from foundation.errors import ApiError, DatabaseUnavailable
from jobcentre.docstore import DocumentStore
from jobcentre.intake import IntakeService
from jobcentre.staff.i18n import LANGUAGES
from jobcentre.staff.pages import PAGES
from jobcentre.staff.templates import esc, message, render
from jobcentre.staff.web import (
    LANG_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    StaffContext,
    StaffRequest,
    StaffSettings,
    anonymous,
    set_cookie,
    staff_request,
)

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
ERROR_KEYS = {403: "error.forbidden", 404: "error.not_found", 413: "error.too_large",
              500: "error.server", 503: "error.server"}
CSS = resources.files("jobcentre.staff").joinpath("static/staff.css").read_bytes()


def create_staff_app(
    service: IntakeService, store: DocumentStore, settings: StaffSettings | None = None,
    live: Any = None, desk: Any = None, fleet: Any = None,
) -> FastAPI:
    """The staff app over the intake service's repository, document store and live channel."""
    nav = tuple(page.NAV for page in PAGES if page.NAV is not None)
    ctx = StaffContext(service, store, settings or StaffSettings(), nav, live, desk, fleet)
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    router = APIRouter()
    for page in PAGES:
        page.add_routes(router, ctx)

    @router.get("/")
    async def home(request: Request) -> Response:
        req = await staff_request(request, ctx)
        entries = req.nav()
        if entries:
            return RedirectResponse(PREFIX + entries[0].path, status_code=303)
        return render(req, req.t("home.title"), message("info", req.t("home.nothing")))

    @router.get("/static/staff.css")
    async def stylesheet() -> Response:
        return Response(CSS, media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})

    app.include_router(router)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        lang = request.query_params.get("lang")
        if lang in LANGUAGES and request.cookies.get(LANG_COOKIE) != lang:
            set_cookie(response, LANG_COOKIE, lang, max_age=365 * 24 * 3600)
        return response

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        if exc.status == 401:
            state = "expired" if exc.code == "session_expired" else "required"
            target = quote(request.url.path, safe="/")
            response = RedirectResponse(f"{PREFIX}/login?state={state}&next={target}",
                                        status_code=303)
            if exc.code == "session_expired":
                response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True,
                                       samesite="strict")
            return response
        return await _error_page(request, exc.status, exc.code)

    @app.exception_handler(DatabaseUnavailable)
    async def db_error(request: Request, exc: DatabaseUnavailable) -> Response:
        return await _error_page(request, 503, exc.code)

    async def _error_page(request: Request, status: int, code: str) -> Response:
        req: StaffRequest
        try:
            req = await staff_request(request, ctx)
        except (ApiError, DatabaseUnavailable):
            req = anonymous(request, ctx)
        t = req.t
        key = "error.csrf" if code == "csrf_failed" else ERROR_KEYS.get(status, "error.server")
        body = message("error", t(key)) + (
            f'<p><a href="{PREFIX}/">{esc(t("error.back"))}</a></p>')
        return render(req, t("error.title", status=status), body, status)

    return app
