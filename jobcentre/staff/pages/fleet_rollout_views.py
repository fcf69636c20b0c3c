"""HTML of the rollout pages (``fleet_rollouts.py``) and the kiosk detail page's section.

Everything here draws; nothing writes. States and stages are words (never colour alone);
a kiosk's refusal code is shown as its code plus a sentence. :func:`config_section` is what
the fleet dashboard's kiosk detail page includes (the active configuration version and the
kiosk's rollout states).
"""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool

from jobcentre.fleet.rollout_store import KioskState, Report, Rollout, RolloutTables
from jobcentre.fleet.site_config import Problem, layer_toml
from jobcentre.staff.i18n import Translator
from jobcentre.staff.templates import csrf_field, esc, message, table, url
from jobcentre.staff.web import StaffRequest


def reason_text(t: Translator, reason: str) -> str:
    """A kiosk's reason (``code: detail``) as the code and a sentence in the page's language."""
    if not reason:
        return ""
    code, _, detail = reason.partition(":")
    sentence = t(f"reason.{code.strip()}", "")
    if not sentence:  # an unknown code is shown as it came
        return esc(reason)
    extra = f" ({esc(detail.strip())})" if detail.strip() else ""
    return f"{esc(sentence)}{extra} <code>{esc(code.strip())}</code>"


def canary_text(t: Translator, rollout: Rollout) -> str:
    """Who the canary was."""
    if rollout.canary_percent is not None:
        return t("rollouts.canary_percent", percent=rollout.canary_percent)
    return t("rollouts.canary_named", kiosks=", ".join(rollout.canary_kiosks))


def progress_text(t: Translator, states: list[KioskState]) -> str:
    """How many kiosks reported what."""
    counts = {s: 0 for s in ("applied", "rolled_back", "refused", "sent")}
    for state in states:
        counts[state.state] = counts.get(state.state, 0) + 1
    return t("rollouts.progress_text", **{k: str(v) for k, v in counts.items()})


def rollout_list(req: StaffRequest, rollouts: list[Rollout],
                 states: dict[int, list[KioskState]]) -> str:
    """The table of rollouts."""
    t = req.t
    rows = []
    for r in rollouts:
        kind = t(f"kind.{r.kind}")
        link = (f'<a href="{url(f"/fleet/rollouts/{r.id}")}" aria-label="'
                f'{esc(t("rollouts.details_label", kind=kind, version=r.version))}">'
                f'{esc(t("rollouts.details"))}</a>')
        rows.append([esc(r.version), esc(kind), esc(t(f"stage.{r.stage}")),
                     esc(canary_text(t, r)),
                     esc(t("rollouts.created_by", at=t.when(r.created_at),
                           user=r.created_by)),
                     esc(progress_text(t, states.get(r.id, []))), link])
    return table(t("rollouts.caption", count=len(rollouts)),
                 [t("rollouts.version"), t("rollouts.kind"), t("rollouts.stage"),
                  t("rollouts.canary"), t("rollouts.created"), t("rollouts.progress"),
                  t("rollouts.actions")], rows, t("rollouts.none"))


def refusals(req: StaffRequest, reports: list[Report]) -> str:
    """The latest refusals the kiosks reported."""
    t = req.t
    rows = [[f"<code>{esc(r.kiosk_id)}</code>",
             esc(f"{t('kind.' + r.kind)} {r.version}"), reason_text(t, r.reason),
             esc(t.when(r.reported_at))] for r in reports if r.state == "refused"]
    return (f'<h2>{esc(t("reports.title"))}</h2>'
            + table(t("reports.caption"), [t("reports.kiosk"), t("reports.bundle"),
                                            t("reports.reason"), t("reports.at")],
                    rows, t("reports.none")))


