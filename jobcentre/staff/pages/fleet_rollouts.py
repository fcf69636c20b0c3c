"""Rollouts of signed site configuration and app updates (``ops`` and ``admin``).

``/fleet/rollouts`` lists every rollout with its stage and the kiosks' reports, and the latest
refusals; ``/fleet/rollouts/new`` is the form for a new configuration (the fleet layer as
TOML, checked with the kiosk's own pydantic model before anything is signed; problems are
shown in words naming the field) with its canary (a percentage or named kiosks);
``/fleet/rollouts/{id}`` shows one rollout with its per-kiosk states and offers promote, halt
and re-issue; ``/fleet/rollouts/kiosk/{id}`` shows one kiosk's configuration section
(the same ``config_section`` the fleet dashboard's kiosk page includes). The rules are in
``jobcentre.fleet.rollouts``; every operation is audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from foundation.errors import ApiError
from jobcentre.fleet import rollouts
from jobcentre.fleet.rollout_store import Rollout, RolloutTables
from jobcentre.fleet.site_config import Problem, layer_toml, parse_layer_toml
from jobcentre.staff.pages.fleet import DETAIL_SECTIONS
from jobcentre.staff.pages.fleet_rollout_views import (
    config_section,
    new_form,
    refusals,
    rollout_detail,
    rollout_list,
)
from jobcentre.staff.roles import Permission
from jobcentre.staff.templates import esc, message, render, url
from jobcentre.staff.web import (
    NavEntry,
    StaffContext,
    StaffRequest,
    record,
    session_form,
    staff_request,
)

NAV = NavEntry("/fleet/rollouts", "nav.rollouts", Permission.MANAGE_ROLLOUTS)


async def _config_on_detail(req: StaffRequest, kiosk_id: str) -> str:
    """The configuration section on the fleet's kiosk detail page (for rollout managers)."""
    return await config_section(req, kiosk_id) if req.can(Permission.MANAGE_ROLLOUTS) else ""


DETAIL_SECTIONS.append(_config_on_detail)
NOTICES = {"promoted": "rollout.promoted", "halted": "rollout.halted",
           "created": "rollout.created"}


def canary_from_form(req: StaffRequest, form: dict[str, str]
                     ) -> tuple[rollouts.Canary | None, str]:
    """The canary from a form, or None and the problem in words."""
    t = req.t
    if form.get("canary") == "named":
        named = tuple(k.strip() for k in form.get("kiosks", "").split(",") if k.strip())
        if not named:
            return None, t("new.bad_named")
        return rollouts.Canary(kiosks=named), ""
    try:
        percent = int(form.get("percent", "").strip())
    except ValueError:
        return None, t("new.bad_percent")
    if not 1 <= percent <= 100:
        return None, t("new.bad_percent")
    return rollouts.Canary(percent=percent), ""


def api_problem(req: StaffRequest, exc: ApiError) -> str:
    t = req.t
    if exc.code == "unknown_kiosk":
        return t("new.unknown_kiosk", kiosks=str(exc.extra.get("detail", "")))
    if exc.code == "no_kiosks":
        return t("new.no_kiosks")
    if exc.code == "rollout_halted":
        return t("rollout.refused_halted")
    if exc.code.startswith("rollout_"):
        return t("rollout.refused_stage")
    raise exc


async def start_rollout(req: StaffRequest, ctx: StaffContext, kind: str,
                        payload: dict[str, Any], canary: rollouts.Canary, detail: str = ""
                        ) -> Response | str:
    """Sign and stage a rollout, audited; the redirect to the list, or the problem in words."""
    try:
        done = await run_in_threadpool(
            lambda: rollouts.create_rollout(
                ctx.repo, kind, payload, canary=canary, issued_by=req.actor.username,
                signing_key=ctx.service.keys.signing))
    except ApiError as exc:
        return api_problem(req, exc)
    await record(req, "rollout.create", f"rollout:{done.id}",
                 detail=f"kind={kind} version={done.version} {detail}"
                        f"canaries={len(done.targets)}")
    return RedirectResponse(url("/fleet/rollouts", done="created", v=str(done.version),
                                n=str(len(done.targets))), status_code=303)


