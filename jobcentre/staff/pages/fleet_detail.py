"""The health part of a kiosk's detail page: overview, devices, alerts and history.

Not a page module of its own (not in ``PAGES``): ``pages/fleet.py`` draws
``/fleet/kiosks/{id}`` with :func:`detail_body` and then the ``DETAIL_SECTIONS`` of the
other fleet parts.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool

from jobcentre.fleet.health_store import KioskState
from jobcentre.staff.pages.fleet import _alert_rows, _time, faults_text, status_html
from jobcentre.staff.templates import esc, table, url
from jobcentre.staff.web import StaffRequest


def _size(value: Any) -> str:
    number = float(value or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if number < 1000 or unit == "GB":
            return f"{number:.0f} {unit}" if unit == "B" else f"{number:.1f} {unit}"
        number /= 1000
    return f"{number:.1f} GB"


def _duration(seconds: Any) -> str:
    if seconds is None:
        return "–"
    minutes = int(float(seconds) // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _summary(req: StaffRequest, kiosk_id: str, state: KioskState) -> str:
    t = req.t
    beat = state.heartbeat
    outbox = beat.get("outbox", {})
    disk = beat.get("disk", {})
    memory = beat.get("memory", {})
    errors = beat.get("errors", {})
    items = [
        (t("fleet.status"), status_html(req, state.status)),
        (t("fleet.detail.id"), f"<code>{esc(kiosk_id)}</code>"),
        (t("fleet.detail.site"), esc(state.site)),
        (t("fleet.last_seen"), esc(_time(req, state.last_seen))),
        (t("fleet.version"), esc(state.app_version)),
        (t("fleet.config"), esc(state.config_version or t("fleet.detail.none"))),
        (t("fleet.detail.update"), esc(state.update_version or t("fleet.detail.none"))),
        (t("fleet.detail.in_session"),
         esc(t("fleet.detail.yes") if state.in_session else t("fleet.detail.no"))),
        (t("fleet.detail.locked"),
         esc(t("fleet.detail.yes") if state.heartbeat.get("locked") else t("fleet.detail.no"))),
        (t("fleet.detail.last_session"), esc(_time(req, beat.get("last_session_end")))),
        (t("fleet.detail.outbox"), esc(t("fleet.detail.outbox_value",
                                         depth=outbox.get("depth", 0),
                                         age=_duration(outbox.get("oldest_age_s"))))),
        (t("fleet.detail.disk"), esc(t("fleet.detail.disk_value",
                                       percent=f'{float(disk.get("used_percent", 0)):.0f}',
                                       free=_size(disk.get("free_bytes"))))),
        (t("fleet.detail.memory"), esc(t("fleet.detail.memory_value",
                                         rss=_size(memory.get("agent_rss_bytes")),
                                         available=_size(memory.get("available_bytes"))))),
        (t("fleet.detail.errors"), esc(
            f'{errors.get("count", 0)}' + (f' ({", ".join(errors.get("codes", []))})'
                                           if errors.get("codes") else ""))),
    ]
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items)
    return f'<h2>{esc(t("fleet.detail.summary"))}</h2><dl class="facts">{rows}</dl>'


def _devices(req: StaffRequest, state: KioskState) -> str:
    t = req.t
    rows = []
    for key, device in sorted(state.devices.items()):
        text = t("fleet.state." + str(device.get("state")), default="?")
        if device.get("paper"):
            text += ", " + t("fleet.paper." + str(device["paper"]), default="?")
        rows.append([esc(t(f"fleet.device.{key}", default=key)), esc(text)])
    return f'<h2>{esc(t("fleet.devices"))}</h2>' + table(
        t("fleet.detail.devices_caption"), [t("fleet.detail.device"), t("fleet.detail.state")],
        rows, t("fleet.none"))


async def detail_body(req: StaffRequest, kiosk_id: str, state: KioskState | None) -> str:
    """Overview, devices, alerts and history of one kiosk."""
    t = req.t
    fleet = req.ctx.fleet
    alerts, history = await run_in_threadpool(
        lambda: (fleet.alerts.of_kiosk(kiosk_id), fleet.health.history(kiosk_id)))
    parts = [f'<p><a href="{url("/fleet")}">{esc(t("fleet.back"))}</a></p>']
    if state is None:
        parts.append(f'<p class="empty">{esc(t("fleet.detail.never"))}</p>')
    else:
        parts += [_summary(req, kiosk_id, state), _devices(req, state)]
    parts.append(f'<h2>{esc(t("fleet.detail.alerts"))}</h2>' + table(
        t("fleet.detail.alerts_caption"),
        [t("fleet.alerts.kind"), t("fleet.alerts.raised"), t("fleet.alerts.cleared")],
        _alert_rows(req, alerts, False), t("fleet.detail.no_alerts")))
    parts.append(f'<h2>{esc(t("fleet.detail.history"))}</h2>' + table(
        t("fleet.detail.history_caption"),
        [t("fleet.detail.time"), t("fleet.status"), t("fleet.detail.faults")],
        [[esc(_time(req, at)), status_html(req, status), esc(faults_text(req, faults))]
         for at, status, faults in history], t("fleet.detail.no_history")))
    return "\n".join(parts)