def rollout_detail(req: StaffRequest, rollout: Rollout, states: list[KioskState],
                   names: dict[str, str]) -> str:
    """One rollout: summary, settings, per-kiosk states and the actions its stage allows."""
    t = req.t
    facts = [t("rollouts.stage") + ": " + t(f"stage.{rollout.stage}"),
             t("rollouts.canary") + ": " + canary_text(t, rollout),
             t("rollouts.created") + ": " + t("rollouts.created_by",
                                              at=t.when(rollout.created_at),
                                              user=rollout.created_by),
             t("rollouts.progress") + ": " + progress_text(t, states)]
    if rollout.reissue_of is not None:
        facts.append(t("rollout.reissue_of", version=str(rollout.reissue_of)))
    html = f'<h2>{esc(t("rollout.summary"))}</h2><ul>'
    html += "".join(f"<li>{esc(f)}</li>" for f in facts)
    if rollout.halt_reason:
        kiosk, _, reason = rollout.halt_reason.partition(": ")
        said = (f"<code>{esc(kiosk)}</code>: {reason_text(t, reason)}" if reason
                else esc(rollout.halt_reason))
        html += f'<li>{esc(t("rollout.halt_reason", reason=""))}{said}</li>'
    html += "</ul>"
    if rollout.kind == "site_config":
        settings = layer_toml(dict(rollout.payload.get("config", {})))
        html += f'<h2>{esc(t("rollout.settings"))}</h2><pre><code>{esc(settings)}</code></pre>'
    else:
        shown = json.dumps(rollout.payload, indent=2, sort_keys=True)[:4000]
        html += f'<h2>{esc(t("rollout.payload"))}</h2><pre><code>{esc(shown)}</code></pre>'
    rows = [[f'<a href="{url("/fleet/rollouts/kiosk/" + s.kiosk_id)}">'
             f'{esc(names.get(s.kiosk_id, ""))} <code>{esc(s.kiosk_id)}</code></a>',
             esc(t(f"state.{s.state}")), reason_text(t, s.reason),
             esc(t.when(s.updated_at))] for s in states]
    html += table(t("rollout.kiosks_caption", count=len(states)),
                  [t("rollout.kiosk"), t("rollout.state"), t("rollout.reason"),
                   t("rollout.updated")], rows, t("rollout.no_kiosks"))
    return html + actions(req, rollout)


def actions(req: StaffRequest, rollout: Rollout) -> str:
    """Promote and halt (canary stage only) and re-issue (always)."""
    t = req.t
    base = f"/fleet/rollouts/{rollout.id}"
    html = ""
    if rollout.stage == "canary":
        html += f"""<h2>{esc(t("rollout.promote"))}</h2><p>{esc(t("rollout.promote_help"))}</p>
<form method="post" action="{url(base + '/promote')}">{csrf_field(req)}
<button type="submit">{esc(t("rollout.promote"))}</button></form>
<h2>{esc(t("rollout.halt"))}</h2>
<form method="post" action="{url(base + '/halt')}" class="stack">{csrf_field(req)}
<div class="field"><label for="halt-reason">{esc(t("rollout.halt_reason_label"))}</label>
<input id="halt-reason" name="reason" type="text" maxlength="200"
 value="{esc(t("rollout.halt_default"))}"></div>
<button type="submit" class="danger">{esc(t("rollout.halt"))}</button></form>"""
    html += f"""<h2>{esc(t("rollout.reissue"))}</h2><p>{esc(t("rollout.reissue_help"))}</p>
<form method="post" action="{url(base + '/reissue')}" class="stack">{csrf_field(req)}
{canary_fields(req, "reissue", "percent", "10", "")}
<button type="submit">{esc(t("rollout.reissue"))}</button></form>"""
    return html