def add_routes(router: APIRouter, ctx: StaffContext) -> None:
    """Register the rollout pages."""

    def tables() -> RolloutTables:
        return RolloutTables(ctx.repo)

    @router.get("/fleet/rollouts")
    async def rollouts_page(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.MANAGE_ROLLOUTS)
        t = req.t
        listed = await run_in_threadpool(tables().newest)
        for rollout in listed:  # a canary's failed heartbeat halts its rollout
            if rollout.stage == "canary":
                await run_in_threadpool(rollouts.check_canaries, ctx.repo, rollout.id)
        listed = await run_in_threadpool(tables().newest)
        states = {r.id: await run_in_threadpool(tables().kiosk_states, r.id) for r in listed}
        reports = await run_in_threadpool(tables().reports, None, 50)
        notice = ""
        if (key := NOTICES.get(request.query_params.get("done", ""))) is not None:
            notice = message("success", t(key, version=request.query_params.get("v", ""),
                                          count=request.query_params.get("n", "")))
        body = (notice + f"<p>{esc(t('rollouts.intro'))}</p>"
                f'<p class="row-links"><a href="{url("/fleet/rollouts/new")}">'
                f'{esc(t("rollouts.new_link"))}</a>'
                f'<a href="{url("/fleet/rollouts/new-update")}">'
                f'{esc(t("rollouts.new_update_link"))}</a></p>'
                + rollout_list(req, listed, states) + refusals(req, reports))
        return render(req, t("rollouts.title"), body)

    @router.get("/fleet/rollouts/new")
    async def new_page(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.MANAGE_ROLLOUTS)
        newest = await run_in_threadpool(tables().newest, "site_config", 1)
        settings = layer_toml(dict(newest[0].payload.get("config", {}))) if newest else ""
        return render(req, req.t("new.title"), new_form(req, settings, "percent", "10", "", []))

    @router.post("/fleet/rollouts")
    async def create(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.MANAGE_ROLLOUTS)
        form = await session_form(req)
        t = req.t
        settings = form.get("settings", "")
        layer, found = parse_layer_toml(settings)
        problems: list[Problem | str] = list(found)
        canary, canary_problem = canary_from_form(req, form)
        problems += [canary_problem] if canary_problem else []
        if layer is not None and canary is not None and not problems:
            started = await start_rollout(req, ctx, "site_config", {"config": layer}, canary)
            if isinstance(started, Response):
                return started
            problems.append(started)
        await record(req, "rollout.create", "", outcome="failed", detail="invalid form")
        body = new_form(req, settings, form.get("canary", "percent"), form.get("percent", ""),
                        form.get("kiosks", ""), problems)
        return render(req, t("new.title"), body, 422)

    async def _rollout(rollout_id: int) -> Rollout:
        found = await run_in_threadpool(tables().get, rollout_id)
        if found is None:
            raise ApiError(404, "not_found")
        return found

    async def _detail(req: StaffRequest, rollout_id: int, notice: str = "",
                      status: int = 200) -> Response:
        t = req.t
        await run_in_threadpool(rollouts.check_canaries, ctx.repo, rollout_id)
        rollout = await _rollout(rollout_id)
        states = await run_in_threadpool(tables().kiosk_states, rollout_id)
        names = {k.kiosk_id: k.name for k in await run_in_threadpool(ctx.repo.list_kiosks)}
        title = t("rollout.title", kind=t(f"kind.{rollout.kind}"), version=rollout.version)
        return render(req, title, notice + rollout_detail(req, rollout, states, names), status)

    @router.get("/fleet/rollouts/{rollout_id}")
    async def detail_page(request: Request, rollout_id: int) -> Response:
        req = await staff_request(request, ctx, Permission.MANAGE_ROLLOUTS)
        return await _detail(req, rollout_id)

    @router.get("/fleet/rollouts/kiosk/{kiosk_id}")
    async def kiosk_page(request: Request, kiosk_id: str) -> Response:
        req = await staff_request(request, ctx, Permission.MANAGE_ROLLOUTS)
        kiosk = await run_in_threadpool(ctx.repo.get_kiosk, kiosk_id[:100])
        if kiosk is None:
            raise ApiError(404, "not_found")
        title = req.t("section.page_title", name=kiosk.name)
        return render(req, title, await config_section(req, kiosk.kiosk_id))

    @router.post("/fleet/rollouts/{rollout_id}/promote")
    async def promote(request: Request, rollout_id: int) -> Response:
        req = await staff_request(request, ctx, Permission.MANAGE_ROLLOUTS)
        await session_form(req)
        try:
            done = await run_in_threadpool(lambda: rollouts.promote(
                ctx.repo, rollout_id, signing_key=ctx.service.keys.signing))
        except ApiError as exc:
            problem = api_problem(req, exc)
            await record(req, "rollout.promote", f"rollout:{rollout_id}", outcome="failed",
                         detail=exc.code)
            return await _detail(req, rollout_id, message("error", problem), 409)
        await record(req, "rollout.promote", f"rollout:{rollout_id}",
                     detail=f"kind={done.kind} version={done.version}")
        return RedirectResponse(url("/fleet/rollouts", done="promoted", v=str(done.version)),
                                status_code=303)

    @router.post("/fleet/rollouts/{rollout_id}/halt")
    async def halt(request: Request, rollout_id: int) -> Response:
        req = await staff_request(request, ctx, Permission.MANAGE_ROLLOUTS)
        form = await session_form(req)
        reason = form.get("reason", "").strip()[:200] or req.t("rollout.halt_default")
        try:
            done = await run_in_threadpool(rollouts.halt, ctx.repo, rollout_id, reason)
        except ApiError as exc:
            problem = api_problem(req, exc)
            return await _detail(req, rollout_id, message("error", problem), 409)
        await record(req, "rollout.halt", f"rollout:{rollout_id}",
                     detail=f"kind={done.kind} version={done.version}")
        return RedirectResponse(url("/fleet/rollouts", done="halted"), status_code=303)

    @router.post("/fleet/rollouts/{rollout_id}/reissue")
    async def reissue(request: Request, rollout_id: int) -> Response:
        req = await staff_request(request, ctx, Permission.MANAGE_ROLLOUTS)
        form = await session_form(req)
        await _rollout(rollout_id)
        canary, problem = canary_from_form(req, form)
        if canary is not None:
            try:
                done = await run_in_threadpool(lambda: rollouts.reissue(
                    ctx.repo, rollout_id, canary=canary, issued_by=req.actor.username,
                    signing_key=ctx.service.keys.signing))
            except ApiError as exc:
                problem = api_problem(req, exc)
            else:
                await record(req, "rollout.reissue", f"rollout:{done.id}",
                             detail=f"of={rollout_id} version={done.version}")
                return RedirectResponse(url("/fleet/rollouts", done="created",
                                            v=str(done.version), n=str(len(done.targets))),
                                        status_code=303)
        return await _detail(req, rollout_id, message("error", problem), 422)
