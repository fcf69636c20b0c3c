"""Scenario ``fleet_lock``: the job centre locks the terminal, then unlocks it.

The commands are signed with the embedded service's centre key and queued on its live
channel from this process (as ``kiosk-server`` would); the real agent takes them between
visitors and the real app follows its gate answers.
"""

from __future__ import annotations

from typing import Any

from tests.ui.driver import UiDriver
from tests.ui.layout_checks import clipped_labels


def _issue(data_dir: Any, name: str) -> tuple[Any, str]:
    from jobcentre.fleet.commands import CommandStore, issue_command
    from jobcentre.keys import load_centre_keys
    from jobcentre.live import LiveLimits
    from jobcentre.live_store import LiveStore
    from jobcentre.repository import open_repository
    from kiosk.delivery.identity import load_identity
    from wire.fleet_command import MESSAGE_TYPE

    server = data_dir / "embedded-server"
    identity = load_identity(data_dir)
    assert identity is not None
    repo = open_repository(server)
    store = CommandStore(repo)
    record, body = issue_command(store, load_centre_keys(server).signing, identity.kiosk_id,
                                 name, {}, urgent=False, issued_by="ops-test")
    LiveStore(repo).add(identity.kiosk_id, MESSAGE_TYPE, body, LiveLimits().message_ttl)
    return store, record.command_id


def _state(store: Any, command_id: str) -> str:
    record = store.get(command_id)
    return str(record.state) if record else "missing"


async def fleet_lock(ui: UiDriver) -> dict[str, Any]:
    """Attract → lock (out-of-service screen, no visitor starts) → unlock → a visitor starts."""
    app, session = ui.app, ui.app.session
    data_dir = app.services.data_dir
    await ui.wait_for(lambda: app.root.current == "attract")
    await ui.wait_for(lambda: app.lock is not None and app.lock.gate is not None)
    moment = await _one_moment_shots(ui)
    store, lock_id = _issue(data_dir, "lock")
    panel = app.lock.panel
    await ui.wait_for(lambda: panel.parent is not None, timeout_s=120)
    await ui.wait_for(lambda: _state(store, lock_id) == "done", timeout_s=60)
    shots: dict[str, list[str]] = {}
    for lang, scale in (("de", 1.0), ("de", 2.0), ("ar", 1.0), ("ar", 2.0), ("en", 1.0)):
        session.set_language(lang)
        session.set_text_scale(scale)
        await ui.frames(6)
        shots[f"{lang}-{int(scale * 100)}"] = clipped_labels(panel)
        await ui.shot(f"out_of_service-{lang}-{int(scale * 100)}")
    session.set_language("de")
    session.set_text_scale(1.0)
    await ui.frames(4)
    texts = [w.text for w in _labels(panel)]
    await ui.tap("start")  # the panel swallows the touch: nobody starts a session
    await ui.frames(10)
    locked_screen = app.root.current
    admitting_locked = app.admitting
    staff_pin_opened = await _staff_gesture(ui)
    unlock_id = _issue(data_dir, "unlock")[1]
    await ui.wait_for(lambda: panel.parent is None, timeout_s=120)
    await ui.wait_for(lambda: app.admitting, timeout_s=30)
    await ui.shot("attract-unlocked")
    await ui.tap("start")
    await ui.wait_for(lambda: app.root.current == "language")
    return {"locked_screen": locked_screen, "admitting_locked": admitting_locked,
            "clipped": shots, "texts": texts, "unlock": _state(store, unlock_id),
            "staff_pin_opened": staff_pin_opened, "one_moment": moment,
            "after_unlock": app.root.current}


async def _one_moment_shots(ui: UiDriver) -> dict[str, Any]:
    """The attract screen while the gate holds new visitors back, in de and ar, 100/200 %."""
    import asyncio

    app, session = ui.app, ui.app.session
    gate = app.lock.gate
    gate.stop()  # hold the reports so the shown state stays put for the pictures
    await asyncio.sleep(gate.every_s * 2)
    app.admitting = False
    screen = app.root.get_screen("attract")
    out: dict[str, Any] = {}
    for lang, scale in (("de", 1.0), ("de", 2.0), ("ar", 1.0), ("ar", 2.0)):
        session.set_language(lang)
        session.set_text_scale(scale)
        await ui.frames(6)
        out[f"clipped-{lang}-{int(scale * 100)}"] = clipped_labels(screen)
        await ui.shot(f"attract-one-moment-{lang}-{int(scale * 100)}")
    await ui.tap("start")
    out["screen_after_tap"] = app.root.current
    session.set_language("de")
    session.set_text_scale(1.0)
    app.admitting = True
    gate.start()
    return out


async def _staff_gesture(ui: UiDriver) -> bool:
    """Hold the top-right corner (the staff gesture): the staff PIN panel opens over the lock."""
    import asyncio

    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    from kiosk.app import STAFF_HOLD_S

    touch = UnitTestTouch(Window.width - 5, Window.height - 5)
    touch.touch_down()
    await asyncio.sleep(STAFF_HOLD_S + 0.5)
    await ui.frames(4)
    touch.touch_up()
    await ui.frames(4)
    panel = ui.app.overlays.staff
    opened = panel.parent is not None
    await ui.shot("out_of_service-staff-pin")
    panel.dismiss(animation=False)
    await ui.frames(4)
    return opened


def _labels(root: Any) -> list[Any]:
    from kivy.uix.label import Label

    from tests.ui.layout_checks import walk

    return [w for w in walk(root) if isinstance(w, Label) and w.text.strip()]


async def fleet_restart(ui: UiDriver) -> dict[str, Any]:
    """A visitor is on screen → restart arrives → nothing happens until the visit ends →
    then the app stops by itself with the restart exit code."""
    app = ui.app
    data_dir = app.services.data_dir
    await ui.wait_for(lambda: app.root.current == "attract")
    await ui.wait_for(lambda: app.lock is not None and app.lock.gate is not None)
    await ui.tap("start")
    await ui.wait_for(lambda: app.root.current == "language")
    store, restart_id = _issue(data_dir, "restart")
    await ui.wait_for(lambda: _state(store, restart_id) == "delivered", timeout_s=120)
    for _ in range(30):  # a few seconds of reports: the visitor is not interrupted
        await ui.frames(6)
    during_visit = {"screen": app.root.current, "exit_code": app.exit_code}
    app.end_session()
    await ui.wait_for(lambda: app.exit_code != 0, timeout_s=120)
    return {"during_visit": during_visit, "exit_code": app.exit_code,
            "command": _state(store, restart_id)}