def canary_fields(req: StaffRequest, prefix: str, mode: str, percent: str, named: str) -> str:
    """The canary choice: a percentage or named kiosks (radio buttons in a fieldset)."""
    t = req.t
    checked = {"percent": ' checked' if mode != "named" else "",
               "named": ' checked' if mode == "named" else ""}
    return f"""<fieldset class="stack"><legend>{esc(t("new.canary"))}</legend>
<div class="choice"><input type="radio" id="{prefix}-mode-percent" name="canary" value="percent"
{checked["percent"]}>
<label for="{prefix}-mode-percent">{esc(t("new.canary_percent"))}</label></div>
<div class="field"><label for="{prefix}-percent">{esc(t("new.canary_percent_input"))}</label>
<input id="{prefix}-percent" name="percent" type="number" min="1" max="100" step="1"
 inputmode="numeric" value="{esc(percent)}"></div>
<div class="choice"><input type="radio" id="{prefix}-mode-named" name="canary" value="named"
{checked["named"]}>
<label for="{prefix}-mode-named">{esc(t("new.canary_named"))}</label></div>
<div class="field"><label for="{prefix}-named">{esc(t("new.canary_named_input"))}</label>
<input id="{prefix}-named" name="kiosks" type="text" maxlength="2000" autocomplete="off"
 value="{esc(named)}"></div></fieldset>"""


def problem_text(t: Translator, problem: Problem) -> str:
    """One problem of a configuration in the page's language (English text if unknown)."""
    try:
        text = t(f"problem.{problem.code}", "", **problem.values) or problem.text
    except (KeyError, IndexError):  # a value the text needs is missing: say it in English
        text = problem.text
    return f"{problem.field}: {text}" if problem.field else text


def new_form(req: StaffRequest, settings: str, mode: str, percent: str, named: str,
             problems: list[Problem | str]) -> str:
    """The form for a new configuration, with the problems of the last try in words."""
    t = req.t
    html = ""
    if problems:
        items = "".join(f"<li>{esc(p if isinstance(p, str) else problem_text(t, p))}</li>"
                        for p in problems)
        html += (f'<div class="notice error" role="alert"><p>{esc(t("new.problems"))}</p>'
                 f"<ul>{items}</ul></div>")
    return html + f"""<form method="post" action="{url('/fleet/rollouts')}" class="stack wide">
{csrf_field(req)}
<div class="field"><label for="settings">{esc(t("new.settings"))}</label>
<p class="hint" id="settings-help">{esc(t("new.settings_help"))}</p>
<textarea id="settings" name="settings" rows="12" aria-describedby="settings-help"
 spellcheck="false">{esc(settings)}</textarea></div>
{canary_fields(req, "new", mode, percent, named)}
<button type="submit">{esc(t("new.submit"))}</button></form>"""


async def config_section(req: StaffRequest, kiosk_id: str) -> str:
    """The kiosk detail page's section: active configuration version and rollout states."""
    t = req.t
    tables = RolloutTables(req.ctx.repo)
    states = await run_in_threadpool(tables.states_of_kiosk, kiosk_id, 10)
    rollouts = {}
    for state in states:
        found = await run_in_threadpool(tables.get, state.rollout_id)
        if found is not None:
            rollouts[state.rollout_id] = found
    applied = [rollouts[s.rollout_id].version for s in states if s.state == "applied"
               and s.rollout_id in rollouts and rollouts[s.rollout_id].kind == "site_config"]
    active = (message("info", t("section.active", version=str(max(applied)))) if applied
              else message("info", t("section.none")))
    rows = []
    for s in states:
        r = rollouts.get(s.rollout_id)
        if r is None:
            continue
        rows.append([f'<a href="{url(f"/fleet/rollouts/{r.id}")}">'
                     f'{esc(t("kind." + r.kind))} {esc(r.version)}</a>',
                     esc(t(f"stage.{r.stage}")), esc(t(f"state.{s.state}")),
                     reason_text(t, s.reason), esc(t.when(s.updated_at))])
    return (f'<section aria-labelledby="config-section"><h2 id="config-section">'
            f'{esc(t("section.title"))}</h2>{active}'
            + table(t("section.caption"), [t("rollouts.version"), t("rollouts.stage"),
                                           t("rollout.state"), t("rollout.reason"),
                                           t("rollout.updated")], rows, t("section.no_rollouts"))
            + "</section>")
