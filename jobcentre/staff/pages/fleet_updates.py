"""Rolling out an app update: pick a stored update set, choose the canaries, sign and send.

``kiosk-server update add`` stores an update set (the project's wheel and the dependencies
that changed, ``jobcentre.fleet.update_files``); this page lists them and starts an
``app_update`` rollout of one through the same machinery as a configuration
(``jobcentre.fleet.rollouts.create_rollout``: canaries first, manual promotion, automatic halt).
Promotion, halting and the per-kiosk states are on the rollout's own page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jobcentre.fleet.update_files import UpdateStore
from jobcentre.staff.pages.fleet_rollout_views import canary_fields
from jobcentre.staff.pages.fleet_rollouts import canary_from_form, start_rollout
from jobcentre.staff.roles import Permission
from jobcentre.staff.templates import csrf_field, esc, render, table, url
from jobcentre.staff.web import StaffContext, StaffRequest, record, session_form, staff_request
from wire.update_manifest import UpdateManifest

NAV = None  # reached from the rollouts page


def _form(req: StaffRequest, updates: list[UpdateManifest], chosen: str, mode: str,
          percent: str, named: str, problems: list[str]) -> str:
    t = req.t
    html = ""
    if problems:
        items = "".join(f"<li>{esc(p)}</li>" for p in problems)
        html += (f'<div class="notice error" role="alert"><p>{esc(t("upd.problems"))}</p>'
                 f"<ul>{items}</ul></div>")
    if not updates:
        return html + f"<p>{esc(t('upd.none'))}</p>"
    rows = []
    for index, manifest in enumerate(updates):
        checked = " checked" if manifest.app_version == chosen or (not chosen and index == 0) \
            else ""
        size = sum(f.size for f in manifest.files) / 1_000_000
        rows.append([
            f'<span class="choice"><input type="radio" name="version" id="upd-{index}"'
            f' value="{esc(manifest.app_version)}"{checked}>'
            f'<label for="upd-{index}">{esc(manifest.app_version)}</label></span>',
            esc(manifest.python), esc(", ".join(f.name for f in manifest.files)),
            esc(f"{size:.1f} MB")])
    return html + f"""<form method="post" action="{url('/fleet/rollouts/updates')}"
 class="stack wide">{csrf_field(req)}
{table(t("upd.caption"), [t("upd.version"), t("upd.python"), t("upd.files"), t("upd.size")],
       rows, t("upd.none"))}
{canary_fields(req, "upd", mode, percent, named)}
<button type="submit">{esc(t("upd.submit"))}</button></form>"""


def add_routes(router: APIRouter, ctx: StaffContext) -> None:
    """Register the update rollout form and its target."""

    def store() -> UpdateStore:
        return UpdateStore(ctx.repo, ctx.store.root)

    @router.get("/fleet/rollouts/new-update")
    async def new_update(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.MANAGE_ROLLOUTS)
        updates = await run_in_threadpool(lambda: store().manifests())
        body = f"<p>{esc(req.t('upd.intro'))}</p>" + _form(req, updates, "", "percent", "10",
                                                           "", [])
        return render(req, req.t("upd.title"), body)

    @router.post("/fleet/rollouts/updates")
    async def create(request: Request) -> Response:
        req = await staff_request(request, ctx, Permission.MANAGE_ROLLOUTS)
        form = await session_form(req)
        t = req.t
        updates = await run_in_threadpool(lambda: store().manifests())
        chosen = next((m for m in updates if m.app_version == form.get("version")), None)
        canary, problem = canary_from_form(req, form)
        problems = [problem] if problem else []
        if chosen is None:
            problems.append(t("upd.pick"))
        if chosen is not None and canary is not None and not problems:
            started = await start_rollout(req, ctx, "app_update", chosen.model_dump(mode="json"),
                                          canary, f"app={chosen.app_version} ")
            if isinstance(started, Response):
                return started
            problems.append(started)
        await record(req, "rollout.create", "", outcome="failed", detail="invalid update form")
        body = _form(req, updates, form.get("version", ""), form.get("canary", "percent"),
                     form.get("percent", ""), form.get("kiosks", ""), problems)
        return render(req, t("upd.title"), body, 422)
